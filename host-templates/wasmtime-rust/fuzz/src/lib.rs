//! Fuzz targets of the native host, shared by the libFuzzer binaries (`fuzz_targets/`, run with
//! cargo fuzz) and by the mutation fallback in `tests/` (plain `cargo test`).

/// The `loop.pack/2` payload reader, compiled from the host's own source.
#[path = "../../crates/loop-host/src/pack/format.rs"]
#[allow(dead_code)]
pub mod format;

/// Feeds `data` to every entry point of the payload reader as the packed host does at start:
/// as a whole packed file (trailer → payload → checksum → index → entries) and as a bare
/// payload. It must never panic, and whatever it accepts must be self-consistent.
pub fn payload_reader(data: &[u8]) {
    // A bare payload (header | index | data), its compressed section decompressed as the
    // host does once the checksum passed: whatever is accepted has the sizes the index says.
    if let Ok(p) = format::Payload::parse(data) {
        if let (Ok(section), Some(s)) = (p.section(), &p.index.compressed) {
            assert_eq!(section.len() as u64, s.size, "decompressed to another size than the index says");
        }
        for e in &p.index.entries {
            if let Some(bytes) = p.entry(&e.path) {
                assert_eq!(bytes.len() as u64, e.length, "an entry has the wrong length");
            }
        }
        let _ = p.corrupt_entry();
    }
    // A packed file: find the payload through the trailer at its end, check it, parse it.
    for image_end in [0u64, 8, data.len() as u64 / 2] {
        if let Ok((start, end)) = format::locate(data, image_end) {
            assert!(start <= end && end <= data.len(), "locate returned {start}..{end} for {} bytes", data.len());
            if let Ok(p) = format::Payload::parse(&data[start..end]) {
                for e in &p.index.entries {
                    let _ = p.entry(&e.path);
                }
            }
        }
    }
    if data.len() >= format::TRAILER_LEN {
        let tail = &data[data.len() - format::TRAILER_LEN..];
        if let Ok(t) = format::parse_trailer(tail, data.len() as u64) {
            let end = t.offset.checked_add(t.length);
            assert!(end.is_some_and(|e| e <= data.len() as u64), "an accepted trailer points outside the file: {t:?}");
            let payload = &data[t.offset as usize..(t.offset + t.length) as usize];
            if format::verify(payload, &t).is_ok() {
                let _ = format::Payload::parse(payload);
            }
        }
    }
    if data.len() >= format::HEADER_LEN {
        let _ = format::parse_header(&data[..format::HEADER_LEN]);
    }
}

/// A well-formed packed file (image | payload | trailer) to mutate: the seed of the fallback
/// and of the libFuzzer corpus. Its code entries are in the compressed section, as
/// `loop-host pack` writes them.
pub fn seed_file() -> Vec<u8> {
    let files = vec![
        format::NewEntry { path: "app.loop.json".into(), bytes: br#"{"format":"loop.app/1"}"#.to_vec() },
        format::NewEntry { path: "components/a.wasm".into(), bytes: b"\0asm\x0d\0\x01\0".to_vec() },
    ];
    let elf = b"\x7fELF\x02\x01\x01\0".repeat(40);
    let packed = vec![
        format::NewEntry { path: "code/0.cwasm".into(), bytes: elf.clone() },
        format::NewEntry { path: "code/1.cwasm".into(), bytes: [&elf[..], b"tail"].concat() },
    ];
    let index = format::Index {
        format: format::FORMAT.into(),
        app: "fuzz".into(),
        target: "linux-x64".into(),
        triple: "x86_64-unknown-linux-gnu".into(),
        wasmtime: "48".into(),
        created_by: "fuzz".into(),
        graph: "app.loop.json".into(),
        components: Vec::new(),
        compressed: None,
        entries: Vec::new(),
    };
    let payload = format::write_payload(index, &files, &packed, 3).expect("seed payload");
    let image = b"\x7fELF not really an executable image".to_vec();
    let trailer = format::write_trailer(&payload, image.len() as u64);
    [image, payload, trailer].concat()
}
