//! The running host binary notices plugin changes (file watch) and SIGHUP while its core keeps
//! calling a plugin in a loop: no call fails and the new version answers.
mod common;
use common::*;
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn spawn_host(graph: &std::path::Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_loop-host"))
        .args(["run", graph.to_str().unwrap()])
        .env("LOOP_NO_CODE_CACHE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (generously) for the host to exit; kills it and fails when it does not.
fn wait_exit(mut child: std::process::Child, what: &str) -> (i32, String, String) {
    let start = Instant::now();
    loop {
        if let Some(_) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            return (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{what}: host still running; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn app(tag: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = tmpdir(tag);
    let core = write(&dir, "core.wasm", &core_until_stop());
    write(
        &dir,
        "plugins/p.wasm",
        &plugin("p", "1.0.0", Behavior::Reply("v1")),
    );
    let g = graph(
        &dir,
        "core",
        json!([{ "name": "core", "class": "core", "trust": "trusted", "path": "core.wasm",
                 "sha256": sha256_hex(&std::fs::read(&core).unwrap()),
                 "allow": ["loop:app", "loop:log", "loop:plugin"], "limits": { "memory-mb": 512 } }]),
        json!({ "plugins": { "dir": "plugins", "trust": "untrusted", "allow": ["loop:app", "loop:log"],
                              "limits": { "deadline-ms": 5000, "memory-mb": 64 } } }),
    );
    (dir, g)
}

#[test]
fn replacing_a_plugin_file_swaps_it_in_the_running_host_without_failed_calls() {
    let (dir, g) = app("swap-file");
    let child = spawn_host(&g);
    std::thread::sleep(Duration::from_millis(300));
    let tmp = dir.join("plugins/.p.wasm.new");
    std::fs::write(&tmp, plugin("p", "2.0.0", Behavior::Reply("stop"))).unwrap();
    std::fs::rename(&tmp, dir.join("plugins/p.wasm")).unwrap();
    let (code, out, err) = wait_exit(child, "swap");
    // The core stops on the first failed call, so exit 0 means every call succeeded.
    assert_eq!(code, 0, "stderr: {err}");
    assert_eq!(out, "[core] info: stopped after the swap\n");
    assert!(
        err.contains("plugin 'p' swapped to version 2.0.0"),
        "stderr: {err}"
    );
}

#[cfg(unix)]
#[test]
fn sighup_reloads_the_graph_in_the_running_host() {
    let (dir, g) = app("swap-hup");
    write(
        &dir,
        "plugins2/p.wasm",
        &plugin("p", "9.0.0", Behavior::Reply("stop")),
    );
    let child = spawn_host(&g);
    // Give the host time to load (a SIGHUP during loading is ignored, so this only needs to be
    // generous, not exact).
    std::thread::sleep(Duration::from_millis(1500));
    let text = std::fs::read_to_string(&g)
        .unwrap()
        .replace("\"dir\": \"plugins\"", "\"dir\": \"plugins2\"");
    std::fs::write(&g, text).unwrap();
    let status = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (code, out, err) = wait_exit(child, "sighup");
    assert_eq!(code, 0, "exit {code}, stderr: {err}");
    assert_eq!(out, "[core] info: stopped after the swap\n");
    assert!(
        err.contains("plugin 'p' loaded, version 9.0.0"),
        "stderr: {err}"
    );
}
