//! Generated bindings for the `loop:*` WIT packages (kept apart from hand-written host code).
//!
//! Produced by `build.rs` with Wasmtime 48's bindgen generator from the repository's `wit/`
//! (see there for why it is not the `bindgen!` macro). Only the interfaces a host *provides*
//! are generated: exports of components (`loop:app/entry`, `loop:plugin/plugin`,
//! `wasi:cli/run`) are looked up dynamically so one host runs any world, and the drafted
//! packages (`loop:ui`, `loop:gfx`, `loop:input`, `loop:window`) are answered by the dynamic
//! stubs in `providers::stubs`.
#![allow(
    clippy::all,
    unused_imports,
    unused_variables,
    missing_docs,
    non_camel_case_types
)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
