//! Loop native reference host on Wasmtime 48.
//!
//! Layout (like Wasmtime's crates/wasi and Spin's factors):
//! - `bindings`  generated code for the `loop:*` WIT, nothing hand-written;
//! - `providers` one module per capability interface with its named backends;
//! - `graph`     the resolved graph (`app.loop.json`);
//! - `linking`   trust gating at link time and per-component linkers;
//! - `engine`    engine, epoch ticker and precompiled code cache;
//! - `plugins`   plugin registry: scan, limits, isolation, hot swap;
//! - `app`       loading a graph (or a single component) and running its entry;
//! - `embed`     API for host crates of your own: extra host interfaces, apps compiled in.

pub mod app;
pub mod bindings;
pub mod embed;
pub mod engine;
pub mod graph;
pub mod linking;
pub mod pack;
pub mod plugins;
pub mod providers;
pub mod signature;
pub mod state;

pub use app::{App, RunOptions};
pub use engine::Runtime;
/// The Wasmtime this host is built on (`bindgen!({ .., wasmtime_crate: loop_host::wasmtime })`).
pub use wasmtime;

/// An error as one line: its messages joined by ": " (without repeating a message already
/// contained in the previous one).
pub fn one_line(e: &wasmtime::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let msg = cause.to_string();
        let msg = msg.trim();
        if msg.is_empty() || out.contains(msg) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(msg);
    }
    out.replace('\n', " ")
}

/// Describes why a guest call failed: deadline, memory limit, trap or host error.
pub fn describe_failure(e: &wasmtime::Error, limiter: &state::MemoryLimiter) -> String {
    if let Some(bytes) = limiter.exceeded {
        let cap = limiter.max_bytes.unwrap_or(0) / (1024 * 1024);
        return format!(
            "exceeded its memory limit of {cap} MiB (tried to grow to {bytes} bytes) and was stopped"
        );
    }
    match e.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => "exceeded its deadline and was stopped".to_string(),
        Some(trap) => format!("trapped: {trap}"),
        None => {
            // A trap raised with extra context (e.g. a host function error) still carries the cause.
            format!("failed: {}", one_line(e))
        }
    }
}
