//! `loop:random/random`: backend `os` (the operating system's CSPRNG).

use crate::bindings::loop_::random::random::Host;
use crate::state::StoreState;

impl Host for StoreState {
    fn bytes(&mut self, len: u32) -> Vec<u8> {
        // Large requests are bounded by the guest's own memory limit when the result is lowered.
        let mut buf = vec![0u8; len as usize];
        getrandom::fill(&mut buf).expect("the OS random source failed");
        buf
    }

    fn next_u64(&mut self) -> u64 {
        getrandom::u64().expect("the OS random source failed")
    }
}
