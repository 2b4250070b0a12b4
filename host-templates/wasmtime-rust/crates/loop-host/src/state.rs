//! The per-store state (`T` of `Store<T>`): WASI contexts, the component's identity and the
//! providers it was granted. Every component instance (core, default, each plugin) has its own.

use crate::providers::Providers;
use crate::providers::http::OriginPolicy;
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Result, format_err};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

pub struct StoreState {
    /// Component name as in the graph (or the file name for a standalone component).
    pub name: String,
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub http_ctx: WasiHttpCtx,
    pub http_hooks: HttpHooks,
    pub limiter: MemoryLimiter,
    pub providers: Arc<Providers>,
    /// `loop:app/config` values of this component.
    pub config: BTreeMap<String, String>,
    /// Set for components that may import `loop:plugin/host`.
    pub plugins: Option<Arc<crate::plugins::PluginHost>>,
}

impl StoreState {
    pub fn new(name: &str, wasi: WasiCtx, providers: Arc<Providers>) -> StoreState {
        StoreState {
            name: name.to_string(),
            wasi,
            table: ResourceTable::new(),
            http_ctx: WasiHttpCtx::new(),
            http_hooks: HttpHooks {
                policy: providers.http.clone(),
            },
            limiter: MemoryLimiter::default(),
            providers,
            config: BTreeMap::new(),
            plugins: None,
        }
    }
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for StoreState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http_ctx,
            table: &mut self.table,
            hooks: &mut self.http_hooks,
        }
    }
}

/// `wasi:http` outgoing requests go through the same origin allow-list as `loop:http`.
pub struct HttpHooks {
    pub policy: Arc<OriginPolicy>,
}

type SendFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<wasmtime_wasi_http::WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl wasmtime_wasi_http::WasiHttpHooks for HttpHooks {
    fn send_request(
        &mut self,
        request: http::Request<wasmtime_wasi_http::WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> SendFuture {
        let url = request.uri().to_string();
        if !self.policy.allows(&url) {
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        let _ = fut;
        Box::new(async move {
            use http_body_util::BodyExt;
            let (res, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                res.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            ))
        })
    }
}

/// Memory cap of one instance (`limits.memory-mb`). Growing beyond it traps the guest; the flag
/// lets the host report "exceeded its memory limit" instead of a bare trap.
#[derive(Default)]
pub struct MemoryLimiter {
    pub max_bytes: Option<usize>,
    pub exceeded: Option<usize>,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool> {
        if let Some(max) = self.max_bytes {
            if desired > max {
                self.exceeded = Some(desired);
                return Err(format_err!(
                    "memory limit of {} MiB exceeded (tried to grow linear memory to {} bytes)",
                    max / (1024 * 1024),
                    desired
                ));
            }
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool> {
        Ok(desired <= 10_000_000)
    }
}
