//! Generates the host bindings for the `loop:*` WIT into `$OUT_DIR/bindings.rs`.
//!
//! This runs the same generator as `wasmtime::component::bindgen!` (Wasmtime 48's
//! `wasmtime-internal-wit-bindgen`), but from a build script, because the 48.x macro does not
//! escape a WIT *namespace* that is a Rust keyword: every `loop:*` package becomes `pub mod loop`,
//! which does not compile. The only change made to the generated code is that module name
//! (`loop` → `loop_`, the way the generator already escapes interface and field names).

use std::path::PathBuf;

const HOST_WORLD: &str = "
package loop:host@0.1.0;
world loop-host-imports {
    import loop:app/config@0.1.0;
    import loop:log/logger@0.1.0;
    import loop:fs/files@0.1.0;
    import loop:http/client@0.1.0;
    import loop:clock/clock@0.1.0;
    import loop:random/random@0.1.0;
    import loop:kv/store@0.1.0;
    import loop:plugin/host@0.1.0;
    import loop:process/spawn@0.1.0;
}
";

fn main() {
    // The triple this host is built for (`loop-host --version`, pack's target checks).
    println!(
        "cargo:rustc-env=LOOP_HOST_TRIPLE={}",
        std::env::var("TARGET").unwrap()
    );
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    // LOOP_WIT_DIR lets a scaffolded copy of this template point at its own wit/.
    let wit = std::env::var_os("LOOP_WIT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../../../wit"));
    println!("cargo:rerun-if-env-changed=LOOP_WIT_DIR");
    println!("cargo:rerun-if-changed={}", wit.display());
    let mut resolve = wit_parser::Resolve::default();
    if let Err(e) = resolve.push_dir(&wit) {
        panic!("cannot read the Loop WIT at {}: {e:#}", wit.display());
    }
    let pkg = resolve
        .push_str("loop-host.wit", HOST_WORLD)
        .expect("host world parses");
    let world = resolve
        .select_world(&[pkg], Some("loop-host-imports"))
        .expect("host world");
    let opts = wasmtime_wit_bindgen::Opts::default();
    let src = opts
        .generate(&mut resolve, world)
        .expect("bindings generate");
    let src = src
        .replace("pub mod loop {", "pub mod loop_ {")
        .replace("loop::", "loop_::");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("bindings.rs");
    std::fs::write(&out, src).expect("write bindings");
}
