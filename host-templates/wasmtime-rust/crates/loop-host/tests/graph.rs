//! Running resolved graphs: verification, trust gating, default components, plugins, config.
mod common;
use common::*;
use serde_json::json;
use std::path::Path;

fn app_dir(tag: &str) -> std::path::PathBuf {
    let dir = tmpdir(tag);
    write(&dir, "components/greeter.wasm", &greeter());
    write(&dir, "components/formatter.wasm", &formatter("Hello, "));
    write(
        &dir,
        "plugins/echo.wasm",
        &plugin("echo", "1.0.0", Behavior::Echo),
    );
    dir
}

fn greeter_components(dir: &Path, greeter_sha: Option<String>) -> serde_json::Value {
    let sha = greeter_sha.unwrap_or_else(|| {
        sha256_hex(&std::fs::read(dir.join("components/greeter.wasm")).unwrap())
    });
    json!([
        { "name": "greeter", "class": "core", "trust": "trusted",
          "path": "components/greeter.wasm", "sha256": sha,
          "allow": ["loop:app", "loop:log", "loop:plugin"],
          "config": { "greeting": "hi there" },
          "limits": { "memory-mb": 64 } },
        { "name": "formatter", "class": "default", "trust": "untrusted",
          "path": "components/formatter.wasm",
          "sha256": sha256_hex(&std::fs::read(dir.join("components/formatter.wasm")).unwrap()),
          "allow": ["loop:app", "loop:log"] }
    ])
}

fn plugins_section() -> serde_json::Value {
    json!({ "plugins": { "dir": "plugins", "trust": "untrusted",
                          "allow": ["loop:app", "loop:log", "loop:clock", "loop:random", "loop:kv"],
                          "limits": { "deadline-ms": 2000, "memory-mb": 32 } },
            "capabilities": { "loop:log": { "provider": "stdout" } } })
}

const QUIET_NO_CACHE: [(&str, &str); 1] = [("LOOP_NO_CODE_CACHE", "1")];

#[test]
fn app_runs_core_with_default_component_plugin_and_config() {
    let dir = app_dir("graph-ok");
    let g = graph(
        &dir,
        "greeter",
        greeter_components(&dir, None),
        plugins_section(),
    );
    let (code, out, err) = run_host(&["run", g.to_str().unwrap()], "", &QUIET_NO_CACHE);
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(
        out,
        "[greeter] info: core starting\n[greeter] info: Hello, world!\n[greeter] info: ping\n[greeter] info: hi there\n"
    );
}

#[test]
fn app_dir_argument_finds_app_loop_json() {
    let dir = app_dir("graph-dir");
    graph(
        &dir,
        "greeter",
        greeter_components(&dir, None),
        plugins_section(),
    );
    let (code, out, err) = run_host(&["run", dir.to_str().unwrap()], "", &QUIET_NO_CACHE);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.contains("Hello, world!"));
}

#[test]
fn sha256_mismatch_is_refused_before_anything_runs() {
    let dir = app_dir("graph-sha");
    let g = graph(
        &dir,
        "greeter",
        greeter_components(&dir, Some("0".repeat(64))),
        plugins_section(),
    );
    let (code, out, err) = run_host(&["run", g.to_str().unwrap()], "", &QUIET_NO_CACHE);
    assert_eq!(code, 1);
    assert!(out.is_empty(), "stdout: {out}");
    assert!(
        err.contains(
            "greeter.wasm: sha256 mismatch for component 'greeter': app.loop.json expects 0000"
        ),
        "stderr: {err}"
    );
}

#[test]
fn untrusted_component_importing_process_is_refused_at_link_time() {
    let dir = tmpdir("graph-trust");
    let bad = write(&dir, "bad.wasm", &core_importing_process());
    let g = graph(
        &dir,
        "bad",
        json!([{ "name": "bad", "class": "core", "trust": "untrusted", "path": "bad.wasm",
                 "sha256": sha256_hex(&std::fs::read(&bad).unwrap()), "allow": ["loop:app", "loop:log"] }]),
        json!({}),
    );
    let (code, _, err) = run_host(&["run", g.to_str().unwrap()], "", &QUIET_NO_CACHE);
    assert_eq!(code, 1);
    assert!(
        err.contains("component 'bad' imports 'loop:process/spawn@0.1.0' but trust class 'untrusted' does not allow 'loop:process'"),
        "stderr: {err}"
    );
}

#[test]
fn trusted_component_granted_process_is_linked() {
    let dir = tmpdir("graph-trusted");
    let bad = write(&dir, "tool.wasm", &core_importing_process());
    let g = graph(
        &dir,
        "tool",
        json!([{ "name": "tool", "class": "core", "trust": "trusted", "path": "tool.wasm",
                 "sha256": sha256_hex(&std::fs::read(&bad).unwrap()), "allow": ["loop:app", "loop:process"] }]),
        json!({ "capabilities": { "loop:process": { "provider": "os" } } }),
    );
    let (code, _, err) = run_host(&["run", g.to_str().unwrap()], "", &QUIET_NO_CACHE);
    assert_eq!(code, 0, "stderr: {err}");
}

#[test]
fn untrusted_plugin_importing_process_is_refused_and_the_app_still_serves() {
    let dir = app_dir("graph-bad-plugin");
    write(&dir, "plugins/bad.wasm", &plugin_importing_process("bad"));
    let g = graph(
        &dir,
        "greeter",
        greeter_components(&dir, None),
        plugins_section(),
    );
    let (code, out, err) = run_host(&["run", g.to_str().unwrap()], "", &QUIET_NO_CACHE);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(
        err.contains("component 'bad' imports 'loop:process/spawn@0.1.0' but trust class 'untrusted' does not allow 'loop:process'"),
        "stderr: {err}"
    );
    assert!(out.contains("[greeter] info: ping"), "stdout: {out}");
}

#[test]
fn missing_plugin_is_an_err_for_the_caller() {
    let dir = app_dir("graph-no-plugin");
    std::fs::remove_file(dir.join("plugins/echo.wasm")).unwrap();
    let g = graph(
        &dir,
        "greeter",
        greeter_components(&dir, None),
        plugins_section(),
    );
    let (code, out, err) = run_host(&["run", g.to_str().unwrap()], "", &QUIET_NO_CACHE);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(
        out.contains("[greeter] error: no plugin named 'echo'"),
        "stdout: {out}"
    );
}

#[test]
fn import_nobody_exports_is_refused_with_names() {
    let dir = app_dir("graph-no-formatter");
    let mut comps = greeter_components(&dir, None);
    comps.as_array_mut().unwrap().truncate(1);
    let g = graph(&dir, "greeter", comps, plugins_section());
    let (code, _, err) = run_host(&["run", g.to_str().unwrap()], "", &QUIET_NO_CACHE);
    assert_eq!(code, 1);
    assert!(err.contains("component 'greeter' imports 'example:hello/formatter' but no component in the app exports it"), "stderr: {err}");
}

#[test]
fn entry_err_is_reported_with_the_component_name() {
    let dir = tmpdir("graph-err");
    let f = write(&dir, "app.wasm", &failing_core("boom happened"));
    let g = graph(
        &dir,
        "app",
        json!([{ "name": "app", "class": "core", "path": "app.wasm",
                 "sha256": sha256_hex(&std::fs::read(&f).unwrap()), "allow": ["loop:app"] }]),
        json!({}),
    );
    let (code, _, err) = run_host(&["run", g.to_str().unwrap()], "", &QUIET_NO_CACHE);
    assert_eq!(code, 1);
    assert_eq!(
        err.trim(),
        "loop-host: component 'app' failed: boom happened"
    );
}

#[test]
fn bad_graph_fields_are_named() {
    let dir = tmpdir("graph-bad");
    let g = write(
        &dir,
        "app.loop.json",
        br#"{"format":"loop.app/9","app":{"name":"x","entry":"a"},"components":[]}"#,
    );
    let (code, _, err) = run_host(&["run", g.to_str().unwrap()], "", &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("app.loop.json: field 'format' is 'loop.app/9', expected 'loop.app/1'"),
        "stderr: {err}"
    );

    let g = write(&dir, "app.loop.json", br#"{"format":"loop.app/1","app":{"name":"x","entry":"a"},"components":[{"name":"a","path":"a.wasm"}],"capabilities":{"loop:log":{"provider":"console"}}}"#);
    let (code, _, err) = run_host(&["run", g.to_str().unwrap()], "", &[]);
    assert_eq!(code, 1);
    assert!(err.contains("capabilities.\"loop:log\".provider 'console' is not a native provider (expected one of: stdout, file, jsonl)"), "stderr: {err}");

    let g = write(
        &dir,
        "app.loop.json",
        br#"{"format":"loop.app/1","app":{"name":"x"},"components":[]}"#,
    );
    let (code, _, err) = run_host(&["run", g.to_str().unwrap()], "", &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("invalid resolved graph: missing field `entry`"),
        "stderr: {err}"
    );
}

#[test]
fn jsonl_log_provider_writes_json_lines_to_its_file() {
    let dir = app_dir("graph-jsonl");
    let mut extra = plugins_section();
    extra["capabilities"]["loop:log"] = json!({ "provider": "jsonl", "path": "logs/app.jsonl" });
    let g = graph(&dir, "greeter", greeter_components(&dir, None), extra);
    let (code, out, err) = run_host(&["run", g.to_str().unwrap()], "", &QUIET_NO_CACHE);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.is_empty());
    let text = std::fs::read_to_string(dir.join("logs/app.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[1]["message"], "Hello, world!");
    assert_eq!(lines[1]["component"], "greeter");
    assert_eq!(lines[1]["level"], "info");
}

#[test]
fn trust_class_with_unusable_keys_refuses_its_components() {
    // Signature checks themselves: tests/signatures.rs.
    let dir = app_dir("graph-keys");
    let mut extra = plugins_section();
    extra["trust"] = json!({ "trusted": { "allow": ["loop:log"], "keys": ["ed25519:AAAA"] } });
    let g = graph(&dir, "greeter", greeter_components(&dir, None), extra);
    let (code, out, err) = run_host(&["run", g.to_str().unwrap()], "", &QUIET_NO_CACHE);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("component 'greeter' has trust class 'trusted', whose keys cannot be used: key 'ed25519:AAAA' holds 3 bytes"),
        "stderr: {err}"
    );
}

#[test]
fn drafted_ui_interface_answers_unsupported() {
    let dir = tmpdir("graph-ui");
    let f = write(&dir, "ui.wasm", &ui_core());
    let g = graph(
        &dir,
        "ui",
        json!([{ "name": "ui", "class": "core", "path": "ui.wasm",
                 "sha256": sha256_hex(&std::fs::read(&f).unwrap()), "allow": ["loop:app", "loop:ui"] }]),
        json!({ "capabilities": { "loop:ui": { "provider": "stub" } } }),
    );
    let (code, _, err) = run_host(&["run", g.to_str().unwrap()], "", &QUIET_NO_CACHE);
    assert_eq!(code, 0, "stderr: {err}");
}

#[test]
fn reload_rereads_the_graph_and_keeps_the_running_one_when_the_new_one_is_bad() {
    use loop_host::{App, Runtime};
    use std::sync::Arc;
    let dir = app_dir("graph-reload");
    let g = graph(
        &dir,
        "greeter",
        greeter_components(&dir, None),
        plugins_section(),
    );
    let app = App::load_graph(Arc::new(Runtime::new(None).unwrap()), &g).unwrap();
    let plugins = app.plugins.clone().unwrap();
    assert_eq!(plugins.names(), vec!["echo"]);

    write(
        &dir,
        "plugins2/other.wasm",
        &plugin("other", "1.0.0", Behavior::Reply("o")),
    );
    let mut extra = plugins_section();
    extra["plugins"]["dir"] = json!("plugins2");
    graph(
        &dir,
        "greeter",
        greeter_components(&dir, None),
        extra.clone(),
    );
    app.reload().unwrap();
    assert_eq!(plugins.names(), vec!["other"]);
    assert_eq!(plugins.call("other", "").unwrap(), "o");

    graph(
        &dir,
        "greeter",
        greeter_components(&dir, Some("1".repeat(64))),
        plugins_section(),
    );
    let err = loop_host::one_line(&app.reload().unwrap_err());
    assert!(
        err.contains("sha256 mismatch for component 'greeter'"),
        "{err}"
    );
    assert_eq!(plugins.names(), vec!["other"]);
    assert_eq!(app.run(&Default::default()).unwrap(), 0);
}
