//! `loop:log/logger`: backends `stdout`, `file` (text lines appended to `path`) and `jsonl`
//! (one JSON object a line, to `path` or stdout).

use crate::bindings::loop_::log::logger::{Host, Level};
use crate::state::StoreState;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

/// The longest log message written as is (64 KiB); longer ones are cut, so a guest cannot flood
/// the log (a plugin logging 100 MB costs 64 KiB of output). The browser host cuts at the same size.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

pub struct LogSink {
    target: Target,
    /// Records below this level are dropped (`level` setting; default: everything).
    min: u8,
}

enum Target {
    Stdout,
    File(Mutex<std::fs::File>),
    Jsonl(Option<Mutex<std::fs::File>>),
}

fn rank(level: Level) -> u8 {
    match level {
        Level::Trace => 0,
        Level::Debug => 1,
        Level::Info => 2,
        Level::Warn => 3,
        Level::Error => 4,
    }
}

pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Trace => "trace",
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

fn open_append(path: &PathBuf) -> Result<std::fs::File, String> {
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open log file {}: {e}", path.display()))
}

impl LogSink {
    pub fn stdout() -> LogSink {
        LogSink {
            target: Target::Stdout,
            min: 0,
        }
    }

    pub fn from_spec(
        provider: &str,
        path: Option<PathBuf>,
        level: Option<&str>,
    ) -> Result<LogSink, String> {
        let min = match level {
            None => 0,
            Some("trace") => 0,
            Some("debug") => 1,
            Some("info") => 2,
            Some("warn") => 3,
            Some("error") => 4,
            Some(other) => {
                return Err(format!(
                    "level '{other}' is not one of trace, debug, info, warn, error"
                ));
            }
        };
        let target = match provider {
            "stdout" => Target::Stdout,
            "file" => {
                let path = path.ok_or("provider 'file' needs a 'path'")?;
                Target::File(Mutex::new(open_append(&path)?))
            }
            "jsonl" => Target::Jsonl(match path {
                Some(p) => Some(Mutex::new(open_append(&p)?)),
                None => None,
            }),
            other => {
                return Err(format!(
                    "unknown log provider '{other}' (expected stdout, file or jsonl)"
                ));
            }
        };
        Ok(LogSink { target, min })
    }

    /// Writes one record; never fails (a provider that cannot write drops the record).
    /// A message longer than [`MAX_MESSAGE_BYTES`] is cut (at a character boundary) and says so.
    pub fn write(&self, component: &str, level: Level, message: &str) {
        if rank(level) < self.min {
            return;
        }
        let cut;
        let message = if message.len() > MAX_MESSAGE_BYTES {
            let mut end = MAX_MESSAGE_BYTES;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            cut = format!(
                "{}… [cut by the host: a {}-byte message, the first {end} bytes kept]",
                &message[..end],
                message.len()
            );
            cut.as_str()
        } else {
            message
        };
        let text_line = || format!("[{component}] {}: {message}\n", level_name(level));
        let json_line = || {
            let ts = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            let v = serde_json::json!({
                "ts": ts, "level": level_name(level), "component": component, "message": message,
            });
            format!("{v}\n")
        };
        match &self.target {
            Target::Stdout => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(text_line().as_bytes());
                let _ = out.flush();
            }
            Target::File(f) => {
                if let Ok(mut f) = f.lock() {
                    let _ = f.write_all(text_line().as_bytes());
                }
            }
            Target::Jsonl(None) => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(json_line().as_bytes());
                let _ = out.flush();
            }
            Target::Jsonl(Some(f)) => {
                if let Ok(mut f) = f.lock() {
                    let _ = f.write_all(json_line().as_bytes());
                }
            }
        }
    }
}

impl Host for StoreState {
    fn log(&mut self, level: Level, message: String) {
        self.providers.log.write(&self.name, level, &message);
    }
}
