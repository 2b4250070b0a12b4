//! A tiny Rust plugin (world `loop:app/plugin`): `handle(text)` answers
//! `"<n> chars, <m> words"` and logs what it did; empty input is an `err`.
//! Small (tens of KB) and quick to compile, unlike a JS plugin's engine.

wit_bindgen::generate!({
    world: "loop:app/plugin",
    path: "../../../wit",
    generate_all,
});

use exports::loop_::plugin::plugin::{Guest, PluginInfo};
use loop_::log::logger::{self, Level};

struct Count;

impl Guest for Count {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "count".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Counts characters and words".to_string(),
        }
    }

    fn handle(input: String) -> Result<String, String> {
        if input.trim().is_empty() {
            logger::log(Level::Warn, "count: empty input");
            return Err("count: nothing to count".to_string());
        }
        let chars = input.chars().count();
        let words = input.split_whitespace().count();
        logger::log(Level::Info, &format!("count: {chars} chars, {words} words"));
        Ok(format!("{chars} chars, {words} words"))
    }
}

export!(Count);
