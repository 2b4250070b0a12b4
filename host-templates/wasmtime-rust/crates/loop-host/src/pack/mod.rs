//! Native packaging (spec/native-payload.md).
//!
//! - [`format`]: the `loop.pack/2` payload, reader and writer;
//! - [`exe`]: where an ELF / PE / Mach-O image ends, what it is built for;
//! - this module: the start-up of a packed executable or a dir bundle (every build), and the
//!   payload mounted for the rest of the host (components and graph read from it);
//! - `writer` (dev builds): `loop-host pack`.

pub mod exe;
pub mod format;
#[cfg(feature = "dev")]
pub mod writer;

use format::{PackError, Payload};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

/// Native targets: name, Rust triple, executable suffix.
pub const TARGETS: &[(&str, &str, &str)] = &[
    ("linux-x64", "x86_64-unknown-linux-gnu", ""),
    ("linux-arm64", "aarch64-unknown-linux-gnu", ""),
    ("windows-x64", "x86_64-pc-windows-gnu", ".exe"),
    ("macos-x64", "x86_64-apple-darwin", ""),
    ("macos-arm64", "aarch64-apple-darwin", ""),
];

/// `(name, triple, exe suffix)` of a target name or triple.
pub fn target(name_or_triple: &str) -> Option<(&'static str, &'static str, &'static str)> {
    TARGETS
        .iter()
        .find(|t| t.0 == name_or_triple || t.1 == name_or_triple)
        .copied()
}

/// The file of a dir bundle's `code/` that holds the precompiled code it was packed with: a
/// payload and its trailer, nothing in front.
pub const CODE_PACK: &str = "precompiled.pack";

/// Marker compiled into every loop-host: `pack` checks that `--runtime` is a loop-host that reads
/// this payload format.
#[used]
pub static RUNTIME_MARKER: [u8; 32] = *b"loop-host:reads:loop.pack/2:wt48";

/// A checked payload held in memory, its compressed section decompressed: its files by path.
pub struct Opened {
    pub index: format::Index,
    payload: Vec<u8>,
    section: Vec<u8>,
    /// Path → (in the decompressed section?, start, end); raw entries index `payload`.
    files: HashMap<String, (bool, usize, usize)>,
}

impl Opened {
    /// Parses a payload (already verified against its trailer) and decompresses its section.
    pub fn new(payload: Vec<u8>) -> Result<Opened, PackError> {
        let (index, section, data_start) = {
            let p = Payload::parse(&payload)?;
            let start = payload.len() - p.data.len();
            let (index, section) = p.into_section()?;
            (index, section, start)
        };
        let mut files = HashMap::new();
        for e in &index.entries {
            // Bounds were checked by `Payload::parse` (and the section's size by decompressing).
            let s = e.offset as usize + if e.compressed { 0 } else { data_start };
            files.insert(e.path.clone(), (e.compressed, s, s + e.length as usize));
        }
        Ok(Opened {
            index,
            payload,
            section,
            files,
        })
    }

    /// Reads, verifies and opens a file that is a payload and its trailer with nothing in
    /// front (a dir bundle's `code/precompiled.pack`).
    pub fn read_file(path: &Path) -> Result<Opened, PackError> {
        let bytes = std::fs::read(path).map_err(|e| PackError::Io(format!("cannot read: {e}")))?;
        let (s, e) = format::locate(&bytes, 0)?;
        let trailer = format::parse_trailer(&bytes[e..], bytes.len() as u64)?;
        format::verify(&bytes[s..e], &trailer)?;
        let mut payload = bytes;
        payload.truncate(e);
        Opened::new(payload)
    }

    pub fn entry(&self, rel: &str) -> Option<&[u8]> {
        let (compressed, s, e) = *self.files.get(rel)?;
        if compressed {
            self.section.get(s..e)
        } else {
            self.payload.get(s..e)
        }
    }

    /// The precompiled code of the component whose WebAssembly has this sha256.
    pub fn code(&self, sha256: &str) -> Option<&[u8]> {
        self.entry(&format!("code/{}.cwasm", sha256.to_ascii_lowercase()))
    }
}

/// A payload mounted for this process: its files by path relative to `base`.
pub struct Mounted {
    /// The directory relative graph paths resolve against (the executable's directory).
    pub base: PathBuf,
    pub exe: PathBuf,
    /// The payload, its index included (`opened.index`).
    pub opened: Opened,
    /// Components packed as precompiled code only: relative path → sha256.
    code_only: HashMap<String, String>,
}

static MOUNTED: OnceLock<Mounted> = OnceLock::new();

impl Mounted {
    /// Checks and indexes a payload (already verified against its trailer).
    pub fn new(exe: PathBuf, base: PathBuf, payload: Vec<u8>) -> Result<Mounted, PackError> {
        let opened = Opened::new(payload)?;
        let code_only = opened
            .index
            .components
            .iter()
            .filter(|c| !c.wasm)
            .map(|c| (c.path.clone(), c.sha256.clone()))
            .collect();
        Ok(Mounted {
            base,
            exe,
            opened,
            code_only,
        })
    }

    fn rel(&self, path: &Path) -> Option<String> {
        let rest = path.strip_prefix(&self.base).ok()?;
        let mut parts = Vec::new();
        for c in rest.components() {
            match c {
                Component::Normal(p) => parts.push(p.to_str()?.to_string()),
                Component::CurDir => {}
                _ => return None,
            }
        }
        Some(parts.join("/"))
    }

    pub fn file(&self, path: &Path) -> Option<&[u8]> {
        self.opened.entry(&self.rel(path)?)
    }

    pub fn entry(&self, rel: &str) -> Option<&[u8]> {
        self.opened.entry(rel)
    }

    /// The graph file's (virtual) path.
    pub fn graph_path(&self) -> PathBuf {
        self.base.join(&self.opened.index.graph)
    }
}

/// Makes `m` the payload of this process (once).
pub fn mount(m: Mounted) -> &'static Mounted {
    let _ = MOUNTED.set(m);
    MOUNTED.get().expect("mounted")
}

pub fn mounted() -> Option<&'static Mounted> {
    MOUNTED.get()
}

/// The bytes of a payload file at `path` (absolute, under the executable's directory).
pub fn mounted_file(path: &Path) -> Option<&'static [u8]> {
    MOUNTED.get()?.file(path)
}

/// Whether `path` is a component packed as precompiled code only.
pub fn is_mounted_path(path: &Path) -> bool {
    MOUNTED
        .get()
        .and_then(|m| m.rel(path).map(|r| m.code_only.contains_key(&r)))
        .unwrap_or(false)
}

/// The packed precompiled code of the component whose WebAssembly has this sha256.
pub fn mounted_code(sha256: &str) -> Option<&'static [u8]> {
    MOUNTED.get()?.opened.code(sha256)
}

/// How this executable starts.
pub enum Launch {
    /// A payload is appended: run the packed app.
    Packed(&'static Mounted),
    /// A dir bundle: `app.loop.json` next to the executable, precompiled code in `code/`
    /// (`precompiled.pack` and `<sha256>.cwasm` files).
    Bundle { graph: PathBuf, code: PathBuf },
}

/// Checks the running executable for a payload (then for a bundle layout). `Err` is the one
/// line to print before exiting with status 1; it names the executable.
pub fn startup() -> Result<Option<Launch>, String> {
    let Ok(exe) = std::env::current_exe() else {
        return Ok(None);
    };
    let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
    let exe_dir = exe
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    match read_payload(&exe) {
        Ok(Some(payload)) => {
            // Relative paths of the app (fs root, kv/log files) resolve against the executable's
            // directory, or $LOOP_APP_DIR (as for an app compiled into a host crate).
            let base = crate::embed::default_app_dir().unwrap_or_else(|_| exe_dir.clone());
            let m = Mounted::new(exe.clone(), base, payload)
                .map_err(|e| format!("{}: {e}", exe.display()))?;
            return Ok(Some(Launch::Packed(mount(m))));
        }
        Ok(None) => {}
        Err(e) => return Err(format!("{}: {e}", exe.display())),
    }
    let graph = exe_dir.join("app.loop.json");
    if graph.is_file() {
        return Ok(Some(Launch::Bundle {
            graph,
            code: exe_dir.join("code"),
        }));
    }
    Ok(None)
}

/// The verified payload appended to `exe`, `None` when nothing is appended.
pub fn read_payload(exe: &Path) -> Result<Option<Vec<u8>>, PackError> {
    let file = std::fs::File::open(exe).map_err(|e| PackError::Io(format!("cannot open: {e}")))?;
    let len = file
        .metadata()
        .map_err(|e| PackError::Io(format!("cannot stat: {e}")))?
        .len();
    let mut src = exe::FileSource { file, len };
    let image = match exe::image(&mut src) {
        Ok(i) => i,
        // Not an executable we know: nothing to look for (the OS ran it, so it is one).
        Err(_) => return Ok(None),
    };
    let trailer =
        match format::locate_with(len, image.end, |off, n| exe::Source::read(&mut src, off, n)) {
            Ok(t) => t,
            Err(PackError::NoPayload) => return Ok(None),
            Err(e) => return Err(e),
        };
    let n = usize::try_from(trailer.length)
        .map_err(|_| PackError::Invalid("payload too large for this machine".into()))?;
    let payload = exe::Source::read(&mut src, trailer.offset, n)
        .ok_or_else(|| PackError::Truncated("cannot read the whole payload".into()))?;
    format::verify(&payload, &trailer)?;
    Ok(Some(payload))
}

/// Reads a packed file held in memory (tests, fuzzing): the payload's index and data.
pub fn read_packed(file: &[u8]) -> Result<Payload<'_>, PackError> {
    let mut src: &[u8] = file;
    let image = exe::image(&mut src).map_err(PackError::Invalid)?;
    let (s, e) = format::locate(file, image.end)?;
    let payload = &file[s..e];
    let trailer = format::parse_trailer(&file[e..], file.len() as u64)?;
    format::verify(payload, &trailer)?;
    Payload::parse(payload)
}
