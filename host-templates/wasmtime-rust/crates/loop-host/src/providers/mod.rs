//! Capability providers, one module per WIT interface (like Wasmtime's crates/wasi and Spin's
//! factors). Each module implements the generated `Host` trait for `StoreState` and owns the
//! backends that the resolved graph chooses by name. Nothing is linked unless granted.

pub mod clock;
pub mod config;
pub mod fs;
pub mod http;
pub mod kv;
pub mod log;
pub mod plugin;
pub mod process;
pub mod random;
pub mod stubs;

use crate::graph::Graph;
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::{Result, format_err};

/// The backends of one app (shared by its components; each call knows the calling component).
pub struct Providers {
    pub log: log::LogSink,
    pub fs: Option<fs::FsBackend>,
    pub kv: kv::KvBackend,
    pub http: Arc<http::OriginPolicy>,
    /// `loop:process` `allow`: programs that may be run (`None`: any).
    pub process_allow: Option<Vec<String>>,
    pub base_dir: PathBuf,
    /// Settings of the packages the embedding host crate provides (`embed::provide`), by package.
    pub host: crate::embed::HostSettings,
}

impl Providers {
    /// Providers for a resolved graph. Unconfigured capabilities get the safe default backend
    /// (log: stdout, kv: memory, http: nothing allowed, fs: none).
    pub fn from_graph(graph: &Graph) -> Result<Providers> {
        let f = graph.file.display();
        let cap = |name: &str| graph.capabilities.get(name);
        let log = match cap("loop:log") {
            None => log::LogSink::stdout(),
            Some(spec) => log::LogSink::from_spec(
                &spec.provider,
                spec.str_key("path").map(|p| graph.resolve(p)),
                spec.str_key("level"),
            )
            .map_err(|e| format_err!("{f}: capabilities.\"loop:log\": {e}"))?,
        };
        let fs = match cap("loop:fs") {
            None => None,
            Some(spec) => Some(
                fs::FsBackend::from_spec(
                    &spec.provider,
                    spec.str_key("root").map(|p| graph.resolve(p)),
                )
                .map_err(|e| format_err!("{f}: capabilities.\"loop:fs\": {e}"))?,
            ),
        };
        let kv = match cap("loop:kv") {
            None => kv::KvBackend::memory(),
            Some(spec) => kv::KvBackend::from_spec(
                &spec.provider,
                spec.str_key("path").map(|p| graph.resolve(p)),
            )
            .map_err(|e| format_err!("{f}: capabilities.\"loop:kv\": {e}"))?,
        };
        let http = Arc::new(match cap("loop:http") {
            None => http::OriginPolicy::deny_all(),
            Some(spec) => http::OriginPolicy::new(&spec.list_key("allow"))
                .map_err(|e| format_err!("{f}: capabilities.\"loop:http\".allow: {e}"))?,
        });
        let process_allow = cap("loop:process")
            .filter(|s| s.extra.contains_key("allow"))
            .map(|s| s.list_key("allow"));
        Ok(Providers {
            log,
            fs,
            kv,
            http,
            process_allow,
            base_dir: graph.base_dir.clone(),
            host: crate::embed::host_settings(graph)?,
        })
    }

    /// Providers for a component run on its own (`loop-host run x.wasm`): log to stdout, kv in
    /// memory, files in the first `--dir` (or in memory), no network.
    pub fn standalone(first_dir: Option<PathBuf>) -> Result<Providers> {
        let fs = match first_dir {
            Some(d) => fs::FsBackend::host_dir(&d)?,
            None => fs::FsBackend::memory(),
        };
        Ok(Providers {
            log: log::LogSink::stdout(),
            fs: Some(fs),
            kv: kv::KvBackend::memory(),
            http: Arc::new(http::OriginPolicy::deny_all()),
            process_allow: None,
            base_dir: PathBuf::from("."),
            host: Default::default(),
        })
    }
}
