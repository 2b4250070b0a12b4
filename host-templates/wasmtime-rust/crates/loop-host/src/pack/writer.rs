//! `loop-host pack` (dev hosts): a runtime host + an app → a single executable (host bytes,
//! payload, trailer) or a dir bundle. Packing precompiles each component for the target through
//! the code cache (a warm cache makes it a copy and a write) and never runs cargo.

use super::exe::{self, Arch, Kind};
use super::format::{self, ComponentRef, Index};
use crate::engine::{precompile_cached, sha256_hex, target_engine};
use crate::graph::Graph;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wasmtime::{Engine, Result, bail, format_err};

pub struct PackOptions {
    /// Target name (`linux-x64`, …) or triple.
    pub target: String,
    pub runtime: PathBuf,
    pub graph: PathBuf,
    pub out: PathBuf,
    pub bundle: bool,
    /// The code cache (`None`: precompile every time).
    pub code_dir: Option<PathBuf>,
    /// `--also-bundle <dir>` with a single-file pack: the dir bundle is written to `<dir>` as
    /// well (its large files hard links, as with `link`), from the same reads and checksums,
    /// while the single file is written. For `loop pack native`'s private stage.
    pub also_bundle: Option<PathBuf>,
    /// `--link`: the bundle's large files are hard links to where pack read them (the runtime
    /// host, the component and plugin files) instead of copies. Only for a bundle nobody edits
    /// (one staged to be archived, then deleted): a file overwritten in place in such a bundle
    /// would change the original.
    pub link: bool,
}

pub struct Packed {
    pub target: &'static str,
    pub out: PathBuf,
    pub host_bytes: u64,
    pub total_bytes: u64,
    pub components: usize,
}

/// A file of the app as it is packed.
struct AppFile {
    /// Path in the payload / bundle (`components/<name>.wasm`, `plugins/<file>`).
    path: String,
    bytes: Vec<u8>,
    sha256: String,
    /// Where it was read from.
    src: PathBuf,
    /// Whether a trust class with keys covers it (its WebAssembly is kept for the signature check).
    signed: bool,
}

/// Checks that `runtime` is a loop-host executable for `triple` without a payload.
pub fn check_runtime(runtime: &Path, bytes: &[u8], name: &str, triple: &str) -> Result<u64> {
    let shown = runtime.display();
    let mut src: &[u8] = bytes;
    let img = exe::image(&mut src).map_err(|e| format_err!("--runtime {shown}: {e}"))?;
    let (kind, arch) = match triple {
        "x86_64-unknown-linux-gnu" => (Kind::Elf, Arch::X86_64),
        "aarch64-unknown-linux-gnu" => (Kind::Elf, Arch::Aarch64),
        "x86_64-pc-windows-gnu" => (Kind::Pe, Arch::X86_64),
        "x86_64-apple-darwin" => (Kind::MachO, Arch::X86_64),
        _ => (Kind::MachO, Arch::Aarch64),
    };
    if img.kind != kind || img.arch != arch {
        bail!(
            "--runtime {shown}: is an {}, but target {name} ({triple}) needs a {}",
            img.describe(),
            exe::Image { kind, arch, end: 0 }.describe()
        );
    }
    if img.end != bytes.len() as u64 {
        bail!(
            "--runtime {shown}: has {} bytes appended after the executable (already packed?); pass the plain runtime host",
            bytes.len() as u64 - img.end.min(bytes.len() as u64)
        );
    }
    if !contains(bytes, &super::RUNTIME_MARKER) {
        bail!(
            "--runtime {shown}: is not a loop-host that reads {} payloads (build one with tools/setup/native-hosts.sh {name})",
            format::FORMAT
        );
    }
    Ok(img.end)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..hay.len() - needle.len() + 1]
            .iter()
            .position(|&b| b == first)
        {
            None => return false,
            Some(p) => {
                i += p;
                if &hay[i..i + needle.len()] == needle {
                    return true;
                }
                i += 1;
            }
        }
    }
    false
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format_err!("{}: cannot read {what}: {e}", path.display()))
}

/// File-name-safe form of a component name.
fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The graph as packed: components at `components/<name>.<ext>` with their sha256; for a
/// single file the plugin directory's files become `class = "plugin"` components (the payload
/// is sealed: nothing is watched); a bundle keeps the directory as `plugins/`.
///
/// Returns the single file's graph (when `single`), the bundle's (when `bundle`) and the files.
#[allow(clippy::type_complexity)]
fn staged_graph(
    graph: &Graph,
    single: bool,
    bundle: bool,
) -> Result<(Option<Value>, Option<Value>, Vec<AppFile>)> {
    let text = std::fs::read_to_string(&graph.file)
        .map_err(|e| format_err!("{}: cannot read resolved graph: {e}", graph.file.display()))?;
    let mut json: Value = serde_json::from_str(&text)
        .map_err(|e| format_err!("{}: invalid resolved graph: {e}", graph.file.display()))?;
    let mut files = Vec::new();
    let obj = json
        .as_object_mut()
        .ok_or_else(|| format_err!("{}: not a JSON object", graph.file.display()))?;
    let mut comps: Vec<Value> = Vec::new();
    let mut plugin_comps: Vec<Value> = Vec::new();
    for (i, spec) in graph.components.iter().enumerate() {
        let src = graph.resolve(&spec.path);
        let bytes = read(&src, &format!("component '{}'", spec.name))?;
        let sha = sha256_hex(&bytes);
        if let Some(expected) = &spec.sha256 {
            if !expected.eq_ignore_ascii_case(&sha) {
                bail!(
                    "{}: sha256 mismatch for component '{}': app.loop.json expects {expected}, the file has {sha}",
                    src.display(),
                    spec.name
                );
            }
        }
        let ext = src
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("wasm")
            .to_string();
        let path = format!("components/{}.{ext}", safe_name(&spec.name));
        let mut c = obj["components"][i].clone();
        c["path"] = Value::String(path.clone());
        c["sha256"] = Value::String(sha.clone());
        comps.push(c);
        files.push(AppFile {
            path,
            bytes,
            sha256: sha,
            src,
            signed: !graph.trust_keys(&spec.trust).is_empty(),
        });
    }
    if let Some(p) = &graph.plugins {
        let dir = graph.resolve(&p.dir);
        let mut names: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && matches!(
                            f.extension().and_then(|e| e.to_str()),
                            Some("wasm") | Some("wat")
                        )
                        && !f
                            .file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with('.'))
                })
                .collect(),
            Err(_) => Vec::new(), // no plugin directory yet: nothing to pack
        };
        names.sort();
        let signed = !graph.trust_keys(&p.trust).is_empty();
        for f in names {
            let file_name = f.file_name().and_then(|n| n.to_str()).unwrap_or("plugin");
            let stem = f
                .file_stem()
                .and_then(|n| n.to_str())
                .unwrap_or("plugin")
                .to_string();
            let bytes = read(&f, &format!("plugin '{stem}'"))?;
            let sha = sha256_hex(&bytes);
            let path = format!("plugins/{}", safe_name(file_name));
            if single {
                if graph.component(&stem).is_some() {
                    bail!(
                        "{}: plugin file '{file_name}' has the name of component '{stem}'; rename one of them",
                        dir.display()
                    );
                }
                let mut c = Map::new();
                c.insert("name".into(), Value::String(stem.clone()));
                c.insert("class".into(), Value::String("plugin".into()));
                c.insert("trust".into(), Value::String(p.trust.clone()));
                c.insert("path".into(), Value::String(path.clone()));
                c.insert("sha256".into(), Value::String(sha.clone()));
                let plugins = &obj["plugins"];
                c.insert("allow".into(), plugins["allow"].clone());
                for key in ["limits", "config"] {
                    if let Some(v) = plugins.get(key).filter(|v| !v.is_null()) {
                        c.insert(key.into(), v.clone());
                    }
                }
                plugin_comps.push(Value::Object(c));
            }
            files.push(AppFile {
                path,
                bytes,
                sha256: sha,
                src: f.clone(),
                signed,
            });
        }
    }
    let has_plugins = graph.plugins.is_some();
    let single_json = single.then(|| {
        let mut j = obj.clone();
        j.remove("plugins");
        let all = comps.iter().chain(&plugin_comps).cloned().collect();
        j.insert("components".into(), Value::Array(all));
        Value::Object(j)
    });
    let bundle_json = bundle.then(|| {
        let mut j = obj.clone();
        if has_plugins {
            j["plugins"]["dir"] = Value::String("plugins".into());
        }
        j.insert("components".into(), Value::Array(comps.clone()));
        Value::Object(j)
    });
    Ok((single_json, bundle_json, files))
}

/// The precompiled code of one distinct component.
struct Code {
    bytes: Vec<u8>,
    /// sha256 of `bytes` (the payload entry's checksum).
    sha256: String,
}

/// Precompiled code per distinct sha256 of the WebAssembly (through the code cache: with a warm
/// cache this reads files). The code's own checksums are computed on both cores.
fn precompile_all(
    engine: &Engine,
    code_dir: Option<&Path>,
    files: &[AppFile],
    name: &str,
) -> Result<BTreeMap<String, Code>> {
    let mut code = BTreeMap::new();
    for f in files {
        if code.contains_key(&f.sha256) {
            continue;
        }
        let c = precompile_cached(engine, code_dir, &f.bytes, &f.sha256).map_err(|e| {
            format_err!(
                "{}: cannot precompile for {name}: {}",
                f.path,
                crate::one_line(&e)
            )
        })?;
        code.insert(
            f.sha256.clone(),
            Code {
                bytes: c,
                sha256: String::new(),
            },
        );
    }
    let mut all: Vec<&mut Code> = code.values_mut().collect();
    hash_all(&mut all);
    Ok(code)
}

/// Fills in `sha256` of every code blob, spread over two threads.
fn hash_all(codes: &mut [&mut Code]) {
    let total: usize = codes.iter().map(|c| c.bytes.len()).sum();
    // Split where the first half of the bytes ends.
    let mut acc = 0;
    let split = codes
        .iter()
        .position(|c| {
            acc += c.bytes.len();
            acc * 2 >= total
        })
        .map_or(codes.len(), |i| i + 1)
        .min(codes.len());
    let (a, b) = codes.split_at_mut(split);
    std::thread::scope(|s| {
        s.spawn(|| {
            for c in a.iter_mut() {
                c.sha256 = sha256_hex(&c.bytes);
            }
        });
        for c in b.iter_mut() {
            c.sha256 = sha256_hex(&c.bytes);
        }
    });
}

/// zstd level of the compressed section: level 3 with long-distance matching stores the example
/// app's 111 MB of code (three StarlingMonkey components) in 13 MB in ~0.5 s on two cores.
pub const LEVEL: i32 = 3;

fn code_path(sha256: &str) -> String {
    format!("code/{sha256}.cwasm")
}

/// The code entries of the compressed section, in its order.
fn code_parts(code: &BTreeMap<String, Code>) -> Vec<(String, &[u8], Option<String>)> {
    code.iter()
        .map(|(sha, c)| (code_path(sha), c.bytes.as_slice(), Some(c.sha256.clone())))
        .collect()
}

fn index_for(graph: &Graph, name: &str, triple: &str, components: Vec<ComponentRef>) -> Index {
    Index {
        format: format::FORMAT.into(),
        app: graph.app.name.clone(),
        target: name.into(),
        triple: triple.into(),
        wasmtime: "48".into(),
        created_by: format!("loop-host {}", env!("CARGO_PKG_VERSION")),
        graph: "app.loop.json".into(),
        components,
        compressed: None,
        entries: Vec::new(),
    }
}

/// Compresses the code (both cores), through a cache of frames in `<code dir>/sections/` keyed
/// by what goes in (every entry's path and sha256) and how: apps built from the same components
/// share one frame, and a warm cache makes this a read. A cache file is the frame's sha256 (32
/// bytes) followed by the frame; one that does not match is made again.
fn compressed_section(code_dir: Option<&Path>, code: &BTreeMap<String, Code>) -> Result<Vec<u8>> {
    use sha2::{Digest, Sha256};
    let parts = code_parts(code);
    let mut key = Sha256::new();
    key.update(format!(
        "{} zstd level {LEVEL} window {}\n",
        format::FORMAT,
        format::WINDOW_LOG
    ));
    for (path, bytes, sha) in &parts {
        key.update(format!(
            "{path} {} {}\n",
            bytes.len(),
            sha.as_deref().unwrap_or("")
        ));
    }
    let file = code_dir.map(|d| {
        d.join("sections")
            .join(format!("{}.zst", format::hex(&key.finalize())))
    });
    if let Some(cached) = file.as_ref().and_then(|f| std::fs::read(f).ok()) {
        if cached.len() > 32 && cached[..32] == Sha256::digest(&cached[32..])[..] {
            return Ok(cached[32..].to_vec());
        }
    }
    let size: u64 = parts.iter().map(|p| p.1.len() as u64).sum();
    let frame = (|| -> std::result::Result<Vec<u8>, std::io::Error> {
        use std::io::Write;
        let mut enc = format::encoder(Vec::with_capacity(size as usize / 4), LEVEL, size)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4)) as u32;
        if workers > 1 {
            enc.multithread(workers)?;
        }
        for (_, bytes, _) in &parts {
            enc.write_all(bytes)?;
        }
        enc.finish()
    })()
    .map_err(|e| format_err!("cannot compress the precompiled code: zstd: {e}"))?;
    if let Some(f) = &file {
        let dir = f.parent().expect("sections dir");
        let digest = Sha256::digest(&frame);
        // Best effort: a cache that cannot be written only costs the next pack its compression.
        let _ = std::fs::create_dir_all(dir).and_then(|_| {
            let tmp = dir.join(format!(".{}.tmp", std::process::id()));
            std::fs::write(&tmp, [&digest[..], &frame].concat())?;
            std::fs::rename(&tmp, f)
        });
    }
    Ok(frame)
}

fn write_file_atomic(path: &Path, parts: &[&[u8]], exec: bool) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| format_err!("{}: cannot create directory: {e}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        for p in parts {
            f.write_all(p)?;
        }
        // No fsync (as compilers write their outputs): a packed file is made again rather than
        // recovered after a crash; the rename shows other processes only a complete file.
        f.flush()?;
        drop(f);
        #[cfg(unix)]
        if exec {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
        }
        #[cfg(not(unix))]
        let _ = exec;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format_err!("{}: cannot write: {e}", path.display())
    })
}

/// `loop-host pack`.
pub fn pack(opts: &PackOptions) -> Result<Packed> {
    let Some((name, triple, exe_suffix)) = super::target(&opts.target) else {
        bail!(
            "--target {}: unknown target (expected one of: {})",
            opts.target,
            super::TARGETS
                .iter()
                .map(|t| t.0)
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let graph = Graph::load(&opts.graph)?;
    let host = std::fs::read(&opts.runtime).map_err(|e| {
        let macos = if triple.ends_with("apple-darwin") {
            " (a macOS runtime host cannot be linked on Linux: it needs Apple's macOS SDK and a Mach-O linker; build it on a Mac with `bash tools/setup/native-hosts.sh {name}` — `loop-host compile --target {triple}` still precompiles the code here)"
                .replace("{name}", name)
                .replace("{triple}", triple)
        } else {
            format!(" (build it with `bash tools/setup/native-hosts.sh {name}`)")
        };
        format_err!(
            "--runtime {}: cannot read the runtime host for {name}: {e}{macos}",
            opts.runtime.display()
        )
    })?;
    let host_len = check_runtime(&opts.runtime, &host, name, triple)?;
    let engine = target_engine(triple)?;
    let also_bundle = opts.also_bundle.clone().filter(|_| !opts.bundle);
    let (single_json, bundle_json, files) =
        staged_graph(&graph, !opts.bundle, opts.bundle || also_bundle.is_some())?;
    let code = precompile_all(&engine, opts.code_dir.as_deref(), &files, name)?;
    let frame = compressed_section(opts.code_dir.as_deref(), &code)?;
    let text = |j: Option<Value>| -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(&j.unwrap_or_default()).map_err(|e| format_err!("{e}"))
    };
    let total;
    if opts.bundle {
        let graph_text = text(bundle_json)?;
        total = write_bundle(
            opts,
            &opts.out,
            false,
            &graph,
            exe_suffix,
            &host,
            &graph_text,
            &files,
            &code,
            &frame,
        )?;
    } else {
        let graph_text = text(single_json)?;
        let bundle_text = match &also_bundle {
            Some(_) => Some(text(bundle_json)?),
            None => None,
        };
        // Data section: the graph and the WebAssembly of signed components as they are, then
        // the compressed section with each distinct code once.
        let mut raw: Vec<(&str, &[u8], Option<String>)> =
            vec![("app.loop.json", graph_text.as_slice(), None)];
        let mut refs = Vec::new();
        for f in &files {
            refs.push(ComponentRef {
                path: f.path.clone(),
                sha256: f.sha256.clone(),
                code: code_path(&f.sha256),
                wasm: f.signed,
            });
            if f.signed {
                raw.push((f.path.as_str(), f.bytes.as_slice(), Some(f.sha256.clone())));
            }
        }
        let packed = code_parts(&code);
        let head = format::payload_head(
            index_for(&graph, name, triple, refs),
            &raw,
            &packed,
            frame.len() as u64,
        )
        .map_err(|e| format_err!("{}: {e}", opts.out.display()))?;
        let mut payload: Vec<&[u8]> = vec![&head];
        payload.extend(raw.iter().map(|p| p.1));
        payload.push(&frame);
        total = std::thread::scope(|s| -> Result<u64> {
            let bundle = also_bundle
                .as_ref()
                .zip(bundle_text.as_ref())
                .map(|(dir, t)| {
                    let (graph, host, files, code, frame) = (&graph, &host, &files, &code, &frame);
                    s.spawn(move || {
                        write_bundle(
                            opts, dir, true, graph, exe_suffix, host, t, files, code, frame,
                        )
                    })
                });
            let single = write_single(&opts.out, &host, host_len, &payload);
            if let Some(b) = bundle {
                b.join().expect("bundle thread")?;
            }
            single
        })?;
    }
    Ok(Packed {
        target: name,
        out: opts.out.clone(),
        host_bytes: host.len() as u64,
        total_bytes: total,
        components: files.len(),
    })
}

/// Writes `host | payload | trailer` to `out` (through a temp file and a rename), the payload
/// streamed from its parts: one thread writes while another hashes it for the trailer.
fn write_single(out: &Path, host: &[u8], host_len: u64, payload: &[&[u8]]) -> Result<u64> {
    use sha2::{Digest, Sha256};
    let length: u64 = payload.iter().map(|p| p.len() as u64).sum();
    let (sha, written) = std::thread::scope(|s| {
        let hasher = s.spawn(|| {
            let mut h = Sha256::new();
            for p in payload {
                h.update(p);
            }
            let d: [u8; 32] = h.finalize().into();
            d
        });
        let tmp = tmp_path(out);
        let written = (|| -> Result<std::fs::File> {
            let dir = tmp.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)
                .map_err(|e| format_err!("{}: cannot create directory: {e}", dir.display()))?;
            let mut f = std::fs::File::create(&tmp)
                .map_err(|e| format_err!("{}: cannot write: {e}", out.display()))?;
            use std::io::Write;
            for p in std::iter::once(&host).chain(payload.iter()) {
                f.write_all(p)
                    .map_err(|e| format_err!("{}: cannot write: {e}", out.display()))?;
            }
            Ok(f)
        })();
        (
            hasher.join().expect("hashing thread"),
            written.map(|f| (f, tmp)),
        )
    });
    let (mut f, tmp) = written.inspect_err(|_| {
        let _ = std::fs::remove_file(tmp_path(out));
    })?;
    let trailer = format::trailer_for(host_len, length, &sha);
    let finish = || -> std::io::Result<()> {
        use std::io::Write;
        f.write_all(&trailer)?;
        drop(f);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
        }
        std::fs::rename(&tmp, out)
    };
    finish().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format_err!("{}: cannot write: {e}", out.display())
    })?;
    Ok(host.len() as u64 + length + trailer.len() as u64)
}

fn tmp_path(path: &Path) -> PathBuf {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    ))
}

#[allow(clippy::too_many_arguments)]
fn write_bundle(
    opts: &PackOptions,
    out: &Path,
    link: bool,
    graph: &Graph,
    exe_suffix: &str,
    host: &[u8],
    graph_text: &[u8],
    files: &[AppFile],
    code: &BTreeMap<String, Code>,
    frame: &[u8],
) -> Result<u64> {
    let (name, triple, _) = super::target(&opts.target)
        .ok_or_else(|| format_err!("--target {}: unknown target", opts.target))?;
    if out.exists() && !out.is_dir() {
        bail!("--out {}: exists and is not a directory", out.display());
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stage = parent.join(format!(
        ".{}.{}.tmp",
        out.file_name().and_then(|n| n.to_str()).unwrap_or("bundle"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&stage);
    let link = link || opts.link;
    let exe_name = format!("{}{exe_suffix}", safe_name(&graph.app.name));
    let mut listed: Vec<(String, String)> = Vec::new();
    // The stage is private until it is renamed to `out`: files are written directly.
    let mut put =
        |rel: &str, bytes: &[u8], sha: String, src: Option<&Path>, exec: bool| -> Result<()> {
            let dest = stage.join(rel);
            let dir = dest.parent().unwrap_or(&stage);
            std::fs::create_dir_all(dir)
                .map_err(|e| format_err!("{}: cannot create directory: {e}", dir.display()))?;
            let linked = link
                && src.is_some_and(|s| {
                    is_same_file(s, bytes.len(), exec) && std::fs::hard_link(s, &dest).is_ok()
                });
            if !linked {
                std::fs::write(&dest, bytes)
                    .map_err(|e| format_err!("{}: cannot write: {e}", dest.display()))?;
                #[cfg(unix)]
                if exec {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o755))
                        .map_err(|e| format_err!("{}: {e}", dest.display()))?;
                }
            }
            listed.push((rel.to_string(), sha));
            Ok(())
        };
    let mut total = 0u64;
    put(&exe_name, host, sha256_hex(host), Some(&opts.runtime), true)?;
    put(
        "app.loop.json",
        graph_text,
        sha256_hex(graph_text),
        None,
        false,
    )?;
    total += (host.len() + graph_text.len()) as u64;
    for f in files {
        put(&f.path, &f.bytes, f.sha256.clone(), Some(&f.src), false)?;
        total += f.bytes.len() as u64;
    }
    std::fs::create_dir_all(stage.join("plugins"))
        .map_err(|e| format_err!("{}: {e}", stage.display()))?;
    // The code: one payload file (the bundle's graph, the same compressed section as the single
    // file) with its trailer; code for plugins added later goes next to it as <sha256>.cwasm.
    let refs = files
        .iter()
        .map(|f| ComponentRef {
            path: f.path.clone(),
            sha256: f.sha256.clone(),
            code: code_path(&f.sha256),
            wasm: false,
        })
        .collect();
    let raw = [("app.loop.json", graph_text, None)];
    let packed = code_parts(code);
    let head = format::payload_head(
        index_for(graph, name, triple, refs),
        &raw,
        &packed,
        frame.len() as u64,
    )
    .map_err(|e| format_err!("{}: {e}", out.display()))?;
    let pack: Vec<u8> = {
        let mut p =
            Vec::with_capacity(head.len() + graph_text.len() + frame.len() + format::TRAILER_LEN);
        p.extend_from_slice(&head);
        p.extend_from_slice(graph_text);
        p.extend_from_slice(frame);
        let trailer = format::write_trailer(&p, 0);
        p.extend_from_slice(&trailer);
        p
    };
    let rel = format!("code/{}", super::CODE_PACK);
    put(&rel, &pack, sha256_hex(&pack), None, false)?;
    total += pack.len() as u64;
    let mut sums = listed;
    sums.sort();
    let text: String = sums.iter().map(|(p, h)| format!("{h}  {p}\n")).collect();
    std::fs::write(stage.join("SHA256SUMS"), text.as_bytes())
        .map_err(|e| format_err!("{}: cannot write: {e}", stage.display()))?;
    total += text.len() as u64;
    if out.exists() {
        std::fs::remove_dir_all(out)
            .map_err(|e| format_err!("{}: cannot replace: {e}", out.display()))?;
    }
    std::fs::rename(&stage, out).map_err(|e| {
        let _ = std::fs::remove_dir_all(&stage);
        format_err!("{}: cannot write the bundle: {e}", out.display())
    })?;
    Ok(total)
}

/// Whether `src` can stand for the bytes just read from it: same length, and executable when
/// the bundle needs it to be.
fn is_same_file(src: &Path, len: usize, exec: bool) -> bool {
    let Ok(m) = std::fs::metadata(src) else {
        return false;
    };
    #[cfg(unix)]
    let mode_ok = {
        use std::os::unix::fs::PermissionsExt;
        let x = m.permissions().mode() & 0o111 != 0;
        x == exec
    };
    #[cfg(not(unix))]
    let mode_ok = !exec;
    m.is_file() && m.len() == len as u64 && mode_ok
}

/// `loop-host compile --target <triple> [--out-dir D] <files>`: precompiles for another target,
/// into the code cache (and `D/<sha256>.cwasm`). Returns one line per file.
pub fn compile_for_target(
    triple: &str,
    out_dir: Option<&Path>,
    code_dir: Option<&Path>,
    files: &[PathBuf],
) -> Result<Vec<String>> {
    let triple = super::target(triple).map(|t| t.1).unwrap_or(triple);
    let engine = target_engine(triple)?;
    let mut lines = Vec::new();
    for f in files {
        let bytes = read(f, "component")?;
        let sha = sha256_hex(&bytes);
        let code = precompile_cached(&engine, code_dir, &bytes, &sha).map_err(|e| {
            format_err!(
                "{}: cannot precompile for {triple}: {}",
                f.display(),
                crate::one_line(&e)
            )
        })?;
        match out_dir {
            Some(d) => {
                let out = d.join(format!("{sha}.cwasm"));
                write_file_atomic(&out, &[&code], false)?;
                lines.push(format!("{}: {} ({triple})", f.display(), out.display()));
            }
            None => lines.push(format!("{}: cached {sha} ({triple})", f.display())),
        }
    }
    Ok(lines)
}
