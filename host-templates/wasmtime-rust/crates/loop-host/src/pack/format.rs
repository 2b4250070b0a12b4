//! The `loop.pack/2` payload (spec/native-payload.md): reader and writer.
//!
//! ```text
//! file    = executable image | payload | trailer
//! payload = header (32 B) | index (JSON, index_len B) | data
//! header  = "LOOPPACK" | version u32 | flags u32 | payload_len u64 | index_len u64      (LE)
//! trailer = "LOOP.END" | version u32 | flags u32 | offset u64 | length u64 | sha256 [32] (LE)
//! ```
//! Entries live either in the data section as they are or in its one compressed section (a
//! zstd frame with long-distance matching): the precompiled code of components built on the
//! same engine (every JS component carries StarlingMonkey) is mostly the same bytes, so one
//! frame over all of it stores those bytes once.
//!
//! The reader never panics: every length and offset is checked before it is used, sizes are
//! bounded, and every failure is a [`PackError`] saying what is wrong.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt;

pub const FORMAT: &str = "loop.pack/2";
pub const HEADER_MAGIC: &[u8; 8] = b"LOOPPACK";
pub const TRAILER_MAGIC: &[u8; 8] = b"LOOP.END";
pub const VERSION: u32 = 2;
pub const HEADER_LEN: usize = 32;
pub const TRAILER_LEN: usize = 64;
/// Largest index accepted (the JSON directory of the payload).
pub const MAX_INDEX_LEN: u64 = 16 << 20;
/// Most entries accepted.
pub const MAX_ENTRIES: usize = 65_536;
/// Longest entry path accepted.
pub const MAX_PATH_LEN: usize = 1024;
/// Largest decompressed section accepted.
pub const MAX_SECTION_SIZE: u64 = 16 << 30;
/// The one encoding of the compressed section.
pub const ZSTD: &str = "zstd";
/// zstd window the writer uses (128 MiB: matches reach across the code of several components)
/// and the largest the reader accepts.
pub const WINDOW_LOG: u32 = 27;

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
    /// The payload's sha256 differs from the trailer's (`entry`: where, when the index is
    /// intact: `entry '<path>'` whose own sha256 differs too, or the compressed section).
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
                    write!(f, " in {e}")?;
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
    /// The compressed section of the data, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed: Option<Section>,
    pub entries: Vec<Entry>,
}

impl Index {
    /// The component or plugin packed from `path` (`components/core.wasm`, …).
    pub fn component(&self, path: &str) -> Option<&ComponentRef> {
        self.components.iter().find(|c| c.path == path)
    }

    /// The entry stored under `path`.
    pub fn entry(&self, path: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.path == path)
    }
}

/// Where the compressed section is in the data section, and how large it is decompressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Always [`ZSTD`]: one zstd frame (content size and checksum in its header).
    pub encoding: String,
    pub offset: u64,
    pub length: u64,
    /// Decompressed bytes.
    pub size: u64,
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
    /// Offset in the data section (after the index), or in the decompressed section when
    /// `compressed`.
    pub offset: u64,
    pub length: u64,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub compressed: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
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

/// A parsed payload: its index and the data section, borrowed; the compressed section is
/// decompressed when first asked for.
#[derive(Debug)]
pub struct Payload<'a> {
    pub index: Index,
    pub data: &'a [u8],
    section: std::cell::OnceCell<Result<Vec<u8>, PackError>>,
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
        Ok(Payload {
            index,
            data,
            section: std::cell::OnceCell::new(),
        })
    }

    /// The decompressed section (empty when there is none).
    pub fn section(&self) -> Result<&[u8], PackError> {
        self.section
            .get_or_init(|| match &self.index.compressed {
                Some(s) => decompress(self.data, s),
                None => Ok(Vec::new()),
            })
            .as_deref()
            .map_err(Clone::clone)
    }

    /// The index and the decompressed section, for a reader that keeps them.
    pub fn into_section(self) -> Result<(Index, Vec<u8>), PackError> {
        self.section()?;
        let section = self
            .section
            .into_inner()
            .expect("decompressed above")
            .expect("checked above");
        Ok((self.index, section))
    }

    /// The bytes of an entry (`None` also when the compressed section cannot be read).
    pub fn entry(&self, path: &str) -> Option<&[u8]> {
        let e = self.index.entry(path)?;
        self.bytes_of(e)
    }

    fn bytes_of(&self, e: &Entry) -> Option<&[u8]> {
        if e.compressed {
            entry_bytes(self.section().ok()?, e)
        } else {
            entry_bytes(self.data, e)
        }
    }

    /// Where the payload is damaged: `entry '<path>'` for the first entry whose bytes do not
    /// match its sha256, or the compressed section when it cannot be decompressed.
    pub fn corrupt_entry(&self) -> Option<String> {
        if self.index.compressed.is_some() {
            if let Err(e) = self.section() {
                return Some(format!("the compressed section ({e})"));
            }
        }
        self.index
            .entries
            .iter()
            .find(|e| {
                self.bytes_of(e)
                    .is_none_or(|b| hex(&Sha256::digest(b)) != e.sha256)
            })
            .map(|e| format!("entry '{}'", e.path))
    }
}

/// The bytes of `e` in `data` (the data section, or the decompressed section for a compressed
/// entry).
pub fn entry_bytes<'d>(data: &'d [u8], e: &Entry) -> Option<&'d [u8]> {
    let start = usize::try_from(e.offset).ok()?;
    let len = usize::try_from(e.length).ok()?;
    data.get(start..start.checked_add(len)?)
}

/// Decompresses the section `s` of the data section `data`: exactly `s.size` bytes, the size
/// the frame's own header states too (checked before anything is allocated).
pub fn decompress(data: &[u8], s: &Section) -> Result<Vec<u8>, PackError> {
    let bad = |what: String| PackError::Invalid(format!("compressed section: {what}"));
    let frame = usize::try_from(s.offset)
        .ok()
        .zip(usize::try_from(s.length).ok())
        .and_then(|(o, n)| data.get(o..o.checked_add(n)?))
        .ok_or_else(|| bad("lies outside the data section".into()))?;
    match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(n)) if n == s.size => {}
        Ok(Some(n)) => {
            return Err(bad(format!(
                "its frame holds {n} bytes, the index says {}",
                s.size
            )));
        }
        Ok(None) => return Err(bad("its frame does not state its size".into())),
        Err(_) => return Err(bad("not a zstd frame".into())),
    }
    let size = usize::try_from(s.size).map_err(|_| bad("too large for this machine".into()))?;
    let mut out = Vec::new();
    out.try_reserve_exact(size)
        .map_err(|_| bad(format!("cannot allocate {size} bytes")))?;
    let mut d = zstd::bulk::Decompressor::new().map_err(|e| bad(e.to_string()))?;
    d.window_log_max(WINDOW_LOG)
        .map_err(|e| bad(e.to_string()))?;
    let n = d
        .decompress_to_buffer(frame, &mut out)
        .map_err(|e| bad(format!("cannot be decompressed: {e}")))?;
    if n != size {
        return Err(bad(format!(
            "decompressed to {n} bytes, the index says {size}"
        )));
    }
    Ok(out)
}

/// `offset..offset + length` of `what` must lie in the `room` bytes of `place`.
fn within(what: &str, offset: u64, length: u64, room: u64, place: &str) -> Result<(), PackError> {
    match offset.checked_add(length) {
        Some(end) if end <= room => Ok(()),
        _ => Err(PackError::Invalid(format!(
            "{what} (offset {offset}, length {length}) lies outside {place} ({room} bytes)"
        ))),
    }
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
    if let Some(s) = &index.compressed {
        if s.encoding != ZSTD {
            return Err(PackError::Invalid(format!(
                "compressed section: encoding '{}' is not supported (expected '{ZSTD}')",
                s.encoding
            )));
        }
        within(
            "compressed section",
            s.offset,
            s.length,
            data_len,
            "the data section",
        )?;
        if s.size > MAX_SECTION_SIZE {
            return Err(PackError::Invalid(format!(
                "compressed section: {} bytes decompressed is more than the {MAX_SECTION_SIZE} accepted",
                s.size
            )));
        }
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
        let (room, what) = match (&index.compressed, e.compressed) {
            (_, false) => (data_len, "the data section"),
            (Some(s), true) => (s.size, "the decompressed section"),
            (None, true) => {
                return Err(PackError::Invalid(format!(
                    "entry '{}' is marked compressed, but the payload has no compressed section",
                    e.path
                )));
            }
        };
        within(
            &format!("entry '{}'", e.path),
            e.offset,
            e.length,
            room,
            what,
        )?;
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
/// `packed` files go into a compressed section (zstd `level`) after the `files`.
pub fn write_payload(
    index: Index,
    files: &[NewEntry],
    packed: &[NewEntry],
    level: i32,
) -> Result<Vec<u8>, PackError> {
    fn part(f: &NewEntry) -> (&str, &[u8], Option<String>) {
        (f.path.as_str(), f.bytes.as_slice(), None)
    }
    let raw: Vec<_> = files.iter().map(part).collect();
    let inner: Vec<_> = packed.iter().map(part).collect();
    let frame = if packed.is_empty() {
        Vec::new()
    } else {
        compress(&inner.iter().map(|p| p.1).collect::<Vec<_>>(), level)?
    };
    let head = payload_head(index, &raw, &inner, frame.len() as u64)?;
    let mut out = head;
    for f in files {
        out.extend_from_slice(&f.bytes);
    }
    out.extend_from_slice(&frame);
    Ok(out)
}

/// A zstd encoder as the writer configures it (the dev host's writer adds zstd's worker threads,
/// which only its build has): `level`, long-distance matching over a
/// [`WINDOW_LOG`] window, the content size (`size`, the sum of what will be written) and a
/// checksum in the frame.
pub fn encoder<W: std::io::Write>(
    w: W,
    level: i32,
    size: u64,
) -> Result<zstd::stream::Encoder<'static, W>, PackError> {
    let err = |e: std::io::Error| PackError::Io(format!("zstd: {e}"));
    let mut enc = zstd::stream::Encoder::new(w, level).map_err(err)?;
    enc.long_distance_matching(true).map_err(err)?;
    enc.window_log(WINDOW_LOG).map_err(err)?;
    enc.include_checksum(true).map_err(err)?;
    enc.include_contentsize(true).map_err(err)?;
    enc.set_pledged_src_size(Some(size)).map_err(err)?;
    Ok(enc)
}

/// One zstd frame holding `parts` one after the other (single-threaded; see [`encoder`]).
pub fn compress(parts: &[&[u8]], level: i32) -> Result<Vec<u8>, PackError> {
    use std::io::Write;
    let size = parts.iter().map(|p| p.len() as u64).sum();
    let mut enc = encoder(Vec::new(), level, size)?;
    for p in parts {
        enc.write_all(p)
            .map_err(|e| PackError::Io(format!("zstd: {e}")))?;
    }
    enc.finish()
        .map_err(|e| PackError::Io(format!("zstd: {e}")))
}

/// The start of a payload (header and index) whose data section is the `raw` files in that
/// order, then, when `packed` is not empty, a compressed section of `frame_len` bytes holding
/// the `packed` files in that order: `(path, bytes, sha256 when the caller already has it)`.
/// The payload is this head followed by every raw file's bytes and the frame, so a writer can
/// stream the files from where they are instead of copying them into one buffer.
pub fn payload_head<R: AsRef<str>, P: AsRef<str>>(
    mut index: Index,
    raw: &[(R, &[u8], Option<String>)],
    packed: &[(P, &[u8], Option<String>)],
    frame_len: u64,
) -> Result<Vec<u8>, PackError> {
    index.entries.clear();
    let mut offsets = [0u64, 0u64];
    let raw = raw.iter().map(|(p, b, s)| (false, p.as_ref(), *b, s));
    let packed = packed.iter().map(|(p, b, s)| (true, p.as_ref(), *b, s));
    for (compressed, path, bytes, sha) in raw.chain(packed) {
        check_path(path).map_err(PackError::Invalid)?;
        let offset = &mut offsets[compressed as usize];
        index.entries.push(Entry {
            path: path.to_string(),
            offset: *offset,
            length: bytes.len() as u64,
            sha256: sha.clone().unwrap_or_else(|| hex(&Sha256::digest(bytes))),
            compressed,
        });
        *offset += bytes.len() as u64;
    }
    let [raw_len, size] = offsets;
    let packed = index.entries.iter().any(|e| e.compressed);
    index.compressed = packed.then(|| Section {
        encoding: ZSTD.into(),
        offset: raw_len,
        length: frame_len,
        size,
    });
    let data_len = raw_len + if packed { frame_len } else { 0 };
    check_index(&index, data_len)?;
    let json = serde_json::to_vec(&index).map_err(|e| PackError::Invalid(e.to_string()))?;
    let total = HEADER_LEN as u64 + json.len() as u64 + data_len;
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
