//! The resolved app graph (`app.loop.json`, format `loop.app/1`): the one file hosts read.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wasmtime::{Result, bail, format_err};

pub const FORMAT: &str = "loop.app/1";

#[derive(Debug, Clone, Deserialize)]
pub struct Graph {
    pub format: String,
    pub app: AppInfo,
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub profile: Option<String>,
    pub components: Vec<ComponentSpec>,
    #[serde(default)]
    pub plugins: Option<PluginsSpec>,
    #[serde(default)]
    pub capabilities: BTreeMap<String, CapabilitySpec>,
    #[serde(default)]
    pub limits: Option<Limits>,
    /// Trust classes in effect (`allow` expanded, `keys`); informational for this host, which
    /// enforces the per-component `allow` lists.
    #[serde(default)]
    pub trust: BTreeMap<String, serde_json::Value>,
    /// Directory holding the app.loop.json; every relative path in the graph is relative to it.
    #[serde(skip)]
    pub base_dir: PathBuf,
    #[serde(skip)]
    pub file: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AppInfo {
    pub name: String,
    pub entry: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ComponentSpec {
    pub name: String,
    #[serde(default = "default_class")]
    pub class: String,
    #[serde(default = "default_trust")]
    pub trust: String,
    pub path: String,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    #[serde(default)]
    pub limits: Option<Limits>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Limits {
    #[serde(default, rename = "deadline-ms")]
    pub deadline_ms: Option<u64>,
    #[serde(default, rename = "memory-mb")]
    pub memory_mb: Option<u64>,
}

impl Limits {
    /// `self` with missing fields taken from `fallback`.
    pub fn or(&self, fallback: Option<&Limits>) -> Limits {
        Limits {
            deadline_ms: self.deadline_ms.or(fallback.and_then(|f| f.deadline_ms)),
            memory_mb: self.memory_mb.or(fallback.and_then(|f| f.memory_mb)),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct PluginsSpec {
    pub dir: String,
    #[serde(default = "default_trust")]
    pub trust: String,
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub limits: Option<Limits>,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CapabilitySpec {
    pub provider: String,
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl CapabilitySpec {
    pub fn str_key(&self, key: &str) -> Option<&str> {
        self.extra.get(key).and_then(|v| v.as_str())
    }
    pub fn list_key(&self, key: &str) -> Vec<String> {
        match self.extra.get(key) {
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
}

fn default_class() -> String {
    "default".into()
}
fn default_trust() -> String {
    "untrusted".into()
}

/// Native providers each capability may name (deny by default: anything else is refused).
pub fn native_providers(capability: &str) -> Option<&'static [&'static str]> {
    Some(match capability {
        "loop:log" => &["stdout", "file", "jsonl"],
        "loop:fs" => &["host-dir", "memory"],
        "loop:http" => &["wasi-http"],
        "loop:clock" => &["os"],
        "loop:random" => &["os"],
        "loop:kv" => &["file", "memory"],
        "loop:process" => &["os"],
        "loop:plugin" => &["registry"],
        "loop:ui" | "loop:gfx" | "loop:input" | "loop:window" => &["stub"],
        "loop:dom" => &[],
        _ => return None,
    })
}

impl Graph {
    pub fn load(file: &Path) -> Result<Graph> {
        // Through `read_file`: a packed executable's graph lives in its payload.
        let text = crate::engine::read_file(file)
            .and_then(|b| String::from_utf8(b).map_err(std::io::Error::other))
            .map_err(|e| format_err!("{}: cannot read resolved graph: {e}", file.display()))?;
        let mut graph: Graph = serde_json::from_str(&text)
            .map_err(|e| format_err!("{}: invalid resolved graph: {e}", file.display()))?;
        graph.file = file.to_path_buf();
        graph.base_dir = file
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
            })
            .unwrap_or(Path::new("."))
            .to_path_buf();
        graph.validate()?;
        Ok(graph)
    }

    fn validate(&self) -> Result<()> {
        let f = self.file.display();
        if self.format != FORMAT {
            bail!(
                "{f}: field 'format' is '{}', expected '{FORMAT}'",
                self.format
            );
        }
        if let Some(p) = &self.platform {
            if p != "native" {
                bail!(
                    "{f}: field 'platform' is '{p}', but this host runs 'native' graphs (resolve the app for native)"
                );
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.components {
            if !seen.insert(c.name.as_str()) {
                bail!("{f}: component '{}' is listed twice", c.name);
            }
            if !matches!(c.class.as_str(), "core" | "default" | "plugin") {
                bail!(
                    "{f}: component '{}' has class '{}', expected 'core', 'default' or 'plugin'",
                    c.name,
                    c.class
                );
            }
            if let Some(sha) = &c.sha256 {
                if sha.len() != 64 || !sha.chars().all(|ch| ch.is_ascii_hexdigit()) {
                    bail!(
                        "{f}: component '{}' field 'sha256' is not a 64-digit hex digest",
                        c.name
                    );
                }
            }
        }
        match self.components.iter().find(|c| c.name == self.app.entry) {
            None => bail!(
                "{f}: app.entry '{}' names no component in 'components'",
                self.app.entry
            ),
            Some(c) if c.class == "plugin" => {
                bail!(
                    "{f}: app.entry '{}' is a plugin; the entry must be a core or default component",
                    c.name
                )
            }
            Some(_) => {}
        }
        for (class, t) in &self.trust {
            match t.get("unsigned") {
                None => {}
                Some(u) if u == "refuse" || u == "demote" => {}
                Some(u) => {
                    bail!("{f}: trust.{class}.unsigned is {u}, expected \"refuse\" or \"demote\"")
                }
            }
        }
        for (cap, spec) in &self.capabilities {
            if crate::embed::provides(cap) {
                if spec.provider != crate::embed::HOST_PROVIDER {
                    bail!(
                        "{f}: capabilities.\"{cap}\".provider '{}' is not a provider of this host (this host provides '{cap}' itself: provider = \"{}\")",
                        spec.provider,
                        crate::embed::HOST_PROVIDER
                    );
                }
                continue;
            }
            let Some(known) = native_providers(cap) else {
                bail!("{f}: capabilities.\"{cap}\": unknown capability package");
            };
            if !known.contains(&spec.provider.as_str()) {
                bail!(
                    "{f}: capabilities.\"{cap}\".provider '{}' is not a native provider (expected one of: {})",
                    spec.provider,
                    if known.is_empty() {
                        "none, it is browser-only".to_string()
                    } else {
                        known.join(", ")
                    }
                );
            }
        }
        Ok(())
    }

    pub fn resolve(&self, rel: &str) -> PathBuf {
        let p = Path::new(rel);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    /// The public keys a trust class requires signatures from (empty: none required).
    pub fn trust_keys(&self, class: &str) -> Vec<String> {
        self.trust
            .get(class)
            .and_then(|t| t.get("keys"))
            .and_then(|k| k.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What a trust class requires of its components' signatures (spec/resolved-graph.md:
    /// `trust.<class>.keys`, `trust.<class>.unsigned` = "refuse" (default) | "demote").
    pub fn signing_policy(&self, class: &str) -> crate::signature::Policy {
        let t = self.trust.get(class);
        let untrusted_allow = self
            .trust
            .get("untrusted")
            .and_then(|u| u.get("allow"))
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        crate::signature::Policy {
            class: class.to_string(),
            keys: self.trust_keys(class),
            demote: t.and_then(|t| t.get("unsigned")).and_then(|u| u.as_str()) == Some("demote"),
            untrusted_allow,
        }
    }

    pub fn component(&self, name: &str) -> Option<&ComponentSpec> {
        self.components.iter().find(|c| c.name == name)
    }
}
