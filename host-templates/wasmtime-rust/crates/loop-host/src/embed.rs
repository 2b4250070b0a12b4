//! Library API for embedders: a Rust host crate of your own (`loop host new --template
//! native-wasmtime`) that uses loop-host for everything it does not change.
//!
//! - [`provide`] registers a *host interface package* written in Rust by the embedder, e.g.
//!   `acme:greeting` with its interface `acme:greeting/names`: a closure that adds the package's
//!   functions to a component's [`Linker`] (by hand with `linker.instance(..)?.func_wrap(..)`, or
//!   with the `add_to_linker` that `wasmtime::component::bindgen!` generates). Trust gating is
//!   unchanged: a component importing `acme:greeting/...` is refused before anything runs unless
//!   the package is in its `allow` list (granted through the manifest), and the closure is only
//!   called for linkers of components that import the package *and* are allowed it.
//! - [`EmbeddedApp`] is an app compiled into the executable: the resolved graph
//!   (`app.loop.json`) and the bytes of every component it lists (`include_bytes!`). [`run_main`]
//!   loads it (components verified against the graph's sha256), watches its plugin directory
//!   (hot swap, as `loop-host run`), reloads on SIGHUP and runs the entry with the process
//!   arguments.
//!
//! - [`Settings`]: the package's table in the app's graph without `provider` (from the
//!   manifest's `[capabilities."acme:greeting"] greeting = "hello"`). A host function reads them
//!   from the caller's store ([`StoreState::host_settings`]); [`check_settings`] registers a check
//!   that runs when a graph is loaded, so a bad setting stops the app before anything runs.
//!
//! Host interfaces are registered per process, before the app is loaded.

use crate::app::{App, RunOptions};
use crate::engine::Runtime;
use crate::state::StoreState;
use std::collections::BTreeMap;
use std::path::{Component as Part, Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};
use wasmtime::component::Linker;
use wasmtime::{Result, bail, format_err};

/// The provider name a manifest gives a package the app's own host provides:
/// `[capabilities."acme:greeting"] provider = "host"`.
pub const HOST_PROVIDER: &str = "host";

type AddToLinker = dyn Fn(&mut Linker<StoreState>) -> Result<()> + Send + Sync;
type CheckSettings = dyn Fn(&Settings) -> Result<()> + Send + Sync;

static INTERFACES: RwLock<BTreeMap<String, Arc<AddToLinker>>> = RwLock::new(BTreeMap::new());
static CHECKS: RwLock<BTreeMap<String, Arc<CheckSettings>>> = RwLock::new(BTreeMap::new());

/// Files served from memory instead of the file system (an embedded app's graph and components).
static FILES: RwLock<BTreeMap<PathBuf, &'static [u8]>> = RwLock::new(BTreeMap::new());

/// True for a WIT package name without version: `ns:pkg` (lowercase kebab-case parts).
fn is_package_name(name: &str) -> bool {
    let part = |s: &str| {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.ends_with('-')
            && !s.contains("--")
    };
    matches!(name.split_once(':'), Some((ns, pkg)) if part(ns) && part(pkg))
}

/// Registers the host interface package `package` (`ns:pkg`, no version, no interface): `add`
/// defines its functions in the linker of every component that imports it and is allowed it.
///
/// `loop:*` and `wasi:*` are the host's own and cannot be provided; a package can be provided once.
pub fn provide<F>(package: &str, add: F) -> Result<()>
where
    F: Fn(&mut Linker<StoreState>) -> Result<()> + Send + Sync + 'static,
{
    if !is_package_name(package) {
        bail!(
            "cannot provide '{package}': a host interface package is named 'namespace:package' (lowercase kebab-case, no version or interface), e.g. 'acme:greeting'"
        );
    }
    if package.starts_with("loop:") || package.starts_with("wasi:") {
        bail!(
            "cannot provide '{package}': the loop: and wasi: namespaces belong to the host's own providers"
        );
    }
    let mut map = INTERFACES.write().unwrap();
    if map.contains_key(package) {
        bail!("cannot provide '{package}' twice");
    }
    map.insert(package.to_string(), Arc::new(add));
    Ok(())
}

/// The settings an app gives a provided package: its `capabilities."ns:pkg"` table of the
/// resolved graph without `provider`, e.g. `{ "greeting": "hello" }` from the manifest's
/// `[capabilities."acme:greeting"] provider = "host"  greeting = "hello"`. Values are JSON
/// (strings, numbers, booleans, arrays).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    values: BTreeMap<String, serde_json::Value>,
}

impl Settings {
    pub fn new(values: BTreeMap<String, serde_json::Value>) -> Settings {
        Settings { values }
    }
    /// The value of `key`, if the app set it.
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.values.get(key)
    }
    /// The value of `key` when it is a string.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(|v| v.as_str())
    }
    /// For a [`check_settings`] check: the string value of `key` (None when not set), or an
    /// error naming the key when it has another type.
    pub fn string(&self, key: &str) -> Result<Option<&str>> {
        match self.get(key) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s)),
            Some(v) => bail!("{key} is {v}, expected a string"),
        }
    }
    /// The keys the app set, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// The settings of every provided package an app's graph configures, by package.
pub type HostSettings = BTreeMap<String, Settings>;

fn no_settings() -> &'static Settings {
    static EMPTY: OnceLock<Settings> = OnceLock::new();
    EMPTY.get_or_init(Settings::default)
}

impl StoreState {
    /// The app's settings of the provided package `package` (`ns:pkg`), for a host function of
    /// that package: e.g. `self.host_settings("acme:greeting").str("greeting")`. Empty when the
    /// graph sets none.
    pub fn host_settings(&self, package: &str) -> &Settings {
        self.providers
            .host
            .get(package)
            .unwrap_or_else(|| no_settings())
    }
}

/// Registers a check of a provided package's settings, run whenever a graph that configures the
/// package is loaded (and reloaded): an error stops the load, reported as
/// `<graph>: capabilities."ns:pkg": <error>`. The package must be provided first.
pub fn check_settings<F>(package: &str, check: F) -> Result<()>
where
    F: Fn(&Settings) -> Result<()> + Send + Sync + 'static,
{
    if !provides(package) {
        bail!(
            "cannot check the settings of '{package}': provide the package first (embed::provide)"
        );
    }
    CHECKS
        .write()
        .unwrap()
        .insert(package.to_string(), Arc::new(check));
    Ok(())
}

/// The settings of the provided packages `graph` configures, each checked by its
/// [`check_settings`] check (called by `Providers::from_graph`).
pub(crate) fn host_settings(graph: &crate::graph::Graph) -> Result<HostSettings> {
    let mut out = HostSettings::new();
    for (package, spec) in &graph.capabilities {
        if !provides(package) {
            continue;
        }
        let settings = Settings::new(spec.extra.clone());
        let check = CHECKS.read().unwrap().get(package).cloned();
        if let Some(check) = check {
            check(&settings).map_err(|e| {
                format_err!(
                    "{}: capabilities.\"{package}\": {}",
                    graph.file.display(),
                    crate::one_line(&e)
                )
            })?;
        }
        out.insert(package.clone(), settings);
    }
    Ok(out)
}

/// True when an embedder provides the package `ns:pkg`.
pub fn provides(package: &str) -> bool {
    INTERFACES.read().unwrap().contains_key(package)
}

/// The packages embedders provide, sorted.
pub fn provided() -> Vec<String> {
    INTERFACES.read().unwrap().keys().cloned().collect()
}

/// Adds the functions of the provided package to `linker` (called by `linking::build_linker`).
pub(crate) fn add_to_linker(package: &str, linker: &mut Linker<StoreState>) -> Result<()> {
    let add = INTERFACES
        .read()
        .unwrap()
        .get(package)
        .cloned()
        .ok_or_else(|| format_err!("no host interface package '{package}' is provided"))?;
    add(linker).map_err(|e| {
        format_err!(
            "the host's provider of '{package}' failed to link: {}",
            crate::one_line(&e)
        )
    })
}

/// `a/./b/../c` → `a/c`, without touching the file system (`..` at the start is kept).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Part> = Vec::new();
    for part in path.components() {
        match part {
            Part::CurDir => {}
            Part::ParentDir => match out.last() {
                Some(Part::Normal(_)) => {
                    out.pop();
                }
                Some(Part::RootDir) | Some(Part::Prefix(_)) => {}
                _ => out.push(part),
            },
            _ => out.push(part),
        }
    }
    let p: PathBuf = out.iter().collect();
    if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p
    }
}

/// The bytes of a file mounted in memory (an embedded app's graph or component), if any.
pub fn file(path: &Path) -> Option<&'static [u8]> {
    let files = FILES.read().unwrap();
    if files.is_empty() {
        return None;
    }
    files.get(&normalize(path)).copied()
}

fn mount(path: PathBuf, bytes: &'static [u8]) {
    FILES.write().unwrap().insert(normalize(&path), bytes);
}

/// An app compiled into the executable (written by the host crate's build script).
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedApp {
    /// The resolved graph (`app.loop.json`, format `loop.app/1`).
    pub graph: &'static str,
    /// Where the graph was, relative to the app's root (the directory of its `app.loop.toml`),
    /// e.g. `.loop/native`: relative paths in the graph are relative to it.
    pub graph_dir: &'static str,
    /// The bytes of each component of the graph, by its `path` exactly as the graph writes it.
    pub files: &'static [(&'static str, &'static [u8])],
}

/// Where an embedded app's relative paths (plugins dir, `loop:fs` root, `loop:kv`/`loop:log`
/// files) point at run time: `$LOOP_APP_DIR`, else the executable's directory.
pub fn default_app_dir() -> Result<PathBuf> {
    if let Some(d) = std::env::var_os("LOOP_APP_DIR").filter(|d| !d.is_empty()) {
        let d = PathBuf::from(d);
        return Ok(if d.is_absolute() {
            d
        } else {
            std::env::current_dir()?.join(d)
        });
    }
    let exe = std::env::current_exe()
        .map_err(|e| format_err!("cannot locate this executable (for the app directory): {e}"))?;
    Ok(exe
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".")))
}

impl EmbeddedApp {
    /// Makes the graph and the components readable by the host as files under `app_dir` (served
    /// from memory) and returns the graph's path. Every relative path of the graph is rewritten
    /// to an absolute one under `app_dir`, so the graph no longer depends on where it was resolved.
    pub fn mount(&self, app_dir: &Path) -> Result<PathBuf> {
        const WHAT: &str = "the embedded app graph";
        let mut graph: serde_json::Value = serde_json::from_str(self.graph)
            .map_err(|e| format_err!("{WHAT} is not valid JSON: {e}"))?;
        let base = normalize(&app_dir.join(self.graph_dir));
        let rebase = |v: &mut serde_json::Value| {
            if let Some(s) = v.as_str() {
                let p = Path::new(s);
                if !p.is_absolute() {
                    *v = serde_json::Value::String(
                        normalize(&base.join(p)).to_string_lossy().into_owned(),
                    );
                }
            }
        };
        let mut embedded = 0;
        if let Some(components) = graph.get_mut("components").and_then(|c| c.as_array_mut()) {
            for c in components {
                let Some(path) = c.get("path").and_then(|p| p.as_str()).map(str::to_string) else {
                    continue;
                };
                let name = c
                    .get("name")
                    .and_then(|n| n.as_str())
                    .unwrap_or("?")
                    .to_string();
                let Some((_, bytes)) = self.files.iter().find(|(p, _)| *p == path) else {
                    bail!("{WHAT}: component '{name}' ({path}) was not embedded; rebuild the host");
                };
                rebase(c.get_mut("path").unwrap());
                let abs = c["path"].as_str().unwrap().to_string();
                mount(PathBuf::from(abs), bytes);
                embedded += 1;
            }
        }
        if embedded != self.files.len() {
            bail!(
                "{WHAT} lists {embedded} components but {} files were embedded; rebuild the host",
                self.files.len()
            );
        }
        if let Some(dir) = graph.get_mut("plugins").and_then(|p| p.get_mut("dir")) {
            rebase(dir);
        }
        if let Some(caps) = graph
            .get_mut("capabilities")
            .and_then(|c| c.as_object_mut())
        {
            for (cap, spec) in caps.iter_mut() {
                let keys: &[&str] = match cap.as_str() {
                    "loop:fs" => &["root"],
                    "loop:kv" | "loop:log" => &["path"],
                    _ => &[],
                };
                for k in keys {
                    if let Some(v) = spec.get_mut(*k) {
                        rebase(v);
                    }
                }
            }
        }
        let file = base.join("app.loop.json");
        let text = serde_json::to_vec_pretty(&graph).expect("a JSON value serializes");
        mount(file.clone(), Box::leak(text.into_boxed_slice()));
        Ok(file)
    }

    /// Mounts the app under `app_dir` and loads it (compiles and checks every component).
    pub fn load(&self, rt: Arc<Runtime>, app_dir: &Path) -> Result<App> {
        let file = self.mount(app_dir)?;
        App::load_graph(rt, &file)
    }
}

/// What a host crate's `main` does: loads the embedded app under [`default_app_dir`], watches
/// its plugin directory (unless `LOOP_NO_WATCH` is set), reloads it on SIGHUP and runs the entry
/// with this process's arguments (argv[0] is the entry's name, as under `loop run`). Returns the
/// exit code; failures are one line on stderr prefixed with the program name.
pub fn run_main(app: &EmbeddedApp) -> i32 {
    let prog = std::env::args()
        .next()
        .and_then(|a| {
            Path::new(&a)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "loop-host".into());
    let slot: Arc<OnceLock<Arc<App>>> = Arc::new(OnceLock::new());
    install_sighup(&prog, slot.clone());
    let loaded = default_app_dir().and_then(|dir| {
        let rt = Arc::new(Runtime::with_default_cache()?);
        app.load(rt, &dir)
    });
    let app = match loaded {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("{prog}: {}", crate::one_line(&e));
            return 1;
        }
    };
    if let Some(plugins) = &app.plugins {
        if std::env::var_os("LOOP_NO_WATCH").is_none() {
            if let Err(e) = plugins.watch() {
                eprintln!("{prog}: {}", crate::one_line(&e));
            }
        }
    }
    let _ = slot.set(app.clone());
    let opts = RunOptions {
        argv0: app.entry_name().to_string(),
        args: std::env::args().skip(1).collect(),
        ..RunOptions::default()
    };
    match app.run(&opts) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{prog}: {}", crate::one_line(&e));
            1
        }
    }
}

/// SIGHUP re-reads the graph (re-verifies components, re-instantiates default components,
/// rescans plugins); the running entry keeps running.
#[cfg(unix)]
pub fn install_sighup(prog: &str, slot: Arc<OnceLock<Arc<App>>>) {
    use signal_hook::consts::SIGHUP;
    use signal_hook::iterator::Signals;
    let Ok(mut signals) = Signals::new([SIGHUP]) else {
        return;
    };
    let prog = prog.to_string();
    let _ = std::thread::Builder::new()
        .name("loop-sighup".into())
        .spawn(move || {
            for _ in signals.forever() {
                match slot.get() {
                    None => eprintln!("{prog}: SIGHUP while loading; ignored"),
                    Some(app) => {
                        if let Err(e) = app.reload() {
                            eprintln!(
                                "{prog}: reload failed, keeping the running graph: {}",
                                crate::one_line(&e)
                            );
                        }
                    }
                }
            }
        });
}

#[cfg(not(unix))]
pub fn install_sighup(_prog: &str, _slot: Arc<OnceLock<Arc<App>>>) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_lexically() {
        assert_eq!(
            normalize(Path::new("/a/.loop/native/../../data")),
            PathBuf::from("/a/data")
        );
        assert_eq!(normalize(Path::new("../x/./y/..")), PathBuf::from("../x"));
        assert_eq!(normalize(Path::new("/..")), PathBuf::from("/"));
        assert_eq!(normalize(Path::new("a/..")), PathBuf::from("."));
    }

    #[test]
    fn package_names() {
        assert!(is_package_name("acme:greeting"));
        assert!(is_package_name("my-co:names2"));
        for bad in [
            "acme",
            "acme:greeting/names",
            "acme:greeting@0.1.0",
            "Acme:x",
            ":x",
            "a:",
            "a:b-",
        ] {
            assert!(!is_package_name(bad), "{bad}");
        }
        let e = provide("acme:greeting/names", |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("'namespace:package'"), "{e}");
        let e = provide("loop:log", |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("belong to the host"), "{e}");
        provide("unit-test:twice", |_| Ok(())).unwrap();
        let e = provide("unit-test:twice", |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
        assert!(provides("unit-test:twice"));
    }
}
