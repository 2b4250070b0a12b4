//! Adversarial cases of the native host that need a running host binary (the rest of the
//! suite drives the hosts from tests/adversarial/adversarial.spec.ts, which runs these too):
//! a plugin file replaced by garbage while the app runs.
mod common;
use common::*;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Writes `bytes` to `path` the way a deploy tool replaces a file (aside, then rename).
fn replace(path: &std::path::Path, bytes: &[u8]) {
    let tmp = path.with_file_name(format!(
        ".{}.new",
        path.file_name().unwrap().to_str().unwrap()
    ));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

struct KillOnDrop(std::process::Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[test]
fn plugin_replaced_by_garbage_mid_run_keeps_the_previous_version_serving() {
    let dir = tmpdir("adv-garbage");
    let core = write(&dir, "core.wasm", &core_until_stop());
    let p = write(
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
    let child = Command::new(env!("CARGO_BIN_EXE_loop-host"))
        .args(["run", g.to_str().unwrap()])
        .env("LOOP_NO_CODE_CACHE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The host runs until its core stops: kill it if the test fails before that.
    let mut child = KillOnDrop(child);
    let child = &mut child.0;
    // stderr lines as they come, so the test waits for the host's own report.
    let (tx, rx) = mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let wait_for = |needle: &str| -> String {
        loop {
            match rx.recv_timeout(Duration::from_secs(120)) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!("the host never reported '{needle}'"),
            }
        }
    };
    wait_for("plugin 'p' loaded");
    // Garbage: bytes that are not WebAssembly at all. The watcher starts right after the first
    // scan, so the replacement is repeated until the host reports it (no timing assumption).
    let garbage = b"\x7fELF garbage, not a component";
    let line = loop {
        replace(&p, garbage);
        match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(line) if line.contains("keeping the previous version") => break line,
            Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(e) => panic!("the host's stderr closed: {e}"),
        }
    };
    assert!(
        line.contains("plugins/p.wasm") && line.contains("plugin 'p'"),
        "{line}"
    );
    // Let the reports of repeated replacements come in, then a truncated component.
    while rx.recv_timeout(Duration::from_millis(500)).is_ok() {}
    let full = plugin("p", "1.5.0", Behavior::Reply("v1.5"));
    replace(&p, &full[..full.len() / 2]);
    let line = wait_for("keeping the previous version");
    assert!(line.contains("plugins/p.wasm"), "{line}");
    // The core has been calling p all along; a valid version ends the run.
    replace(&p, &plugin("p", "2.0.0", Behavior::Reply("stop")));
    let mut out = String::new();
    {
        use std::io::Read;
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
    }
    let status = child.wait().unwrap();
    let err = reader.join().unwrap();
    // The core stops at the first failed call: exit 0 means no call failed during the garbage.
    assert_eq!(status.code(), Some(0), "stderr: {err}");
    // "stop" came from version 2.0.0 (the host's own "swapped" line may be cut short when the
    // core stops and the process exits while the watcher thread prints it).
    assert_eq!(
        out, "[core] info: stopped after the swap\n",
        "stderr: {err}"
    );
}
