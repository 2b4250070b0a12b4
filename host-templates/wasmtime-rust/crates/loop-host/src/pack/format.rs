//! The `loop.pack/1` payload (spec/native-payload.md): reader and writer.
//!
//! ```text
//! file    = executable image | payload | trailer
//! payload = header (32 B) | index (JSON, index_len B) | data
//! header  = "LOOPPACK" | version u32 | flags u32 | payload_len u64 | index_len u64      (LE)
//! trailer = "LOOP.END" | version u32 | flags u32 | offset u64 | length u64 | sha256 [32] (LE)
//! ```
//! The reader never panics: every length and offset is checked before it is used, sizes are
//! bounded, and every failure is a [`PackError`] saying what is wrong.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt;

pub const FORMAT: &str = "loop.pack/1";
pub const HEADER_MAGIC: &[u8; 8] = b"LOOPPACK";
pub const TRAILER_MAGIC: &[u8; 8] = b"LOOP.END";
pub const VERSION: u32 = 1;
pub const HEADER_LEN: usize = 32;
pub const TRAILER_LEN: usize = 64;
/// Largest index accepted (the JSON directory of the payload).
pub const MAX_INDEX_LEN: u64 = 16 << 20;
/// Most entries accepted.
pub const MAX_ENTRIES: usize = 65_536;
/// Longest entry path accepted.
pub const MAX_PATH_LEN: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackError {
    /// Nothing is appended to the executable.
    NoPayload,
    /// Appended data whose trailer/header is not `loop.pack`.
    BadMagic(String),
    /// A `loop.pack` of another version.
    UnsupportedVersion(u32),
    /// The file ends before the payload does.
    Truncated(String),
    /// The payload's sha256 differs from the trailer's (`entry`: the first entry whose own
    /// sha256 differs too, when the index is intact).
    Checksum {
        expected: String,
        actual: String,
        entry: Option<String>,
    },
    /// Structurally wrong (bad lengths, offsets, index).
    Invalid(String),
    Io(String),
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackError::NoPayload => {
                write!(f, "no loop.pack payload is appended to this executable")
            }
            PackError::BadMagic(what) => write!(f, "bad magic: {what} (not a {FORMAT} payload)"),
            PackError::UnsupportedVersion(v) => write!(
                f,
                "payload format version {v} is not supported (this host reads {FORMAT}); pack the app again with a matching loop-host"
            ),
            PackError::Truncated(what) => write!(
                f,
                "payload truncated: {what}; the file is incomplete, copy or download it again"
            ),
            PackError::Checksum {
                expected,
                actual,
                entry,
            } => {
                write!(
                    f,
                    "payload checksum mismatch (sha256 {actual}, the trailer says {expected})"
                )?;
                if let Some(e) = entry {
                    write!(f, " in entry '{e}'")?;
                }
                write!(f, ": the file is corrupted; refusing to start")
            }
            PackError::Invalid(what) => write!(f, "invalid payload: {what}"),
            PackError::Io(what) => write!(f, "{what}"),
        }
    }
}

impl std::error::Error for PackError {}

/// The directory of a payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// Always [`FORMAT`].
    pub format: String,
    /// The app's name (`app.name` of the graph).
    pub app: String,
    /// Target name (`linux-x64`, …) and Rust triple the code was precompiled for.
    pub target: String,
    pub triple: String,
    /// Wasmtime major version the code was precompiled with.
    pub wasmtime: String,
    /// Who wrote it (`loop-host <version>`).
    #[serde(rename = "created-by")]
    pub created_by: String,
    /// Path of the graph entry (always `app.loop.json`).
    pub graph: String,
    /// Every component and plugin of the graph: its file, the sha256 of its WebAssembly and
    /// whether those bytes are in the payload (they are when signatures must be checked).
    pub components: Vec<ComponentRef>,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentRef {
    pub path: String,
    pub sha256: String,
    /// The entry holding the precompiled code (`code/<sha256>.cwasm`).
    pub code: String,
    /// Whether `path` itself is an entry (the original WebAssembly).
    pub wasm: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub path: String,
    /// Offset in the data section (after the index).
    pub offset: u64,
    pub length: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer {
    pub version: u32,
    /// Offset of the payload from the start of the file.
    pub offset: u64,
    pub length: u64,
    pub sha256: [u8; 32],
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses the last [`TRAILER_LEN`] bytes of a file of `file_len` bytes.
pub fn parse_trailer(tail: &[u8], file_len: u64) -> Result<Trailer, PackError> {
    if tail.len() != TRAILER_LEN {
        return Err(PackError::Truncated(format!(
            "the file is too short to hold a trailer ({} bytes)",
            tail.len()
        )));
    }
    if &tail[0..8] != TRAILER_MAGIC {
        return Err(PackError::BadMagic(
            "the last 64 bytes are not a loop.pack trailer".into(),
        ));
    }
    let version = u32_at(tail, 8);
    if version != VERSION {
        return Err(PackError::UnsupportedVersion(version));
    }
    let offset = u64_at(tail, 16);
    let length = u64_at(tail, 24);
    let mut sha256 = [0u8; 32];
    sha256.copy_from_slice(&tail[32..64]);
    let room = file_len.saturating_sub(TRAILER_LEN as u64);
    match offset.checked_add(length) {
        Some(end) if end == room => {}
        Some(end) if end > room => {
            return Err(PackError::Truncated(format!(
                "the trailer says the payload ends at byte {end}, but only {room} bytes precede the trailer"
            )));
        }
        _ => {
            return Err(PackError::Invalid(format!(
                "the trailer's offset {offset} + length {length} does not end at the trailer (byte {room})"
            )));
        }
    }
    if length < HEADER_LEN as u64 {
        return Err(PackError::Invalid(format!(
            "the payload is {length} bytes, shorter than its header"
        )));
    }
    Ok(Trailer {
        version,
        offset,
        length,
        sha256,
    })
}

/// The header at the start of a payload: `(payload_len, index_len)`.
pub fn parse_header(head: &[u8]) -> Result<(u64, u64), PackError> {
    if head.len() < HEADER_LEN {
        return Err(PackError::Truncated(format!(
            "the payload header needs {HEADER_LEN} bytes, {} are there",
            head.len()
        )));
    }
    if &head[0..8] != HEADER_MAGIC {
        return Err(PackError::BadMagic(
            "the payload does not start with LOOPPACK".into(),
        ));
    }
    let version = u32_at(head, 8);
    if version != VERSION {
        return Err(PackError::UnsupportedVersion(version));
    }
    Ok((u64_at(head, 16), u64_at(head, 24)))
}

/// Checks an entry path: relative, `/`-separated, no empty, `.` or `..` parts, no `\\` or `:`.
pub fn check_path(p: &str) -> Result<(), String> {
    if p.is_empty() || p.len() > MAX_PATH_LEN {
        return Err(format!("entry path '{p}' is empty or too long"));
    }
    if p.starts_with('/') || p.contains('\\') || p.contains(':') || p.contains('\0') {
        return Err(format!(
            "entry path '{p}' is not a relative '/'-separated path"
        ));
    }
    if p.split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err(format!("entry path '{p}' has an empty, '.' or '..' part"));
    }
    Ok(())
}

fn check_sha(s: &str, what: &str) -> Result<(), PackError> {
    if s.len() != 64
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(PackError::Invalid(format!(
            "{what}: sha256 is not 64 lowercase hex digits"
        )));
    }
    Ok(())
}

/// A parsed payload: its index and the data section, borrowed.
#[derive(Debug)]
pub struct Payload<'a> {
    pub index: Index,
    pub data: &'a [u8],
}

impl<'a> Payload<'a> {
    /// Parses a whole payload (header, index, data). Checks the structure only: verify the
    /// checksum first with [`verify`].
    pub fn parse(payload: &'a [u8]) -> Result<Payload<'a>, PackError> {
        let (payload_len, index_len) = parse_header(payload)?;
        if payload_len != payload.len() as u64 {
            return Err(if payload_len > payload.len() as u64 {
                PackError::Truncated(format!(
                    "the payload header says {payload_len} bytes, {} are there",
                    payload.len()
                ))
            } else {
                PackError::Invalid(format!(
                    "the payload header says {payload_len} bytes, but {} are there",
                    payload.len()
                ))
            });
        }
        let room = payload.len() - HEADER_LEN;
        if index_len > MAX_INDEX_LEN || index_len > room as u64 {
            return Err(PackError::Invalid(format!(
                "index length {index_len} does not fit in the payload"
            )));
        }
        let index_end = HEADER_LEN + index_len as usize;
        let index: Index = serde_json::from_slice(&payload[HEADER_LEN..index_end])
            .map_err(|e| PackError::Invalid(format!("index: {e}")))?;
        let data = &payload[index_end..];
        check_index(&index, data.len() as u64)?;
        Ok(Payload { index, data })
    }

    /// The bytes of an entry.
    pub fn entry(&self, path: &str) -> Option<&'a [u8]> {
        let e = self.index.entries.iter().find(|e| e.path == path)?;
        entry_bytes(self.data, e)
    }

    /// The first entry whose bytes do not match its sha256.
    pub fn corrupt_entry(&self) -> Option<String> {
        self.index
            .entries
            .iter()
            .find(|e| entry_bytes(self.data, e).is_none_or(|b| hex(&Sha256::digest(b)) != e.sha256))
            .map(|e| e.path.clone())
    }
}

pub fn entry_bytes<'d>(data: &'d [u8], e: &Entry) -> Option<&'d [u8]> {
    let start = usize::try_from(e.offset).ok()?;
    let len = usize::try_from(e.length).ok()?;
    data.get(start..start.checked_add(len)?)
}

fn check_index(index: &Index, data_len: u64) -> Result<(), PackError> {
    if index.format != FORMAT {
        return Err(PackError::Invalid(format!(
            "index format is '{}', expected '{FORMAT}'",
            index.format
        )));
    }
    if index.entries.len() > MAX_ENTRIES || index.components.len() > MAX_ENTRIES {
        return Err(PackError::Invalid("too many entries".into()));
    }
    let mut seen = BTreeSet::new();
    for e in &index.entries {
        check_path(&e.path).map_err(PackError::Invalid)?;
        if !seen.insert(e.path.as_str()) {
            return Err(PackError::Invalid(format!(
                "entry '{}' is listed twice",
                e.path
            )));
        }
        check_sha(&e.sha256, &format!("entry '{}'", e.path))?;
        match e.offset.checked_add(e.length) {
            Some(end) if end <= data_len => {}
            _ => {
                return Err(PackError::Invalid(format!(
                    "entry '{}' (offset {}, length {}) lies outside the data section ({data_len} bytes)",
                    e.path, e.offset, e.length
                )));
            }
        }
    }
    if !seen.contains(index.graph.as_str()) {
        return Err(PackError::Invalid(format!(
            "the graph entry '{}' is missing",
            index.graph
        )));
    }
    for c in &index.components {
        check_path(&c.path).map_err(PackError::Invalid)?;
        check_sha(&c.sha256, &format!("component '{}'", c.path))?;
        if !seen.contains(c.code.as_str()) {
            return Err(PackError::Invalid(format!(
                "component '{}': its code entry '{}' is missing",
                c.path, c.code
            )));
        }
        if c.wasm && !seen.contains(c.path.as_str()) {
            return Err(PackError::Invalid(format!(
                "component '{}' is marked as packed but has no entry",
                c.path
            )));
        }
    }
    Ok(())
}

/// Checks `payload` against the trailer's sha256; on a mismatch names the first corrupted
/// entry when the index can still be read.
pub fn verify(payload: &[u8], trailer: &Trailer) -> Result<(), PackError> {
    let actual: [u8; 32] = Sha256::digest(payload).into();
    if actual == trailer.sha256 {
        return Ok(());
    }
    let entry = Payload::parse(payload).ok().and_then(|p| p.corrupt_entry());
    Err(PackError::Checksum {
        expected: hex(&trailer.sha256),
        actual: hex(&actual),
        entry,
    })
}

/// Reads a whole packed file held in memory, with `image_end` the size of the executable
/// image (see [`super::exe::image_end`]). Returns the payload's byte range.
pub fn locate(file: &[u8], image_end: u64) -> Result<(usize, usize), PackError> {
    let len = file.len() as u64;
    locate_with(len, image_end, |off, n| {
        let start = usize::try_from(off).ok()?;
        file.get(start..start.checked_add(n)?).map(<[u8]>::to_vec)
    })
    .map(|t| (t.offset as usize, (t.offset + t.length) as usize))
}

/// Finds and checks the trailer of a file of `len` bytes whose executable image ends at
/// `image_end`; `read(offset, n)` reads `n` bytes (None when out of range).
pub fn locate_with(
    len: u64,
    image_end: u64,
    mut read: impl FnMut(u64, usize) -> Option<Vec<u8>>,
) -> Result<Trailer, PackError> {
    if len == image_end {
        return Err(PackError::NoPayload);
    }
    if len < image_end {
        return Err(PackError::Truncated(format!(
            "the executable image needs {image_end} bytes, the file has {len}"
        )));
    }
    let tail = if len >= TRAILER_LEN as u64 {
        read(len - TRAILER_LEN as u64, TRAILER_LEN)
    } else {
        None
    };
    let trailer = tail
        .ok_or_else(|| PackError::Truncated("no room for a trailer".into()))
        .and_then(|t| parse_trailer(&t, len));
    match trailer {
        Ok(t) if t.offset == image_end => Ok(t),
        Ok(t) => Err(PackError::Invalid(format!(
            "the trailer says the payload starts at byte {}, but the executable ends at byte {image_end}",
            t.offset
        ))),
        Err(e @ PackError::UnsupportedVersion(_)) => Err(e),
        Err(trailer_err) => {
            // No usable trailer: was a payload appended and then cut off?
            let head = read(image_end, HEADER_LEN);
            match head.as_deref().map(parse_header) {
                Some(Ok((payload_len, _))) => {
                    let want = image_end
                        .saturating_add(payload_len)
                        .saturating_add(TRAILER_LEN as u64);
                    if len < want {
                        Err(PackError::Truncated(format!(
                            "the file has {len} bytes, its payload header says {want}"
                        )))
                    } else {
                        Err(trailer_err)
                    }
                }
                Some(Err(e @ PackError::UnsupportedVersion(_))) => Err(e),
                Some(Err(_)) | None => {
                    if matches!(trailer_err, PackError::BadMagic(_))
                        && len - image_end < HEADER_LEN as u64
                        && read(image_end, (len - image_end) as usize).is_some_and(|b| {
                            let n = b.len().min(HEADER_MAGIC.len());
                            b[..n] == HEADER_MAGIC[..n]
                        })
                    {
                        return Err(PackError::Truncated(format!(
                            "only {} payload bytes follow the executable",
                            len - image_end
                        )));
                    }
                    Err(PackError::BadMagic(format!(
                        "{} bytes are appended to the executable, but they are neither a loop.pack header nor trailer",
                        len - image_end
                    )))
                }
            }
        }
    }
}

/// One file to pack.
pub struct NewEntry {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Writes a payload: header, index (with the entries' offsets and sha256 filled in), data.
pub fn write_payload(index: Index, files: &[NewEntry]) -> Result<Vec<u8>, PackError> {
    let parts: Vec<(&str, &[u8], Option<String>)> = files
        .iter()
        .map(|f| (f.path.as_str(), f.bytes.as_slice(), None))
        .collect();
    let head = payload_head(index, &parts)?;
    let mut out = Vec::with_capacity(head.len() + parts.iter().map(|p| p.1.len()).sum::<usize>());
    out.extend_from_slice(&head);
    for f in files {
        out.extend_from_slice(&f.bytes);
    }
    Ok(out)
}

/// The start of a payload (header and index) whose data section is `files` in that order:
/// `(path, bytes, sha256 when the caller already has it)`. The payload is this head followed
/// by every file's bytes, so a writer can stream the files from where they are instead of
/// copying them into one buffer.
pub fn payload_head(
    mut index: Index,
    files: &[(&str, &[u8], Option<String>)],
) -> Result<Vec<u8>, PackError> {
    index.entries.clear();
    let mut offset = 0u64;
    for (path, bytes, sha) in files {
        check_path(path).map_err(PackError::Invalid)?;
        index.entries.push(Entry {
            path: path.to_string(),
            offset,
            length: bytes.len() as u64,
            sha256: sha.clone().unwrap_or_else(|| hex(&Sha256::digest(bytes))),
        });
        offset += bytes.len() as u64;
    }
    check_index(&index, offset)?;
    let json = serde_json::to_vec(&index).map_err(|e| PackError::Invalid(e.to_string()))?;
    let total = HEADER_LEN as u64 + json.len() as u64 + offset;
    let mut out = Vec::with_capacity(HEADER_LEN + json.len());
    out.extend_from_slice(HEADER_MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    Ok(out)
}

/// The trailer of a payload at `offset` (the size of the executable image) from its length
/// and sha256 (for writers that hash the payload while writing it).
pub fn trailer_for(offset: u64, length: u64, sha256: &[u8; 32]) -> Vec<u8> {
    let mut t = Vec::with_capacity(TRAILER_LEN);
    t.extend_from_slice(TRAILER_MAGIC);
    t.extend_from_slice(&VERSION.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&offset.to_le_bytes());
    t.extend_from_slice(&length.to_le_bytes());
    t.extend_from_slice(sha256);
    t
}

/// The trailer for `payload` appended at `offset` (the size of the executable image).
pub fn write_trailer(payload: &[u8], offset: u64) -> Vec<u8> {
    trailer_for(
        offset,
        payload.len() as u64,
        &Sha256::digest(payload).into(),
    )
}
