//! Plugins: every `*.wasm` / `*.wat` file in the plugin directory, each exporting
//! `loop:plugin/plugin`. Each plugin lives in its own `Store` (a trap poisons only that instance,
//! which is then re-instantiated from its `InstancePre`), every call runs under the plugin limits
//! (epoch deadline, memory cap), and the directory is watched: a new or replaced file is compiled
//! and instantiated off to the side and swapped in atomically; a broken file leaves the old version.

use crate::bindings::loop_::plugin::types::Info;
use crate::engine::{NO_DEADLINE, Runtime, deadline_ticks};
use crate::graph::Limits;
use crate::linking::{self, Grant};
use crate::providers::Providers;
use crate::state::StoreState;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;
use wasmtime::component::{ComponentExportIndex, InstancePre, TypedFunc};
use wasmtime::{Result, Store, bail, format_err};
use wasmtime_wasi::WasiCtx;

pub const PLUGIN_INTERFACE: &str = "loop:plugin/plugin@0.1.0";

/// Settings from the graph's `plugins` section, plus the graph's `class = "plugin"` components.
#[derive(Debug, Clone, Default)]
pub struct PluginSettings {
    /// The watched plugin directory (none when the app only has `class = "plugin"` components).
    pub dir: Option<PathBuf>,
    pub trust: String,
    pub allow: Vec<String>,
    pub limits: Limits,
    pub config: BTreeMap<String, String>,
    /// Capability packages the app does not configure (never linked).
    pub unconfigured: Vec<String>,
    /// Plugins listed in the graph as components (verified by sha256, not watched).
    pub components: Vec<PluginSource>,
    /// Signature policy of the directory's trust class (`trust.<class>.keys`, `unsigned`).
    pub signing: crate::signature::Policy,
}

/// One plugin to load: a file of the plugin directory or a `class = "plugin"` component.
#[derive(Debug, Clone)]
pub struct PluginSource {
    /// The name the plugin is called by (file name without extension, or component name).
    pub name: String,
    pub path: PathBuf,
    pub sha256: Option<String>,
    pub grant: Grant,
    pub limits: Limits,
    pub config: BTreeMap<String, String>,
    /// Signature policy of its trust class, checked before it is compiled.
    pub signing: crate::signature::Policy,
}

type HandleFn = TypedFunc<(String,), (Result<String, String>,)>;

struct Live {
    store: Store<StoreState>,
    handle: HandleFn,
}

pub struct LoadedPlugin {
    /// The name it is called by (file stem or component name).
    pub name: String,
    pub info: Info,
    pub file: PathBuf,
    pub sha256: String,
    pre: InstancePre<StoreState>,
    handle_idx: ComponentExportIndex,
    limits: Limits,
    config: BTreeMap<String, String>,
    providers: Arc<Providers>,
    live: Option<Live>,
}

impl LoadedPlugin {
    fn new_store(&self, name: &str) -> Store<StoreState> {
        new_plugin_store(&self.pre, name, &self.limits, &self.config, &self.providers)
    }

    fn instantiate(&mut self) -> Result<()> {
        let mut store = self.new_store(&self.name.clone());
        let instance = self.pre.instantiate(&mut store)?;
        let handle = instance
            .get_typed_func::<(String,), (Result<String, String>,)>(&mut store, &self.handle_idx)?;
        self.live = Some(Live { store, handle });
        Ok(())
    }

    fn call(&mut self, input: &str) -> Result<String, String> {
        let name = self.name.clone();
        if self.live.is_none() {
            self.instantiate().map_err(|e| {
                format!(
                    "plugin '{name}' could not be instantiated: {}",
                    crate::one_line(&e)
                )
            })?;
        }
        let live = self.live.as_mut().unwrap();
        live.store.data_mut().limiter.exceeded = None;
        live.store
            .set_epoch_deadline(deadline_ticks(self.limits.deadline_ms));
        let result = live.handle.call(&mut live.store, (input.to_string(),));
        live.store.set_epoch_deadline(NO_DEADLINE);
        match result {
            Ok((r,)) => r,
            Err(e) => {
                let mut why = crate::describe_failure(&e, &live.store.data().limiter);
                if why.starts_with("exceeded its deadline") {
                    if let Some(ms) = self.limits.deadline_ms {
                        why = format!("exceeded its deadline of {ms} ms and was stopped");
                    }
                }
                // The instance may be in an inconsistent state: drop it; a fresh one serves the
                // next call.
                self.live = None;
                let _ = self.instantiate();
                Err(format!("plugin '{name}' {why}"))
            }
        }
    }
}

fn new_plugin_store(
    pre: &InstancePre<StoreState>,
    name: &str,
    limits: &Limits,
    config: &BTreeMap<String, String>,
    providers: &Arc<Providers>,
) -> Store<StoreState> {
    let wasi = WasiCtx::builder().inherit_stdout().inherit_stderr().build();
    let mut state = StoreState::new(name, wasi, providers.clone());
    state.config = config.clone();
    state.limiter.max_bytes = limits.memory_mb.map(|mb| (mb as usize) * 1024 * 1024);
    let mut store = Store::new(pre.engine(), state);
    store.limiter(|s| &mut s.limiter);
    // Instantiation (start functions) runs under the call deadline too.
    store.set_epoch_deadline(deadline_ticks(limits.deadline_ms));
    store
}

pub struct PluginHost {
    rt: Arc<Runtime>,
    providers: Arc<Providers>,
    settings: RwLock<PluginSettings>,
    plugins: RwLock<BTreeMap<String, Arc<Mutex<LoadedPlugin>>>>,
    /// file → plugin name, for swaps and removals.
    files: Mutex<HashMap<PathBuf, String>>,
    /// Host messages about plugins (also printed to stderr), for callers and tests.
    messages: Mutex<Vec<String>>,
    watcher: Mutex<Option<notify::RecommendedWatcher>>,
    quiet: bool,
}

fn is_plugin_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("wasm") | Some("wat")
    ) && !path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

impl PluginHost {
    pub fn new(
        rt: Arc<Runtime>,
        providers: Arc<Providers>,
        settings: PluginSettings,
    ) -> Arc<PluginHost> {
        let quiet = std::env::var_os("LOOP_QUIET").is_some();
        Arc::new(PluginHost {
            rt,
            providers,
            settings: RwLock::new(settings),
            plugins: RwLock::new(BTreeMap::new()),
            files: Mutex::new(HashMap::new()),
            messages: Mutex::new(Vec::new()),
            watcher: Mutex::new(None),
            quiet,
        })
    }

    fn report(&self, msg: String) {
        if !self.quiet {
            eprintln!("loop-host: {msg}");
        }
        self.messages.lock().unwrap().push(msg);
    }

    /// Messages reported so far (loaded, refused, swapped, removed, failed calls).
    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }

    pub fn dir(&self) -> Option<PathBuf> {
        self.settings.read().unwrap().dir.clone()
    }

    /// The source of a plugin-directory file under the current settings.
    fn dir_source(&self, path: &Path) -> PluginSource {
        let settings = self.settings.read().unwrap();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("plugin")
            .to_string();
        PluginSource {
            name: stem.clone(),
            path: path.to_path_buf(),
            sha256: None,
            grant: Grant {
                component: stem,
                trust: settings.trust.clone(),
                allow: settings.allow.clone(),
                unconfigured: settings.unconfigured.clone(),
            },
            limits: settings.limits.clone(),
            config: settings.config.clone(),
            signing: settings.signing.clone(),
        }
    }

    /// Compiles, checks and instantiates one plugin file, without touching the registry.
    pub fn load_file(&self, path: &Path) -> Result<LoadedPlugin> {
        self.load_source(&self.dir_source(path))
    }

    /// Compiles, checks and instantiates one plugin, without touching the registry.
    pub fn load_source(&self, src: &PluginSource) -> Result<LoadedPlugin> {
        let path = src.path.as_path();
        let stem = src.name.clone();
        let mut grant = src.grant.clone();
        let what = format!("plugin '{stem}'");
        // Signature check (trust classes with keys) before anything is compiled; the verified
        // bytes' hash pins the file, so one replaced after the check is refused.
        let mut expected = src.sha256.clone();
        let verified = match src
            .signing
            .admit(&what, path, &grant.allow)
            .map_err(|e| format_err!("{e}"))?
        {
            crate::signature::Admission::Unkeyed => None,
            crate::signature::Admission::Signed { sha256, .. } => Some(sha256),
            crate::signature::Admission::Demoted {
                allow,
                sha256,
                message,
            } => {
                self.report(message);
                grant.trust = "untrusted".into();
                grant.allow = allow;
                Some(sha256)
            }
        };
        if let Some(sha) = verified {
            if let Some(listed) = &src.sha256 {
                if !listed.eq_ignore_ascii_case(&sha) {
                    bail!(
                        "{}: sha256 mismatch for {what}: app.loop.json expects {listed}, the file has {sha}; refusing to load it",
                        path.display()
                    );
                }
            }
            expected = Some(sha);
        }
        let (component, sha256) = self.rt.load_component(path, expected.as_deref(), &what)?;
        let engine = &self.rt.engine;
        let plan = linking::check_imports(engine, &component, &grant, &|_| false)
            .map_err(|e| format_err!("{}: {}", path.display(), crate::one_line(&e)))?;
        let iface = component
            .get_export_index(None, PLUGIN_INTERFACE)
            .ok_or_else(|| {
                format_err!(
                    "{}: component '{stem}' does not export {PLUGIN_INTERFACE}",
                    path.display()
                )
            })?;
        let info_idx = component
            .get_export_index(Some(&iface), "info")
            .ok_or_else(|| {
                format_err!(
                    "{}: component '{stem}' exports {PLUGIN_INTERFACE} without 'info'",
                    path.display()
                )
            })?;
        let handle_idx = component
            .get_export_index(Some(&iface), "handle")
            .ok_or_else(|| {
                format_err!(
                    "{}: component '{stem}' exports {PLUGIN_INTERFACE} without 'handle'",
                    path.display()
                )
            })?;
        let linker = linking::build_linker(engine, &grant, &plan, &|_| None)?;
        let pre = linker.instantiate_pre(&component).map_err(|e| {
            format_err!(
                "{}: component '{stem}' cannot be linked: {}",
                path.display(),
                crate::one_line(&e)
            )
        })?;
        let mut store = new_plugin_store(&pre, &stem, &src.limits, &src.config, &self.providers);
        let fail = |e: wasmtime::Error, store: &Store<StoreState>| {
            format_err!(
                "{}: plugin '{stem}' {}",
                path.display(),
                crate::describe_failure(&e, &store.data().limiter)
            )
        };
        let instance = pre.instantiate(&mut store).map_err(|e| fail(e, &store))?;
        let info_fn = instance
            .get_typed_func::<(), (Info,)>(&mut store, &info_idx)
            .map_err(|e| {
                format_err!(
                    "{}: 'info' of component '{stem}' has the wrong type: {}",
                    path.display(),
                    crate::one_line(&e)
                )
            })?;
        let handle = instance
            .get_typed_func::<(String,), (Result<String, String>,)>(&mut store, &handle_idx)
            .map_err(|e| {
                format_err!(
                    "{}: 'handle' of component '{stem}' has the wrong type: {}",
                    path.display(),
                    crate::one_line(&e)
                )
            })?;
        let (info,) = info_fn.call(&mut store, ()).map_err(|e| fail(e, &store))?;
        if info.name.is_empty() {
            bail!(
                "{}: plugin '{stem}' returned an empty name from info()",
                path.display()
            );
        }
        store.set_epoch_deadline(NO_DEADLINE);
        Ok(LoadedPlugin {
            name: stem,
            info,
            file: path.to_path_buf(),
            sha256,
            pre,
            handle_idx,
            limits: src.limits.clone(),
            config: src.config.clone(),
            providers: self.providers.clone(),
            live: Some(Live { store, handle }),
        })
    }

    /// Scans the plugin directory (creating it when missing) and loads every plugin file.
    /// Files that fail are reported and skipped; the others are served.
    pub fn scan(&self) -> Result<()> {
        let fixed = self.settings.read().unwrap().components.clone();
        for src in &fixed {
            match self.load_source(src) {
                Ok(p) => {
                    let msg = format!(
                        "plugin '{}' loaded, version {} from {}",
                        p.name,
                        p.info.version,
                        p.file.display()
                    );
                    self.plugins
                        .write()
                        .unwrap()
                        .insert(p.name.clone(), Arc::new(Mutex::new(p)));
                    self.report(msg);
                }
                Err(e) => self.report(crate::one_line(&e)),
            }
        }
        let Some(dir) = self.dir() else { return Ok(()) };
        std::fs::create_dir_all(&dir).map_err(|e| {
            format_err!("{}: cannot create the plugin directory: {e}", dir.display())
        })?;
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| format_err!("{}: cannot read the plugin directory: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_plugin_file(p))
            .collect();
        files.sort();
        for f in files {
            self.reload_path(&f);
        }
        Ok(())
    }

    /// (Re)loads, adds or removes the plugin of one file, as after a file-system event.
    pub fn reload_path(&self, path: &Path) {
        let known = self.files.lock().unwrap().get(path).cloned();
        if !path.is_file() || !is_plugin_file(path) {
            if let Some(name) = known {
                self.files.lock().unwrap().remove(path);
                let mut map = self.plugins.write().unwrap();
                if map
                    .get(&name)
                    .is_some_and(|p| p.lock().unwrap().file == path)
                {
                    map.remove(&name);
                }
                drop(map);
                self.report(format!(
                    "plugin '{name}' removed ({} is gone)",
                    path.display()
                ));
            }
            return;
        }
        if let Some(name) = &known {
            let same = std::fs::read(path)
                .ok()
                .map(|b| crate::engine::sha256_hex(&b));
            let current = self
                .plugins
                .read()
                .unwrap()
                .get(name)
                .map(|p| p.lock().unwrap().sha256.clone());
            if same.is_some() && same == current {
                return;
            }
        }
        match self.load_file(path) {
            Ok(p) => {
                let name = p.name.clone();
                let version = p.info.version.clone();
                {
                    let map = self.plugins.read().unwrap();
                    if let Some(other) = map.get(&name) {
                        let other_file = other.lock().unwrap().file.clone();
                        if other_file != path {
                            drop(map);
                            self.report(format!(
                                "{}: plugin name '{name}' is already provided by {}; file ignored",
                                path.display(),
                                other_file.display()
                            ));
                            return;
                        }
                    }
                }
                let replaced = {
                    let mut map = self.plugins.write().unwrap();
                    if let Some(old) = &known {
                        if *old != name {
                            map.remove(old);
                        }
                    }
                    map.insert(name.clone(), Arc::new(Mutex::new(p))).is_some()
                };
                self.files
                    .lock()
                    .unwrap()
                    .insert(path.to_path_buf(), name.clone());
                self.report(format!(
                    "plugin '{name}' {} version {version} from {}",
                    if replaced { "swapped to" } else { "loaded," },
                    path.display()
                ));
            }
            Err(e) => {
                let msg = crate::one_line(&e);
                if known.is_some() {
                    self.report(format!("{msg}; keeping the previous version"));
                } else {
                    self.report(msg);
                }
            }
        }
    }

    /// The loaded plugins' `info`, with `name` set to the name they are called by (the file name
    /// without extension, or the component name), sorted by it — as the browser host does.
    pub fn list(&self) -> Vec<Info> {
        self.plugins
            .read()
            .unwrap()
            .iter()
            .map(|(name, p)| Info {
                name: name.clone(),
                ..p.lock().unwrap().info.clone()
            })
            .collect()
    }

    pub fn names(&self) -> Vec<String> {
        self.plugins.read().unwrap().keys().cloned().collect()
    }

    /// Calls `handle(input)` on the named plugin under its limits. Failures (deadline, memory,
    /// trap) are reported as `err` and the plugin is re-instantiated for the next call.
    pub fn call(&self, name: &str, input: &str) -> Result<String, String> {
        let slot = {
            let map = self.plugins.read().unwrap();
            // Called by its file/component name; the name from `info()` works too.
            map.get(name).cloned().or_else(|| {
                map.values()
                    .find(|p| p.lock().unwrap().info.name == name)
                    .cloned()
            })
        };
        let Some(slot) = slot else {
            return Err(format!("no plugin named '{name}'"));
        };
        let mut plugin = slot.lock().unwrap();
        let r = plugin.call(input);
        drop(plugin);
        if let Err(msg) = &r {
            if msg.starts_with("plugin '") && !msg.contains("could not be instantiated") {
                self.report(msg.clone());
            }
        }
        r
    }

    /// Replaces the settings (SIGHUP reload): every plugin is loaded again under the new rules
    /// into a staged registry off to the side, which then replaces the current one at once, so
    /// calls never see an empty registry.
    pub fn reconfigure(self: &Arc<Self>, settings: PluginSettings) -> Result<()> {
        let staged = PluginHost::new(self.rt.clone(), self.providers.clone(), settings.clone());
        staged.scan()?;
        let plugins = std::mem::take(&mut *staged.plugins.write().unwrap());
        let files = std::mem::take(&mut *staged.files.lock().unwrap());
        let messages = std::mem::take(&mut *staged.messages.lock().unwrap());
        {
            let mut current = self.plugins.write().unwrap();
            *self.settings.write().unwrap() = settings;
            *self.files.lock().unwrap() = files;
            *current = plugins;
        }
        self.messages.lock().unwrap().extend(messages);
        let watching = self.watcher.lock().unwrap().take().is_some();
        if watching {
            self.watch()?;
        }
        Ok(())
    }

    /// Starts watching the plugin directory; changes are applied by a background thread.
    pub fn watch(self: &Arc<Self>) -> Result<()> {
        use notify::{RecursiveMode, Watcher};
        let Some(dir) = self.dir() else { return Ok(()) };
        let (tx, rx) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
        let mut watcher = notify::recommended_watcher(move |ev| {
            let _ = tx.send(ev);
        })
        .map_err(|e| format_err!("{}: cannot watch the plugin directory: {e}", dir.display()))?;
        watcher
            .watch(&dir, RecursiveMode::NonRecursive)
            .map_err(|e| {
                format_err!("{}: cannot watch the plugin directory: {e}", dir.display())
            })?;
        *self.watcher.lock().unwrap() = Some(watcher);
        let weak: Weak<PluginHost> = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("loop-plugin-watch".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut paths: Vec<PathBuf> = Vec::new();
                    let mut add = |ev: notify::Result<notify::Event>| {
                        if let Ok(ev) = ev {
                            if ev.kind.is_access() {
                                return;
                            }
                            for p in ev.paths {
                                if !paths.contains(&p) {
                                    paths.push(p);
                                }
                            }
                        }
                    };
                    add(first);
                    // Coalesce a burst of events (a copy is several writes).
                    while let Ok(ev) = rx.recv_timeout(Duration::from_millis(40)) {
                        add(ev);
                    }
                    let Some(host) = weak.upgrade() else { break };
                    for p in paths {
                        if is_plugin_file(&p) {
                            host.reload_path(&p);
                        }
                    }
                }
            })?;
        Ok(())
    }
}
