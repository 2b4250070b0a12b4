//! `loop:plugin/host`: the core's view of the plugin registry (`crate::plugins`).

use crate::bindings::loop_::plugin::host::{Host, Info};
use crate::state::StoreState;

impl Host for StoreState {
    fn list(&mut self) -> Vec<Info> {
        self.plugins.as_ref().map(|p| p.list()).unwrap_or_default()
    }

    fn call(&mut self, name: String, input: String) -> Result<String, String> {
        match &self.plugins {
            Some(p) => p.call(&name, &input),
            None => Err(format!(
                "no plugin named '{name}' (this app has no plugin directory)"
            )),
        }
    }
}

impl crate::bindings::loop_::plugin::types::Host for StoreState {}
