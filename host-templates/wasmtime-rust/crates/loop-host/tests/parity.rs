//! The same WASI 0.2 command behaves the same under `loop-host run` and `wasmtime run`
//! (wasmtime-cli 48). Needs the wasmtime binary: `LOOP_WASMTIME`, or
//! `$LOOP_CACHE_DIR/tools/bin/wasmtime` (`bash tools/setup/wasmtime.sh`). Without it the tests
//! skip, saying why on stderr; with LOOP_REQUIRE_WASMTIME=1 (CI, where set-up installs it) a
//! missing binary fails them instead.
mod common;
use common::*;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The wasmtime-cli 48 binary; `None` (the test skips) when it is not installed.
fn wasmtime() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LOOP_WASMTIME") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "LOOP_WASMTIME={}: no such file", p.display());
        return Some(p);
    }
    let root = loop_host::engine::cache_root().expect("HOME or LOOP_CACHE_DIR");
    let p = root.join("tools/bin/wasmtime");
    if p.is_file() {
        return Some(p);
    }
    let why = format!(
        "wasmtime-cli 48 not found at {} (install it with `bash tools/setup/wasmtime.sh`, or set LOOP_WASMTIME)",
        p.display()
    );
    assert!(std::env::var_os("LOOP_REQUIRE_WASMTIME").is_none(), "{why}");
    eprintln!("skipped: {why}");
    None
}

fn run(program: &PathBuf, args: &[&str], input: &str) -> (i32, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .env("LOOP_NO_CODE_CACHE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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

#[test]
fn wasi_command_behaves_the_same_as_under_wasmtime_run() {
    let Some(wasmtime) = wasmtime() else { return };
    let host = PathBuf::from(env!("CARGO_BIN_EXE_loop-host"));
    let dir = tmpdir("parity");
    let wasm = write(&dir, "cmd.wasm", &command());
    write(&dir, "data/in.txt", b"file content\n");
    write(&dir, "secret.txt", b"secret\n");
    let w = wasm.to_str().unwrap();
    let data = format!("{}::/", dir.join("data").display());
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![w, "a", "--b", "c d"], "stdin text"),
        (vec!["--env", "FOO=bar", "--env", "EMPTY=", w], ""),
        (vec![w, "7"], ""),
        (vec!["--dir", &data, w, "cat", "in.txt"], ""),
        (vec!["--dir", &data, w, "cat", "../secret.txt"], ""),
    ];
    for (args, input) in cases {
        let mut lh = vec!["run"];
        lh.extend(&args);
        let ours = run(&host, &lh, input);
        let theirs = run(&wasmtime, &lh, input);
        assert_eq!(ours, theirs, "loop-host vs wasmtime for {args:?}");
    }
}

#[test]
fn rust_example_command_behaves_the_same_as_under_wasmtime_run() {
    let hello = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../../examples/components/hello-rust/dist/hello.wasm");
    assert!(
        hello.is_file(),
        "build it first: tools/rust-guest/build.sh examples/components/hello-rust"
    );
    let Some(wasmtime) = wasmtime() else { return };
    let host = PathBuf::from(env!("CARGO_BIN_EXE_loop-host"));
    let h = hello.to_str().unwrap();
    for (args, input) in [
        (vec!["run", h, "a", "b"], ""),
        (
            vec!["run", "--env", "NAME=x", h, "--env", "NAME", "--stdin"],
            "piped",
        ),
        (vec!["run", h, "--exit", "3"], ""),
    ] {
        assert_eq!(
            run(&host, &args, input),
            run(&wasmtime, &args, input),
            "for {args:?}"
        );
    }
}

/// A Rust command using files in its preopened dir (examples/components/files-rust): same output,
/// exit status and resulting files under `loop-host run --dir` as under `wasmtime run --dir`.
#[test]
fn rust_command_with_a_preopened_dir_behaves_the_same_as_under_wasmtime_run() {
    let files = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../../examples/components/files-rust/dist/files.wasm");
    assert!(
        files.is_file(),
        "build it first: tools/rust-guest/build.sh examples/components/files-rust --release"
    );
    let Some(wasmtime) = wasmtime() else { return };
    let host = PathBuf::from(env!("CARGO_BIN_EXE_loop-host"));
    let steps = [
        "cat",
        "in.txt",
        "write",
        "out/new.txt",
        "new text",
        "append",
        "in.txt",
        "more",
        "ls",
        ".",
        "rm",
        "gone.txt",
        "cat",
        "../secret.txt",
    ];
    let mut results = Vec::new();
    for program in [&host, &wasmtime] {
        let dir = tmpdir("parity-fs");
        write(&dir, "data/in.txt", b"hello file\n");
        write(&dir, "data/gone.txt", b"x\n");
        write(&dir, "secret.txt", b"secret\n");
        let data = format!("{}::/", dir.join("data").display());
        let mut args = vec!["run", "--dir", &data, files.to_str().unwrap()];
        args.extend(steps);
        let out = run(program, &args, "");
        let read = |p: &str| std::fs::read_to_string(dir.join("data").join(p)).ok();
        let files_after = (read("in.txt"), read("out/new.txt"), read("gone.txt"));
        std::fs::remove_dir_all(&dir).unwrap();
        results.push((out, files_after));
    }
    assert_eq!(results[0], results[1], "loop-host vs wasmtime");
    let ((code, stdout, _), (in_txt, new_txt, gone)) = &results[0];
    assert_eq!(*code, 1);
    assert!(
        stdout.starts_with("in.txt: 11 bytes: hello file\nwrote out/new.txt\n"),
        "{stdout}"
    );
    assert_eq!(
        (in_txt.as_deref(), new_txt.as_deref(), gone.as_deref()),
        (Some("hello file\nmore"), Some("new text"), None)
    );
}
