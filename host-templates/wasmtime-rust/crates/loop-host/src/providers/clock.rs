//! `loop:clock/clock`: backend `os`.

use crate::bindings::loop_::clock::clock::Host;
use crate::state::StoreState;
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

impl Host for StoreState {
    fn now(&mut self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    fn monotonic(&mut self) -> u64 {
        origin().elapsed().as_nanos() as u64
    }
}
