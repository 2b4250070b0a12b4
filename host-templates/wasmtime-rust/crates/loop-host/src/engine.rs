//! One Wasmtime engine per host process, the epoch ticker that enforces per-call deadlines, and the
//! precompiled code cache (`${LOOP_CACHE_DIR:-$HOME/.cache/loop}/code`).

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasmtime::component::Component;
use wasmtime::{Config, Engine, Result, bail, format_err};

/// Epoch tick length: deadlines are rounded up to whole ticks.
pub const TICK_MS: u64 = 5;
/// Deadline used for stores that have no limit (effectively never).
pub const NO_DEADLINE: u64 = u64::MAX / 4;

pub struct Runtime {
    pub engine: Engine,
    code_dir: Option<PathBuf>,
    compat: String,
}

/// `${LOOP_CACHE_DIR:-$HOME/.cache/loop}`.
pub fn cache_root() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("LOOP_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("loop"))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Converts ticks from a deadline in milliseconds.
pub fn deadline_ticks(ms: Option<u64>) -> u64 {
    match ms {
        Some(ms) => ms.div_ceil(TICK_MS).max(1) + 1,
        None => NO_DEADLINE,
    }
}

impl Runtime {
    /// `code_dir = None` disables the on-disk code cache.
    pub fn new(code_dir: Option<PathBuf>) -> Result<Runtime> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let engine = Engine::new(&config)?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        let compat = format!("{:016x}", h.finish());
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("loop-epoch".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_millis(TICK_MS));
                    match weak.upgrade() {
                        Some(e) => e.increment_epoch(),
                        None => break,
                    }
                }
            })?;
        Ok(Runtime {
            engine,
            code_dir,
            compat,
        })
    }

    /// The default runtime: code cache under the cache root unless `LOOP_NO_CODE_CACHE` is set.
    pub fn with_default_cache() -> Result<Runtime> {
        let dir = if std::env::var_os("LOOP_NO_CODE_CACHE").is_some() {
            None
        } else {
            cache_root().map(|r| r.join("code"))
        };
        Runtime::new(dir)
    }

    pub fn code_dir(&self) -> Option<&Path> {
        self.code_dir.as_deref()
    }

    /// Reads, verifies (when `expected_sha256` is given) and compiles a component, using the
    /// precompiled code cache keyed by the file's sha256 and the engine's compatibility hash.
    /// `what` names the component in errors (e.g. "component 'greeter'").
    pub fn load_component(
        &self,
        path: &Path,
        expected_sha256: Option<&str>,
        what: &str,
    ) -> Result<(Component, String)> {
        let bytes = std::fs::read(path)
            .map_err(|e| format_err!("{}: cannot read {what}: {e}", path.display()))?;
        let sha = sha256_hex(&bytes);
        if let Some(expected) = expected_sha256 {
            if !expected.eq_ignore_ascii_case(&sha) {
                bail!(
                    "{}: sha256 mismatch for {what}: app.loop.json expects {expected}, the file has {sha}; refusing to load it",
                    path.display()
                );
            }
        }
        let component = self.compile_cached(&bytes, &sha).map_err(|e| {
            format_err!(
                "{}: {what} is not a valid WebAssembly component: {}",
                path.display(),
                crate::one_line(&e)
            )
        })?;
        Ok((component, sha))
    }

    fn compile_cached(&self, bytes: &[u8], sha: &str) -> Result<Component> {
        let Some(dir) = &self.code_dir else {
            return Component::new(&self.engine, bytes);
        };
        let file = dir.join(format!("{sha}-{}.cwasm", self.compat));
        if file.is_file() {
            // SAFETY: the file was written by `precompile_component` of an engine with the same
            // compatibility hash (it is part of the file name) into our private cache directory.
            match unsafe { Component::deserialize_file(&self.engine, &file) } {
                Ok(c) => return Ok(c),
                Err(_) => {
                    let _ = std::fs::remove_file(&file);
                }
            }
        }
        let cwasm = self.engine.precompile_component(bytes)?;
        if std::fs::create_dir_all(dir).is_ok() {
            let tmp = dir.join(format!(".{sha}-{}.{}.tmp", self.compat, std::process::id()));
            if std::fs::write(&tmp, &cwasm).is_ok() && std::fs::rename(&tmp, &file).is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
        }
        // SAFETY: the bytes were produced just above by this very engine.
        unsafe { Component::deserialize(&self.engine, &cwasm) }
    }
}
