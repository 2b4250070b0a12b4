//! Loading an app (a resolved graph, or one component file) and running its entry.
//!
//! Order: every component is read, verified (sha256) and compiled; every import of every component
//! is checked against its grant (nothing runs if one is refused); the plugin directory is scanned;
//! default components are instantiated (in dependency order) so the core's imports can be forwarded
//! to them; finally the entry is instantiated and its `run` (`loop:app/entry` or `wasi:cli/run`)
//! is called once.

use crate::engine::{NO_DEADLINE, Runtime, deadline_ticks};
use crate::graph::{ComponentSpec, Graph, Limits};
use crate::linking::{self, Grant, ImportPlan, LiveInstance, Slot, split_interface};
use crate::plugins::{PluginHost, PluginSettings, PluginSource};
use crate::providers::Providers;
use crate::state::StoreState;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, ComponentExportIndex, InstancePre};
use wasmtime::{Result, Store, bail, format_err};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder};

pub const ENTRY_INTERFACE: &str = "loop:app/entry@0.1.0";

/// What `loop-host run` passes to the entry (as `wasmtime run` does for commands).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// argv[0] (wasmtime uses the file name of the component).
    pub argv0: String,
    pub args: Vec<String>,
    /// `--dir HOST[::GUEST]`.
    pub dirs: Vec<(PathBuf, String)>,
    /// `--env K=V`.
    pub envs: Vec<(String, String)>,
}

enum EntryKind {
    Loop(ComponentExportIndex),
    Command,
}

struct Entry {
    spec: ComponentSpec,
    grant: Grant,
    pre: Option<InstancePre<StoreState>>,
    kind: EntryKind,
    sha256: String,
}

struct Compiled {
    spec: ComponentSpec,
    component: Component,
    sha256: String,
    grant: Grant,
    plan: ImportPlan,
}

pub struct App {
    pub rt: Arc<Runtime>,
    graph: RwLock<Graph>,
    pub providers: Arc<Providers>,
    pub plugins: Option<Arc<PluginHost>>,
    slots: RwLock<HashMap<String, Slot>>,
    entry: Entry,
    /// `loop-host run x.wasm` rather than a graph: errors name the file, traps exit 134.
    standalone: bool,
}

/// Capabilities that are linked only when the graph configures them.
pub const CONFIGURED_ONLY: &[&str] = &["loop:fs", "loop:http", "loop:process", "loop:dom"];

pub fn unconfigured(graph: &Graph, standalone: bool) -> Vec<String> {
    if standalone {
        return Vec::new();
    }
    CONFIGURED_ONLY
        .iter()
        .filter(|c| !graph.capabilities.contains_key(**c))
        .map(|c| c.to_string())
        .collect()
}

fn grant_of(spec: &ComponentSpec, graph: &Graph, standalone: bool) -> Grant {
    Grant {
        component: spec.name.clone(),
        trust: spec.trust.clone(),
        allow: spec.allow.clone(),
        unconfigured: unconfigured(graph, standalone),
    }
}

fn plugin_settings(graph: &Graph, standalone: bool) -> Option<PluginSettings> {
    let components: Vec<PluginSource> = graph
        .components
        .iter()
        .filter(|c| c.class == "plugin")
        .map(|c| PluginSource {
            name: c.name.clone(),
            path: graph.resolve(&c.path),
            sha256: c.sha256.clone(),
            grant: grant_of(c, graph, standalone),
            limits: c
                .limits
                .clone()
                .unwrap_or_default()
                .or(graph.limits.as_ref()),
            config: c.config.clone(),
            signing: graph.signing_policy(&c.trust),
        })
        .collect();
    if graph.plugins.is_none() && components.is_empty() {
        return None;
    }
    let mut s = match &graph.plugins {
        Some(p) => PluginSettings {
            dir: Some(graph.resolve(&p.dir)),
            trust: p.trust.clone(),
            allow: p.allow.clone(),
            limits: p
                .limits
                .clone()
                .unwrap_or_default()
                .or(graph.limits.as_ref()),
            config: p.config.clone(),
            unconfigured: unconfigured(graph, standalone),
            components: Vec::new(),
            signing: graph.signing_policy(&p.trust),
        },
        None => PluginSettings::default(),
    };
    s.components = components;
    Some(s)
}

/// Checks the signature of a component whose trust class has keys. Returns the spec to run it
/// under (demoted to `untrusted` when the class says so) and the sha256 of the verified bytes.
fn admit(
    graph: &Graph,
    spec: &ComponentSpec,
    path: &Path,
    what: &str,
) -> Result<(ComponentSpec, Option<String>)> {
    use crate::signature::Admission;
    let policy = graph.signing_policy(&spec.trust);
    let mut spec = spec.clone();
    let sha = match policy
        .admit(what, path, &spec.allow)
        .map_err(|e| format_err!("{e}"))?
    {
        Admission::Unkeyed => return Ok((spec, None)),
        Admission::Signed { sha256, .. } => sha256,
        Admission::Demoted {
            allow,
            sha256,
            message,
        } => {
            eprintln!("loop-host: {message}");
            spec.trust = "untrusted".into();
            spec.allow = allow;
            sha256
        }
    };
    if let Some(expected) = &spec.sha256 {
        if !expected.eq_ignore_ascii_case(&sha) {
            bail!(
                "{}: sha256 mismatch for {what}: app.loop.json expects {expected}, the file has {sha}; refusing to load it",
                path.display()
            );
        }
    }
    Ok((spec, Some(sha)))
}

/// Compiles and checks every component of `graph` (nothing is instantiated).
fn compile_all(rt: &Runtime, graph: &Graph, standalone: bool) -> Result<Vec<Compiled>> {
    let engine = &rt.engine;
    let mut out = Vec::new();
    for spec in graph.components.iter().filter(|c| c.class != "plugin") {
        let path = graph.resolve(&spec.path);
        let what = format!("component '{}'", spec.name);
        // Signature check (trust classes with keys) before the file is compiled; `pinned` is
        // the hash of the verified bytes, so a file changed since is refused by load_component.
        let (spec, pinned) = admit(graph, spec, &path, &what)?;
        let (component, sha256) =
            rt.load_component(&path, pinned.as_deref().or(spec.sha256.as_deref()), &what)?;
        out.push((spec, component, sha256));
    }
    // Interfaces exported by non-entry components can satisfy other components' imports.
    let mut exports: HashMap<String, String> = HashMap::new();
    for (spec, component, _) in &out {
        if spec.name == graph.app.entry {
            continue;
        }
        for (name, item) in component.component_type().exports(engine) {
            if matches!(item.ty, ComponentItem::ComponentInstance(_))
                && split_interface(name).is_some()
            {
                exports
                    .entry(name.to_string())
                    .or_insert_with(|| spec.name.clone());
            }
        }
    }
    let mut compiled = Vec::new();
    for (spec, component, sha256) in out {
        let grant = grant_of(&spec, graph, standalone);
        let plan = linking::check_imports(engine, &component, &grant, &|n| {
            exports.get(n).is_some_and(|owner| *owner != spec.name)
        })
        .map_err(|e| format_err!("{}: {}", graph.file.display(), crate::one_line(&e)))?;
        compiled.push(Compiled {
            spec,
            component,
            sha256,
            grant,
            plan,
        });
    }
    Ok(compiled)
}

fn exporter_of(compiled: &[Compiled], entry: &str, iface: &str) -> Option<String> {
    compiled
        .iter()
        .filter(|c| c.spec.name != entry)
        .find(|c| {
            c.component
                .component_type()
                .exports(c.component.engine())
                .any(|(n, _)| n == iface)
        })
        .map(|c| c.spec.name.clone())
}

/// Non-entry components in an order where every component comes after those it imports from.
fn instantiation_order(compiled: &[Compiled], entry: &str, file: &Path) -> Result<Vec<usize>> {
    let index: HashMap<&str, usize> = compiled
        .iter()
        .enumerate()
        .map(|(i, c)| (c.spec.name.as_str(), i))
        .collect();
    let mut state = vec![0u8; compiled.len()]; // 0 new, 1 visiting, 2 done
    let mut order = Vec::new();
    fn visit(
        i: usize,
        compiled: &[Compiled],
        entry: &str,
        index: &HashMap<&str, usize>,
        state: &mut [u8],
        order: &mut Vec<usize>,
        file: &Path,
    ) -> Result<()> {
        match state[i] {
            2 => return Ok(()),
            1 => bail!(
                "{}: component '{}' is part of an import cycle",
                file.display(),
                compiled[i].spec.name
            ),
            _ => {}
        }
        state[i] = 1;
        for (iface, _) in &compiled[i].plan.foreign {
            if let Some(owner) = exporter_of(compiled, entry, iface) {
                visit(
                    index[owner.as_str()],
                    compiled,
                    entry,
                    index,
                    state,
                    order,
                    file,
                )?;
            }
        }
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    for i in 0..compiled.len() {
        visit(i, compiled, entry, &index, &mut state, &mut order, file)?;
    }
    Ok(order
        .into_iter()
        .filter(|&i| compiled[i].spec.name != entry)
        .collect())
}

impl App {
    /// Loads a resolved graph file (`app.loop.json`).
    pub fn load_graph(rt: Arc<Runtime>, file: &Path) -> Result<App> {
        let graph = Graph::load(file)?;
        let providers = Arc::new(Providers::from_graph(&graph)?);
        App::build(rt, graph, providers, false)
    }

    /// Loads a single component file (`.wasm` or `.wat`) as a one-component app with every
    /// capability granted, like `wasmtime run`: files only under `--dir`, no network.
    pub fn load_component_file(rt: Arc<Runtime>, file: &Path, opts: &RunOptions) -> Result<App> {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("component")
            .to_string();
        let abs = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        let graph = Graph {
            format: crate::graph::FORMAT.into(),
            app: crate::graph::AppInfo {
                name: name.clone(),
                entry: name.clone(),
            },
            platform: Some("native".into()),
            profile: None,
            components: vec![ComponentSpec {
                name: name.clone(),
                class: "core".into(),
                trust: "trusted".into(),
                path: abs.to_string_lossy().into_owned(),
                sha256: None,
                allow: vec!["*".into()],
                config: BTreeMap::new(),
                limits: None,
            }],
            plugins: None,
            capabilities: BTreeMap::new(),
            limits: None,
            trust: BTreeMap::new(),
            base_dir: abs
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
            file: file.to_path_buf(),
        };
        let providers = Arc::new(Providers::standalone(
            opts.dirs.first().map(|d| d.0.clone()),
        )?);
        App::build(rt, graph, providers, true)
    }

    fn build(
        rt: Arc<Runtime>,
        graph: Graph,
        providers: Arc<Providers>,
        standalone: bool,
    ) -> Result<App> {
        let compiled = compile_all(&rt, &graph, standalone)?;
        let plugins = match plugin_settings(&graph, standalone) {
            Some(settings) => {
                let host = PluginHost::new(rt.clone(), providers.clone(), settings);
                host.scan()?;
                Some(host)
            }
            None => None,
        };
        let mut app = App {
            rt,
            providers,
            plugins,
            slots: RwLock::new(HashMap::new()),
            entry: App::prepare_entry(&compiled, &graph)?,
            graph: RwLock::new(graph),
            standalone,
        };
        app.start_defaults(&compiled)?;
        Ok(app)
    }

    fn prepare_entry(compiled: &[Compiled], graph: &Graph) -> Result<Entry> {
        let c = compiled
            .iter()
            .find(|c| c.spec.name == graph.app.entry)
            .expect("validated entry");
        let engine = c.component.engine();
        let kind = if let Some(iface) = c.component.get_export_index(None, ENTRY_INTERFACE) {
            let run = c
                .component
                .get_export_index(Some(&iface), "run")
                .ok_or_else(|| {
                    format_err!(
                        "component '{}' exports {ENTRY_INTERFACE} without 'run'",
                        c.spec.name
                    )
                })?;
            EntryKind::Loop(run)
        } else if c
            .component
            .component_type()
            .exports(engine)
            .any(|(n, _)| n.starts_with("wasi:cli/run@0.2"))
        {
            EntryKind::Command
        } else {
            bail!(
                "{}: component '{}' exports neither {ENTRY_INTERFACE} nor wasi:cli/run, so it cannot be run",
                graph.resolve(&c.spec.path).display(),
                c.spec.name
            );
        };
        // Linked in `start_defaults`, once the default components it may import from run.
        Ok(Entry {
            spec: c.spec.clone(),
            grant: c.grant.clone(),
            pre: None,
            kind,
            sha256: c.sha256.clone(),
        })
    }

    fn component_wasi(&self, grant: &Grant, for_entry: Option<&RunOptions>) -> Result<WasiCtx> {
        let mut b = WasiCtxBuilder::new();
        match for_entry {
            Some(opts) => {
                b.inherit_stdio();
                b.arg(&opts.argv0);
                b.args(&opts.args);
                for (k, v) in &opts.envs {
                    b.env(k, v);
                }
            }
            None => {
                b.inherit_stdout().inherit_stderr();
            }
        }
        if !self.standalone && grant.allows("loop:fs") {
            if let Some(root) = self.providers.fs.as_ref().and_then(|f| f.host_root()) {
                b.preopened_dir(root, "/", FsPerms::ReadWrite)
                    .map_err(|e| {
                        format_err!("{}: cannot preopen the fs root: {e}", root.display())
                    })?;
            }
        }
        if let Some(opts) = for_entry {
            for (host, guest) in &opts.dirs {
                b.preopened_dir(host, guest, FsPerms::ReadWrite)
                    .map_err(|e| {
                        format_err!("--dir {}: cannot open directory: {e}", host.display())
                    })?;
            }
        }
        Ok(b.build())
    }

    fn component_store(
        &self,
        spec: &ComponentSpec,
        grant: &Grant,
        wasi: WasiCtx,
    ) -> Store<StoreState> {
        let graph_limits = self.graph.read().unwrap().limits.clone();
        let limits = spec
            .limits
            .clone()
            .unwrap_or_default()
            .or(graph_limits.as_ref());
        let mut state = StoreState::new(&spec.name, wasi, self.providers.clone());
        state.config = spec.config.clone();
        if grant.allows("loop:plugin") {
            state.plugins = self.plugins.clone();
        }
        state.limiter.max_bytes = limits.memory_mb.map(|mb| (mb as usize) * 1024 * 1024);
        let mut store = Store::new(&self.rt.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(NO_DEADLINE);
        store
    }

    fn slot_lookup(&self, compiled: &[Compiled], iface: &str) -> Option<Slot> {
        let entry = self.entry.spec.name.clone();
        let owner = exporter_of(compiled, &entry, iface)?;
        self.slots.read().unwrap().get(&owner).cloned()
    }

    fn instantiate_default(&self, compiled: &[Compiled], c: &Compiled) -> Result<LiveInstance> {
        let engine = &self.rt.engine;
        let linker = linking::build_linker(engine, &c.grant, &c.plan, &|iface| {
            self.slot_lookup(compiled, iface)
        })?;
        let wasi = self.component_wasi(&c.grant, None)?;
        let mut store = self.component_store(&c.spec, &c.grant, wasi);
        let limits: Limits = c.spec.limits.clone().unwrap_or_default().or(self
            .graph
            .read()
            .unwrap()
            .limits
            .as_ref());
        let instance = linker.instantiate(&mut store, &c.component).map_err(|e| {
            format_err!(
                "component '{}' could not be instantiated: {}",
                c.spec.name,
                crate::describe_failure(&e, &store.data().limiter)
            )
        })?;
        Ok(LiveInstance::new(
            &c.spec.name,
            store,
            instance,
            deadline_ticks(limits.deadline_ms),
        ))
    }

    fn start_defaults(&mut self, compiled: &[Compiled]) -> Result<()> {
        let file = self.graph.read().unwrap().file.clone();
        for i in instantiation_order(compiled, &self.entry.spec.name, &file)? {
            let live = self.instantiate_default(compiled, &compiled[i])?;
            self.slots.write().unwrap().insert(
                compiled[i].spec.name.clone(),
                Arc::new(RwLock::new(Arc::new(Mutex::new(live)))),
            );
        }
        // Now that the defaults run, link the entry for real.
        let c = compiled
            .iter()
            .find(|c| c.spec.name == self.entry.spec.name)
            .unwrap();
        let linker = linking::build_linker(&self.rt.engine, &c.grant, &c.plan, &|iface| {
            self.slot_lookup(compiled, iface)
        })?;
        self.entry.pre = Some(linker.instantiate_pre(&c.component).map_err(|e| {
            format_err!(
                "component '{}' cannot be linked: {}",
                c.spec.name,
                crate::one_line(&e)
            )
        })?);
        Ok(())
    }

    /// Name of the entry component.
    pub fn entry_name(&self) -> &str {
        &self.entry.spec.name
    }

    fn label(&self) -> String {
        if self.standalone {
            self.entry.spec.name.clone()
        } else {
            format!("component '{}'", self.entry.spec.name)
        }
    }

    /// Runs the entry once and returns the process exit code. Failures of the guest are printed
    /// as one line on stderr (`loop-host: component 'x' failed: ...`).
    pub fn run(&self, opts: &RunOptions) -> Result<i32> {
        let wasi = self.component_wasi(&self.entry.grant, Some(opts))?;
        let mut store = self.component_store(&self.entry.spec, &self.entry.grant, wasi);
        let pre = self
            .entry
            .pre
            .as_ref()
            .expect("entry linked in start_defaults");
        let instance = match pre.instantiate(&mut store) {
            Ok(i) => i,
            Err(e) => return Ok(self.guest_failure(&e, &store, "could not be instantiated")),
        };
        let deadline = self.entry.spec.limits.as_ref().and_then(|l| l.deadline_ms);
        store.set_epoch_deadline(deadline_ticks(deadline));
        match &self.entry.kind {
            EntryKind::Loop(idx) => {
                let run = instance
                    .get_typed_func::<(), (Result<(), String>,)>(&mut store, idx)
                    .map_err(|e| {
                        format_err!(
                            "{}: 'run' has the wrong type: {}",
                            self.label(),
                            crate::one_line(&e)
                        )
                    })?;
                match run.call(&mut store, ()) {
                    Ok((Ok(()),)) => Ok(0),
                    Ok((Err(msg),)) => {
                        eprintln!("loop-host: {} failed: {msg}", self.label());
                        Ok(1)
                    }
                    Err(e) => Ok(self.guest_failure(&e, &store, "")),
                }
            }
            EntryKind::Command => {
                let cmd = wasmtime_wasi::p2::bindings::sync::Command::new(&mut store, &instance)
                    .map_err(|e| {
                        format_err!(
                            "{}: bad wasi:cli/run export: {}",
                            self.label(),
                            crate::one_line(&e)
                        )
                    })?;
                match cmd.wasi_cli_run().call_run(&mut store) {
                    Ok(Ok(())) => Ok(0),
                    Ok(Err(())) => Ok(1),
                    Err(e) => Ok(self.guest_failure(&e, &store, "")),
                }
            }
        }
    }

    /// Exit code for a failed guest call: `wasi:cli/exit` codes pass through; traps exit 134
    /// for standalone components (as `wasmtime run` does), 1 otherwise.
    fn guest_failure(&self, e: &wasmtime::Error, store: &Store<StoreState>, doing: &str) -> i32 {
        if let Some(exit) = e.downcast_ref::<wasmtime_wasi::I32Exit>() {
            return exit.0;
        }
        let why = crate::describe_failure(e, &store.data().limiter);
        if doing.is_empty() {
            eprintln!("loop-host: {} {why}", self.label());
        } else {
            eprintln!("loop-host: {} {doing}: {why}", self.label());
        }
        if self.standalone && e.downcast_ref::<wasmtime::Trap>().is_some() {
            134
        } else {
            1
        }
    }

    /// SIGHUP: re-reads the graph file, verifies and checks every component again, re-instantiates
    /// the default components and rescans the plugins under the new settings. The running entry
    /// keeps running (a changed entry needs a restart, which is reported).
    pub fn reload(&self) -> Result<()> {
        if self.standalone {
            return Ok(());
        }
        let file = self.graph.read().unwrap().file.clone();
        let graph = Graph::load(&file)?;
        let compiled = compile_all(&self.rt, &graph, false)?;
        if let Some(c) = compiled
            .iter()
            .find(|c| c.spec.name == self.entry.spec.name)
        {
            if c.sha256 != self.entry.sha256 {
                eprintln!(
                    "loop-host: component '{}' changed on disk; restart the host to run the new version",
                    c.spec.name
                );
            }
        }
        *self.graph.write().unwrap() = graph.clone();
        for i in instantiation_order(&compiled, &self.entry.spec.name, &file)? {
            let c = &compiled[i];
            let live = self.instantiate_default(&compiled, c)?;
            let existing = self.slots.read().unwrap().get(&c.spec.name).cloned();
            match existing {
                Some(slot) => *slot.write().unwrap() = Arc::new(Mutex::new(live)),
                None => {
                    self.slots.write().unwrap().insert(
                        c.spec.name.clone(),
                        Arc::new(RwLock::new(Arc::new(Mutex::new(live)))),
                    );
                }
            }
        }
        if let (Some(host), Some(settings)) = (&self.plugins, plugin_settings(&graph, false)) {
            host.reconfigure(settings)?;
        }
        eprintln!("loop-host: reloaded {}", file.display());
        Ok(())
    }
}
