//! `loop:process/spawn`: backend `os`. Linked only for components whose `allow` grants
//! `loop:process` (the resolver grants it to trusted classes only).

use crate::bindings::loop_::process::spawn::{Host, Output};
use crate::state::StoreState;
use std::process::{Command, Stdio};

impl Host for StoreState {
    fn run(&mut self, program: String, args: Vec<String>) -> Result<Output, String> {
        if let Some(allowed) = &self.providers.process_allow {
            if !allowed.iter().any(|a| *a == program) {
                return Err(format!(
                    "program '{program}' is not in the loop:process allow list"
                ));
            }
        }
        let out = Command::new(&program)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot start '{program}': {e}"))?;
        Ok(Output {
            status: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}
