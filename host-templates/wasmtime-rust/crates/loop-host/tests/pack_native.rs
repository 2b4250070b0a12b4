//! Packed native executables end to end: the example app (examples/apps/hello, its real
//! components from `nx run-many -t build-component`) resolved with the real `loop resolve`,
//! packed with `loop-host pack` in front of the prebuilt runtime-only hosts
//! (`tools/setup/native-hosts.sh` → $LOOP_CACHE_DIR/hosts/<target>/), and run from an empty
//! directory with an empty environment (PATH = an empty dir: no Loop, Node or cargo) — natively,
//! under qemu-aarch64 and under wine. Each must print what the dev host (`loop run`) prints.
//! A target whose runtime host is not built is skipped with a printed reason.

mod common;

use common::*;
use serde_json::json;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../..")
        .canonicalize()
        .unwrap()
}

fn cache_root() -> PathBuf {
    loop_host::engine::cache_root().expect("HOME or LOOP_CACHE_DIR")
}

fn runtime_host(target: &str) -> Option<PathBuf> {
    let exe = if target.starts_with("windows") {
        ".exe"
    } else {
        ""
    };
    let p = cache_root()
        .join("hosts")
        .join(target)
        .join(format!("loop-host{exe}"));
    if p.is_file() {
        Some(p)
    } else {
        eprintln!(
            "SKIP {target}: no runtime host at {} (build it with `bash tools/setup/native-hosts.sh {target}`)",
            p.display()
        );
        None
    }
}

/// Serves examples/apps/hello/www over HTTP on 127.0.0.1 (a port of its own) for the whole test
/// process.
fn data_origin() -> &'static str {
    static ORIGIN: OnceLock<String> = OnceLock::new();
    ORIGIN.get_or_init(|| {
        let www = repo().join("examples/apps/hello/www");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut s) = conn else { continue };
                let www = www.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    let mut req = Vec::new();
                    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => req.extend_from_slice(&buf[..n]),
                        }
                    }
                    let line = String::from_utf8_lossy(&req);
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let file = www.join(path.trim_start_matches('/'));
                    let (status, body) = match std::fs::read(&file) {
                        Ok(b) if !path.contains("..") => ("200 OK", b),
                        _ => ("404 Not Found", b"not found".to_vec()),
                    };
                    let _ = write!(
                        s,
                        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = s.write_all(&body);
                });
            }
        });
        format!("http://127.0.0.1:{port}")
    })
}

const COMPONENTS: &[&str] = &[
    "examples/components/greeter-rust/dist/greeter.wasm",
    "examples/components/formatter-basic-js/dist/formatter-basic.wasm",
    "examples/components/upper-js/dist/upper.wasm",
    "examples/components/reverse-ts/dist/reverse.wasm",
];

/// A copy of the example app (sources absolute, URL and allow-list on the local data server),
/// resolved for native by the real `loop resolve`. `None` (with the reason printed) when the
/// components are not built or node is missing.
fn example_app() -> Option<PathBuf> {
    let repo = repo();
    for c in COMPONENTS {
        if !repo.join(c).is_file() {
            eprintln!("SKIP: {c} is not built (run `npx nx run-many -t build-component`)");
            return None;
        }
    }
    let app = repo.join("examples/apps/hello");
    let dir = tmpdir("pack-app");
    let toml = std::fs::read_to_string(app.join("app.loop.toml")).unwrap();
    let mut out = String::new();
    for line in toml.lines() {
        if line.starts_with("#:schema") {
            continue;
        }
        let line = line.replace("http://127.0.0.1:8787", data_origin());
        match line.split_once("source = \"../") {
            Some((pre, rest)) => {
                let rel = format!("../{}", rest.trim_end_matches('"'));
                let abs = app.join(rel).canonicalize().unwrap();
                out.push_str(&format!("{pre}source = {:?}\n", abs.to_str().unwrap()));
            }
            None => {
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    std::fs::write(dir.join("app.loop.toml"), out).unwrap();
    copy_dir(&app.join("data"), &dir.join("data"));
    std::fs::create_dir_all(dir.join("plugins")).unwrap();
    let graph = dir.join("app.loop.json");
    let r = Command::new("node")
        .arg(repo.join("packages/nx-loop/bin/loop.js"))
        .args([
            "resolve",
            dir.to_str().unwrap(),
            "--platform",
            "native",
            "--out",
        ])
        .arg(&graph)
        .output();
    match r {
        Ok(o) if o.status.success() => Some(dir),
        Ok(o) => panic!(
            "loop resolve failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => {
            eprintln!("SKIP: cannot run node for `loop resolve`: {e}");
            None
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(mut cmd: Command, what: &str) -> Out {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let start = Instant::now();
    // Generous: a cold wine prefix takes a while.
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(600) {
            let _ = child.kill();
            panic!("{what}: still running after 600 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// What the dev host (`loop run` → `loop-host run app.loop.json`) prints for the app.
fn reference(app: &Path) -> Out {
    static REF: OnceLock<(i32, String)> = OnceLock::new();
    let (code, stdout) = REF.get_or_init(|| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_loop-host"));
        cmd.arg("run")
            .arg(app.join("app.loop.json"))
            .env("LOOP_QUIET", "1");
        let o = run(cmd, "dev host");
        assert_eq!(o.code, 0, "dev host: {}", o.stderr);
        assert_eq!(o.stderr, "");
        (o.code, o.stdout)
    });
    Out {
        code: *code,
        stdout: stdout.clone(),
        stderr: String::new(),
    }
}

fn pack(target: &str, runtime: &Path, app: &Path, out: &Path, bundle: bool) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loop-host"));
    cmd.args(["pack", "--target", target, "--runtime"])
        .arg(runtime)
        .arg("--graph")
        .arg(app.join("app.loop.json"))
        .arg("--out")
        .arg(out);
    if bundle {
        cmd.arg("--bundle");
    }
    let o = run(cmd, "pack");
    assert_eq!(o.code, 0, "pack {target}: {}", o.stderr);
    assert!(o.stdout.contains(&format!("for {target}")), "{}", o.stdout);
}

/// A place to run from: an empty directory, and an empty one for PATH.
fn empty_dirs() -> (PathBuf, PathBuf) {
    let d = tmpdir("pack-empty");
    std::fs::create_dir_all(d.join("cwd")).unwrap();
    std::fs::create_dir_all(d.join("bin")).unwrap();
    (d.join("cwd"), d.join("bin"))
}

/// `exe` run under `runner` (none, qemu, wine) with an empty environment from an empty dir.
fn run_packed(runner: &[&str], exe: &Path, quiet: bool) -> Out {
    let (cwd, bin) = empty_dirs();
    let mut cmd = match runner.first() {
        Some(r) => {
            let mut c = Command::new(r);
            c.args(&runner[1..]).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.current_dir(&cwd).env_clear().env("PATH", &bin);
    if runner.first() == Some(&"wine") {
        // wine itself needs a prefix (cached) and its own helpers on PATH.
        cmd.env("PATH", "/usr/bin:/bin")
            .env("HOME", cwd.parent().unwrap())
            .env("WINEPREFIX", cache_root().join("wineprefix"))
            .env("WINEDEBUG", "-all");
    }
    if quiet {
        cmd.env("LOOP_QUIET", "1");
    }
    run(cmd, &format!("{} {}", runner.join(" "), exe.display()))
}

fn place_with_data(packed: &Path, app: &Path, name: &str) -> PathBuf {
    let dir = tmpdir("pack-dist");
    let exe = dir.join(name);
    std::fs::copy(packed, &exe).unwrap();
    copy_dir(&app.join("data"), &dir.join("data"));
    exe
}

fn check_same(target: &str, got: &Out, want: &Out) {
    assert_eq!(
        got.code, want.code,
        "{target}: exit; stderr: {}",
        got.stderr
    );
    assert_eq!(
        got.stdout, want.stdout,
        "{target}: stdout; stderr: {}",
        got.stderr
    );
    assert!(
        got.stdout.contains("[greeter] info: fetched 200: "),
        "{}",
        got.stdout
    );
}

fn trailer(file: &[u8]) -> loop_host::pack::format::Trailer {
    let t = &file[file.len() - 64..];
    loop_host::pack::format::parse_trailer(t, file.len() as u64).unwrap()
}

#[test]
fn linux_x64_single_file_runs_the_example_app_like_loop_run_and_refuses_corruption() {
    let Some(runtime) = runtime_host("linux-x64") else {
        return;
    };
    let Some(app) = example_app() else { return };
    let want = reference(&app);
    let out = tmpdir("pack-out").join("hello-app");
    pack("linux-x64", &runtime, &app, &out, false);
    let exe = place_with_data(&out, &app, "hello-app");
    // With LOOP_QUIET as `loop run` is tested, and without (plugin messages on stderr only).
    let quiet = run_packed(&[], &exe, true);
    check_same("linux-x64", &quiet, &want);
    assert_eq!(quiet.stderr, "");
    let plain = run_packed(&[], &exe, false);
    check_same("linux-x64", &plain, &want);
    for line in plain.stderr.lines() {
        assert!(line.starts_with("loop-host: plugin '"), "{line}");
    }
    // Arguments go to the entry (argv[0] is its name): the greeter ignores them, same output.
    let mut cmd = Command::new(&exe);
    cmd.arg("--version").env("LOOP_QUIET", "1");
    check_same("linux-x64 with args", &run(cmd, "args"), &want);

    // Corruption: flipped bytes across the payload, then truncation.
    let bytes = std::fs::read(&exe).unwrap();
    let t = trailer(&bytes);
    let (start, len) = (t.offset as usize, t.length as usize);
    for at in [
        start,
        start + 20,
        start + len / 3,
        start + len / 2,
        start + len - 1,
    ] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x01;
        std::fs::write(&exe, &bad).unwrap();
        let o = run_packed(&[], &exe, false);
        assert_eq!(o.code, 1, "flip at {at}: {}", o.stderr);
        assert_eq!(o.stdout, "");
        assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
        assert!(o.stderr.contains(exe.to_str().unwrap()), "{}", o.stderr);
        assert!(o.stderr.contains("checksum"), "{}", o.stderr);
    }
    for keep in [
        bytes.len() - 1,
        bytes.len() - 64,
        start + len / 2,
        start + 10,
    ] {
        std::fs::write(&exe, &bytes[..keep]).unwrap();
        let o = run_packed(&[], &exe, false);
        assert_eq!(o.code, 1, "cut to {keep}: {}", o.stderr);
        assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
        assert!(o.stderr.contains(exe.to_str().unwrap()), "{}", o.stderr);
        assert!(o.stderr.contains("truncated"), "{}", o.stderr);
    }
}

#[test]
fn linux_x64_dir_bundle_runs_the_example_app_and_lists_its_checksums() {
    let Some(runtime) = runtime_host("linux-x64") else {
        return;
    };
    let Some(app) = example_app() else { return };
    let want = reference(&app);
    let bundle = tmpdir("pack-bundle").join("hello-app-linux-x64");
    pack("linux-x64", &runtime, &app, &bundle, true);
    for f in [
        "hello-app",
        "app.loop.json",
        "SHA256SUMS",
        "components/greeter.wasm",
        "plugins",
    ] {
        assert!(bundle.join(f).exists(), "{f}");
    }
    let sums = Command::new("sha256sum")
        .args(["-c", "--quiet", "SHA256SUMS"])
        .current_dir(&bundle)
        .output()
        .unwrap();
    assert!(
        sums.status.success(),
        "{}",
        String::from_utf8_lossy(&sums.stdout)
    );
    // The code is one compressed pack (the components' shared engine code stored once), no
    // loose .cwasm files.
    let code: Vec<String> = std::fs::read_dir(bundle.join("code"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(code, [loop_host::pack::CODE_PACK]);
    copy_dir(&app.join("data"), &bundle.join("data"));
    let got = run_packed(&[], &bundle.join("hello-app"), true);
    check_same("linux-x64 bundle", &got, &want);
    // A damaged or cut code pack: the bundle refuses to start, in one line naming the file.
    let pack_file = bundle.join("code").join(loop_host::pack::CODE_PACK);
    let bytes = std::fs::read(&pack_file).unwrap();
    for (bad, what) in [
        (
            {
                let mut b = bytes.clone();
                let at = b.len() / 2;
                b[at] ^= 1;
                b
            },
            "checksum",
        ),
        (bytes[..bytes.len() - 100].to_vec(), "truncated"),
    ] {
        std::fs::write(&pack_file, &bad).unwrap();
        let o = run_packed(&[], &bundle.join("hello-app"), true);
        assert_eq!(o.code, 1, "{what}: {}", o.stderr);
        assert_eq!(o.stdout, "");
        assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
        assert!(
            o.stderr.contains(pack_file.to_str().unwrap()),
            "{}",
            o.stderr
        );
        assert!(o.stderr.contains(what), "{}", o.stderr);
    }
}

/// Every file of a directory: relative path → (bytes, executable).
fn tree(dir: &Path) -> std::collections::BTreeMap<String, (Vec<u8>, bool)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().to_str().unwrap().to_string();
            if p.is_dir() {
                out.insert(format!("{rel}/"), (Vec::new(), false));
                todo.push(p);
            } else {
                let x = std::fs::metadata(&p).unwrap().permissions().mode() & 0o111 != 0;
                out.insert(rel, (std::fs::read(&p).unwrap(), x));
            }
        }
    }
    out
}

#[test]
fn a_bundle_staged_with_hard_links_or_with_the_single_file_has_the_same_files_as_a_copied_one() {
    use std::os::unix::fs::MetadataExt;
    let Some(runtime) = runtime_host("linux-x64") else {
        return;
    };
    let Some(app) = example_app() else { return };
    let dir = tmpdir("pack-link");
    let copied = dir.join("copied");
    let linked = dir.join("linked");
    pack("linux-x64", &runtime, &app, &copied, true);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loop-host"));
    cmd.args(["pack", "--target", "linux-x64", "--bundle", "--runtime"])
        .arg(&runtime)
        .arg("--graph")
        .arg(app.join("app.loop.json"))
        .arg("--out")
        .arg(&linked)
        .arg("--link");
    let o = run(cmd, "pack (links)");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let (a, b) = (tree(&copied), tree(&linked));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(
            b[k] == *v,
            "{k} differs between the copied and the linked bundle"
        );
    }
    // The large files are links (to the runtime host and the components); the copied bundle
    // has none.
    let nlink = |p: PathBuf| std::fs::metadata(p).unwrap().nlink();
    assert!(nlink(linked.join("hello-app")) >= 2);
    assert!(nlink(linked.join("components/formatter.wasm")) >= 2);
    assert_eq!(nlink(copied.join("hello-app")), 1);
    assert_eq!(nlink(copied.join("components/formatter.wasm")), 1);
    // --also-bundle: one single-file pack also stages the bundle; both the same bytes
    // as packing each on its own.
    let (single, also, alone) = (dir.join("single"), dir.join("also"), dir.join("alone"));
    pack("linux-x64", &runtime, &app, &alone, false);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loop-host"));
    cmd.args(["pack", "--target", "linux-x64", "--runtime"])
        .arg(&runtime)
        .arg("--graph")
        .arg(app.join("app.loop.json"))
        .arg("--out")
        .arg(&single)
        .arg("--also-bundle")
        .arg(&also);
    let o = run(cmd, "pack (single + bundle)");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(std::fs::read(&single).unwrap() == std::fs::read(&alone).unwrap());
    let c = tree(&also);
    assert_eq!(a.keys().collect::<Vec<_>>(), c.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(
            c[k] == *v,
            "{k} differs between the bundle packed alone and with the single file"
        );
    }
    assert!(nlink(also.join("components/formatter.wasm")) >= 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn linux_arm64_single_file_runs_under_qemu_like_loop_run() {
    let Some(runtime) = runtime_host("linux-arm64") else {
        return;
    };
    let qemu = Path::new("/usr/bin/qemu-aarch64");
    if !qemu.is_file() {
        eprintln!(
            "SKIP linux-arm64: no {} (apt-get install qemu-user)",
            qemu.display()
        );
        return;
    }
    let Some(app) = example_app() else { return };
    let want = reference(&app);
    let out = tmpdir("pack-out").join("hello-app");
    pack("linux-arm64", &runtime, &app, &out, false);
    let exe = place_with_data(&out, &app, "hello-app");
    let got = run_packed(
        &["/usr/bin/qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"],
        &exe,
        true,
    );
    check_same("linux-arm64", &got, &want);
    // The checksum is checked there too.
    let mut bytes = std::fs::read(&exe).unwrap();
    let t = trailer(&bytes);
    bytes[(t.offset + t.length / 2) as usize] ^= 0x80;
    std::fs::write(&exe, &bytes).unwrap();
    let o = run_packed(
        &["/usr/bin/qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"],
        &exe,
        true,
    );
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("checksum"), "{}", o.stderr);
}

/// The test's wine prefix (cached), with the stand-in for bcryptprimitives.dll that wine 8
/// lacks (tools/setup/native-hosts.sh builds it; real Windows 10+ ships the DLL).
fn prepare_wine_prefix() {
    let prefix = cache_root().join("wineprefix");
    let system32 = prefix.join("drive_c/windows/system32");
    if !system32.is_dir() {
        let _ = Command::new("wine")
            .args(["cmd", "/c", "exit"])
            .env("WINEPREFIX", &prefix)
            .env("WINEDEBUG", "-all")
            .stdin(Stdio::null())
            .output();
    }
    let dll = system32.join("bcryptprimitives.dll");
    let shim = cache_root().join("hosts/windows-x64/wine/bcryptprimitives.dll");
    if !dll.is_file() && shim.is_file() {
        std::fs::copy(&shim, &dll).unwrap();
    }
}

#[test]
fn windows_x64_single_file_runs_under_wine_like_loop_run() {
    let Some(runtime) = runtime_host("windows-x64") else {
        return;
    };
    if Command::new("wine").arg("--version").output().is_err() {
        eprintln!("SKIP windows-x64: no wine (apt-get install wine)");
        return;
    }
    prepare_wine_prefix();
    let Some(app) = example_app() else { return };
    let want = reference(&app);
    let out = tmpdir("pack-out").join("hello-app.exe");
    pack("windows-x64", &runtime, &app, &out, false);
    let exe = place_with_data(&out, &app, "hello-app.exe");
    let got = run_packed(&["wine"], &exe, true);
    check_same("windows-x64", &got, &want);
}

/// In a dir bundle, replacing a file of `plugins/` hot-swaps it. The runtime-only host has no
/// compiler: a plugin whose code is not in `code/` is refused with a message saying how to
/// precompile it (the old version keeps serving); with the code in place the swap happens.
#[test]
fn bundle_plugins_hot_swap_with_precompiled_code_on_the_runtime_only_host() {
    let Some(runtime) = runtime_host("linux-x64") else {
        return;
    };
    let dir = tmpdir("pack-swap-app");
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
                 "allow": ["loop:app", "loop:log", "loop:plugin"] }]),
        json!({ "plugins": { "dir": "plugins", "trust": "untrusted", "allow": ["loop:app", "loop:log"],
                              "limits": { "deadline-ms": 5000, "memory-mb": 64 } } }),
    );
    let bundle = tmpdir("pack-swap").join("b");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loop-host"));
    cmd.args(["pack", "--target", "linux-x64", "--runtime"])
        .arg(&runtime)
        .arg("--graph")
        .arg(&g)
        .arg("--out")
        .arg(&bundle)
        .arg("--bundle");
    let o = run(cmd, "pack");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let exe = bundle.join("test");
    let child = Command::new(&exe)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stop = plugin("p", "2.0.0", Behavior::Reply("stop"));
    let replace = |bytes: &[u8]| {
        let tmp = bundle.join("plugins/.p.wasm.new");
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, bundle.join("plugins/p.wasm")).unwrap();
    };
    std::thread::sleep(Duration::from_millis(500));
    // No code for it yet: refused, v1 keeps answering.
    replace(&stop);
    std::thread::sleep(Duration::from_millis(1500));
    // Precompile it into the bundle, then put the file in place again.
    let src = write(&dir, "stop.wasm", &stop);
    let (code, _, err) = run_host(
        &[
            "compile",
            "--target",
            "linux-x64",
            "--out-dir",
            bundle.join("code").to_str().unwrap(),
            src.to_str().unwrap(),
        ],
        "",
        &[],
    );
    assert_eq!(code, 0, "{err}");
    // The same file again (a new file event): now its code is there.
    replace(&stop);
    let start = Instant::now();
    let mut child = child;
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!(
                "still running; stderr: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "[core] info: stopped after the swap\n"
    );
    assert!(
        err.contains("has no compiler and found no precompiled code"),
        "{err}"
    );
    assert!(
        err.contains("loop-host compile --target x86_64-unknown-linux-gnu --out-dir"),
        "{err}"
    );
    assert!(err.contains("keeping the previous version"), "{err}");
    assert!(err.contains("plugin 'p' swapped to version 2.0.0"), "{err}");
}

/// A component of a trust class with keys keeps its WebAssembly in the payload, and the packed
/// runtime-only host verifies its signature at start exactly as the dev host does; a component
/// without keys is packed as precompiled code only.
#[test]
fn signed_components_are_verified_by_the_packed_host() {
    let Some(runtime) = runtime_host("linux-x64") else {
        return;
    };
    const SEED: [u8; 32] = [7; 32];
    let key = loop_host::signature::public_key_of(&SEED).to_string();
    let dir = tmpdir("pack-signed");
    let signed = loop_host::signature::sign(&failing_core("signed core ran"), &SEED).unwrap();
    write(&dir, "core.wasm", &signed);
    write(
        &dir,
        "plugins/p.wasm",
        &plugin("p", "1.0.0", Behavior::Reply("v1")),
    );
    let g = graph(
        &dir,
        "core",
        json!([{ "name": "core", "class": "core", "trust": "trusted", "path": "core.wasm",
                 "allow": ["loop:app", "loop:log"] }]),
        json!({ "trust": { "trusted": { "allow": ["*"], "keys": [key] } },
                "plugins": { "dir": "plugins", "trust": "untrusted", "allow": ["loop:app"] } }),
    );
    let mut dev = Command::new(env!("CARGO_BIN_EXE_loop-host"));
    dev.arg("run").arg(&g).env("LOOP_QUIET", "1");
    let want = run(dev, "dev host");
    assert_eq!(want.code, 1);
    assert!(
        want.stderr
            .contains("component 'core' failed: signed core ran"),
        "{}",
        want.stderr
    );

    let out = tmpdir("pack-signed-out").join("signed-app");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loop-host"));
    cmd.args(["pack", "--target", "linux-x64", "--runtime"])
        .arg(&runtime)
        .arg("--graph")
        .arg(&g)
        .arg("--out")
        .arg(&out);
    let o = run(cmd, "pack");
    assert_eq!(o.code, 0, "{}", o.stderr);
    let bytes = std::fs::read(&out).unwrap();
    let payload = loop_host::pack::read_packed(&bytes).unwrap();
    let core = payload.index.component("components/core.wasm").unwrap();
    assert!(core.wasm, "the signed component's wasm is packed");
    assert_eq!(payload.entry("components/core.wasm").unwrap(), &signed[..]);
    let p = payload.index.component("plugins/p.wasm").unwrap();
    assert!(!p.wasm, "an unkeyed plugin is packed as code only");
    assert!(payload.entry("plugins/p.wasm").is_none());

    let got = run_packed(&[], &out, true);
    assert_eq!(got.code, want.code, "{}", got.stderr);
    assert_eq!(got.stdout, want.stdout);
    assert_eq!(got.stderr, want.stderr);
}
