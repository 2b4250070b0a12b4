//! The `hello` example app's entry component (world `example:hello/greeter`).
//!
//! `run()` reads `greeting.txt` through `loop:fs`, fetches the URL from config key
//! `url` through `loop:http`, formats the greeting with the imported formatter,
//! calls every loaded plugin with it, and logs each result through `loop:log`.

wit_bindgen::generate!({
    world: "example:hello/greeter",
    path: "../../wit",
    generate_all,
});

use example::hello::formatter;
use loop_::app::config;
use loop_::fs::files;
use loop_::http::client;
use loop_::log::logger::{self, Level};
use loop_::plugin::host;

const GREETING_FILE: &str = "greeting.txt";

struct Greeter;

impl exports::loop_::app::entry::Guest for Greeter {
    fn run() -> Result<(), String> {
        let greeting = match files::read(GREETING_FILE) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).trim_end().to_string(),
            Err(e) => {
                let msg = format!("cannot read {GREETING_FILE}: {}", fs_error(&e));
                logger::log(Level::Error, &msg);
                return Err(msg);
            }
        };
        logger::log(Level::Info, &format!("greeting: {greeting}"));

        match config::get("url") {
            Some(url) => fetch(&url),
            None => logger::log(Level::Warn, "no `url` in this component's config; skipping fetch"),
        }

        let formatted = formatter::format(&greeting);
        logger::log(Level::Info, &format!("formatted: {formatted}"));

        for info in host::list() {
            match host::call(&info.name, &greeting) {
                Ok(out) => logger::log(Level::Info, &format!("plugin {}: {out}", info.name)),
                Err(e) => logger::log(Level::Error, &format!("plugin {} failed: {e}", info.name)),
            }
        }
        Ok(())
    }
}

fn fetch(url: &str) {
    let req = client::Request {
        method: "GET".to_string(),
        url: url.to_string(),
        headers: vec![],
        body: None,
    };
    match client::fetch(&req) {
        Ok(resp) => {
            let body = String::from_utf8_lossy(&resp.body);
            logger::log(Level::Info, &format!("fetched {}: {}", resp.status, body.trim_end()));
        }
        Err(e) => logger::log(Level::Error, &format!("fetch {url} failed: {}", http_error(&e))),
    }
}

fn fs_error(e: &files::Error) -> String {
    match e {
        files::Error::NotFound(p) => format!("not found ({p})"),
        files::Error::Denied(why) => format!("denied ({why})"),
        files::Error::Io(why) => format!("I/O error ({why})"),
    }
}

fn http_error(e: &client::Error) -> String {
    match e {
        client::Error::Denied(why) => format!("denied ({why})"),
        client::Error::InvalidUrl(why) => format!("invalid URL ({why})"),
        client::Error::Network(why) => format!("network error ({why})"),
        client::Error::Timeout => "timed out".to_string(),
    }
}

export!(Greeter);
