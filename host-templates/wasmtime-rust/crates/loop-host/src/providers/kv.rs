//! `loop:kv/store`: backends `memory` and `file` (one JSON file per component under `path`,
//! rewritten atomically on every change). Each component has its own namespace.

use crate::bindings::loop_::kv::store::{Error, Host};
use crate::state::StoreState;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

pub const MAX_KEY: usize = 1024;
pub const MAX_VALUE: usize = 1024 * 1024;

type Namespace = BTreeMap<String, Vec<u8>>;

pub struct KvBackend {
    dir: Option<PathBuf>,
    spaces: Mutex<HashMap<String, Namespace>>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

impl KvBackend {
    pub fn memory() -> KvBackend {
        KvBackend {
            dir: None,
            spaces: Mutex::new(HashMap::new()),
        }
    }

    pub fn from_spec(provider: &str, path: Option<PathBuf>) -> Result<KvBackend, String> {
        match provider {
            "memory" => Ok(KvBackend::memory()),
            "file" => {
                let dir = path.ok_or("provider 'file' needs a 'path' (a directory)")?;
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Ok(KvBackend {
                    dir: Some(dir),
                    spaces: Mutex::new(HashMap::new()),
                })
            }
            other => Err(format!(
                "unknown kv provider '{other}' (expected file or memory)"
            )),
        }
    }

    fn file_of(&self, component: &str) -> Option<PathBuf> {
        let safe: String = component
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.as_ref().map(|d| d.join(format!("{safe}.json")))
    }

    fn with<R>(
        &self,
        component: &str,
        f: impl FnOnce(&mut Namespace) -> Result<(R, bool), Error>,
    ) -> Result<R, Error> {
        let mut spaces = self.spaces.lock().unwrap();
        if !spaces.contains_key(component) {
            let mut ns = Namespace::new();
            if let Some(file) = self.file_of(component) {
                match std::fs::read_to_string(&file) {
                    Ok(text) => {
                        let map: BTreeMap<String, String> =
                            serde_json::from_str(&text).map_err(|e| {
                                Error::Io(format!("{}: corrupt kv file: {e}", file.display()))
                            })?;
                        for (k, v) in map {
                            let v = unhex(&v).ok_or_else(|| {
                                Error::Io(format!("{}: corrupt value for '{k}'", file.display()))
                            })?;
                            ns.insert(k, v);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::Io(format!("{}: {e}", file.display()))),
                }
            }
            spaces.insert(component.to_string(), ns);
        }
        let ns = spaces.get_mut(component).unwrap();
        let (r, changed) = f(ns)?;
        if changed {
            if let Some(file) = self.file_of(component) {
                let map: BTreeMap<&String, String> = ns.iter().map(|(k, v)| (k, hex(v))).collect();
                let text =
                    serde_json::to_string_pretty(&map).map_err(|e| Error::Io(e.to_string()))?;
                let tmp = file.with_extension(format!("json.{}.tmp", std::process::id()));
                std::fs::write(&tmp, text)
                    .and_then(|_| std::fs::rename(&tmp, &file))
                    .map_err(|e| Error::Io(format!("{}: {e}", file.display())))?;
            }
        }
        Ok(r)
    }

    pub fn get(&self, component: &str, key: &str) -> Result<Option<Vec<u8>>, Error> {
        self.with(component, |ns| Ok((ns.get(key).cloned(), false)))
    }

    pub fn set(&self, component: &str, key: String, value: Vec<u8>) -> Result<(), Error> {
        if key.len() > MAX_KEY {
            return Err(Error::TooLarge(format!(
                "key of {} bytes (limit {MAX_KEY})",
                key.len()
            )));
        }
        if value.len() > MAX_VALUE {
            return Err(Error::TooLarge(format!(
                "value for '{key}' of {} bytes (limit {MAX_VALUE})",
                value.len()
            )));
        }
        self.with(component, |ns| {
            ns.insert(key, value);
            Ok(((), true))
        })
    }

    pub fn delete(&self, component: &str, key: &str) -> Result<(), Error> {
        self.with(component, |ns| {
            let changed = ns.remove(key).is_some();
            Ok(((), changed))
        })
    }

    pub fn keys(&self, component: &str, prefix: &str) -> Result<Vec<String>, Error> {
        self.with(component, |ns| {
            Ok((
                ns.keys()
                    .filter(|k| k.starts_with(prefix))
                    .cloned()
                    .collect(),
                false,
            ))
        })
    }
}

impl Host for StoreState {
    fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, Error> {
        self.providers.kv.get(&self.name, &key)
    }
    fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), Error> {
        self.providers.kv.set(&self.name, key, value)
    }
    fn delete(&mut self, key: String) -> Result<(), Error> {
        self.providers.kv.delete(&self.name, &key)
    }
    fn keys(&mut self, prefix: String) -> Result<Vec<String>, Error> {
        self.providers.kv.keys(&self.name, &prefix)
    }
}
