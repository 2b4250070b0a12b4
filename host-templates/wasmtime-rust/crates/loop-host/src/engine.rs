//! One Wasmtime engine per host process, the epoch ticker that enforces per-call deadlines, and the
//! precompiled code: the code cache (`${LOOP_CACHE_DIR:-$HOME/.cache/loop}/code`, dev hosts), a
//! bundle's `code/` directory and a packed executable's payload (every build).
//!
//! Every build of loop-host (the dev host with Cranelift and the runtime-only hosts) makes its
//! engine from [`base_config`]: precompiled code is only accepted by an engine with the same
//! settings, so there is exactly one place that decides them.

use sha2::{Digest, Sha256};
#[cfg(feature = "dev")]
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasmtime::component::Component;
use wasmtime::{Config, Engine, Result, bail, format_err};

/// Epoch tick length: deadlines are rounded up to whole ticks.
pub const TICK_MS: u64 = 5;
/// Deadline used for stores that have no limit (effectively never).
pub const NO_DEADLINE: u64 = u64::MAX / 4;

/// The engine settings of every loop-host build. Precompiled code records them and Wasmtime
/// refuses code made under other settings, so the precompiling dev host (`compile --target`,
/// `pack`) and the runtime-only hosts must both use exactly this.
pub fn base_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config
}

/// Whether this build can compile WebAssembly (the `dev` feature: Cranelift, every architecture).
pub const HAS_COMPILER: bool = cfg!(feature = "dev");

/// The Rust target triple this host was built for.
pub const HOST_TRIPLE: &str = env!("LOOP_HOST_TRIPLE");

/// The bytes of a file held in memory: a packed executable's payload (`pack`) or an app compiled
/// into a host crate (`embed`).
pub fn memory_file(path: &Path) -> Option<&'static [u8]> {
    crate::pack::mounted_file(path).or_else(|| crate::embed::file(path))
}

/// Reads a file, serving the files held in memory ([`memory_file`]) first. Everything that reads
/// an app's graph or components goes through this.
pub fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    if let Some(bytes) = memory_file(path) {
        return Ok(bytes.to_vec());
    }
    std::fs::read(path)
}

pub struct Runtime {
    pub engine: Engine,
    /// The dev host's code cache (always `None` in a runtime-only build).
    code_dir: Option<PathBuf>,
    compat: String,
    /// Directories of precompiled code named `<wasm sha256>.cwasm` (a bundle's `code/`).
    code_dirs: Vec<PathBuf>,
    /// Their `precompiled.pack` files, opened (the code a bundle was packed with).
    code_packs: Vec<crate::pack::Opened>,
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

/// A short hex key of an engine's precompilation settings (target, flags, tunables, version).
#[cfg(feature = "dev")]
pub fn compat_key(engine: &Engine) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("{:016x}", h.finish())
}

/// An engine that compiles for `triple` (another OS or architecture) with the settings of every
/// loop-host build. Host CPU features are not assumed: the code runs on any CPU of the target.
#[cfg(feature = "dev")]
pub fn target_engine(triple: &str) -> Result<Engine> {
    let mut config = base_config();
    config
        .target(triple)
        .map_err(|e| format_err!("--target {triple}: {}", crate::one_line(&e)))?;
    Engine::new(&config).map_err(|e| format_err!("--target {triple}: {}", crate::one_line(&e)))
}

/// Precompiles a component for `engine`'s target, through the code cache when there is one
/// (file `<sha256>-<compat key>.cwasm`, so one cache serves every target).
#[cfg(feature = "dev")]
pub fn precompile_cached(
    engine: &Engine,
    code_dir: Option<&Path>,
    bytes: &[u8],
    sha: &str,
) -> Result<Vec<u8>> {
    let Some(dir) = code_dir else {
        return engine.precompile_component(bytes);
    };
    let file = dir.join(format!("{sha}-{}.cwasm", compat_key(engine)));
    if let Ok(code) = std::fs::read(&file) {
        if Engine::detect_precompiled(&code) == Some(wasmtime::Precompiled::Component) {
            return Ok(code);
        }
    }
    let code = engine.precompile_component(bytes)?;
    write_atomic(dir, &file, &code);
    Ok(code)
}

#[cfg(feature = "dev")]
fn write_atomic(dir: &Path, file: &Path, bytes: &[u8]) {
    if std::fs::create_dir_all(dir).is_ok() {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("code");
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, file).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

impl Runtime {
    /// `code_dir = None` disables the on-disk code cache (a runtime-only build has none).
    pub fn new(code_dir: Option<PathBuf>) -> Result<Runtime> {
        let engine = Engine::new(&base_config())?;
        #[cfg(feature = "dev")]
        let compat = compat_key(&engine);
        #[cfg(not(feature = "dev"))]
        let (compat, code_dir) = {
            let _ = code_dir;
            (String::new(), None)
        };
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
            code_dirs: Vec::new(),
            code_packs: Vec::new(),
        })
    }

    /// The default runtime: code cache under the cache root unless `LOOP_NO_CODE_CACHE` is set.
    pub fn with_default_cache() -> Result<Runtime> {
        let dir = if std::env::var_os("LOOP_NO_CODE_CACHE").is_some() || !HAS_COMPILER {
            None
        } else {
            cache_root().map(|r| r.join("code"))
        };
        Runtime::new(dir)
    }

    /// Also looks for precompiled code in `dir` (a bundle's `code/`): in its
    /// `precompiled.pack` (read, checked and decompressed now) and as `<wasm sha256>.cwasm`
    /// files (code added later, e.g. for a new plugin version).
    pub fn add_code_dir(&mut self, dir: PathBuf) -> Result<()> {
        let pack = dir.join(crate::pack::CODE_PACK);
        if pack.is_file() {
            let opened = crate::pack::Opened::read_file(&pack)
                .map_err(|e| format_err!("{}: {e}", pack.display()))?;
            self.code_packs.push(opened);
        }
        self.code_dirs.push(dir);
        Ok(())
    }

    pub fn code_dir(&self) -> Option<&Path> {
        self.code_dir.as_deref()
    }

    /// Reads, verifies (when `expected_sha256` is given) and loads a component: precompiled code
    /// from a mounted payload or a code directory (by the file's sha256), else (dev hosts) compiled
    /// through the code cache keyed by the sha256 and the engine's compatibility hash.
    /// `what` names the component in errors (e.g. "component 'greeter'").
    pub fn load_component(
        &self,
        path: &Path,
        expected_sha256: Option<&str>,
        what: &str,
    ) -> Result<(Component, String)> {
        // A packed app may carry only the precompiled code of a component: its sha256 is then
        // the one of the (checksummed) graph.
        let bytes = match memory_file(path) {
            Some(b) => Some(b.to_vec()),
            None if crate::pack::is_mounted_path(path) && expected_sha256.is_some() => None,
            None => Some(
                std::fs::read(path)
                    .map_err(|e| format_err!("{}: cannot read {what}: {e}", path.display()))?,
            ),
        };
        let sha = match &bytes {
            Some(b) => sha256_hex(b),
            None => expected_sha256.unwrap_or_default().to_ascii_lowercase(),
        };
        if let Some(expected) = expected_sha256 {
            if !expected.eq_ignore_ascii_case(&sha) {
                bail!(
                    "{}: sha256 mismatch for {what}: app.loop.json expects {expected}, the file has {sha}; refusing to load it",
                    path.display()
                );
            }
        }
        if let Some(code) = crate::pack::mounted_code(&sha) {
            // SAFETY: the code comes from this executable's own payload, whose sha256 was
            // verified at start; it was made by `loop-host pack` for this target.
            let c = unsafe { Component::deserialize(&self.engine, code) }.map_err(|e| {
                format_err!(
                    "{}: the packed precompiled code of {what} cannot be loaded by this host: {}",
                    path.display(),
                    crate::one_line(&e)
                )
            })?;
            return Ok((c, sha));
        }
        if let Some(code) = self.code_packs.iter().find_map(|p| p.code(&sha)) {
            // SAFETY: the code comes from a bundle's precompiled.pack, whose sha256 was verified
            // when it was opened; `loop-host pack --bundle` made it for this target.
            let c = unsafe { Component::deserialize(&self.engine, code) }.map_err(|e| {
                format_err!(
                    "{}: the precompiled code of {what} in the bundle's {} cannot be loaded by this host: {}",
                    path.display(),
                    crate::pack::CODE_PACK,
                    crate::one_line(&e)
                )
            })?;
            return Ok((c, sha));
        }
        for dir in &self.code_dirs {
            let file = dir.join(format!("{sha}.cwasm"));
            if !file.is_file() {
                continue;
            }
            // SAFETY: precompiled code shipped next to this host (a bundle made by
            // `loop-host pack --bundle` or `loop-host compile --target --out-dir`), named by the
            // sha256 of the component it was compiled from.
            match unsafe { Component::deserialize_file(&self.engine, &file) } {
                Ok(c) => return Ok((c, sha)),
                Err(e) if !HAS_COMPILER => bail!(
                    "{}: precompiled code for {what} ({}) cannot be loaded by this host: {}",
                    path.display(),
                    file.display(),
                    crate::one_line(&e)
                ),
                Err(_) => {} // a dev host compiles it instead
            }
        }
        let Some(bytes) = bytes else {
            bail!(
                "{}: {what} is packed without its precompiled code (sha256 {sha})",
                path.display()
            );
        };
        let component = self.compile_cached(&bytes, &sha).map_err(|e| {
            format_err!(
                "{}: {what} is not a valid WebAssembly component: {}",
                path.display(),
                crate::one_line(&e)
            )
        })?;
        Ok((component, sha))
    }

    #[cfg(not(feature = "dev"))]
    fn compile_cached(&self, _bytes: &[u8], sha: &str) -> Result<Component> {
        let looked = if self.code_dirs.is_empty() {
            "no code directory".to_string()
        } else {
            self.code_dirs
                .iter()
                .map(|d| d.join(format!("{sha}.cwasm")).display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
                + &if self.code_packs.is_empty() {
                    String::new()
                } else {
                    format!(" and in the bundle's code/{}", crate::pack::CODE_PACK)
                }
        };
        let _ = &self.compat;
        bail!(
            "this runtime-only host ({HOST_TRIPLE}) has no compiler and found no precompiled code for it (looked for {looked}); precompile it on a machine with the Loop dev host: `loop-host compile --target {HOST_TRIPLE} --out-dir <bundle>/code <file.wasm>`, then put the .wasm in place"
        )
    }

    #[cfg(feature = "dev")]
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
        write_atomic(dir, &file, &cwasm);
        // SAFETY: the bytes were produced just above by this very engine.
        unsafe { Component::deserialize(&self.engine, &cwasm) }
    }
}
