//! The `loop.pack/2` payload (reader, writer, compressed section, corruption) and precompilation for other targets
//! (`loop-host compile --target`), with real components and real executables.

mod common;

use common::*;
use loop_host::pack::format::{self, ComponentRef, Index, NewEntry, PackError};
use loop_host::pack::{exe, read_packed};
use std::path::{Path, PathBuf};

/// A real small executable to append payloads to.
fn small_elf() -> Vec<u8> {
    for p in ["/bin/true", "/usr/bin/true"] {
        if let Ok(b) = std::fs::read(p) {
            return b;
        }
    }
    panic!("no /bin/true to use as an executable image");
}

fn index(components: Vec<ComponentRef>) -> Index {
    Index {
        format: format::FORMAT.into(),
        app: "test".into(),
        target: "linux-x64".into(),
        triple: "x86_64-unknown-linux-gnu".into(),
        wasmtime: "48".into(),
        created_by: "test".into(),
        graph: "app.loop.json".into(),
        components,
        compressed: None,
        entries: Vec::new(),
    }
}

/// host | payload | trailer with a real component (raw, as for a signed one), its precompiled
/// code (in the compressed section, as `loop-host pack` writes it) and a graph.
fn packed_file() -> (Vec<u8>, Vec<NewEntry>) {
    let host = small_elf();
    let wasm = plugin("echo", "1.0.0", Behavior::Echo);
    let sha = sha256_hex(&wasm);
    let engine = loop_host::engine::target_engine(loop_host::engine::HOST_TRIPLE).unwrap();
    let code = engine.precompile_component(&wasm).unwrap();
    let files = vec![
        NewEntry {
            path: "app.loop.json".into(),
            bytes: br#"{"format":"loop.app/1"}"#.to_vec(),
        },
        NewEntry {
            path: "plugins/echo.wasm".into(),
            bytes: wasm,
        },
    ];
    let packed = vec![NewEntry {
        path: format!("code/{sha}.cwasm"),
        bytes: code,
    }];
    let idx = index(vec![ComponentRef {
        path: "plugins/echo.wasm".into(),
        sha256: sha.clone(),
        code: format!("code/{sha}.cwasm"),
        wasm: true,
    }]);
    let payload = format::write_payload(idx, &files, &packed, 3).unwrap();
    let trailer = format::write_trailer(&payload, host.len() as u64);
    let mut file = host;
    file.extend_from_slice(&payload);
    file.extend_from_slice(&trailer);
    (file, files.into_iter().chain(packed).collect())
}

#[test]
fn payload_round_trip() {
    let (file, files) = packed_file();
    let p = read_packed(&file).expect("reads back");
    assert_eq!(p.index.format, "loop.pack/2");
    assert_eq!(p.index.entries.len(), files.len());
    let section = p.index.compressed.as_ref().expect("a compressed section");
    assert_eq!(section.encoding, "zstd");
    let code = p
        .index
        .entries
        .iter()
        .find(|e| e.path.starts_with("code/"))
        .unwrap();
    assert!(code.compressed, "code is in the compressed section");
    assert_eq!(section.size, code.length);
    assert!(section.length < code.length / 2, "{section:?}: compressed");
    for f in &files {
        assert_eq!(p.entry(&f.path).unwrap(), &f.bytes[..], "{}", f.path);
    }
    assert_eq!(p.corrupt_entry(), None);
    // The executable part is untouched and still ends where its headers say.
    let host = small_elf();
    assert_eq!(&file[..host.len()], &host[..]);
    let mut src: &[u8] = &host;
    assert_eq!(exe::image(&mut src).unwrap().end, host.len() as u64);
}

#[test]
fn flipped_bytes_anywhere_in_the_payload_fail_the_checksum() {
    let (file, _) = packed_file();
    let host_len = small_elf().len();
    let payload_end = file.len() - format::TRAILER_LEN;
    let span = payload_end - host_len;
    // Header, index, start/middle/end of the data.
    let offsets = [
        host_len,
        host_len + 9,
        host_len + format::HEADER_LEN + 3,
        host_len + span / 4,
        host_len + span / 2,
        host_len + 3 * span / 4,
        payload_end - 1,
    ];
    for at in offsets {
        let mut bad = file.clone();
        bad[at] ^= 0x40;
        match read_packed(&bad) {
            Err(PackError::Checksum { .. }) => {}
            other => panic!("flip at {at}: expected a checksum error, got {other:?}"),
        }
        let msg = read_packed(&bad).unwrap_err().to_string();
        assert!(msg.contains("checksum"), "{msg}");
    }
    // A flip inside the data names where: the raw entry, or the compressed section (which
    // then fails its own zstd checksum).
    let p = read_packed(&file).unwrap();
    let data_start = payload_end - p.data.len();
    let wasm = p.index.entry("plugins/echo.wasm").unwrap();
    let section = p.index.compressed.clone().unwrap();
    for (at, place) in [
        (
            data_start + wasm.offset as usize + wasm.length as usize / 2,
            "entry 'plugins/echo.wasm'",
        ),
        (
            data_start + section.offset as usize + section.length as usize / 2,
            "the compressed section",
        ),
    ] {
        let mut bad = file.clone();
        bad[at] ^= 1;
        match read_packed(&bad) {
            Err(e @ PackError::Checksum { .. }) => {
                let PackError::Checksum {
                    entry: Some(where_),
                    ..
                } = &e
                else {
                    panic!("{e:?}")
                };
                assert!(where_.starts_with(place), "{where_}");
                assert!(e.to_string().contains(&format!("in {place}")), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
    // The trailer's own checksum field.
    let mut bad = file.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(matches!(read_packed(&bad), Err(PackError::Checksum { .. })));
}

#[test]
fn truncated_files_are_reported_as_truncated() {
    let (file, _) = packed_file();
    let host_len = small_elf().len();
    for keep in [
        file.len() - 1,
        file.len() - format::TRAILER_LEN,
        file.len() - format::TRAILER_LEN - 100,
        host_len + (file.len() - host_len) / 2,
        host_len + format::HEADER_LEN + 1,
        host_len + format::HEADER_LEN - 1,
        host_len + 10,
        host_len + 5,
    ] {
        let cut = &file[..keep];
        match read_packed(cut) {
            Err(PackError::Truncated(m)) => {
                let msg = PackError::Truncated(m).to_string();
                assert!(msg.contains("truncated"), "{msg}");
            }
            other => panic!("cut to {keep} bytes: expected 'truncated', got {other:?}"),
        }
    }
    // Cut into the executable itself.
    assert!(read_packed(&file[..host_len - 10]).is_err());
}

#[test]
fn bad_magic_and_unknown_versions_are_refused() {
    let (file, _) = packed_file();
    let t = file.len() - format::TRAILER_LEN;
    let mut bad = file.clone();
    bad[t] = b'X';
    let e = read_packed(&bad).unwrap_err();
    assert!(matches!(e, PackError::BadMagic(_)), "{e:?}");
    assert!(e.to_string().contains("bad magic"), "{e}");

    for v in [1u8, 3] {
        let mut other = file.clone();
        other[t + 8] = v;
        let e = read_packed(&other).unwrap_err();
        assert_eq!(e, PackError::UnsupportedVersion(v as u32));
        assert!(
            e.to_string()
                .contains(&format!("version {v} is not supported")),
            "{e}"
        );
        assert!(e.to_string().contains("loop.pack/2"), "{e}");
    }

    // Appended bytes that are no payload at all.
    let mut junk = small_elf();
    junk.extend_from_slice(&[0x5a; 300]);
    assert!(matches!(read_packed(&junk), Err(PackError::BadMagic(_))));
    // A plain executable has none.
    assert_eq!(read_packed(&small_elf()).unwrap_err(), PackError::NoPayload);
}

#[test]
fn the_reader_never_panics_on_mutated_or_random_input() {
    let (file, _) = packed_file();
    let host_len = small_elf().len();
    // xorshift: deterministic.
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let tail = file.len() - host_len;
    for _ in 0..300 {
        let mut m = file.clone();
        for _ in 0..(1 + next() % 4) {
            let at = host_len + (next() as usize % tail);
            m[at] = next() as u8;
        }
        let _ = read_packed(&m);
        // The payload parser on its own, without the checksum in front of it.
        if let Ok(p) = format::Payload::parse(&m[host_len..m.len() - format::TRAILER_LEN]) {
            // Decompressing what the checksum would have refused must fail cleanly too.
            let _ = p.section();
            let _ = p.corrupt_entry();
        }
        let cut = host_len + (next() as usize % tail);
        let _ = read_packed(&m[..cut]);
    }
    for len in [0usize, 1, 4, 63, 64, 65, 200, 5000] {
        let r: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let _ = read_packed(&r);
        let _ = format::Payload::parse(&r);
        let mut elf = b"\x7fELF\x02\x01".to_vec();
        elf.extend_from_slice(&r);
        let _ = read_packed(&elf);
        let mut pe = b"MZ".to_vec();
        pe.extend_from_slice(&r);
        let _ = read_packed(&pe);
    }
    // An index that lies about its entries.
    let bad_index = br#"{"format":"loop.pack/2","app":"a","target":"t","triple":"x","wasmtime":"48","created-by":"c","graph":"app.loop.json","components":[],"entries":[{"path":"app.loop.json","offset":18446744073709551615,"length":2,"sha256":"0000000000000000000000000000000000000000000000000000000000000000"}]}"#;
    let mut p = Vec::new();
    p.extend_from_slice(format::HEADER_MAGIC);
    p.extend_from_slice(&2u32.to_le_bytes());
    p.extend_from_slice(&0u32.to_le_bytes());
    p.extend_from_slice(&((32 + bad_index.len()) as u64).to_le_bytes());
    p.extend_from_slice(&(bad_index.len() as u64).to_le_bytes());
    p.extend_from_slice(bad_index);
    let e = format::Payload::parse(&p).unwrap_err();
    assert!(e.to_string().contains("outside the data section"), "{e}");
    // Entry paths cannot escape.
    for bad in ["../x", "/etc/passwd", "a//b", "a/./b", "c:\\x", ""] {
        assert!(format::check_path(bad).is_err(), "{bad}");
    }
}

/// A payload whose index disagrees with its compressed section: every lie is an `invalid
/// payload` error, found before anything large is allocated.
#[test]
fn a_compressed_section_that_disagrees_with_the_index_is_refused() {
    let code = vec![7u8; 100_000];
    let packed = [NewEntry {
        path: "code/x.cwasm".into(),
        bytes: code.clone(),
    }];
    let graph = [NewEntry {
        path: "app.loop.json".into(),
        bytes: b"{}".to_vec(),
    }];
    let good = format::write_payload(index(Vec::new()), &graph, &packed, 3).unwrap();
    let p = format::Payload::parse(&good).unwrap();
    assert_eq!(p.entry("code/x.cwasm").unwrap(), &code[..]);
    // Rewrites the index (same header layout) with `edit` applied to it, or to its section.
    let rewrite = |edit: &dyn Fn(&mut format::Index)| -> Vec<u8> {
        let p = format::Payload::parse(&good).unwrap();
        let mut idx = p.index.clone();
        edit(&mut idx);
        let json = serde_json::to_vec(&idx).unwrap();
        let mut out = good[..8].to_vec();
        out.extend_from_slice(&2u32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&((32 + json.len() + p.data.len()) as u64).to_le_bytes());
        out.extend_from_slice(&(json.len() as u64).to_le_bytes());
        out.extend_from_slice(&json);
        out.extend_from_slice(p.data);
        out
    };
    let with =
        |edit: &dyn Fn(&mut format::Section)| rewrite(&|i| edit(i.compressed.as_mut().unwrap()));
    let cases: [(&dyn Fn(&mut format::Section), &str); 5] = [
        (&|s| s.size = 1 << 40, "more than"),
        (
            &|s| s.size += 1,
            "its frame holds 100000 bytes, the index says 100001",
        ),
        (
            &|s| s.encoding = "lz4".into(),
            "encoding 'lz4' is not supported",
        ),
        (&|s| s.length += 1, "lies outside the data section"),
        (
            &|s| {
                s.offset += 1;
                s.length -= 1;
            },
            "not a zstd frame",
        ),
    ];
    for (edit, want) in cases {
        let bytes = with(edit);
        let e = match format::Payload::parse(&bytes) {
            Err(e) => e,
            Ok(p) => p.section().unwrap_err(),
        };
        assert!(matches!(e, PackError::Invalid(_)), "{e:?}");
        assert!(e.to_string().contains(want), "{want}: {e}");
    }
    // An entry said to be compressed in a payload without a section.
    let bad = rewrite(&|i| i.compressed = None);
    let e = format::Payload::parse(&bad).unwrap_err();
    assert!(
        e.to_string()
            .contains("marked compressed, but the payload has no compressed section"),
        "{e}"
    );
}

/// Precompiled code of components built on one engine is mostly the same bytes; the one frame
/// over all of it stores them about once.
#[test]
fn the_compressed_section_stores_shared_code_once() {
    let engine = loop_host::engine::target_engine(loop_host::engine::HOST_TRIPLE).unwrap();
    let a = engine
        .precompile_component(&plugin("a", "1.0.0", Behavior::Reply("aaaa")))
        .unwrap();
    let b = engine
        .precompile_component(&plugin("b", "1.0.0", Behavior::Reply("bbbb")))
        .unwrap();
    assert_ne!(a, b);
    let one = format::compress(&[&a], 3).unwrap();
    let both = format::compress(&[&a, &b], 3).unwrap();
    assert!(
        both.len() < one.len() + one.len() / 4,
        "a: {} bytes → {}; a + b → {}",
        a.len(),
        one.len(),
        both.len()
    );
}

fn cwasm_machine(code: &[u8]) -> u16 {
    assert_eq!(&code[..4], b"\x7fELF", "precompiled code is an ELF object");
    u16::from_le_bytes([code[0x12], code[0x13]])
}

fn compile_target(triple: &str, out: &Path, file: &Path) -> (i32, String, String) {
    run_host(
        &[
            "compile",
            "--target",
            triple,
            "--out-dir",
            out.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        "",
        &[],
    )
}

/// `loop-host compile --target` for every target (macOS included: no SDK is needed to
/// precompile), checked the way a host of that target checks it.
#[test]
fn compile_for_other_targets_produces_code_for_that_target() {
    let dir = tmpdir("pack-target");
    let wasm = plugin("echo", "1.0.0", Behavior::Echo);
    let file = write(&dir, "echo.wasm", &wasm);
    let sha = sha256_hex(&wasm);
    let native = loop_host::Runtime::new(None).unwrap();
    for (name, triple, machine, os) in [
        ("macos-x64", "x86_64-apple-darwin", 62u16, "macos"),
        ("macos-arm64", "aarch64-apple-darwin", 183, "macos"),
        ("linux-arm64", "aarch64-unknown-linux-gnu", 183, "linux"),
        ("windows-x64", "x86_64-pc-windows-gnu", 62, "windows"),
    ] {
        let out = dir.join(name);
        let (code, stdout, stderr) = compile_target(name, &out, &file);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert!(stdout.contains(triple), "{stdout}");
        let cwasm = std::fs::read(out.join(format!("{sha}.cwasm"))).unwrap();
        assert_eq!(
            wasmtime::Engine::detect_precompiled(&cwasm),
            Some(wasmtime::Precompiled::Component),
            "{name}"
        );
        assert_eq!(cwasm_machine(&cwasm), machine, "{name}");
        // Byte for byte what an engine for that target precompiles.
        let engine = loop_host::engine::target_engine(triple).unwrap();
        assert_eq!(cwasm, engine.precompile_component(&wasm).unwrap(), "{name}");
        // This (x86_64 Linux) host refuses it with a message naming the mismatch.
        let err = unsafe { wasmtime::component::Component::deserialize(&native.engine, &cwasm) }
            .err()
            .map(|e| loop_host::one_line(&e))
            .unwrap_or_default();
        if os != "linux" || machine != 62 {
            assert!(
                err.contains("compiled for")
                    || err.contains("architecture")
                    || err.contains("operating system"),
                "{name}: {err}"
            );
        }
    }
    // Unknown target: a clear error.
    let (code, _, stderr) = compile_target("plan9-x64", &dir.join("x"), &file);
    assert_eq!(code, 1);
    assert!(stderr.contains("--target plan9-x64"), "{stderr}");
}

/// The engine settings of a target engine (what `pack` precompiles with) are those of the
/// host's own engine: code precompiled for this machine's target loads in the running host's
/// engine. The runtime-only build uses the same `base_config` (proved end to end by the packed
/// executable tests in tests/pack_native.rs, which run that build).
#[test]
fn precompiled_code_for_this_target_loads_in_the_host_engine() {
    let wasm = plugin("echo", "1.0.0", Behavior::Reply("pong"));
    let engine = loop_host::engine::target_engine(loop_host::engine::HOST_TRIPLE).unwrap();
    let code = engine.precompile_component(&wasm).unwrap();
    let rt = loop_host::Runtime::new(None).unwrap();
    let c = unsafe { wasmtime::component::Component::deserialize(&rt.engine, &code) };
    assert!(c.is_ok(), "{:?}", c.err().map(|e| loop_host::one_line(&e)));
    // A different setting is refused: the check that makes one shared Config necessary.
    let mut other = loop_host::engine::base_config();
    other.epoch_interruption(false);
    let other = wasmtime::Engine::new(&other).unwrap();
    let e = unsafe { wasmtime::component::Component::deserialize(&other, &code) }
        .err()
        .map(|e| loop_host::one_line(&e))
        .expect("refused");
    assert!(e.contains("epoch"), "{e}");
}

#[test]
fn pack_refuses_a_runtime_host_of_the_wrong_kind() {
    let dir = tmpdir("pack-runtime");
    let core = write(&dir, "core.wasm", &failing_core("x"));
    let g = graph(
        &dir,
        "core",
        serde_json::json!([{ "name": "core", "class": "core", "trust": "trusted", "path": "core.wasm", "allow": ["loop:app"] }]),
        serde_json::json!({}),
    );
    let _ = core;
    let host = env!("CARGO_BIN_EXE_loop-host");
    let out = dir.join("out");
    let pack = |target: &str, runtime: &str| {
        run_host(
            &[
                "pack",
                "--target",
                target,
                "--runtime",
                runtime,
                "--graph",
                g.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            "",
            &[],
        )
    };
    // An x86_64 ELF for a Windows target.
    let (code, _, err) = pack("windows-x64", host);
    assert_eq!(code, 1);
    assert!(
        err.contains("needs a PE (Windows) x86_64 executable"),
        "{err}"
    );
    // Not a loop-host at all.
    let t = PathBuf::from("/bin/true");
    let (code, _, err) = pack("linux-x64", t.to_str().unwrap());
    assert_eq!(code, 1);
    assert!(err.contains("is not a loop-host"), "{err}");
    let (code, _, err) = pack("amiga", host);
    assert_eq!(code, 1);
    assert!(err.contains("--target amiga: unknown target"), "{err}");
    let (code, _, err) = run_host(&["pack", "--target", "linux-x64"], "", &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("pack needs --target, --runtime, --graph and --out"),
        "{err}"
    );
    assert!(!out.exists());
}
