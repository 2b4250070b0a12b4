//! The embedder API (`loop_host::embed`): a host interface package provided by the embedding
//! crate, trust-gated like `loop:*`; an app compiled in (graph + component bytes in memory) whose
//! relative paths are rebased on the app directory; its plugin directory scanned from there.
mod common;
use common::*;
use loop_host::embed::{self, EmbeddedApp};
use loop_host::state::StoreState;
use loop_host::{App, RunOptions, Runtime};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use wasmtime::StoreContextMut;
use wit_component::StringEncoding;
use wit_parser::Resolve;

const NAMES_WIT: &str = r#"
package test:names@0.1.0;
interface names {
    whoami: func() -> string;
}
world caller {
    import names;
    import loop:log/logger@0.1.0;
    export loop:app/entry@0.1.0;
}
"#;

/// A core (world test:names/caller) that logs what the host's `test:names/names.whoami` returns.
fn caller() -> Vec<u8> {
    let wat = r#"(module
  (import "loop:log/logger@0.1.0" "log" (func $log (param i32 i32 i32)))
  (import "test:names/names@0.1.0" "whoami" (func $whoami (param i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 16384))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (i32.add (local.get 3) (i32.const 8))))
    (local.get $p))
  (func (export "loop:app/entry@0.1.0#run") (result i32)
    (call $whoami (i32.const 2048))
    (call $log (i32.const 2) (i32.load (i32.const 2048)) (i32.load (i32.const 2052)))
    (i32.store8 (i32.const 1024) (i32.const 0))
    (i32.const 1024))
)"#;
    let mut resolve = Resolve::default();
    resolve.push_dir(wit_dir()).expect("wit/ parses");
    let pkg = resolve
        .push_str("names.wit", NAMES_WIT)
        .expect("names WIT parses");
    let world = resolve.select_world(&[pkg], Some("caller")).unwrap();
    let mut module = wat::parse_str(wat).unwrap();
    wit_component::embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8)
        .unwrap();
    wit_component::ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .unwrap()
}

/// Provides `test:names` once per test process: `whoami` answers "<prefix> <caller's name>",
/// where the prefix is the app's `prefix` setting of the package (default "I am"), which must be
/// a string when set.
fn provide_names() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        embed::provide("test:names", |linker| {
            linker.instance("test:names/names@0.1.0")?.func_wrap(
                "whoami",
                |store: StoreContextMut<'_, StoreState>, (): ()| {
                    let s = store.data();
                    let prefix = s
                        .host_settings("test:names")
                        .str("prefix")
                        .unwrap_or("I am");
                    Ok((format!("{prefix} {}", s.name),))
                },
            )
        })
        .unwrap();
        embed::check_settings("test:names", |settings| {
            settings.string("prefix")?;
            Ok(())
        })
        .unwrap();
    });
}

/// An app compiled in: graph text and component bytes leaked to 'static, as include_bytes! gives.
fn embedded(allow: &[&str], extra: serde_json::Value) -> EmbeddedApp {
    let wasm: &'static [u8] = Box::leak(caller().into_boxed_slice());
    let mut g = json!({
        "format": "loop.app/1",
        "app": { "name": "names", "entry": "caller" },
        "platform": "native",
        "components": [{ "name": "caller", "class": "core", "trust": "untrusted",
                         "path": "../components/caller.wasm", "sha256": sha256_hex(wasm),
                         "allow": allow }],
        "capabilities": {
            "loop:log": { "provider": "jsonl", "path": "../logs/app.jsonl" },
            "test:names": { "provider": "host" }
        }
    });
    if let serde_json::Value::Object(m) = extra {
        for (k, v) in m {
            g[k] = v;
        }
    }
    EmbeddedApp {
        graph: Box::leak(g.to_string().into_boxed_str()),
        // As resolved into <app>/.loop/: "../x" is <app>/x.
        graph_dir: ".loop",
        files: Box::leak(Box::new([("../components/caller.wasm", wasm)])),
    }
}

fn runtime() -> Arc<Runtime> {
    Arc::new(Runtime::new(None).unwrap())
}

fn log_lines(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("logs/app.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["message"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn a_provided_interface_serves_the_component_granted_it_from_an_embedded_app() {
    provide_names();
    let dir = tmpdir("embed-ok");
    let app = embedded(&["loop:app", "loop:log", "test:names"], json!({}));
    let app = app.load(runtime(), &dir).unwrap();
    let code = app
        .run(&RunOptions {
            argv0: "caller".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(code, 0);
    // The log path "../logs/app.jsonl" (relative to <app>/.loop) landed in <app>/logs.
    assert_eq!(log_lines(&dir), vec!["I am caller".to_string()]);
    // Nothing was read from or written to <app>/components: the component came from memory.
    assert!(!dir.join("components").exists());
}

#[test]
fn a_component_not_granted_the_provided_package_is_refused_before_it_runs() {
    provide_names();
    let dir = tmpdir("embed-deny");
    let err = embedded(&["loop:app", "loop:log"], json!({}))
        .load(runtime(), &dir)
        .err()
        .expect("refused");
    let msg = loop_host::one_line(&err);
    assert!(
        msg.contains("component 'caller' imports 'test:names/names@0.1.0' but trust class 'untrusted' does not allow 'test:names'"),
        "{msg}"
    );
    assert!(log_lines(&dir).is_empty());
}

#[test]
fn the_graph_may_name_only_the_host_provider_for_a_provided_package() {
    provide_names();
    let dir = tmpdir("embed-provider");
    let caps = json!({ "capabilities": { "test:names": { "provider": "os" } } });
    let err = embedded(&["loop:app", "test:names"], caps)
        .load(runtime(), &dir)
        .err()
        .expect("refused");
    let msg = loop_host::one_line(&err);
    assert!(
        msg.contains("capabilities.\"test:names\".provider 'os' is not a provider of this host"),
        "{msg}"
    );
    // A package nobody provides is still an unknown capability.
    let caps = json!({ "capabilities": { "test:other": { "provider": "host" } } });
    let err = embedded(&["loop:app", "test:names"], caps)
        .load(runtime(), &dir)
        .err()
        .expect("refused");
    assert!(
        loop_host::one_line(&err)
            .contains("capabilities.\"test:other\": unknown capability package")
    );
}

#[test]
fn the_plugin_directory_of_an_embedded_app_is_the_app_dirs_and_is_scanned() {
    provide_names();
    let dir = tmpdir("embed-plugins");
    write(
        &dir,
        "plugins/echo.wasm",
        &plugin("echo", "1.0.0", Behavior::Echo),
    );
    let plugins =
        json!({ "plugins": { "dir": "../plugins", "trust": "untrusted", "allow": ["loop:app"] } });
    let app = embedded(&["loop:app", "loop:log", "test:names"], plugins)
        .load(runtime(), &dir)
        .unwrap();
    let host = app.plugins.as_ref().expect("plugin host");
    assert_eq!(host.dir(), Some(dir.join("plugins")));
    assert_eq!(host.call("echo", "hi"), Ok("hi".to_string()));
    // The same app through App::load_graph on the mounted path: the graph file is served from memory.
    let file = embedded(&["loop:app", "loop:log", "test:names"], json!({}))
        .mount(&dir)
        .unwrap();
    assert_eq!(file, dir.join(".loop/app.loop.json"));
    assert!(!file.exists());
    App::load_graph(runtime(), &file).unwrap();
}

#[test]
fn the_apps_settings_of_a_provided_package_reach_its_host_functions_and_are_checked_at_load() {
    provide_names();
    let dir = tmpdir("embed-settings");
    let caps = |prefix: serde_json::Value| {
        json!({ "capabilities": {
            "loop:log": { "provider": "jsonl", "path": "../logs/app.jsonl" },
            "test:names": { "provider": "host", "prefix": prefix }
        } })
    };
    let allow = ["loop:app", "loop:log", "test:names"];
    let app = embedded(&allow, caps(json!("Hello from")))
        .load(runtime(), &dir)
        .unwrap();
    let code = app
        .run(&RunOptions {
            argv0: "caller".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(code, 0);
    assert_eq!(log_lines(&dir), vec!["Hello from caller".to_string()]);

    // A setting the provider's check refuses stops the load, naming the graph, package and key.
    let err = embedded(&allow, caps(json!(3)))
        .load(runtime(), &dir)
        .err()
        .expect("refused");
    let msg = loop_host::one_line(&err);
    assert!(
        msg.contains("app.loop.json: capabilities.\"test:names\": prefix is 3, expected a string"),
        "{msg}"
    );

    // The settings as the API gives them: the table without `provider`.
    let s = embed::Settings::new(
        [
            ("prefix".to_string(), json!("x")),
            ("n".to_string(), json!(2)),
        ]
        .into(),
    );
    assert_eq!(s.keys().collect::<Vec<_>>(), vec!["n", "prefix"]);
    assert_eq!(
        (s.str("prefix"), s.str("n"), s.get("n")),
        (Some("x"), None, Some(&json!(2)))
    );
    assert!(s.string("n").is_err() && s.string("none").unwrap().is_none());
    // A check needs the package provided first.
    let e = embed::check_settings("test:nobody", |_| Ok(())).unwrap_err();
    assert!(e.to_string().contains("provide the package first"), "{e}");
}
