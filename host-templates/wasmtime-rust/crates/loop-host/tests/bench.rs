//! Rough throughput numbers (printed, never asserted): `cargo test --test bench -- --ignored --nocapture`.
mod common;
use common::*;
use loop_host::{App, Runtime};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// A core that calls `loop:clock/clock.now` `n` times.
fn clock_core(n: u32) -> Vec<u8> {
    let wat = format!(
        r#"(module
  (import "loop:clock/clock@0.1.0" "now" (func $now (result i64)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 8192))
  (func (export "loop:app/entry@0.1.0#run") (result i32) (local $i i32)
    (loop $l
      (drop (call $now))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const {n}))))
    (i32.store8 (i32.const 1024) (i32.const 0))
    (i32.const 1024))
)"#
    );
    component(&wat, "core")
}

#[test]
#[ignore = "benchmark; prints numbers"]
fn guest_to_host_call_throughput() {
    let n = 1_000_000u32;
    let dir = tmpdir("bench-clock");
    let f = write(&dir, "core.wasm", &clock_core(n));
    let g = graph(
        &dir,
        "core",
        json!([{ "name": "core", "class": "core", "path": "core.wasm",
                 "sha256": sha256_hex(&std::fs::read(&f).unwrap()), "allow": ["loop:app", "loop:clock"] }]),
        json!({}),
    );
    let app = App::load_graph(Arc::new(Runtime::new(None).unwrap()), &g).unwrap();
    let start = Instant::now();
    assert_eq!(app.run(&Default::default()).unwrap(), 0);
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "guest->host loop:clock/now: {n} calls in {secs:.3} s = {:.0} calls/s",
        n as f64 / secs
    );
}

#[test]
#[ignore = "benchmark; prints numbers"]
fn plugin_call_throughput() {
    let dir = tmpdir("bench-plugin");
    write(&dir, "p.wasm", &plugin("p", "1.0.0", Behavior::Echo));
    let rt = Arc::new(Runtime::new(None).unwrap());
    let providers = Arc::new(loop_host::providers::Providers::standalone(None).unwrap());
    let settings = loop_host::plugins::PluginSettings {
        dir: Some(dir.clone()),
        trust: "untrusted".into(),
        allow: vec!["loop:app".into()],
        limits: loop_host::graph::Limits {
            deadline_ms: Some(1000),
            memory_mb: Some(64),
        },
        ..Default::default()
    };
    let h = loop_host::plugins::PluginHost::new(rt, providers, settings);
    h.scan().unwrap();
    let n = 100_000;
    let start = Instant::now();
    for _ in 0..n {
        h.call("p", "hello").unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "host->plugin handle(\"hello\"): {n} calls in {secs:.3} s = {:.0} calls/s",
        n as f64 / secs
    );
}
