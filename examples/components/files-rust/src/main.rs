//! A std `wasi:cli/run` command that works on files through `wasi:filesystem`, for checking that
//! a WASI component entry granted `loop:fs` (host-dir) behaves as under `wasmtime run --dir`.
//!
//! Usage: `files [STEP]...`, steps run in order:
//!
//! - `cat PATH`: prints `PATH: N bytes: TEXT`,
//! - `write PATH TEXT`: writes TEXT (creating the parent directories), prints `wrote PATH`,
//! - `append PATH TEXT`: appends TEXT, prints `appended PATH`,
//! - `ls DIR`: prints the sorted entry names of DIR,
//! - `rm PATH`: removes the file, prints `removed PATH`.
//!
//! A failing step is reported on stderr (`files: cat PATH: <error>`) and the command exits with
//! status 2 after the remaining steps.

use std::io::Write;
use std::process::ExitCode;

fn step(op: &str, it: &mut std::slice::Iter<'_, String>, out: &mut impl Write) -> Result<(), String> {
    let mut arg = |what: &str| it.next().cloned().ok_or_else(|| format!("{op} needs {what}"));
    match op {
        "cat" => {
            let path = arg("a PATH")?;
            let bytes = std::fs::read(&path).map_err(|e| format!("{op} {path}: {e}"))?;
            let text = String::from_utf8_lossy(&bytes);
            writeln!(out, "{path}: {} bytes: {}", bytes.len(), text.trim_end()).unwrap();
        }
        "write" => {
            let path = arg("a PATH")?;
            let text = arg("a TEXT")?;
            if let Some(parent) = std::path::Path::new(&path).parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| format!("{op} {path}: {e}"))?;
            }
            std::fs::write(&path, text.as_bytes()).map_err(|e| format!("{op} {path}: {e}"))?;
            writeln!(out, "wrote {path}").unwrap();
        }
        "append" => {
            let path = arg("a PATH")?;
            let text = arg("a TEXT")?;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&path)
                .map_err(|e| format!("{op} {path}: {e}"))?;
            f.write_all(text.as_bytes()).map_err(|e| format!("{op} {path}: {e}"))?;
            writeln!(out, "appended {path}").unwrap();
        }
        "ls" => {
            let dir = arg("a DIR")?;
            let mut names = Vec::new();
            for entry in std::fs::read_dir(&dir).map_err(|e| format!("{op} {dir}: {e}"))? {
                let entry = entry.map_err(|e| format!("{op} {dir}: {e}"))?;
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
            names.sort();
            writeln!(out, "{dir}: {}", names.join(" ")).unwrap();
        }
        "rm" => {
            let path = arg("a PATH")?;
            std::fs::remove_file(&path).map_err(|e| format!("{op} {path}: {e}"))?;
            writeln!(out, "removed {path}").unwrap();
        }
        other => return Err(format!("unknown step '{other}' (cat, write, append, ls, rm)")),
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = std::io::stdout().lock();
    let mut status = 0;
    let mut it = args.iter();
    while let Some(op) = it.next() {
        if let Err(e) = step(op, &mut it, &mut out) {
            out.flush().unwrap();
            eprintln!("files: {e}");
            status = 2;
        }
    }
    out.flush().unwrap();
    ExitCode::from(status)
}
