//! Small things many tests need besides the servers: a free loopback port, a fresh scratch
//! directory, a binary under test in a clean environment, and a reader for the CSV files Locust
//! and akrida write. One copy here, so no test file carries its own.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// An empty directory under the system temp dir, named after the test and this process.
/// It is removed when the test drops it, unless the test is failing: what a failed test wrote
/// (logs, CSV, HTML) stays for whoever reads the failure.
pub fn scratch_dir(name: &str) -> ScratchDir {
    let dir = std::env::temp_dir().join(format!("akrida-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir is writable");
    ScratchDir(dir)
}

/// A test's scratch directory (see [`scratch_dir`]); use it as a `Path`.
#[derive(Debug)]
pub struct ScratchDir(PathBuf);

impl std::ops::Deref for ScratchDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for ScratchDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<OsStr> for ScratchDir {
    fn as_ref(&self) -> &OsStr {
        self.0.as_os_str()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("test output kept in {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A `Command` for a binary under test with a clean environment: only `PATH`, `HOME`, `TMPDIR`,
/// `RUST_LOG` and `RUST_BACKTRACE` are kept, so no setting of the developer's shell
/// (`MEDIATION_URL`, `LOCUST_MIN_WAIT`, `AKRIDA_CA_CERT`, ...) leaks into a test: each test sets
/// what it means. The test passes the path (`env!("CARGO_BIN_EXE_akrida")`): only the test crate
/// of the binary's package knows it.
pub fn clean_command(bin: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(bin);
    command.env_clear();
    for name in ["PATH", "HOME", "TMPDIR", "RUST_LOG", "RUST_BACKTRACE"] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command
}

/// Rows of a CSV file as Locust and akrida write it (quoted where needed, no embedded newlines),
/// as maps from column to value.
pub fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = split_csv(lines.next().expect("a header line"));
    lines
        .map(|line| header.iter().cloned().zip(split_csv(line)).collect())
        .collect()
}

fn split_csv(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_with_quotes_and_commas() {
        assert_eq!(
            split_csv(r#"didcomm,"a, b","say ""hi""",,3"#),
            vec!["didcomm", "a, b", r#"say "hi""#, "", "3"]
        );
    }
}
