//! A server to watch, as the user names it: `NAME=PID` or `NAME=URL`.

use std::fmt;

/// Where a server's figures come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local process and its descendants, read from `/proc`.
    Pid(u32),
    /// A Prometheus text endpoint (http or https).
    Url(String),
}

/// A named server to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub source: Source,
}

impl Target {
    /// `NAME=PID` (a live process) or `NAME=URL` (`http://` or `https://`); errors are one
    /// sentence naming what was wrong.
    pub fn parse(text: &str) -> Result<Target, String> {
        let Some((name, value)) = text.split_once('=') else {
            return Err(format!(
                "--server {text:?} is not NAME=PID or NAME=URL (no '=')"
            ));
        };
        let name = name.trim();
        let value = value.trim();
        if name.is_empty() {
            return Err(format!("--server {text:?} has no name before '='"));
        }
        if value.chars().all(|c| c.is_ascii_digit()) && !value.is_empty() {
            let pid: u32 = value
                .parse()
                .map_err(|_| format!("--server {text:?}: {value} is not a process id"))?;
            if !crate::proc_tree::is_alive(pid) {
                return Err(format!("--server {text:?}: no live process has pid {pid}"));
            }
            return Ok(Target {
                name: name.to_owned(),
                source: Source::Pid(pid),
            });
        }
        match url::Url::parse(value) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(Target {
                name: name.to_owned(),
                source: Source::Url(value.to_owned()),
            }),
            _ => Err(format!(
                "--server {text:?}: {value:?} is neither a process id nor an http(s) URL"
            )),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Pid(pid) => write!(f, "pid {pid}"),
            Source::Url(url) => f.write_str(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_and_urls() {
        let me = std::process::id();
        assert_eq!(
            Target::parse(&format!("self={me}")).unwrap().source,
            Source::Pid(me)
        );
        assert_eq!(
            Target::parse("m=http://127.0.0.1:9/metrics").unwrap(),
            Target {
                name: "m".into(),
                source: Source::Url("http://127.0.0.1:9/metrics".into())
            }
        );
        for (bad, says) in [
            ("mediator", "no '='"),
            ("=12", "no name"),
            ("m=4294967296", "not a process id"),
            ("m=ftp://host/x", "neither a process id nor an http(s) URL"),
            ("m=12abc", "neither"),
            ("m=", "neither"),
        ] {
            let err = Target::parse(bad).expect_err(bad);
            assert!(err.contains(says), "{bad}: {err}");
        }
        // A pid no process has (above the kernel's pid_max, 2^22).
        let err = Target::parse("m=99999999").unwrap_err();
        assert!(err.contains("no live process"), "{err}");
    }
}
