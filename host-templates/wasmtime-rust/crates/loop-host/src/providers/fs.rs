//! `loop:fs/files`: backends `host-dir` (a host directory opened with cap-std, so every lookup is
//! resolved beneath it: `..`, absolute paths and symlinks pointing outside are refused by the OS-level
//! resolution, not by string checks alone) and `memory`.

use crate::bindings::loop_::fs::files::{Error, Host};
use crate::state::StoreState;
use cap_std::ambient_authority;
use cap_std::fs::Dir;
use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

pub enum FsBackend {
    HostDir { root: PathBuf, dir: Dir },
    Memory(Mutex<BTreeMap<String, Vec<u8>>>),
}

/// Lexical pre-check (the first of two fences): relative, no `..`, no root/prefix. Returns the
/// normalized relative path ("" for the root itself).
fn lexical(path: &str) -> Result<String, Error> {
    if path.contains('\0') {
        return Err(Error::Denied(format!("{path:?}: NUL in path")));
    }
    let p = Path::new(path);
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(Error::Denied(format!(
                    "{path}: '..' leaves the component's root"
                )));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(Error::Denied(format!(
                    "{path}: absolute paths are not allowed"
                )));
            }
        }
    }
    Ok(parts.join("/"))
}

fn map_io(path: &str, e: std::io::Error) -> Error {
    match e.kind() {
        ErrorKind::NotFound => Error::NotFound(path.to_string()),
        ErrorKind::PermissionDenied => Error::Denied(format!("{path}: {e}")),
        _ => {
            // cap-std reports escapes (e.g. through a symlink) as PermissionDenied on most systems,
            // but some come back as other kinds with this message.
            let msg = e.to_string();
            if msg.contains("outside of the filesystem") || msg.contains("escape") {
                Error::Denied(format!("{path}: {msg}"))
            } else {
                Error::Io(format!("{path}: {msg}"))
            }
        }
    }
}

impl FsBackend {
    pub fn host_dir(root: &Path) -> wasmtime::Result<FsBackend> {
        std::fs::create_dir_all(root)
            .map_err(|e| wasmtime::format_err!("cannot create fs root {}: {e}", root.display()))?;
        let dir = Dir::open_ambient_dir(root, ambient_authority())
            .map_err(|e| wasmtime::format_err!("cannot open fs root {}: {e}", root.display()))?;
        Ok(FsBackend::HostDir {
            root: root.to_path_buf(),
            dir,
        })
    }

    pub fn memory() -> FsBackend {
        FsBackend::Memory(Mutex::new(BTreeMap::new()))
    }

    pub fn from_spec(provider: &str, root: Option<PathBuf>) -> wasmtime::Result<FsBackend> {
        match provider {
            "host-dir" => {
                let root = root
                    .ok_or_else(|| wasmtime::format_err!("provider 'host-dir' needs a 'root'"))?;
                FsBackend::host_dir(&root)
            }
            "memory" => Ok(FsBackend::memory()),
            other => wasmtime::bail!("unknown fs provider '{other}' (expected host-dir or memory)"),
        }
    }

    /// The host directory (for scoping `wasi:filesystem` preopens the same way).
    pub fn host_root(&self) -> Option<&Path> {
        match self {
            FsBackend::HostDir { root, .. } => Some(root),
            FsBackend::Memory(_) => None,
        }
    }

    pub fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
        let rel = lexical(path)?;
        match self {
            FsBackend::HostDir { dir, .. } => {
                if rel.is_empty() {
                    return Err(Error::Io(format!("{path}: is a directory")));
                }
                dir.read(&rel).map_err(|e| map_io(path, e))
            }
            FsBackend::Memory(m) => m
                .lock()
                .unwrap()
                .get(&rel)
                .cloned()
                .ok_or(Error::NotFound(path.to_string())),
        }
    }

    pub fn write(&self, path: &str, data: &[u8]) -> Result<(), Error> {
        let rel = lexical(path)?;
        if rel.is_empty() {
            return Err(Error::Io(format!("{path}: is a directory")));
        }
        match self {
            FsBackend::HostDir { dir, .. } => {
                if let Some(parent) = Path::new(&rel)
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                {
                    if let Err(e) = dir.create_dir_all(parent) {
                        // A symlink leading out of the root shows up as "exists"; resolving it
                        // tells the real reason (an escape is refused as denied).
                        return Err(match dir.metadata(parent) {
                            Err(resolve_err) => map_io(path, resolve_err),
                            Ok(_) => map_io(path, e),
                        });
                    }
                }
                dir.write(&rel, data).map_err(|e| map_io(path, e))
            }
            FsBackend::Memory(m) => {
                m.lock().unwrap().insert(rel, data.to_vec());
                Ok(())
            }
        }
    }

    pub fn list(&self, dir_path: &str) -> Vec<String> {
        let Ok(rel) = lexical(dir_path) else {
            return Vec::new();
        };
        let mut names = match self {
            FsBackend::HostDir { dir, .. } => {
                let entries = if rel.is_empty() {
                    dir.entries()
                } else {
                    dir.read_dir(&rel)
                };
                match entries {
                    Ok(it) => it
                        .filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect(),
                    Err(_) => Vec::new(),
                }
            }
            FsBackend::Memory(m) => {
                let prefix = if rel.is_empty() {
                    String::new()
                } else {
                    format!("{rel}/")
                };
                let mut set = std::collections::BTreeSet::new();
                for key in m.lock().unwrap().keys() {
                    if let Some(rest) = key.strip_prefix(&prefix) {
                        set.insert(rest.split('/').next().unwrap_or(rest).to_string());
                    }
                }
                set.into_iter().collect()
            }
        };
        names.sort();
        names
    }

    pub fn remove(&self, path: &str) -> Result<(), Error> {
        let rel = lexical(path)?;
        if rel.is_empty() {
            return Err(Error::Denied(format!("{path}: the root cannot be removed")));
        }
        match self {
            FsBackend::HostDir { dir, .. } => {
                let meta = dir.symlink_metadata(&rel).map_err(|e| map_io(path, e))?;
                if meta.is_dir() {
                    dir.remove_dir(&rel)
                } else {
                    dir.remove_file(&rel)
                }
                .map_err(|e| map_io(path, e))
            }
            FsBackend::Memory(m) => {
                let mut m = m.lock().unwrap();
                if m.remove(&rel).is_some() {
                    Ok(())
                } else if m.keys().any(|k| k.starts_with(&format!("{rel}/"))) {
                    Err(Error::Io(format!("{path}: directory not empty")))
                } else {
                    Err(Error::NotFound(path.to_string()))
                }
            }
        }
    }

    pub fn exists(&self, path: &str) -> bool {
        let Ok(rel) = lexical(path) else { return false };
        match self {
            FsBackend::HostDir { dir, .. } => rel.is_empty() || dir.metadata(&rel).is_ok(),
            FsBackend::Memory(m) => {
                let m = m.lock().unwrap();
                rel.is_empty()
                    || m.contains_key(&rel)
                    || m.keys().any(|k| k.starts_with(&format!("{rel}/")))
            }
        }
    }
}

fn backend(state: &StoreState) -> Result<&FsBackend, Error> {
    state
        .providers
        .fs
        .as_ref()
        .ok_or_else(|| Error::Denied("no loop:fs provider is configured for this app".into()))
}

impl Host for StoreState {
    fn read(&mut self, path: String) -> Result<Vec<u8>, Error> {
        backend(self)?.read(&path)
    }
    fn write(&mut self, path: String, data: Vec<u8>) -> Result<(), Error> {
        backend(self)?.write(&path, &data)
    }
    fn list(&mut self, dir: String) -> Vec<String> {
        backend(self).map(|b| b.list(&dir)).unwrap_or_default()
    }
    fn remove(&mut self, path: String) -> Result<(), Error> {
        backend(self)?.remove(&path)
    }
    fn exists(&mut self, path: String) -> bool {
        backend(self).map(|b| b.exists(&path)).unwrap_or(false)
    }
}
