//! The resolver's expected graphs (spec/manifests/valid/*/expected.*.json, written by
//! `loop resolve` and checked by the TypeScript corpus test) are what this host must read:
//! every native graph loads and its component files match their sha256; every web graph is
//! refused with a message that says to resolve for native.
mod common;
use common::sha256_hex;
use loop_host::graph::Graph;
use std::path::{Path, PathBuf};

fn corpus_graphs(platform: &str) -> Vec<PathBuf> {
    let valid = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../../spec/manifests/valid");
    let mut out = Vec::new();
    for case in std::fs::read_dir(&valid).expect("spec/manifests/valid exists") {
        let dir = case.unwrap().path();
        for f in std::fs::read_dir(&dir).unwrap() {
            let p = f.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with(&format!("expected.{platform}")) && name.ends_with(".json") {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(
        !out.is_empty(),
        "no expected.{platform}*.json graphs under {}",
        valid.display()
    );
    out
}

#[test]
fn loads_every_native_graph_of_the_spec_corpus_and_finds_its_components() {
    for file in corpus_graphs("native") {
        let graph = Graph::load(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(!graph.components.is_empty(), "{}", file.display());
        for c in &graph.components {
            let bytes = std::fs::read(graph.resolve(&c.path))
                .unwrap_or_else(|e| panic!("{}: component '{}': {e}", file.display(), c.name));
            assert_eq!(
                c.sha256.as_deref(),
                Some(sha256_hex(&bytes).as_str()),
                "{}: component '{}'",
                file.display(),
                c.name
            );
        }
    }
}

#[test]
fn refuses_every_web_graph_of_the_spec_corpus_with_a_hint_to_resolve_for_native() {
    for file in corpus_graphs("web") {
        let err = Graph::load(&file)
            .err()
            .unwrap_or_else(|| panic!("{} loaded as a native graph", file.display()))
            .to_string();
        assert!(
            err.contains("field 'platform' is 'web'") && err.contains("resolve the app for native"),
            "{}: {err}",
            file.display()
        );
    }
}
