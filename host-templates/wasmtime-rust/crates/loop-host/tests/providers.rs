//! Provider backends used directly: fs scoping, http allow-list, kv persistence.
mod common;
use common::*;
use loop_host::bindings::loop_::fs::files::Error as FsError;
use loop_host::bindings::loop_::http::client::{Error as HttpError, Request};
use loop_host::bindings::loop_::kv::store::Error as KvError;
use loop_host::providers::fs::FsBackend;
use loop_host::providers::http::{OriginPolicy, fetch};
use loop_host::providers::kv::KvBackend;
use std::io::{Read, Write};

fn is_denied<T: std::fmt::Debug>(r: Result<T, FsError>) -> bool {
    matches!(r, Err(FsError::Denied(_)))
}

#[test]
fn host_dir_denies_parent_absolute_and_symlink_escapes() {
    let dir = tmpdir("fs-escape");
    write(&dir, "secret.txt", b"secret");
    let root = dir.join("root");
    let fs = FsBackend::host_dir(&root).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.join("secret.txt"), root.join("link")).unwrap();
        std::os::unix::fs::symlink(&dir, root.join("dirlink")).unwrap();
        std::os::unix::fs::symlink("../secret.txt", root.join("rellink")).unwrap();
    }
    assert!(is_denied(fs.read("../secret.txt")));
    assert!(is_denied(fs.read("a/../../secret.txt")));
    assert!(is_denied(fs.read("../../etc/passwd")));
    assert!(is_denied(fs.read("/etc/passwd")));
    #[cfg(unix)]
    {
        assert!(is_denied(fs.read("link")), "{:?}", fs.read("link"));
        assert!(is_denied(fs.read("rellink")), "{:?}", fs.read("rellink"));
        assert!(
            is_denied(fs.read("dirlink/secret.txt")),
            "{:?}",
            fs.read("dirlink/secret.txt")
        );
        let w = fs.write("dirlink/planted.txt", b"x");
        assert!(matches!(w, Err(FsError::Denied(_))), "{w:?}");
        assert!(!dir.join("planted.txt").exists());
    }
    assert!(is_denied(fs.write("../planted.txt", b"x")));
    assert!(is_denied(fs.remove("../secret.txt")));
    assert!(!fs.exists("../secret.txt"));
    assert!(fs.list("..").is_empty());
    assert!(dir.join("secret.txt").exists());
}

#[test]
fn host_dir_reads_writes_lists_and_removes_inside_the_root() {
    let dir = tmpdir("fs-ok");
    let fs = FsBackend::host_dir(&dir).unwrap();
    fs.write("a/b.txt", b"hello").unwrap();
    fs.write("z.txt", b"z").unwrap();
    assert_eq!(fs.read("a/b.txt").unwrap(), b"hello");
    assert_eq!(fs.read("./a/b.txt").unwrap(), b"hello");
    assert_eq!(std::fs::read(dir.join("a/b.txt")).unwrap(), b"hello");
    assert_eq!(fs.list(""), vec!["a", "z.txt"]);
    assert_eq!(fs.list("a"), vec!["b.txt"]);
    assert!(fs.exists("a") && fs.exists("a/b.txt") && !fs.exists("nope"));
    assert!(matches!(fs.read("nope.txt"), Err(FsError::NotFound(p)) if p == "nope.txt"));
    fs.remove("a/b.txt").unwrap();
    fs.remove("a").unwrap();
    assert_eq!(fs.list(""), vec!["z.txt"]);
}

#[test]
fn memory_fs_behaves_like_a_directory_tree() {
    let fs = FsBackend::memory();
    fs.write("x/y.txt", b"1").unwrap();
    assert_eq!(fs.read("x/y.txt").unwrap(), b"1");
    assert_eq!(fs.list(""), vec!["x"]);
    assert!(fs.exists("x"));
    assert!(is_denied(fs.read("../x/y.txt")));
    assert!(matches!(fs.remove("x"), Err(FsError::Io(_))));
    fs.remove("x/y.txt").unwrap();
    assert!(matches!(fs.read("x/y.txt"), Err(FsError::NotFound(_))));
}

/// A one-shot HTTP/1.1 server on 127.0.0.1 answering `body`.
fn serve_once(body: &'static str) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nX-Test: yes\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(resp.as_bytes());
        }
    });
    port
}

fn get(url: &str) -> Request {
    Request {
        method: "GET".into(),
        url: url.into(),
        headers: vec![],
        body: None,
    }
}

#[test]
fn http_fetches_allowed_origins_and_denies_others_as_errors() {
    let port = serve_once("hello from server");
    let policy = OriginPolicy::new(&[format!("http://127.0.0.1:{port}")]).unwrap();
    let resp = fetch(&policy, get(&format!("http://127.0.0.1:{port}/hello"))).unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"hello from server");
    assert!(
        resp.headers
            .iter()
            .any(|(k, v)| k == "x-test" && v == "yes")
    );

    let other = format!("http://127.0.0.1:{}/x", port.wrapping_add(1));
    assert!(matches!(fetch(&policy, get(&other)), Err(HttpError::Denied(u)) if u == other));
    assert!(matches!(
        fetch(&policy, get(&format!("http://localhost:{port}/"))),
        Err(HttpError::Denied(_))
    ));
    assert!(matches!(
        fetch(&policy, get(&format!("https://127.0.0.1:{port}/"))),
        Err(HttpError::Denied(_))
    ));
    assert!(matches!(
        fetch(&policy, get("ftp://127.0.0.1/")),
        Err(HttpError::InvalidUrl(_))
    ));
    assert!(matches!(
        fetch(&policy, get("not a url")),
        Err(HttpError::InvalidUrl(_))
    ));
    assert!(matches!(
        fetch(&OriginPolicy::deny_all(), get("https://example.com/")),
        Err(HttpError::Denied(_))
    ));
}

#[test]
fn http_network_failure_is_an_error_not_a_trap() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let policy = OriginPolicy::new(&["*".to_string()]).unwrap();
    assert!(matches!(
        fetch(&policy, get(&format!("http://127.0.0.1:{port}/"))),
        Err(HttpError::Network(_))
    ));
}

#[test]
fn file_kv_persists_per_component_and_limits_sizes() {
    let dir = tmpdir("kv");
    let kv = KvBackend::from_spec("file", Some(dir.clone())).unwrap();
    kv.set("core", "a/1".into(), b"one".to_vec()).unwrap();
    kv.set("core", "a/2".into(), b"two".to_vec()).unwrap();
    kv.set("core", "b".into(), b"bee".to_vec()).unwrap();
    kv.set("plugin", "a/1".into(), b"other".to_vec()).unwrap();
    kv.delete("core", "b").unwrap();
    kv.delete("core", "never-there").unwrap();
    let again = KvBackend::from_spec("file", Some(dir.clone())).unwrap();
    assert_eq!(again.get("core", "a/1").unwrap(), Some(b"one".to_vec()));
    assert_eq!(again.get("plugin", "a/1").unwrap(), Some(b"other".to_vec()));
    assert_eq!(again.get("core", "b").unwrap(), None);
    assert_eq!(again.keys("core", "a/").unwrap(), vec!["a/1", "a/2"]);
    assert!(matches!(
        again.set("core", "big".into(), vec![0; 2 * 1024 * 1024]),
        Err(KvError::TooLarge(_))
    ));
}
