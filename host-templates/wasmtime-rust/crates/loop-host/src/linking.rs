//! Link-time trust gating and per-component linkers.
//!
//! Before anything is instantiated, every import of a component is classified and checked against
//! its effective `allow` list; a component importing a package it is not granted is refused with
//! `component 'X' imports 'loop:process/spawn@0.1.0' but trust class 'untrusted' does not allow
//! 'loop:process'`. Then a linker is built that contains only the granted `loop:*` providers.

use crate::bindings::loop_;
use crate::graph::native_providers;
use crate::providers::stubs;
use crate::state::StoreState;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use wasmtime::component::types::{ComponentInstance, ComponentItem};
use wasmtime::component::{Component, Func, HasSelf, Instance, Linker};
use wasmtime::{Engine, Result, Store, bail, format_err};

/// Who is being linked and what it may use.
#[derive(Debug, Clone)]
pub struct Grant {
    pub component: String,
    pub trust: String,
    pub allow: Vec<String>,
    /// Capability packages the app does not configure (absent from `capabilities`): not linked
    /// for anyone, even when `allow` lists them.
    pub unconfigured: Vec<String>,
}

impl Grant {
    pub fn allows(&self, package: &str) -> bool {
        package == "loop:app"
            || (self.allow.iter().any(|a| a == "*" || a == package)
                && !self.unconfigured.iter().any(|u| u == package))
    }

    fn check(&self, import: &str, package: &str) -> Result<()> {
        if self.unconfigured.iter().any(|u| u == package)
            && self.allow.iter().any(|a| a == "*" || a == package)
        {
            bail!(
                "component '{}' imports '{import}' but the app configures no provider for '{package}' (add [capabilities.\"{package}\"] to the manifest)",
                self.component
            );
        }
        if !self.allows(package) {
            return Err(refuse(self, import, package));
        }
        Ok(())
    }
}

/// `ns:pkg/iface@ver` → (`ns:pkg`, `iface`).
pub fn split_interface(name: &str) -> Option<(&str, &str)> {
    let unversioned = name.split('@').next().unwrap_or(name);
    let (pkg, iface) = unversioned.split_once('/')?;
    if !pkg.contains(':') || iface.is_empty() {
        return None;
    }
    Some((pkg, iface))
}

/// Which Loop capability a WASI 0.2 package needs. `Some(None)`: always linked (stdio, streams;
/// the filesystem is linked but only the granted root is preopened; sockets get no network).
fn wasi_capability(pkg: &str) -> Option<Option<&'static str>> {
    Some(match pkg {
        "wasi:cli" | "wasi:io" | "wasi:filesystem" => None,
        "wasi:sockets" => Some("loop:http"),
        "wasi:clocks" => Some("loop:clock"),
        "wasi:random" => Some("loop:random"),
        "wasi:http" => Some("loop:http"),
        _ => return None,
    })
}

/// What a component's imports need, once they passed the trust check.
#[derive(Default)]
pub struct ImportPlan {
    /// Drafted interfaces answered with `unsupported`.
    pub stubs: Vec<(String, ComponentInstance)>,
    /// Interfaces exported by another component of the graph (forwarded calls).
    pub foreign: Vec<(String, ComponentInstance)>,
    pub uses_wasi_http: bool,
    /// Imported interfaces that carry only types (e.g. `loop:plugin/types`, used by the exported
    /// `loop:plugin/plugin`): they grant nothing and are always linked as empty instances.
    pub type_only: Vec<String>,
    /// Packages provided by the embedding host crate (`embed::provide`), granted and imported.
    pub provided: Vec<String>,
}

/// True when an imported item is an instance without functions or resources.
fn is_type_only(engine: &Engine, item: &ComponentItem) -> bool {
    match item {
        ComponentItem::ComponentInstance(ty) => ty
            .exports(engine)
            .all(|(_, e)| matches!(e.ty, ComponentItem::Type(_))),
        _ => false,
    }
}

fn refuse(grant: &Grant, import: &str, package: &str) -> wasmtime::Error {
    format_err!(
        "component '{}' imports '{import}' but trust class '{}' does not allow '{package}'",
        grant.component,
        grant.trust
    )
}

/// Checks every import of `component` against `grant`. `exported` tells whether some other
/// component of the graph exports an interface of that exact name.
pub fn check_imports(
    engine: &Engine,
    component: &Component,
    grant: &Grant,
    exported: &dyn Fn(&str) -> bool,
) -> Result<ImportPlan> {
    let mut plan = ImportPlan::default();
    let c = &grant.component;
    for (name, item) in component.component_type().imports(engine) {
        let Some((pkg, _iface)) = split_interface(name) else {
            bail!(
                "component '{c}' imports '{name}', which is not a WIT interface; only interface imports can be linked"
            );
        };
        if pkg.starts_with("loop:") && is_type_only(engine, &item.ty) {
            plan.type_only.push(name.to_string());
            continue;
        }
        if pkg.starts_with("loop:") {
            if pkg == "loop:app" {
                if name.split('@').next() != Some("loop:app/config") {
                    bail!(
                        "component '{c}' imports '{name}', which no host provides (loop:app offers only 'config' as an import)"
                    );
                }
                continue;
            }
            grant.check(name, pkg)?;
            match native_providers(pkg) {
                None => bail!("component '{c}' imports '{name}' from the unknown package '{pkg}'"),
                Some([]) => bail!(
                    "component '{c}' imports '{name}' but '{pkg}' is browser-only: the native host has no provider for it"
                ),
                Some(_) => {}
            }
            if stubs::STUB_PACKAGES.contains(&pkg) {
                if let ComponentItem::ComponentInstance(ty) = item.ty {
                    plan.stubs.push((name.to_string(), ty));
                }
            }
        } else if pkg.starts_with("wasi:") {
            match wasi_capability(pkg) {
                None => bail!(
                    "component '{c}' imports '{name}', a WASI interface this host does not provide"
                ),
                Some(Some(cap)) => grant.check(name, cap)?,
                Some(_) => {}
            }
            if pkg == "wasi:http" {
                plan.uses_wasi_http = true;
            }
        } else if crate::embed::provides(pkg) {
            grant.check(name, pkg)?;
            if !plan.provided.iter().any(|p| p == pkg) {
                plan.provided.push(pkg.to_string());
            }
        } else if exported(name) {
            match item.ty {
                ComponentItem::ComponentInstance(ty) => plan.foreign.push((name.to_string(), ty)),
                _ => bail!(
                    "component '{c}' imports '{name}' as something other than an interface instance"
                ),
            }
        } else {
            bail!("component '{c}' imports '{name}' but no component in the app exports it");
        }
    }
    Ok(plan)
}

/// A running default component whose exports other components' imports are forwarded to.
pub struct LiveInstance {
    pub name: String,
    pub store: Store<StoreState>,
    pub instance: Instance,
    pub deadline_ticks: u64,
    funcs: HashMap<(String, String), Func>,
}

impl LiveInstance {
    pub fn new(
        name: &str,
        store: Store<StoreState>,
        instance: Instance,
        deadline_ticks: u64,
    ) -> LiveInstance {
        LiveInstance {
            name: name.to_string(),
            store,
            instance,
            deadline_ticks,
            funcs: HashMap::new(),
        }
    }

    fn func(&mut self, iface: &str, fname: &str) -> Result<Func> {
        if let Some(f) = self.funcs.get(&(iface.to_string(), fname.to_string())) {
            return Ok(*f);
        }
        let inst_idx = self
            .instance
            .get_export_index(&mut self.store, None, iface)
            .ok_or_else(|| format_err!("component '{}' does not export '{iface}'", self.name))?;
        let f_idx = self
            .instance
            .get_export_index(&mut self.store, Some(&inst_idx), fname)
            .ok_or_else(|| {
                format_err!(
                    "component '{}' does not export '{iface}#{fname}'",
                    self.name
                )
            })?;
        let func = self
            .instance
            .get_func(&mut self.store, f_idx)
            .ok_or_else(|| {
                format_err!(
                    "'{iface}#{fname}' of component '{}' is not a function",
                    self.name
                )
            })?;
        self.funcs
            .insert((iface.to_string(), fname.to_string()), func);
        Ok(func)
    }
}

/// A swappable reference to a live default component (SIGHUP swaps the inner Arc).
pub type Slot = Arc<RwLock<Arc<Mutex<LiveInstance>>>>;

/// Defines `name` in `linker` by forwarding each of its functions to the component in `slot`.
pub fn define_forward(
    linker: &mut Linker<StoreState>,
    engine: &Engine,
    name: &str,
    ty: &ComponentInstance,
    slot: Slot,
) -> Result<()> {
    let mut inst = linker.instance(name)?;
    for (fname, item) in ty.exports(engine) {
        if let ComponentItem::ComponentFunc(_) = item.ty {
            let slot = slot.clone();
            let iface = name.to_string();
            let fname_owned = fname.to_string();
            inst.func_new(fname, move |_caller, _ty, params, results| {
                let live = slot.read().unwrap().clone();
                let mut live = live.lock().unwrap();
                let live = &mut *live;
                let func = live.func(&iface, &fname_owned)?;
                let ticks = live.deadline_ticks;
                live.store.set_epoch_deadline(ticks);
                func.call(&mut live.store, params, results).map_err(|e| {
                    format_err!(
                        "call to '{iface}#{fname_owned}' in component '{}' failed: {}",
                        live.name,
                        crate::describe_failure(&e, &live.store.data().limiter)
                    )
                })
            })?;
        }
    }
    Ok(())
}

/// A linker holding WASI 0.2, `loop:app/config`, the granted `loop:*` providers, stubs for the
/// drafted interfaces and forwarders to other components. Nothing else.
pub fn build_linker(
    engine: &Engine,
    grant: &Grant,
    plan: &ImportPlan,
    slots: &dyn Fn(&str) -> Option<Slot>,
) -> Result<Linker<StoreState>> {
    let mut l: Linker<StoreState> = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut l)?;
    if grant.allows("loop:http") {
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut l)?;
    }
    type D = HasSelf<StoreState>;
    loop_::app::config::add_to_linker::<StoreState, D>(&mut l, |s| s)?;
    if grant.allows("loop:log") {
        loop_::log::logger::add_to_linker::<StoreState, D>(&mut l, |s| s)?;
    }
    if grant.allows("loop:fs") {
        loop_::fs::files::add_to_linker::<StoreState, D>(&mut l, |s| s)?;
    }
    if grant.allows("loop:http") {
        loop_::http::client::add_to_linker::<StoreState, D>(&mut l, |s| s)?;
    }
    if grant.allows("loop:clock") {
        loop_::clock::clock::add_to_linker::<StoreState, D>(&mut l, |s| s)?;
    }
    if grant.allows("loop:random") {
        loop_::random::random::add_to_linker::<StoreState, D>(&mut l, |s| s)?;
    }
    if grant.allows("loop:kv") {
        loop_::kv::store::add_to_linker::<StoreState, D>(&mut l, |s| s)?;
    }
    if grant.allows("loop:process") {
        loop_::process::spawn::add_to_linker::<StoreState, D>(&mut l, |s| s)?;
    }
    if grant.allows("loop:plugin") {
        loop_::plugin::types::add_to_linker::<StoreState, D>(&mut l, |s| s)?;
        loop_::plugin::host::add_to_linker::<StoreState, D>(&mut l, |s| s)?;
    }
    for name in &plan.type_only {
        l.instance(name)?;
    }
    for pkg in &plan.provided {
        crate::embed::add_to_linker(pkg, &mut l)?;
    }
    for (name, ty) in &plan.stubs {
        stubs::define(&mut l, engine, name, ty)?;
    }
    for (name, ty) in &plan.foreign {
        let slot =
            slots(name).ok_or_else(|| format_err!("no running component exports '{name}'"))?;
        define_forward(&mut l, engine, name, ty, slot)?;
    }
    Ok(l)
}
