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
        Some(wasmtime::Trap::CannotLeaveComponent) => cannot_leave(e),
        Some(trap) => format!("trapped: {trap}"),
        None => {
            // A trap raised with extra context (e.g. a host function error) still carries the cause.
            format!("failed: {}", one_line(e))
        }
    }
}

/// `cannot leave component instance`: the guest called an import while the host was lowering a
/// value into it, i.e. from its `cabi_realloc`. The usual cause is a toolchain one, named here.
fn cannot_leave(e: &wasmtime::Error) -> String {
    let names: Vec<&str> = e
        .downcast_ref::<wasmtime::WasmBacktrace>()
        .map(|bt| bt.frames().iter().filter_map(|f| f.func_name()).collect())
        .unwrap_or_default();
    let wrapped = names.iter().any(|n| n.starts_with("cabi_realloc"))
        && names.iter().any(|n| *n == "__wasm_call_ctors");
    if wrapped {
        "trapped: it called an import from inside its cabi_realloc, which the component model forbids \
         (wasm trap: cannot leave component instance): wasm-ld wrapped its exports in the C constructors \
         (cabi_realloc.command_export -> __wasm_call_ctors), as it does for a WASI command whose _start \
         does not run them itself, i.e. one linked with a wasi-libc older than 2023 (Debian's wasi-libc \
         0.0~git20220510); rebuild it with tools/rust-guest/build.sh, which links the fix, or with a \
         newer wasi-sdk"
            .to_string()
    } else {
        "trapped: wasm trap: cannot leave component instance (it called an import while the host was \
         passing it a value, e.g. from its cabi_realloc)"
            .to_string()
    }
}
