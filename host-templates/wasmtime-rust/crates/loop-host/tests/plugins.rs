//! Plugins under limits: deadline, memory cap, traps, isolation and hot swap.
mod common;
use common::*;
use loop_host::Runtime;
use loop_host::graph::Limits;
use loop_host::plugins::{PluginHost, PluginSettings};
use loop_host::providers::Providers;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn host(dir: &Path, deadline_ms: u64, memory_mb: u64) -> Arc<PluginHost> {
    let rt = Arc::new(Runtime::new(None).unwrap());
    let providers = Arc::new(Providers::standalone(None).unwrap());
    let settings = PluginSettings {
        dir: Some(dir.to_path_buf()),
        trust: "untrusted".into(),
        allow: vec![
            "loop:app".into(),
            "loop:log".into(),
            "loop:clock".into(),
            "loop:random".into(),
            "loop:kv".into(),
        ],
        limits: Limits {
            deadline_ms: Some(deadline_ms),
            memory_mb: Some(memory_mb),
        },
        ..Default::default()
    };
    let h = PluginHost::new(rt, providers, settings);
    h.scan().unwrap();
    h
}

#[test]
fn looping_plugin_is_stopped_by_the_deadline_and_the_next_call_succeeds() {
    let dir = tmpdir("plug-loop");
    write(&dir, "spin.wasm", &plugin("spin", "1.0.0", Behavior::Loop));
    write(&dir, "echo.wasm", &plugin("echo", "1.0.0", Behavior::Echo));
    let h = host(&dir, 300, 64);
    let err = h.call("spin", "x").unwrap_err();
    assert_eq!(
        err,
        "plugin 'spin' exceeded its deadline of 300 ms and was stopped"
    );
    assert_eq!(h.call("echo", "still here").unwrap(), "still here");
    // The looping plugin got a fresh instance and is stopped again, not wedged.
    assert_eq!(h.call("spin", "y").unwrap_err(), err);
    assert_eq!(h.call("echo", "again").unwrap(), "again");
}

#[test]
fn memory_bomb_hits_the_cap_and_other_plugins_keep_working() {
    let dir = tmpdir("plug-mem");
    write(
        &dir,
        "bomb.wasm",
        &plugin("bomb", "1.0.0", Behavior::MemoryBomb),
    );
    write(&dir, "echo.wasm", &plugin("echo", "1.0.0", Behavior::Echo));
    let h = host(&dir, 10_000, 16);
    let err = h.call("bomb", "x").unwrap_err();
    assert!(
        err.starts_with("plugin 'bomb' exceeded its memory limit of 16 MiB"),
        "{err}"
    );
    assert_eq!(h.call("echo", "ok").unwrap(), "ok");
    assert!(
        h.call("bomb", "x")
            .unwrap_err()
            .starts_with("plugin 'bomb' exceeded its memory limit")
    );
}

#[test]
fn trapping_plugin_is_reported_and_does_not_poison_others() {
    let dir = tmpdir("plug-trap");
    write(
        &dir,
        "crash.wasm",
        &plugin("crash", "1.0.0", Behavior::Trap),
    );
    write(&dir, "echo.wasm", &plugin("echo", "1.0.0", Behavior::Echo));
    let h = host(&dir, 10_000, 64);
    let err = h.call("crash", "x").unwrap_err();
    assert!(err.starts_with("plugin 'crash' trapped: "), "{err}");
    assert!(err.contains("unreachable"), "{err}");
    assert_eq!(h.call("echo", "fine").unwrap(), "fine");
    assert_eq!(h.call("crash", "x").unwrap_err(), err);
    assert!(h.messages().iter().any(|m| m == &err));
}

#[test]
fn plugin_err_results_and_unknown_names_are_errs() {
    let dir = tmpdir("plug-err");
    write(
        &dir,
        "picky.wasm",
        &plugin("picky", "1.0.0", Behavior::Fail("bad input")),
    );
    let h = host(&dir, 10_000, 64);
    assert_eq!(h.call("picky", "x").unwrap_err(), "bad input");
    assert_eq!(
        h.call("nobody", "x").unwrap_err(),
        "no plugin named 'nobody'"
    );
}

#[test]
fn list_reports_plugin_infos_sorted_by_name() {
    let dir = tmpdir("plug-list");
    write(&dir, "zeta.wasm", &plugin("zeta", "2.0.0", Behavior::Echo));
    write(
        &dir,
        "alpha.wasm",
        &plugin("alpha", "1.0.0", Behavior::Echo),
    );
    // The name a plugin is called by is its file name without extension.
    write(
        &dir,
        "mid.wasm",
        &plugin("called-otherwise", "3.0.0", Behavior::Reply("mid")),
    );
    write(&dir, "notes.txt", b"not a plugin");
    let h = host(&dir, 10_000, 64);
    let infos = h.list();
    let names: Vec<_> = infos
        .iter()
        .map(|i| (i.name.as_str(), i.version.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![("alpha", "1.0.0"), ("mid", "3.0.0"), ("zeta", "2.0.0")]
    );
    assert_eq!(infos[0].description, "fixture plugin");
    assert_eq!(h.call("mid", "").unwrap(), "mid");
    // The name from info() is accepted as well.
    assert_eq!(h.call("called-otherwise", "").unwrap(), "mid");
}

#[test]
fn plugin_that_is_not_a_plugin_is_refused_with_its_file() {
    let dir = tmpdir("plug-notplugin");
    write(&dir, "core.wasm", &failing_core("x"));
    let h = host(&dir, 10_000, 64);
    assert!(h.list().is_empty());
    let msgs = h.messages();
    assert!(
        msgs.iter()
            .any(|m| m
                .contains("core.wasm: component 'core' does not export loop:plugin/plugin@0.1.0")),
        "{msgs:?}"
    );
}

#[test]
fn hot_swap_replaces_a_plugin_while_calls_keep_succeeding() {
    let dir = tmpdir("plug-swap");
    let file = write(
        &dir,
        "greet.wasm",
        &plugin("greet", "1.0.0", Behavior::Reply("v1")),
    );
    let h = host(&dir, 10_000, 64);
    h.watch().unwrap();
    assert_eq!(h.call("greet", "").unwrap(), "v1");

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let caller = {
        let h = h.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut answers = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                answers.push(h.call("greet", "x"));
            }
            answers
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    // Replace atomically (write aside, rename over), as a deploy tool would.
    let tmp = dir.join(".greet.wasm.new");
    std::fs::write(&tmp, plugin("greet", "2.0.0", Behavior::Reply("v2"))).unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    let start = Instant::now();
    while h.call("greet", "").unwrap() != "v2" {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "new version never answered: {:?}",
            h.messages()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!(
        "hot swap: new version answered {:?} after the rename",
        start.elapsed()
    );
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let answers = caller.join().unwrap();
    assert!(!answers.is_empty());
    for a in &answers {
        assert!(
            matches!(a.as_deref(), Ok("v1") | Ok("v2")),
            "a call failed during the swap: {a:?}"
        );
    }
    assert!(
        h.messages()
            .iter()
            .any(|m| m.contains("plugin 'greet' swapped to version 2.0.0")),
        "{:?}",
        h.messages()
    );

    // A broken new file keeps the old version serving, and says why.
    std::fs::write(&file, b"\0asm\x0d\0\x01\0broken").unwrap();
    let start = Instant::now();
    while !h
        .messages()
        .iter()
        .any(|m| m.contains("keeping the previous version"))
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "broken file not noticed: {:?}",
            h.messages()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(h.call("greet", "").unwrap(), "v2");
    let msg = h
        .messages()
        .into_iter()
        .find(|m| m.contains("keeping the previous version"))
        .unwrap();
    assert!(
        msg.contains("greet.wasm") && msg.contains("is not a valid WebAssembly component"),
        "{msg}"
    );

    // Removing the file removes the plugin.
    std::fs::remove_file(&file).unwrap();
    let start = Instant::now();
    while h.call("greet", "").is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "removal not noticed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(h.call("greet", "").unwrap_err(), "no plugin named 'greet'");

    // Adding a new file adds a plugin.
    write(
        &dir,
        "new.wasm",
        &plugin("fresh", "1.0.0", Behavior::Reply("hello")),
    );
    let start = Instant::now();
    while h.call("fresh", "").is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "new plugin not noticed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(h.call("fresh", "").unwrap(), "hello");
}
