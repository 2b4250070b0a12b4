//! `loop-host`: the Loop native reference host.
//!
//! ```text
//! loop-host run [OPTIONS] <app.loop.json | app dir | component.wasm | component.wat> [ARGS...]
//! loop-host run [OPTIONS] <file> [OPTIONS] -- [ARGS...]
//!   --dir HOST[::GUEST]   preopen a host directory for the entry (as `wasmtime run --dir`)
//!   --env K[=V]           set (or inherit, without `=V`) an environment variable for the entry
//!   --argv0 NAME          argv[0] for the entry (default: the component file name)
//!   --no-watch            do not watch the plugin directory for changes
//! loop-host compile <component>...   precompile into the code cache
//! loop-host compile --target <target|triple> [--out-dir D] <component>...   precompile for a target
//! loop-host pack --target <target> --runtime <host> --graph <app.loop.json> --out <path> [--bundle]
//! ```
//! A loop-host executable with a `loop.pack` payload appended runs the packed app (all arguments
//! go to the entry); one with an `app.loop.json` next to it (a dir bundle) runs that app.
//! Exit status: the guest's (`wasi:cli/exit`), 1 on a failure (one line on stderr), 2 on usage
//! errors, 134 when a standalone component traps (as `wasmtime run`).
//! Environment: `LOOP_CACHE_DIR` (cache root), `LOOP_NO_CODE_CACHE=1`, `LOOP_QUIET=1`.

use loop_host::{App, RunOptions, Runtime};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

const USAGE: &str = "usage: loop-host run [--dir HOST[::GUEST]]... [--env K[=V]]... <app.loop.json | app-dir | component.wasm|.wat> [--] [ARGS...]
       loop-host compile [--target <target|triple> [--out-dir DIR]] <component.wasm|.wat>...
       loop-host pack --target <target> --runtime <runtime host> --graph <app.loop.json> --out <path> [--bundle] [--also-bundle <dir>] [--link]
       loop-host --version";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match loop_host::pack::startup() {
        Ok(Some(launch)) => std::process::exit(run_launch(launch, &args)),
        Ok(None) => {}
        Err(line) => {
            eprintln!("{line}");
            std::process::exit(1);
        }
    }
    let code = match args.first().map(String::as_str) {
        Some("run") => cmd_run(&args[1..]),
        Some("compile") => cmd_compile(&args[1..]),
        Some("pack") => cmd_pack(&args[1..]),
        Some("--version") | Some("-V") => {
            println!(
                "loop-host {} (wasmtime 48, {}, {})",
                env!("CARGO_PKG_VERSION"),
                loop_host::engine::HOST_TRIPLE,
                if loop_host::engine::HAS_COMPILER {
                    "dev: compiler for every target"
                } else {
                    "runtime-only: precompiled code only"
                }
            );
            0
        }
        Some("--help") | Some("-h") | Some("help") => {
            println!("{USAGE}");
            0
        }
        Some(other) => {
            eprintln!("loop-host: unknown command '{other}'\n{USAGE}");
            2
        }
        None => {
            eprintln!("{USAGE}");
            2
        }
    };
    std::process::exit(code);
}

struct Parsed {
    file: PathBuf,
    opts: RunOptions,
    watch: bool,
    argv0_given: bool,
}

fn parse_run(args: &[String]) -> Result<Parsed, String> {
    let mut file: Option<PathBuf> = None;
    let mut opts = RunOptions::default();
    let mut argv0: Option<String> = None;
    let mut watch = true;
    let mut i = 0;
    // Like `wasmtime run`, everything after the file goes to the guest verbatim. The explicit
    // form `<file> [--dir ..] [--env ..] -- ARGS` is accepted too: host options may follow the
    // file only when a `--` comes later.
    let has_double_dash = args.iter().any(|a| a == "--");
    while i < args.len() {
        let a = &args[i];
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            if let Some(v) = &inline {
                return Ok(v.clone());
            }
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match key.as_str() {
            "--" => {
                if file.is_none() {
                    i += 1;
                    let f = args.get(i).ok_or("missing the file to run")?;
                    file = Some(PathBuf::from(f));
                }
                opts.args.extend(args[i + 1..].iter().cloned());
                break;
            }
            "--dir" => {
                let v = value("--dir")?;
                let (host, guest) = match v.split_once("::") {
                    Some((h, g)) => (h.to_string(), g.to_string()),
                    None => (v.clone(), v.clone()),
                };
                if !Path::new(&host).is_dir() {
                    return Err(format!("--dir {v}: '{host}' is not a directory"));
                }
                opts.dirs.push((PathBuf::from(host), guest));
            }
            "--env" => {
                let v = value("--env")?;
                match v.split_once('=') {
                    Some((k, val)) => opts.envs.push((k.to_string(), val.to_string())),
                    None => {
                        if let Ok(val) = std::env::var(&v) {
                            opts.envs.push((v.clone(), val));
                        }
                    }
                }
            }
            "--argv0" => argv0 = Some(value("--argv0")?),
            "--no-watch" => watch = false,
            _ if file.is_none() => {
                if a.starts_with("--") {
                    return Err(format!("unknown option '{a}'"));
                }
                file = Some(PathBuf::from(a));
            }
            _ => {
                opts.args.extend(args[i..].iter().cloned());
                break;
            }
        }
        i += 1;
        if file.is_some() && !has_double_dash {
            opts.args.extend(args[i..].iter().cloned());
            break;
        }
    }
    let file = file.ok_or("missing the file to run")?;
    let argv0_given = argv0.is_some();
    // Like wasmtime: argv[0] is the base name of the component, to avoid leaking host paths.
    opts.argv0 = argv0.unwrap_or_else(|| {
        file.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.to_string_lossy().into_owned())
    });
    Ok(Parsed {
        file,
        opts,
        watch,
        argv0_given,
    })
}

fn is_graph(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
}

fn cmd_run(args: &[String]) -> i32 {
    let parsed = match parse_run(args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("loop-host: {e}\n{USAGE}");
            return 2;
        }
    };
    let mut file = parsed.file.clone();
    if file.is_dir() {
        // `<app dir>/app.loop.json`, or the resolver's output under `<app dir>/.loop/`.
        let direct = file.join("app.loop.json");
        file = if direct.is_file() {
            direct
        } else {
            file.join(".loop").join("app.loop.json")
        };
        if !file.is_file() {
            eprintln!(
                "loop-host: {}: no app.loop.json (nor .loop/app.loop.json) in this directory; resolve the app first (loop resolve <app dir> --platform native -o <app dir>/.loop/app.loop.json)",
                parsed.file.display()
            );
            return 1;
        }
    }
    if !file.exists() {
        eprintln!("loop-host: {}: no such file", file.display());
        return 1;
    }
    run_file(&file, parsed.opts, parsed.watch, parsed.argv0_given, None)
}

/// A packed executable or a dir bundle: every argument goes to the entry.
fn run_launch(launch: loop_host::pack::Launch, args: &[String]) -> i32 {
    use loop_host::pack::Launch;
    let opts = RunOptions {
        args: args.to_vec(),
        ..RunOptions::default()
    };
    match launch {
        Launch::Packed(m) => run_file(&m.graph_path(), opts, false, false, None),
        Launch::Bundle { graph, code } => run_file(&graph, opts, true, false, Some(code)),
    }
}

fn run_file(
    file: &Path,
    opts: RunOptions,
    watch: bool,
    argv0_given: bool,
    code_dir: Option<PathBuf>,
) -> i32 {
    let file = file.to_path_buf();
    // SIGHUP is handled from the start (a signal during loading must not kill the host); it
    // reloads the graph once the app runs.
    let app_slot: Arc<OnceLock<Arc<App>>> = Arc::new(OnceLock::new());
    if is_graph(&file) {
        install_sighup(app_slot.clone());
    }
    let rt = match Runtime::with_default_cache() {
        Ok(mut rt) => {
            if let Some(dir) = code_dir {
                if let Err(e) = rt.add_code_dir(dir) {
                    eprintln!("loop-host: {}", loop_host::one_line(&e));
                    return 1;
                }
            }
            Arc::new(rt)
        }
        Err(e) => {
            eprintln!(
                "loop-host: cannot create the Wasmtime engine: {}",
                loop_host::one_line(&e)
            );
            return 1;
        }
    };
    let loaded = if is_graph(&file) {
        App::load_graph(rt, &file)
    } else {
        App::load_component_file(rt, &file, &opts)
    };
    let app = match loaded {
        Ok(app) => Arc::new(app),
        Err(e) => {
            eprintln!("loop-host: {}", loop_host::one_line(&e));
            return 1;
        }
    };
    if let Some(plugins) = &app.plugins {
        if watch {
            if let Err(e) = plugins.watch() {
                eprintln!("loop-host: {}", loop_host::one_line(&e));
            }
        }
    }
    let _ = app_slot.set(app.clone());
    let mut opts = opts;
    if is_graph(&file) && !argv0_given {
        // In an app, argv[0] of the entry is its component name.
        opts.argv0 = app.entry_name().to_string();
    }
    match app.run(&opts) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("loop-host: {}", loop_host::one_line(&e));
            1
        }
    }
}

#[cfg(unix)]
fn install_sighup(slot: Arc<OnceLock<Arc<App>>>) {
    use signal_hook::consts::SIGHUP;
    use signal_hook::iterator::Signals;
    let Ok(mut signals) = Signals::new([SIGHUP]) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("loop-sighup".into())
        .spawn(move || {
            for _ in signals.forever() {
                let Some(app) = slot.get() else {
                    eprintln!("loop-host: SIGHUP while loading; ignored");
                    continue;
                };
                if let Err(e) = app.reload() {
                    eprintln!(
                        "loop-host: reload failed, keeping the running graph: {}",
                        loop_host::one_line(&e)
                    );
                }
            }
        });
}

#[cfg(not(unix))]
fn install_sighup(_slot: Arc<OnceLock<Arc<App>>>) {}

fn cmd_compile(args: &[String]) -> i32 {
    let mut target: Option<String> = None;
    let mut out_dir: Option<PathBuf> = None;
    let mut files: Vec<String> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let value = |i: &mut usize| -> Option<String> {
            inline.clone().or_else(|| {
                *i += 1;
                args.get(*i).cloned()
            })
        };
        match key.as_str() {
            "--target" => match value(&mut i) {
                Some(v) => target = Some(v),
                None => {
                    eprintln!("loop-host: --target needs a value\n{USAGE}");
                    return 2;
                }
            },
            "--out-dir" => match value(&mut i) {
                Some(v) => out_dir = Some(PathBuf::from(v)),
                None => {
                    eprintln!("loop-host: --out-dir needs a value\n{USAGE}");
                    return 2;
                }
            },
            _ if a.starts_with("--") => {
                eprintln!("loop-host: compile: unknown option '{a}'\n{USAGE}");
                return 2;
            }
            _ => files.push(a.clone()),
        }
        i += 1;
    }
    if target.is_none() && out_dir.is_some() {
        eprintln!("loop-host: compile: --out-dir goes with --target\n{USAGE}");
        return 2;
    }
    if let Some(t) = target {
        return compile_target(&t, out_dir.as_deref(), &files);
    }
    let args = &files[..];
    if args.is_empty() {
        eprintln!("loop-host: compile needs at least one component file\n{USAGE}");
        return 2;
    }
    let rt = match Runtime::with_default_cache() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loop-host: {}", loop_host::one_line(&e));
            return 1;
        }
    };
    if rt.code_dir().is_none() {
        eprintln!("loop-host: the code cache is disabled (LOOP_NO_CODE_CACHE); nothing to do");
        return 1;
    }
    let mut code = 0;
    for a in args {
        match rt.load_component(Path::new(a), None, "component") {
            Ok((_, sha)) => println!("{a}: cached {sha}"),
            Err(e) => {
                eprintln!("loop-host: {}", loop_host::one_line(&e));
                code = 1;
            }
        }
    }
    code
}

#[cfg(feature = "dev")]
fn compile_target(target: &str, out_dir: Option<&Path>, files: &[String]) -> i32 {
    if files.is_empty() {
        eprintln!("loop-host: compile needs at least one component file\n{USAGE}");
        return 2;
    }
    let code_dir = if std::env::var_os("LOOP_NO_CODE_CACHE").is_some() {
        None
    } else {
        loop_host::engine::cache_root().map(|r| r.join("code"))
    };
    let files: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
    match loop_host::pack::writer::compile_for_target(target, out_dir, code_dir.as_deref(), &files)
    {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
            0
        }
        Err(e) => {
            eprintln!("loop-host: {}", loop_host::one_line(&e));
            1
        }
    }
}

#[cfg(not(feature = "dev"))]
fn compile_target(_target: &str, _out_dir: Option<&Path>, _files: &[String]) -> i32 {
    eprintln!(
        "loop-host: compile --target needs the dev host (this runtime-only build has no compiler)"
    );
    1
}

#[cfg(feature = "dev")]
fn cmd_pack(args: &[String]) -> i32 {
    let mut target = None;
    let mut runtime = None;
    let mut graph = None;
    let mut out = None;
    let mut also_bundle = None;
    let mut bundle = false;
    let mut link = false;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let flag = match key.as_str() {
            "--bundle" => Some(&mut bundle),
            "--link" => Some(&mut link),
            _ => None,
        };
        if let Some(flag) = flag {
            *flag = true;
            i += 1;
            continue;
        }
        let slot = match key.as_str() {
            "--target" => &mut target,
            "--runtime" => &mut runtime,
            "--graph" => &mut graph,
            "--out" => &mut out,
            "--also-bundle" => &mut also_bundle,
            _ => {
                eprintln!("loop-host: pack: unknown argument '{a}'\n{USAGE}");
                return 2;
            }
        };
        let v = inline.or_else(|| {
            i += 1;
            args.get(i).cloned()
        });
        match v {
            Some(v) => *slot = Some(v),
            None => {
                eprintln!("loop-host: pack: {key} needs a value\n{USAGE}");
                return 2;
            }
        }
        i += 1;
    }
    let (Some(target), Some(runtime), Some(graph), Some(out)) = (target, runtime, graph, out)
    else {
        eprintln!("loop-host: pack needs --target, --runtime, --graph and --out\n{USAGE}");
        return 2;
    };
    let code_dir = if std::env::var_os("LOOP_NO_CODE_CACHE").is_some() {
        None
    } else {
        loop_host::engine::cache_root().map(|r| r.join("code"))
    };
    let opts = loop_host::pack::writer::PackOptions {
        target,
        runtime: PathBuf::from(runtime),
        graph: PathBuf::from(graph),
        out: PathBuf::from(out),
        bundle,
        code_dir,
        also_bundle: also_bundle.map(PathBuf::from),
        link,
    };
    match loop_host::pack::writer::pack(&opts) {
        Ok(p) => {
            println!(
                "packed {} for {}: {} bytes ({} bytes runtime host, {} components and plugins){}",
                p.out.display(),
                p.target,
                p.total_bytes,
                p.host_bytes,
                p.components,
                if bundle { ", dir bundle" } else { "" }
            );
            0
        }
        Err(e) => {
            eprintln!("loop-host: {}", loop_host::one_line(&e));
            1
        }
    }
}

#[cfg(not(feature = "dev"))]
fn cmd_pack(_args: &[String]) -> i32 {
    eprintln!("loop-host: pack needs the dev host (this runtime-only build has no compiler)");
    1
}
