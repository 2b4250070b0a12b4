//! A std `wasi:cli/run` command used for parity tests between `loop run` and
//! `wasmtime run`.
//!
//! Usage: `hello [--env NAME]... [--stdin] [--read FILE]... [--exit CODE] [WORD]...`
//!
//! - prints a greeting and the arguments after argv[0] to stdout,
//! - `--env NAME`: prints `env NAME=value` (or `env NAME is not set`),
//! - always writes one line to stderr,
//! - `--stdin`: reads stdin to the end and prints its length and text,
//! - `--read FILE`: prints the file's length and text; an unreadable file is
//!   reported on stderr and the command exits with status 2,
//! - `--exit CODE`: exits with CODE (0-255) after everything else.

use std::io::{Read, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = std::io::stdout().lock();
    writeln!(out, "hello from a Rust wasi:cli command").unwrap();
    writeln!(out, "args: {args:?}").unwrap();
    eprintln!("hello-rust: this line goes to stderr");

    let mut exit: u8 = 0;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| match it.next() {
            Some(v) => Some(v.clone()),
            None => {
                eprintln!("hello-rust: {flag} needs a value");
                None
            }
        };
        match arg.as_str() {
            "--env" => {
                let Some(name) = value("--env") else { return ExitCode::from(64) };
                match std::env::var(&name) {
                    Ok(v) => writeln!(out, "env {name}={v}").unwrap(),
                    Err(_) => writeln!(out, "env {name} is not set").unwrap(),
                }
            }
            "--stdin" => {
                let mut text = String::new();
                match std::io::stdin().read_to_string(&mut text) {
                    Ok(n) => writeln!(out, "stdin: {n} bytes: {}", text.trim_end()).unwrap(),
                    Err(e) => {
                        eprintln!("hello-rust: cannot read stdin: {e}");
                        exit = 2;
                    }
                }
            }
            "--read" => {
                let Some(path) = value("--read") else { return ExitCode::from(64) };
                match std::fs::read(&path) {
                    Ok(bytes) => {
                        let text = String::from_utf8_lossy(&bytes);
                        writeln!(out, "file {path}: {} bytes: {}", bytes.len(), text.trim_end()).unwrap();
                    }
                    Err(e) => {
                        eprintln!("hello-rust: cannot read {path}: {e}");
                        exit = 2;
                    }
                }
            }
            "--exit" => {
                let Some(code) = value("--exit") else { return ExitCode::from(64) };
                match code.parse::<u8>() {
                    Ok(c) => exit = c,
                    Err(_) => {
                        eprintln!("hello-rust: --exit wants 0-255, got {code:?}");
                        return ExitCode::from(64);
                    }
                }
            }
            _ => {}
        }
    }
    out.flush().unwrap();
    ExitCode::from(exit)
}
