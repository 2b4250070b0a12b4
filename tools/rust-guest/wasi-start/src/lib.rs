//! `__original_main` for wasm32-wasip2 commands linked against Debian's wasi-libc (2022).
//!
//! That libc's `crt1-command.o` has a `_start` that only calls `__original_main` and never calls
//! `__wasm_call_ctors` itself. wasm-ld then treats the module as a "new-style command" and wraps
//! *every* export (`_start.command_export`, `cabi_realloc.command_export`, ...) in
//! `__wasm_call_ctors` + `__wasm_call_dtors`. So each time the host calls the module's
//! `cabi_realloc` to hand it a value (Rust std on wasip2 reads its arguments through
//! `wasi:cli/environment`, which does that), wasi-libc's constructors run again, among them
//! `__wasilibc_populate_preopens`, which calls WASI imports. An import called from inside
//! `cabi_realloc` is forbidden by the component model: with any preopened directory the guest traps
//! with "cannot leave component instance" (under `wasmtime run --dir` as under `loop run`).
//!
//! Newer wasi-libc fixed this in `_start` by calling `__wasm_call_ctors` explicitly. This object
//! does the same one level down: it defines `__original_main` (libc's is weak) to run the
//! constructors once, call the program's `__main_void`, then the destructors. Because a regular
//! object now references `__wasm_call_ctors`, wasm-ld no longer wraps the exports.
#![no_std]

unsafe extern "C" {
    fn __wasm_call_ctors();
    fn __wasm_call_dtors();
    fn __main_void() -> i32;
}

/// Called by `_start` of wasi-libc's `crt1-command.o`, which exits with the status when non-zero.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __original_main() -> i32 {
    unsafe {
        __wasm_call_ctors();
        let status = __main_void();
        __wasm_call_dtors();
        status
    }
}
