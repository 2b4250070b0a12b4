//! A real Rust `wasi:cli/command` (examples/components/files-rust, built by
//! tools/rust-guest/build.sh) as an app's entry with `loop:fs` granted through `host-dir`: its
//! `wasi:filesystem` preopen is the fs root, so it reads, writes, appends, lists and removes files
//! there and cannot leave it. Before tools/rust-guest linked wasi-start/, any preopened dir made
//! such a command trap with "cannot leave component instance"; the host now names that cause.
mod common;
use common::*;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../..")
}

fn files_wasm() -> PathBuf {
    let p = repo().join("examples/components/files-rust/dist/files.wasm");
    assert!(
        p.is_file(),
        "build it first: tools/rust-guest/build.sh examples/components/files-rust --release"
    );
    p
}

/// An app whose entry is `wasm`, granted `loop:fs` with provider host-dir and root `data`.
fn fs_app(dir: &Path, wasm: &Path) -> PathBuf {
    let bytes = std::fs::read(wasm).unwrap();
    graph(
        dir,
        "files",
        serde_json::json!([{
            "name": "files", "class": "core", "trust": "trusted",
            "path": wasm.to_str().unwrap(), "sha256": sha256_hex(&bytes),
            "allow": ["loop:app", "loop:clock", "loop:fs", "loop:log", "loop:random"],
            "config": {}, "limits": { "deadline-ms": 20000, "memory-mb": 256 }
        }]),
        serde_json::json!({
            "plugins": null,
            "capabilities": { "loop:fs": { "provider": "host-dir", "root": "data" } }
        }),
    )
}

const STEPS: &[&str] = &[
    "cat",
    "in.txt",
    "write",
    "out/new.txt",
    "new text",
    "append",
    "in.txt",
    "more",
    "cat",
    "/in.txt",
    "ls",
    ".",
    "rm",
    "gone.txt",
    "cat",
    "../secret.txt",
];

const EXPECTED_STDOUT: &str = "in.txt: 11 bytes: hello file\n\
wrote out/new.txt\n\
appended in.txt\n\
/in.txt: 15 bytes: hello file\nmore\n\
.: gone.txt in.txt out\n\
removed gone.txt\n";

fn seed(dir: &Path) {
    write(dir, "data/in.txt", b"hello file\n");
    write(dir, "data/gone.txt", b"to be removed\n");
    write(dir, "secret.txt", b"outside the root\n");
}

fn check_files(dir: &Path) {
    let data = dir.join("data");
    assert_eq!(
        std::fs::read_to_string(data.join("in.txt")).unwrap(),
        "hello file\nmore"
    );
    assert_eq!(
        std::fs::read_to_string(data.join("out/new.txt")).unwrap(),
        "new text"
    );
    assert!(!data.join("gone.txt").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("secret.txt")).unwrap(),
        "outside the root\n"
    );
}

#[test]
fn wasi_command_entry_reads_and_writes_its_host_dir_root() {
    let wasm = files_wasm();
    let dir = tmpdir("wasi-fs");
    seed(&dir);
    let g = fs_app(&dir, &wasm);
    let mut args = vec!["run", g.to_str().unwrap()];
    args.extend(STEPS);
    let (code, stdout, stderr) = run_host(&args, "", &[("LOOP_NO_CODE_CACHE", "1")]);
    assert_eq!(stdout, EXPECTED_STDOUT, "stderr: {stderr}");
    // The step outside the root fails inside the guest (no trap), and the command exits non-zero.
    assert_eq!(
        stderr,
        "files: cat ../secret.txt: Operation not permitted (os error 63)\n"
    );
    assert_eq!(code, 1);
    check_files(&dir);
    // The app dir (holding app.loop.json) runs the same app; the written file is there.
    let (code, stdout, stderr) = run_host(
        &["run", dir.to_str().unwrap(), "cat", "out/new.txt"],
        "",
        &[("LOOP_NO_CODE_CACHE", "1")],
    );
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (0, "out/new.txt: 8 bytes: new text\n", "")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A command linked the old way (`LOOP_GUEST_WASI_START=0`: Debian's wasi-libc crt1 alone) still
/// traps with a preopened dir; the host says why and what to do, in one line.
#[test]
fn a_command_linked_without_wasi_start_gets_a_clear_error() {
    let dir = tmpdir("wasi-fs-old");
    let src = repo().join("examples/components/files-rust");
    let proj = dir.join("files-rust");
    for f in [
        "Cargo.toml",
        "Cargo.lock",
        "loop.component.toml",
        "src/main.rs",
    ] {
        write(&proj, f, &std::fs::read(src.join(f)).unwrap());
    }
    let out = std::process::Command::new("node")
        .arg(repo().join("tools/rust-guest/build.mjs"))
        .arg(&proj)
        .arg("--release")
        .env("LOOP_GUEST_WASI_START", "0")
        .output()
        .expect("node runs tools/rust-guest/build.mjs");
    assert!(
        out.status.success(),
        "tools/rust-guest/build.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wasm = proj.join("dist/files.wasm");
    seed(&dir);
    let g = fs_app(&dir, &wasm);
    let (code, stdout, stderr) = run_host(
        &["run", g.to_str().unwrap(), "cat", "in.txt"],
        "",
        &[("LOOP_NO_CODE_CACHE", "1")],
    );
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with(
            "loop-host: component 'files' trapped: it called an import from inside its cabi_realloc"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("tools/rust-guest/build.sh"), "{stderr}");
    // Standalone (`loop-host run --dir`): same message, exit 134 as for any trap.
    let data = format!("{}::/", dir.join("data").display());
    let (code, _, stderr) = run_host(
        &[
            "run",
            "--dir",
            &data,
            wasm.to_str().unwrap(),
            "cat",
            "in.txt",
        ],
        "",
        &[("LOOP_NO_CODE_CACHE", "1")],
    );
    assert_eq!(code, 134);
    assert!(
        stderr.starts_with(
            "loop-host: files.wasm trapped: it called an import from inside its cabi_realloc"
        ),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
