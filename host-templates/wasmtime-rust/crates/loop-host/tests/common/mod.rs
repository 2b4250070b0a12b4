//! Test fixtures: real components built from WAT sources with the real tools (wat + wit-component,
//! the library behind `wasm-tools component embed/new`), against the project's `wit/`. WASI commands
//! are componentized with the official WASI preview1 command adapter of Wasmtime 48.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use wit_component::StringEncoding;
use wit_parser::Resolve;

pub fn wit_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../../wit")
}

/// A fresh, empty directory for one test.
pub fn tmpdir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "loop-host-test-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, bytes).unwrap();
    p
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    loop_host::engine::sha256_hex(bytes)
}

/// Extra WIT used by fixtures (a foreign interface served by a default component).
pub const FIXTURE_WIT: &str = r#"
package example:hello;

interface formatter {
    format: func(name: string) -> string;
}

world formatter-world {
    import loop:log/logger@0.1.0;
    export formatter;
}

world greeter {
    include loop:app/core@0.1.0;
    import formatter;
}

world bad-plugin {
    include loop:app/plugin@0.1.0;
    import loop:process/spawn@0.1.0;
}

world ui-core {
    include loop:app/core@0.1.0;
    import loop:ui/view@0.1.0;
}

world bad-core {
    include loop:app/core@0.1.0;
    import loop:process/spawn@0.1.0;
}
"#;

/// Embeds `world` (of `FIXTURE_WIT` or `loop:app`) into the core module and makes a component.
pub fn component(core_wat: &str, world: &str) -> Vec<u8> {
    let mut resolve = Resolve::default();
    let (app, _) = resolve.push_dir(wit_dir()).expect("wit/ parses");
    let fixtures = resolve
        .push_str("fixtures.wit", FIXTURE_WIT)
        .expect("fixture WIT parses");
    let world = if world.contains(':') {
        let (pkg, w) = world.split_once('/').unwrap();
        let pkg_id = if pkg.starts_with("loop:app") {
            app
        } else {
            fixtures
        };
        resolve.select_world(&[pkg_id], Some(w)).expect("world")
    } else {
        resolve.select_world(&[app], Some(world)).expect("world")
    };
    let mut module = wat::parse_str(core_wat).expect("core WAT parses");
    wit_component::embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8)
        .unwrap();
    wit_component::ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .expect("component encodes")
}

/// Bump allocator exported as `cabi_realloc` (grows memory when needed).
const BUMP_REALLOC: &str = r#"
  (global $heap (mut i32) (i32.const 16384))
  (func $realloc (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.xor (i32.sub (local.get 2) (i32.const 1)) (i32.const -1))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (block $ok
      (br_if $ok (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
      (drop (memory.grow (i32.add (i32.const 1)
        (i32.div_u (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const 65536))) (i32.const 65536))))))
    (local.get $p))
"#;

fn wat_string(s: &str) -> String {
    s.bytes().map(|b| format!("\\{b:02x}")).collect()
}

/// How a fixture plugin's `handle` behaves.
pub enum Behavior<'a> {
    /// ok(text)
    Reply(&'a str),
    /// ok(input)
    Echo,
    /// err(text)
    Fail(&'a str),
    /// never returns
    Loop,
    /// executes `unreachable`
    Trap,
    /// grows memory until stopped
    MemoryBomb,
}

/// A plugin component (world `loop:app/plugin`) named `name`.
pub fn plugin(name: &str, version: &str, behavior: Behavior) -> Vec<u8> {
    plugin_with(name, version, behavior, "", "loop:app/plugin")
}

pub fn plugin_with(
    name: &str,
    version: &str,
    behavior: Behavior,
    extra_imports: &str,
    world: &str,
) -> Vec<u8> {
    let desc = "fixture plugin";
    let (reply_data, body) = match behavior {
        Behavior::Reply(text) | Behavior::Fail(text) => {
            let disc = if matches!(behavior, Behavior::Fail(_)) {
                1
            } else {
                0
            };
            (
                format!("(data (i32.const 256) \"{}\")", wat_string(text)),
                format!(
                    "(i32.store8 (i32.const 1056) (i32.const {disc}))
                     (i32.store (i32.const 1060) (i32.const 256))
                     (i32.store (i32.const 1064) (i32.const {}))
                     (i32.const 1056)",
                    text.len()
                ),
            )
        }
        Behavior::Echo => (
            String::new(),
            "(i32.store8 (i32.const 1056) (i32.const 0))
             (i32.store (i32.const 1060) (local.get 0))
             (i32.store (i32.const 1064) (local.get 1))
             (i32.const 1056)"
                .to_string(),
        ),
        Behavior::Loop => (String::new(), "(loop $l (br $l)) (unreachable)".to_string()),
        Behavior::Trap => (String::new(), "(unreachable)".to_string()),
        Behavior::MemoryBomb => (
            String::new(),
            "(loop $l (drop (memory.grow (i32.const 160))) (br $l)) (unreachable)".to_string(),
        ),
    };
    let wat = format!(
        r#"(module
  {extra_imports}
  (memory (export "memory") 1)
  {BUMP_REALLOC}
  (data (i32.const 16) "{name_s}")
  (data (i32.const 64) "{version_s}")
  (data (i32.const 128) "{desc_s}")
  {reply_data}
  (func (export "loop:plugin/plugin@0.1.0#info") (result i32)
    (i32.store (i32.const 1024) (i32.const 16))
    (i32.store (i32.const 1028) (i32.const {name_len}))
    (i32.store (i32.const 1032) (i32.const 64))
    (i32.store (i32.const 1036) (i32.const {version_len}))
    (i32.store (i32.const 1040) (i32.const 128))
    (i32.store (i32.const 1044) (i32.const {desc_len}))
    (i32.const 1024))
  (func (export "loop:plugin/plugin@0.1.0#handle") (param i32 i32) (result i32)
    {body})
)"#,
        name_s = wat_string(name),
        version_s = wat_string(version),
        desc_s = wat_string(desc),
        name_len = name.len(),
        version_len = version.len(),
        desc_len = desc.len(),
    );
    component(&wat, world)
}

/// An untrusted plugin that imports `loop:process/spawn` (it never calls it).
pub fn plugin_importing_process(name: &str) -> Vec<u8> {
    plugin_with(
        name,
        "0.1.0",
        Behavior::Reply("should never run"),
        r#"(import "loop:process/spawn@0.1.0" "run" (func (param i32 i32 i32 i32 i32)))"#,
        "example:hello/bad-plugin",
    )
}

/// The `example:hello/formatter` default component: format(name) = "Hello, " + name + "!".
pub fn formatter(prefix: &str) -> Vec<u8> {
    let wat = format!(
        r#"(module
  (memory (export "memory") 1)
  {BUMP_REALLOC}
  (data (i32.const 64) "{prefix_s}")
  (data (i32.const 200) "!")
  (func (export "example:hello/formatter#format") (param $p i32) (param $l i32) (result i32)
    (local $out i32)
    (local.set $out (call $realloc (i32.const 0) (i32.const 0) (i32.const 1) (i32.add (local.get $l) (i32.const {plen_1}))))
    (memory.copy (local.get $out) (i32.const 64) (i32.const {plen}))
    (memory.copy (i32.add (local.get $out) (i32.const {plen})) (local.get $p) (local.get $l))
    (i32.store8 (i32.add (local.get $out) (i32.add (local.get $l) (i32.const {plen}))) (i32.const 33))
    (i32.store (i32.const 1024) (local.get $out))
    (i32.store (i32.const 1028) (i32.add (local.get $l) (i32.const {plen_1})))
    (i32.const 1024))
)"#,
        prefix_s = wat_string(prefix),
        plen = prefix.len(),
        plen_1 = prefix.len() + 1,
    );
    component(&wat, "example:hello/formatter-world")
}

/// The core ("greeter"): logs a start line, formats "world" through the imported formatter and
/// logs it, calls plugin `echo` with "ping" and logs the answer (or the error), reads config key
/// `greeting` and logs it, and returns ok.
pub fn greeter() -> Vec<u8> {
    let wat = format!(
        r#"(module
  (import "loop:log/logger@0.1.0" "log" (func $log (param i32 i32 i32)))
  (import "example:hello/formatter" "format" (func $format (param i32 i32 i32)))
  (import "loop:plugin/host@0.1.0" "call" (func $call (param i32 i32 i32 i32 i32)))
  (import "loop:app/config@0.1.0" "get" (func $get (param i32 i32 i32)))
  (memory (export "memory") 1)
  {BUMP_REALLOC}
  (data (i32.const 64) "core starting")
  (data (i32.const 96) "world")
  (data (i32.const 112) "echo")
  (data (i32.const 128) "ping")
  (data (i32.const 144) "greeting")
  (data (i32.const 160) "no greeting configured")
  (func (export "loop:app/entry@0.1.0#run") (result i32)
    (call $log (i32.const 2) (i32.const 64) (i32.const 13))
    (call $format (i32.const 96) (i32.const 5) (i32.const 2048))
    (call $log (i32.const 2) (i32.load (i32.const 2048)) (i32.load (i32.const 2052)))
    (call $call (i32.const 112) (i32.const 4) (i32.const 128) (i32.const 4) (i32.const 2064))
    (call $log (select (i32.const 2) (i32.const 4) (i32.eqz (i32.load8_u (i32.const 2064))))
               (i32.load (i32.const 2068)) (i32.load (i32.const 2072)))
    (call $get (i32.const 144) (i32.const 8) (i32.const 2080))
    (if (i32.load8_u (i32.const 2080))
      (then (call $log (i32.const 2) (i32.load (i32.const 2084)) (i32.load (i32.const 2088))))
      (else (call $log (i32.const 2) (i32.const 160) (i32.const 22))))
    (i32.store8 (i32.const 1024) (i32.const 0))
    (i32.const 1024))
)"#
    );
    component(&wat, "example:hello/greeter")
}

/// A core that imports `loop:process/spawn` (and returns ok without calling it).
pub fn core_importing_process() -> Vec<u8> {
    let wat = r#"(module
  (import "loop:process/spawn@0.1.0" "run" (func (param i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 4096))
  (func (export "loop:app/entry@0.1.0#run") (result i32)
    (i32.store8 (i32.const 1024) (i32.const 0))
    (i32.const 1024))
)"#;
    component(wat, "example:hello/bad-core")
}

/// A minimal core whose `run` returns err(message).
pub fn failing_core(message: &str) -> Vec<u8> {
    let wat = format!(
        r#"(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 4096))
  (data (i32.const 64) "{m}")
  (func (export "loop:app/entry@0.1.0#run") (result i32)
    (i32.store8 (i32.const 1024) (i32.const 1))
    (i32.store (i32.const 1028) (i32.const 64))
    (i32.store (i32.const 1032) (i32.const {len}))
    (i32.const 1024))
)"#,
        m = wat_string(message),
        len = message.len()
    );
    component(&wat, "core")
}

/// A WASI 0.2 command (`wasi:cli/run`) made from a preview1 core module with the official
/// command adapter. It prints its args joined by spaces, then one `env K=V` line per variable,
/// writes `stderr line` to stderr, then either `cat`s a file (`args: cat PATH`, opened under the
/// first preopen) or copies stdin to stdout; a first argument starting with a digit 1-9 becomes
/// the exit code (through wasi:cli/exit).
pub fn command() -> Vec<u8> {
    let wat = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (i32.mul (memory.grow (i32.add (i32.const 1) (i32.div_u (local.get 3) (i32.const 65536)))) (i32.const 65536)))
  (data (i32.const 40) " ")
  (data (i32.const 41) "\n")
  (data (i32.const 42) "env ")
  (data (i32.const 48) "stderr line\n")
  (data (i32.const 70) "open failed\n")
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $n))
  (func $copy (param $fd i32)
    (block $done (loop $l
      (i32.store (i32.const 0) (i32.const 20480))
      (i32.store (i32.const 4) (i32.const 4096))
      (br_if $done (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br_if $done (i32.eqz (i32.load (i32.const 8))))
      (call $write (i32.const 1) (i32.const 20480) (i32.load (i32.const 8)))
      (br $l))))
  (func (export "_start")
    (local $i i32) (local $argc i32) (local $p i32) (local $envc i32)
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $args_get (i32.const 1024) (i32.const 2048)))
    (local.set $argc (i32.load (i32.const 16)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $argc)))
      (if (local.get $i) (then (call $write (i32.const 1) (i32.const 40) (i32.const 1))))
      (local.set $p (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))))
      (call $write (i32.const 1) (local.get $p) (call $strlen (local.get $p)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $write (i32.const 1) (i32.const 41) (i32.const 1))
    (drop (call $environ_sizes_get (i32.const 24) (i32.const 28)))
    (drop (call $environ_get (i32.const 12288) (i32.const 14336)))
    (local.set $envc (i32.load (i32.const 24)))
    (local.set $i (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $envc)))
      (local.set $p (i32.load (i32.add (i32.const 12288) (i32.shl (local.get $i) (i32.const 2)))))
      (call $write (i32.const 1) (i32.const 42) (i32.const 4))
      (call $write (i32.const 1) (local.get $p) (call $strlen (local.get $p)))
      (call $write (i32.const 1) (i32.const 41) (i32.const 1))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $write (i32.const 2) (i32.const 48) (i32.const 12))
    (if (i32.ge_u (local.get $argc) (i32.const 3)) (then
      (local.set $p (i32.load (i32.const 1028)))
      (if (i32.and (i32.and (i32.eq (i32.load8_u (local.get $p)) (i32.const 99))
                            (i32.eq (i32.load8_u offset=1 (local.get $p)) (i32.const 97)))
                   (i32.and (i32.eq (i32.load8_u offset=2 (local.get $p)) (i32.const 116))
                            (i32.eqz (i32.load8_u offset=3 (local.get $p)))))
        (then
          (local.set $p (i32.load (i32.const 1032)))
          (if (call $path_open (i32.const 3) (i32.const 0) (local.get $p) (call $strlen (local.get $p))
                               (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 32))
            (then
              (call $write (i32.const 2) (i32.const 70) (i32.const 12))
              (call $proc_exit (i32.const 2))))
          (call $copy (i32.load (i32.const 32)))
          (return)))))
    (call $copy (i32.const 0))
    (if (i32.ge_u (local.get $argc) (i32.const 2)) (then
      (local.set $p (i32.load8_u (i32.load (i32.const 1028))))
      (if (i32.and (i32.ge_u (local.get $p) (i32.const 49)) (i32.le_u (local.get $p) (i32.const 57)))
        (then (call $proc_exit (i32.sub (local.get $p) (i32.const 48))))))))
)"#;
    let module = wat::parse_str(wat).expect("command WAT parses");
    wit_component::ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .adapter(
            wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
            wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
        )
        .unwrap()
        .validate(true)
        .encode()
        .expect("command component encodes")
}

/// Writes an app.loop.json (`components` as JSON values) into `dir`.
pub fn graph(
    dir: &Path,
    entry: &str,
    components: serde_json::Value,
    extra: serde_json::Value,
) -> PathBuf {
    let mut g = serde_json::json!({
        "format": "loop.app/1",
        "app": { "name": "test", "entry": entry },
        "platform": "native",
        "profile": null,
        "components": components,
    });
    if let serde_json::Value::Object(m) = extra {
        for (k, v) in m {
            g[k] = v;
        }
    }
    write(
        dir,
        "app.loop.json",
        serde_json::to_string_pretty(&g).unwrap().as_bytes(),
    )
}

/// Runs the host binary with `args`, stdin `input`; returns (exit code, stdout, stderr).
pub fn run_host(args: &[&str], input: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    use std::io::Write;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_loop-host"));
    cmd.args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("loop-host starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A core that calls `loop:ui/view.render` with an empty tree and returns ok only when the host
/// answered `err(unsupported)`; otherwise err("stub answered <disc>").
pub fn ui_core() -> Vec<u8> {
    let wat = r#"(module
  (import "loop:ui/view@0.1.0" "render" (func $render (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 8192))
  (data (i32.const 64) "stub answered wrongly")
  (func (export "loop:app/entry@0.1.0#run") (result i32)
    (i32.store8 (i32.const 2048) (i32.const 9))
    (i32.store8 (i32.const 2052) (i32.const 9))
    (call $render (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 2048))
    (if (result i32) (i32.and (i32.eq (i32.load8_u (i32.const 2048)) (i32.const 1))
                              (i32.eqz (i32.load8_u (i32.const 2052))))
      (then (i32.store8 (i32.const 1024) (i32.const 0)) (i32.const 1024))
      (else
        (i32.store8 (i32.const 1024) (i32.const 1))
        (i32.store (i32.const 1028) (i32.const 64))
        (i32.store (i32.const 1032) (i32.const 21))
        (i32.const 1024))))
)"#;
    component(wat, "example:hello/ui-core")
}

/// A core that calls plugin `p` with "x" in a loop until the answer starts with `s`
/// ("stop"), then logs "stopped after the swap" and returns ok. An `err` answer ends the
/// run with that error.
pub fn core_until_stop() -> Vec<u8> {
    let wat = format!(
        r#"(module
  (import "loop:log/logger@0.1.0" "log" (func $log (param i32 i32 i32)))
  (import "loop:plugin/host@0.1.0" "call" (func $call (param i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  {BUMP_REALLOC}
  (data (i32.const 112) "p")
  (data (i32.const 128) "x")
  (data (i32.const 160) "stopped after the swap")
  (func (export "loop:app/entry@0.1.0#run") (result i32)
    (loop $l
      (call $call (i32.const 112) (i32.const 1) (i32.const 128) (i32.const 1) (i32.const 2064))
      (if (i32.load8_u (i32.const 2064))
        (then
          (i32.store8 (i32.const 1024) (i32.const 1))
          (i32.store (i32.const 1028) (i32.load (i32.const 2068)))
          (i32.store (i32.const 1032) (i32.load (i32.const 2072)))
          (return (i32.const 1024))))
      (br_if $l (i32.ne (i32.load8_u (i32.load (i32.const 2068))) (i32.const 115))))
    (call $log (i32.const 2) (i32.const 160) (i32.const 22))
    (i32.store8 (i32.const 1024) (i32.const 0))
    (i32.const 1024))
)"#
    );
    component(&wat, "core")
}
