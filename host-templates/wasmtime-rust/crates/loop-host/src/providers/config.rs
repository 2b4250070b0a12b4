//! `loop:app/config`: the component's own config map from the graph. Always linked.

use crate::bindings::loop_::app::config::Host;
use crate::state::StoreState;

impl Host for StoreState {
    fn get(&mut self, key: String) -> Option<String> {
        self.config.get(&key).cloned()
    }
}
