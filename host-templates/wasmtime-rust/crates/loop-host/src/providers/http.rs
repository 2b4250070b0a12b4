//! `loop:http/client`: backend `wasi-http` (hyper via wasmtime-wasi-http's sender). Only origins in
//! the capability's `allow` list are reachable; anything else is the WIT error `denied`, never a trap.
//! The same policy gates `wasi:http/outgoing-handler` (see `state::HttpHooks`).

use crate::bindings::loop_::http::client::{Error, Host, Request, Response};
use crate::state::StoreState;
use bytes::Bytes;
use http_body_util::BodyExt;
use std::time::Duration;
use url::Url;

/// Time limit of one `fetch` (connect + whole response).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// An allow-list of origins (`scheme://host[:port]`, optionally with a path prefix), or `*`.
#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    any: bool,
    entries: Vec<Url>,
}

impl OriginPolicy {
    pub fn deny_all() -> OriginPolicy {
        OriginPolicy::default()
    }

    pub fn new(allow: &[String]) -> Result<OriginPolicy, String> {
        let mut p = OriginPolicy::default();
        for entry in allow {
            if entry == "*" {
                p.any = true;
                continue;
            }
            let url =
                Url::parse(entry).map_err(|e| format!("'{entry}' is not an absolute URL: {e}"))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(format!("'{entry}' must be an http:// or https:// origin"));
            }
            p.entries.push(url);
        }
        Ok(p)
    }

    pub fn allows_url(&self, url: &Url) -> bool {
        if self.any {
            return true;
        }
        self.entries.iter().any(|e| {
            e.scheme() == url.scheme()
                && e.host_str().map(str::to_ascii_lowercase)
                    == url.host_str().map(str::to_ascii_lowercase)
                && e.port_or_known_default() == url.port_or_known_default()
                && (e.path() == "/" || e.path().is_empty() || url.path().starts_with(e.path()))
        })
    }

    pub fn allows(&self, url: &str) -> bool {
        Url::parse(url)
            .map(|u| self.allows_url(&u))
            .unwrap_or(false)
    }
}

pub fn fetch(policy: &OriginPolicy, req: Request) -> Result<Response, Error> {
    let url = Url::parse(&req.url).map_err(|e| Error::InvalidUrl(format!("{}: {e}", req.url)))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::InvalidUrl(format!(
            "{}: only http and https are supported",
            req.url
        )));
    }
    if !policy.allows_url(&url) {
        return Err(Error::Denied(req.url));
    }
    let method = http::Method::from_bytes(req.method.as_bytes())
        .map_err(|_| Error::Network(format!("invalid HTTP method '{}'", req.method)))?;
    let mut builder = http::Request::builder().method(method).uri(url.as_str());
    for (k, v) in &req.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    if let Some(host) = url.host_str() {
        let host = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        if !req
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("host"))
        {
            builder = builder.header("host", host);
        }
    }
    let body = http_body_util::Full::new(Bytes::from(req.body.unwrap_or_default()))
        .map_err(|never: std::convert::Infallible| match never {});
    let request = builder
        .body(body)
        .map_err(|e| Error::InvalidUrl(format!("{}: {e}", req.url)))?;
    let options = wasmtime_wasi_http::RequestOptions {
        connect_timeout: Some(FETCH_TIMEOUT),
        first_byte_timeout: Some(FETCH_TIMEOUT),
        between_bytes_timeout: Some(FETCH_TIMEOUT),
    };
    let work = async move {
        let (resp, io) = wasmtime_wasi_http::default_send_request(request, Some(options))
            .await
            .map_err(|e| Error::Network(e.to_string()))?;
        let conn = tokio::spawn(io);
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| Error::Network(e.to_string()))?
            .to_bytes()
            .to_vec();
        conn.abort();
        Ok(Response {
            status,
            headers,
            body,
        })
    };
    wasmtime_wasi::runtime::in_tokio(async move {
        match tokio::time::timeout(FETCH_TIMEOUT, work).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout),
        }
    })
}

impl Host for StoreState {
    fn fetch(&mut self, req: Request) -> Result<Response, Error> {
        fetch(&self.providers.http, req)
    }
}
