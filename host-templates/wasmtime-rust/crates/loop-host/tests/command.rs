//! `loop-host run x.wasm` behaves like `wasmtime run` for standard WASI 0.2 commands.
mod common;
use common::*;

#[test]
fn command_gets_args_env_stdin_and_stdio_like_wasmtime_run() {
    let dir = tmpdir("cmd-args");
    let wasm = write(&dir, "cmd.wasm", &command());
    let (code, out, err) = run_host(
        &[
            "run",
            "--env",
            "FOO=bar",
            wasm.to_str().unwrap(),
            "a",
            "--b",
        ],
        "from stdin",
        &[("LOOP_NO_CODE_CACHE", "1")],
    );
    assert_eq!(code, 0, "stderr: {err}");
    // argv[0] is the base name of the component, as in wasmtime.
    assert_eq!(out, "cmd.wasm a --b\nenv FOO=bar\nfrom stdin");
    assert!(err.contains("stderr line"), "stderr: {err}");
}

#[test]
fn guest_arguments_after_double_dash_are_passed_verbatim() {
    let dir = tmpdir("cmd-dashdash");
    let wasm = write(&dir, "cmd.wasm", &command());
    let (code, out, _) = run_host(
        &["run", wasm.to_str().unwrap(), "--", "--dir", "x"],
        "",
        &[("LOOP_NO_CODE_CACHE", "1")],
    );
    assert_eq!(code, 0);
    assert_eq!(out, "cmd.wasm --dir x\n");
}

#[test]
fn arguments_after_the_file_go_to_the_guest_verbatim_like_wasmtime() {
    let dir = tmpdir("cmd-verbatim");
    let wasm = write(&dir, "cmd.wasm", &command());
    let (code, out, err) = run_host(
        &["run", wasm.to_str().unwrap(), "--env", "X=1", "--dir", "."],
        "",
        &[("LOOP_NO_CODE_CACHE", "1")],
    );
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(out, "cmd.wasm --env X=1 --dir .\n");
}

#[test]
fn host_options_may_follow_the_file_when_guest_args_come_after_double_dash() {
    let dir = tmpdir("cmd-after");
    let wasm = write(&dir, "cmd.wasm", &command());
    let (code, out, err) = run_host(
        &["run", wasm.to_str().unwrap(), "--env", "X=1", "--", "a"],
        "",
        &[("LOOP_NO_CODE_CACHE", "1")],
    );
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(out, "cmd.wasm a\nenv X=1\n");
}

#[test]
fn failing_exit_through_wasi_cli_exit_is_exit_status_1() {
    // WASI 0.2 `wasi:cli/exit.exit` carries only ok/err: proc_exit(7) in the guest becomes
    // `exit(err)`, which `wasmtime run` also reports as status 1.
    let dir = tmpdir("cmd-exit");
    let wasm = write(&dir, "cmd.wasm", &command());
    let (code, out, _) = run_host(
        &["run", wasm.to_str().unwrap(), "7"],
        "",
        &[("LOOP_NO_CODE_CACHE", "1")],
    );
    assert_eq!(code, 1);
    assert!(out.starts_with("cmd.wasm 7\n"));
}

#[test]
fn dir_is_preopened_and_cannot_be_escaped() {
    let dir = tmpdir("cmd-dir");
    let wasm = write(&dir, "cmd.wasm", &command());
    write(&dir, "data/in.txt", b"file content\n");
    write(&dir, "secret.txt", b"secret\n");
    let data = format!("{}::/", dir.join("data").display());
    let (code, out, err) = run_host(
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
    assert_eq!(code, 0, "stderr: {err}");
    assert!(out.ends_with("file content\n"), "stdout: {out}");

    let (code, out, err) = run_host(
        &[
            "run",
            "--dir",
            &data,
            wasm.to_str().unwrap(),
            "cat",
            "../secret.txt",
        ],
        "",
        &[("LOOP_NO_CODE_CACHE", "1")],
    );
    assert_eq!(code, 1, "stdout: {out}");
    assert!(err.contains("open failed"), "stderr: {err}");
    assert_eq!(
        out, "cmd.wasm cat ../secret.txt\n",
        "the file outside the dir was read"
    );
}

#[test]
fn missing_file_is_one_clear_line() {
    let (code, _, err) = run_host(&["run", "/nonexistent/nope.wasm"], "", &[]);
    assert_eq!(code, 1);
    assert_eq!(
        err.trim(),
        "loop-host: /nonexistent/nope.wasm: no such file"
    );
}

#[test]
fn garbage_file_error_names_the_file() {
    let dir = tmpdir("cmd-garbage");
    let bad = write(&dir, "garbage.wasm", b"\0asm\x01\0\0\0garbage");
    let (code, _, err) = run_host(
        &["run", bad.to_str().unwrap()],
        "",
        &[("LOOP_NO_CODE_CACHE", "1")],
    );
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(
        err.contains("garbage.wasm") && err.contains("is not a valid WebAssembly component"),
        "stderr: {err}"
    );
}

#[test]
fn wat_component_without_entry_is_refused_by_name() {
    let dir = tmpdir("cmd-wat");
    let wat = write(&dir, "empty.wat", b"(component)");
    let (code, _, err) = run_host(
        &["run", wat.to_str().unwrap()],
        "",
        &[("LOOP_NO_CODE_CACHE", "1")],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("empty.wat")
            && err.contains("exports neither loop:app/entry@0.1.0 nor wasi:cli/run"),
        "stderr: {err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = run_host(&["run"], "", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("missing the file to run"));
    let (code, _, err) = run_host(&["run", "--dir", "/nonexistent-dir", "x.wasm"], "", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--dir /nonexistent-dir"), "stderr: {err}");
}

#[test]
fn code_cache_is_written_once_and_reused() {
    let dir = tmpdir("cmd-cache");
    let cache = dir.join("cache");
    let wasm = write(&dir, "cmd.wasm", &command());
    let env = [("LOOP_CACHE_DIR", cache.to_str().unwrap())];
    let first = run_host(&["run", wasm.to_str().unwrap(), "x"], "", &env);
    let entries: Vec<_> = std::fs::read_dir(cache.join("code"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let name = entries[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        name.starts_with(&sha256_hex(&command())) && name.ends_with(".cwasm"),
        "{name}"
    );
    let modified = std::fs::metadata(&entries[0]).unwrap().modified().unwrap();
    let second = run_host(&["run", wasm.to_str().unwrap(), "x"], "", &env);
    assert_eq!(first, second);
    assert_eq!(first.0, 0);
    assert_eq!(
        std::fs::metadata(&entries[0]).unwrap().modified().unwrap(),
        modified,
        "cache entry rewritten"
    );
}
