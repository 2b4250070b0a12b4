//! Component signatures: verification (and, for tests and tools, signing) in the format of the
//! WebAssembly tool-conventions `Signatures.md`, the format wasmsign2 and `loop sign` write
//! (packages/nx-loop/src/signing/README.md is the reference).
//!
//! - The signature data is the payload of a custom section `signature`, the first section of
//!   the component (or module): `0x01 0x01 0x01` (spec version, content type wasm, SHA-256),
//!   `varuint32` count of signed hash sets, each a length-prefixed blob of `varuint32 n`,
//!   `n × 32` hashes, `varuint32 m`, `m` length-prefixed signatures
//!   (`varuint32 len, key_id, 0x01 (Ed25519), varuint32 len, signature(64)`).
//! - Hashes: rolling SHA-256 over the raw bytes of every section after the `signature`
//!   section, one hash after each `signature_delimiter` custom section and one at the end when
//!   the last section is not a delimiter. A component's own sections contain its embedded core
//!   modules and nested components, so every byte of them is covered.
//! - A signature signs `"wasmsig" ‖ 01 01 01 ‖ h1 ‖ … ‖ hn` (Ed25519).
//! - Key id: the first 12 bytes of HMAC-SHA256(key = public key, message = "key_id").
//! - A file is admitted when one signature by one of the keys is valid and its set's hashes
//!   equal the file's hashes part for part (whole-file verification).
//!
//! Pure Rust (ed25519-compact, sha2): compiled in every build of the host, with or without a
//! compiler.

use sha2::{Digest, Sha256};
use std::fmt;
use std::path::Path;

pub const SIGNATURE_SECTION: &str = "signature";
pub const DELIMITER_SECTION: &str = "signature_delimiter";
const DOMAIN: &[u8] = b"wasmsig";
const MAX_HASHES: u32 = 64;
const MAX_SIGNATURES: u32 = 256;
const KEY_PREFIX: &str = "ed25519:";

/// An Ed25519 public key from a trust class's `keys` (`ed25519:<base64>`).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub raw: [u8; 32],
    pub key_id: [u8; 12],
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{KEY_PREFIX}{}", base64_encode(&self.raw))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl PublicKey {
    pub fn from_raw(raw: [u8; 32]) -> PublicKey {
        let mac = hmac_sha256(&raw, b"key_id");
        let mut key_id = [0u8; 12];
        key_id.copy_from_slice(&mac[..12]);
        PublicKey { raw, key_id }
    }

    /// Parses `ed25519:<base64 of 32 bytes>` (standard or URL-safe base64).
    pub fn parse(text: &str) -> Result<PublicKey, String> {
        let Some(b64) = text.strip_prefix(KEY_PREFIX) else {
            return Err(format!(
                "key '{text}' does not start with '{KEY_PREFIX}' (loop keygen prints one)"
            ));
        };
        let bytes = base64_decode(b64).ok_or_else(|| format!("key '{text}' is not base64"))?;
        let raw: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            format!(
                "key '{text}' holds {} bytes; an Ed25519 public key has 32",
                bytes.len()
            )
        })?;
        if ed25519_compact::PublicKey::from_slice(&raw).is_err() {
            return Err(format!("key '{text}' is not a valid Ed25519 public key"));
        }
        Ok(PublicKey::from_raw(raw))
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let (Ok(pk), Ok(sig)) = (
            ed25519_compact::PublicKey::from_slice(&self.raw),
            ed25519_compact::Signature::from_slice(signature),
        ) else {
            return false;
        };
        pk.verify(message, &sig).is_ok()
    }
}

/// Why a file is not admitted. `kind()` is the short reason hosts print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Not a WebAssembly binary, or its sections are malformed/truncated.
    NotWasm(String),
    /// No `signature` section first.
    Unsigned(String),
    /// The signature data cannot be read.
    Malformed(String),
    /// No signature by any of the keys (signed by someone else, or by nobody).
    UnknownKey(String),
    /// A signature by one of the keys exists, but the content (or the signature) changed.
    Tampered(String),
    /// The signature covers only the first parts (sections added after signing).
    Partial(String),
}

impl Failure {
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::NotWasm(_) => "not a valid WebAssembly binary",
            Failure::Unsigned(_) => "no signature",
            Failure::Malformed(_) => "malformed signature",
            Failure::UnknownKey(_) => "unknown key",
            Failure::Tampered(_) => "tampered",
            Failure::Partial(_) => "partial signature",
        }
    }
    pub fn detail(&self) -> &str {
        match self {
            Failure::NotWasm(s)
            | Failure::Unsigned(s)
            | Failure::Malformed(s)
            | Failure::UnknownKey(s)
            | Failure::Tampered(s)
            | Failure::Partial(s) => s,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind(), self.detail())
    }
}

struct Section {
    start: usize,
    end: usize,
    name: Option<String>,
    data_start: usize,
}

impl Section {
    fn is(&self, name: &str) -> bool {
        self.name.as_deref() == Some(name)
    }
}

fn read_u32(b: &[u8], at: usize, what: &str) -> Result<(u32, usize), String> {
    let mut value: u64 = 0;
    for i in 0..5 {
        let Some(&byte) = b.get(at + i) else {
            return Err(format!("{what} at byte {at} runs past the end"));
        };
        if i == 4 && byte > 0x0f {
            return Err(format!(
                "{what} at byte {at} is not a valid 32-bit LEB128 number"
            ));
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value as u32, at + i + 1));
        }
    }
    Err(format!(
        "{what} at byte {at} is not a valid 32-bit LEB128 number"
    ))
}

/// The top-level sections of a module or component.
fn sections(bytes: &[u8]) -> Result<(&'static str, Vec<Section>), String> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err("it does not start with \"\\0asm\"".into());
    }
    let kind = match &bytes[4..8] {
        [0x01, 0, 0, 0] => "module",
        [0x0d, 0, 0x01, 0] => "component",
        v => {
            return Err(format!(
                "unsupported WebAssembly version/layer {:02x} {:02x} {:02x} {:02x}",
                v[0], v[1], v[2], v[3]
            ));
        }
    };
    let mut out = Vec::new();
    let mut at = 8;
    while at < bytes.len() {
        let start = at;
        let id = bytes[at];
        let n = out.len();
        let (size, payload) = read_u32(bytes, at + 1, &format!("the size of section #{n}"))?;
        let end = payload
            .checked_add(size as usize)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| {
                format!(
                    "section #{n} (id {id}) at byte {start} claims {size} bytes but only {} remain (truncated file?)",
                    bytes.len() - payload
                )
            })?;
        let mut s = Section {
            start,
            end,
            name: None,
            data_start: payload,
        };
        if id == 0 {
            let (len, name_at) = read_u32(bytes, payload, "a custom section's name length")?;
            let name_end = name_at
                .checked_add(len as usize)
                .filter(|&e| e <= end)
                .ok_or_else(|| {
                    format!(
                        "custom section #{n} at byte {start} has a name longer than the section"
                    )
                })?;
            s.name = Some(String::from_utf8_lossy(&bytes[name_at..name_end]).into_owned());
            s.data_start = name_end;
        }
        out.push(s);
        at = end;
    }
    Ok((kind, out))
}

struct SignedSet {
    hashes: Vec<[u8; 32]>,
    signatures: Vec<(Vec<u8>, u8, Vec<u8>)>,
}

fn decode(data: &[u8]) -> Result<Vec<SignedSet>, String> {
    if data.len() < 3 {
        return Err("the header runs past the end".into());
    }
    if data[0] != 1 {
        return Err(format!(
            "unsupported specification version 0x{:02x} (expected 0x01)",
            data[0]
        ));
    }
    if data[1] != 1 {
        return Err(format!(
            "unsupported content type 0x{:02x} (expected 0x01)",
            data[1]
        ));
    }
    if data[2] != 1 {
        return Err(format!(
            "unsupported hash function 0x{:02x} (expected 0x01, SHA-256)",
            data[2]
        ));
    }
    let (count, mut at) = read_u32(data, 3, "the number of signed hash sets")?;
    if count > MAX_HASHES {
        return Err(format!("{count} signed hash sets (at most {MAX_HASHES})"));
    }
    let mut sets = Vec::new();
    for i in 0..count {
        let (len, set_at) = read_u32(data, at, "the size of a hash set")?;
        let end = set_at
            .checked_add(len as usize)
            .filter(|&e| e <= data.len())
            .ok_or_else(|| format!("hash set #{i} runs past the end"))?;
        let (n, mut p) = read_u32(data, set_at, "a hash count")?;
        if n > MAX_HASHES {
            return Err(format!("set #{i} has {n} hashes (at most {MAX_HASHES})"));
        }
        let mut hashes = Vec::new();
        for _ in 0..n {
            if p + 32 > end {
                return Err(format!("a hash of set #{i} runs past its set"));
            }
            hashes.push(data[p..p + 32].try_into().unwrap());
            p += 32;
        }
        let (m, q) = read_u32(data, p, "a signature count")?;
        p = q;
        if m > MAX_SIGNATURES {
            return Err(format!(
                "set #{i} has {m} signatures (at most {MAX_SIGNATURES})"
            ));
        }
        let mut signatures = Vec::new();
        for s in 0..m {
            let (slen, s_at) = read_u32(data, p, "a signature's size")?;
            let s_end = s_at
                .checked_add(slen as usize)
                .filter(|&e| e <= end)
                .ok_or_else(|| format!("signature #{s} of set #{i} runs past its set"))?;
            let (klen, k_at) = read_u32(data, s_at, "a key id length")?;
            let k_end = k_at
                .checked_add(klen as usize)
                .filter(|&e| e < s_end)
                .ok_or_else(|| format!("the key id of signature #{s} runs past the signature"))?;
            let alg = data[k_end];
            let (siglen, sig_at) = read_u32(data, k_end + 1, "a signature length")?;
            if sig_at.checked_add(siglen as usize) != Some(s_end) {
                return Err(format!(
                    "signature #{s} of set #{i} does not fill its record"
                ));
            }
            signatures.push((
                data[k_at..k_end].to_vec(),
                alg,
                data[sig_at..s_end].to_vec(),
            ));
            p = s_end;
        }
        if p != end {
            return Err(format!(
                "{} unexpected bytes after the signatures of set #{i}",
                end - p
            ));
        }
        sets.push(SignedSet { hashes, signatures });
        at = end;
    }
    if at != data.len() {
        return Err(format!(
            "{} unexpected bytes after the last hash set",
            data.len() - at
        ));
    }
    Ok(sets)
}

fn content_hashes(bytes: &[u8], content: &[Section]) -> Vec<[u8; 32]> {
    let mut h = Sha256::new();
    let mut out = Vec::new();
    let mut last_delim = false;
    for s in content {
        h.update(&bytes[s.start..s.end]);
        last_delim = s.is(DELIMITER_SECTION);
        if last_delim {
            out.push(h.clone().finalize().into());
        }
    }
    if !last_delim {
        out.push(h.finalize().into());
    }
    out
}

fn signed_message(hashes: &[[u8; 32]]) -> Vec<u8> {
    let mut m = DOMAIN.to_vec();
    m.extend_from_slice(&[1, 1, 1]);
    for h in hashes {
        m.extend_from_slice(h);
    }
    m
}

fn short(h: Option<&[u8; 32]>) -> String {
    h.map(|h| hex(&h[..8])).unwrap_or_default()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Verifies that `bytes` carries a whole-file signature by one of `keys`; returns the key.
pub fn verify(bytes: &[u8], keys: &[PublicKey]) -> Result<PublicKey, Failure> {
    let (kind, secs) = sections(bytes).map_err(Failure::NotWasm)?;
    let Some(first) = secs.first().filter(|s| s.is(SIGNATURE_SECTION)) else {
        return Err(match secs.iter().position(|s| s.is(SIGNATURE_SECTION)) {
            Some(i) => Failure::Unsigned(format!(
                "the {kind} carries a \"signature\" section as section #{i} instead of the first one"
            )),
            None => Failure::Unsigned(format!(
                "the {kind} has no \"signature\" custom section (sign it with `loop sign`)"
            )),
        });
    };
    let sets = decode(&bytes[first.data_start..first.end])
        .map_err(|e| Failure::Malformed(format!("its \"signature\" section is malformed: {e}")))?;
    let hashes = content_hashes(bytes, &secs[1..]);
    let mut valid: Vec<(&PublicKey, &SignedSet)> = Vec::new();
    let mut id_matched_invalid: Option<&PublicKey> = None;
    let mut foreign = Vec::new();
    let mut total = 0;
    for set in &sets {
        let msg = signed_message(&set.hashes);
        for (key_id, alg, sig) in &set.signatures {
            total += 1;
            if *alg != 1 {
                continue;
            }
            let mut matched = false;
            for key in keys {
                if !key_id.is_empty() && key_id.as_slice() != key.key_id {
                    continue;
                }
                matched = !key_id.is_empty();
                if key.verify(&msg, sig) {
                    valid.push((key, set));
                } else if matched {
                    id_matched_invalid.get_or_insert(key);
                }
            }
            if !matched && !key_id.is_empty() {
                foreign.push(hex(key_id));
            }
        }
    }
    if let Some((key, _)) = valid.iter().find(|(_, s)| s.hashes == hashes) {
        return Ok((*key).clone());
    }
    if let Some((key, set)) = valid.first() {
        if set.hashes.len() < hashes.len() && hashes.starts_with(&set.hashes) {
            return Err(Failure::Partial(format!(
                "the signature by {key} covers only the first {} of {} parts; sections were added after signing",
                set.hashes.len(),
                hashes.len()
            )));
        }
        return Err(Failure::Tampered(format!(
            "the signature by {key} does not match the content: the {kind} was modified after it was signed (signed hash {}…, content hash {}…)",
            short(set.hashes.last()),
            short(hashes.last())
        )));
    }
    if let Some(key) = id_matched_invalid {
        return Err(Failure::Tampered(format!(
            "the signature by {key} is invalid: the signature data was modified after signing"
        )));
    }
    let wanted = keys
        .iter()
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Err(Failure::UnknownKey(if total == 0 {
        format!("its \"signature\" section holds no signatures (wanted one by {wanted})")
    } else {
        foreign.sort();
        foreign.dedup();
        format!(
            "none of its {total} signature(s) is by {wanted}{}",
            if foreign.is_empty() {
                String::new()
            } else {
                format!(" (it is signed by key id {})", foreign.join(", "))
            }
        )
    }))
}

fn leb(mut v: usize, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Signs `bytes` with the Ed25519 key of `seed` (replacing any signature section), as
/// `loop sign` does for a first signer. For tests and tools.
pub fn sign(bytes: &[u8], seed: &[u8; 32]) -> Result<Vec<u8>, Failure> {
    let (_, secs) = sections(bytes).map_err(Failure::NotWasm)?;
    let content: Vec<Section> = secs
        .into_iter()
        .filter(|s| !s.is(SIGNATURE_SECTION))
        .collect();
    let hashes = content_hashes(bytes, &content);
    let kp = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(*seed));
    let public = PublicKey::from_raw(*kp.pk);
    let sig = kp.sk.sign(signed_message(&hashes), None);
    let mut record = Vec::new();
    leb(12, &mut record);
    record.extend_from_slice(&public.key_id);
    record.push(1);
    leb(64, &mut record);
    record.extend_from_slice(sig.as_ref());
    let mut set = Vec::new();
    leb(hashes.len(), &mut set);
    for h in &hashes {
        set.extend_from_slice(h);
    }
    leb(1, &mut set);
    leb(record.len(), &mut set);
    set.extend_from_slice(&record);
    let mut data = vec![1, 1, 1];
    leb(1, &mut data);
    leb(set.len(), &mut data);
    data.extend_from_slice(&set);
    let mut body = Vec::new();
    leb(SIGNATURE_SECTION.len(), &mut body);
    body.extend_from_slice(SIGNATURE_SECTION.as_bytes());
    body.extend_from_slice(&data);
    let mut out = bytes[..8].to_vec();
    out.push(0);
    leb(body.len(), &mut out);
    out.extend_from_slice(&body);
    for s in &content {
        out.extend_from_slice(&bytes[s.start..s.end]);
    }
    Ok(out)
}

/// The public key of an Ed25519 seed.
pub fn public_key_of(seed: &[u8; 32]) -> PublicKey {
    let kp = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(*seed));
    PublicKey::from_raw(*kp.pk)
}

/// What the graph says a trust class requires: its keys and what happens to a component
/// without a valid signature by one of them (`unsigned`: refuse, the default, or demote to
/// `untrusted`, whose allow-list is `untrusted_allow`).
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub class: String,
    /// The class's keys as written in the graph (`ed25519:…`); empty: no signature required.
    pub keys: Vec<String>,
    pub demote: bool,
    /// `trust.untrusted.allow` of the graph (what a demoted component keeps, at most).
    pub untrusted_allow: Vec<String>,
}

/// The outcome of checking one file against its class's policy.
#[derive(Debug, Clone)]
pub enum Admission {
    /// The class lists no keys: nothing to check.
    Unkeyed,
    /// A valid signature by `key`; `sha256` is of the bytes that were verified.
    Signed { key: PublicKey, sha256: String },
    /// No valid signature and the class demotes: run as `untrusted` with `allow` (the
    /// intersection of the component's allow-list and untrusted's). `message` is the one
    /// line to print.
    Demoted {
        allow: Vec<String>,
        sha256: String,
        message: String,
    },
}

impl Policy {
    pub fn requires_signature(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Reads `path` and decides whether `who` (e.g. "component 'greeter'") may run in its
    /// class, with `allow` its allow-list there. Errors name the component, the file and why.
    /// The returned sha256 pins the verified bytes: compile the file with it as the expected
    /// hash, so a file changed after the check is refused.
    pub fn admit(&self, who: &str, path: &Path, allow: &[String]) -> Result<Admission, String> {
        if !self.requires_signature() {
            return Ok(Admission::Unkeyed);
        }
        let class = &self.class;
        // Through the host's file reader: packed and embedded apps serve files from memory.
        let bytes = crate::engine::read_file(path).map_err(|e| {
            format!(
                "{}: cannot read {who} to check its signature (trust.{class}.keys): {e}",
                path.display()
            )
        })?;
        let sha256 = crate::engine::sha256_hex(&bytes);
        let mut keys = Vec::new();
        let mut bad = Vec::new();
        for k in &self.keys {
            match PublicKey::parse(k) {
                Ok(k) => keys.push(k),
                Err(e) => bad.push(e),
            }
        }
        if keys.is_empty() {
            return Err(format!(
                "{}: {who} has trust class '{class}', whose keys cannot be used: {}",
                path.display(),
                bad.join("; ")
            ));
        }
        match verify(&bytes, &keys) {
            Ok(key) => Ok(Admission::Signed { key, sha256 }),
            Err(why) if self.demote => {
                let allow: Vec<String> = allow
                    .iter()
                    .filter(|a| {
                        *a == "loop:app" || self.untrusted_allow.iter().any(|u| u == "*" || u == *a)
                    })
                    .cloned()
                    .collect();
                Ok(Admission::Demoted {
                    allow,
                    sha256,
                    message: format!(
                        "{who} ({}) has no valid signature for trust class '{class}' ({why}); running it as 'untrusted' (trust.{class}.unsigned = \"demote\")",
                        path.display()
                    ),
                })
            }
            Err(why) => Err(format!(
                "{}: {who} has trust class '{class}', which requires a valid signature by one of its keys (trust.{class}.keys), but {why}; refusing to run it",
                path.display()
            )),
        }
    }
}

fn hmac_sha256(key: &[u8; 32], msg: &[u8]) -> [u8; 32] {
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        ipad[i] ^= k;
        opad[i] ^= k;
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(b: &[u8]) -> String {
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk.len();
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= n {
                out.push(B64[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Key and signature from the Node implementation (`loop keygen`): the key id must match
    // what wasmsign2 / loop compute.
    #[test]
    fn key_text_round_trips_and_key_id_is_hmac() {
        let pk = public_key_of(&[7u8; 32]);
        let text = pk.to_string();
        assert_eq!(PublicKey::parse(&text).unwrap(), pk);
        assert!(PublicKey::parse("ed25519:AAAA").unwrap_err().contains("32"));
        assert!(
            PublicKey::parse("rsa:AAAA")
                .unwrap_err()
                .contains("ed25519:")
        );
    }

    #[test]
    fn sign_verify_tamper() {
        // (module (func)): type, function and code sections.
        let module: Vec<u8> = [
            &b"\0asm\x01\0\0\0"[..],
            &[0x01, 0x04, 0x01, 0x60, 0x00, 0x00],
            &[0x03, 0x02, 0x01, 0x00],
            &[0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b],
        ]
        .concat();
        let seed = [3u8; 32];
        let signed = sign(&module, &seed).unwrap();
        let pk = public_key_of(&seed);
        assert_eq!(verify(&signed, &[pk.clone()]).unwrap(), pk);
        // unsigned
        assert!(matches!(
            verify(&module, &[pk.clone()]),
            Err(Failure::Unsigned(_))
        ));
        // unknown key
        let other = public_key_of(&[4u8; 32]);
        assert!(matches!(
            verify(&signed, &[other]),
            Err(Failure::UnknownKey(_))
        ));
        // tampered: flip the last byte (inside the code section)
        let mut t = signed.clone();
        let n = t.len();
        t[n - 2] ^= 1;
        assert!(matches!(
            verify(&t, &[pk.clone()]),
            Err(Failure::Tampered(_))
        ));
        // truncated
        assert!(matches!(
            verify(&signed[..n - 3], &[pk]),
            Err(Failure::NotWasm(_))
        ));
    }
}
