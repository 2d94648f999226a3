//! Real Locust masters for the worker tests: the project's Locust releases ([`Locust`]) and a
//! master of one of them on loopback, with the committed locustfile, run as a [`Master`] says.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{repo_root, Proc};

/// How a test's Locust master runs.
pub enum Master<'a> {
    /// `--headless`: it waits for `workers` workers, then runs `users` users spawned at `rate` a
    /// second for `time` (`"15s"`), and writes its CSV files under the prefix `csv`.
    Headless {
        workers: u32,
        users: u64,
        rate: u64,
        time: &'a str,
        csv: &'a Path,
    },
    /// With its web UI on 127.0.0.1:`web_port`, where the test starts and changes the swarm.
    Web { web_port: u16 },
}

impl Master<'_> {
    fn args(&self) -> Vec<String> {
        match self {
            Master::Headless {
                workers,
                users,
                rate,
                time,
                csv,
            } => vec![
                "--headless".into(),
                "--expect-workers".into(),
                workers.to_string(),
                "-u".into(),
                users.to_string(),
                "-r".into(),
                rate.to_string(),
                "-t".into(),
                time.to_string(),
                "--csv".into(),
                csv.to_str().expect("a UTF-8 CSV path").into(),
            ],
            Master::Web { web_port } => vec![
                "--web-host".into(),
                "127.0.0.1".into(),
                "--web-port".into(),
                web_port.to_string(),
            ],
        }
    }
}

/// `.venv/locust/bin/locust`, installed by `scripts/testbed install`.
pub fn locust_bin() -> PathBuf {
    let bin = repo_root().join(".venv/locust/bin/locust");
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/testbed install",
        bin.display()
    );
    bin
}

/// The oldest Locust whose master akrida's worker supports (the first to `ack` a worker's
/// `client_ready`), for the worker's compatibility tests.
pub const OLDEST_LOCUST: &str = "2.10.0";

/// `.venv/locust-2.10/bin/locust` ([`OLDEST_LOCUST`], on Python 3.10), installed by
/// `scripts/testbed install`.
pub fn oldest_locust_bin() -> PathBuf {
    let bin = repo_root().join(".venv/locust-2.10/bin/locust");
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/testbed install (Locust {OLDEST_LOCUST} needs Python 3.10)",
        bin.display()
    );
    bin
}

/// A Locust release that worker tests run masters of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locust {
    /// `.venv/locust` (`LOCUST_SPEC` in `scripts/akrida_testbed/config.py`).
    Newest,
    /// [`OLDEST_LOCUST`].
    Oldest,
}

impl Locust {
    pub fn bin(self) -> PathBuf {
        match self {
            Locust::Newest => locust_bin(),
            Locust::Oldest => oldest_locust_bin(),
        }
    }

    /// For directory and log names.
    pub fn label(self) -> &'static str {
        match self {
            Locust::Newest => "newest",
            Locust::Oldest => "oldest",
        }
    }

    /// `locust --master` of this release on 127.0.0.1:`port` with the committed
    /// [`locustfile`], running the user `classes` as `run` says; its stdout and stderr go to
    /// `log`. Killed on drop.
    pub fn start_master(self, port: u16, log: PathBuf, classes: &[&str], run: Master) -> Proc {
        let file = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let child = Command::new(self.bin())
            .arg("-f")
            .arg(locustfile())
            .args(["--master", "--master-bind-host", "127.0.0.1"])
            .args(["--master-bind-port", &port.to_string()])
            .args(classes)
            .args(run.args())
            .env_remove("LOCUST_HOST")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file handle"))
            .stderr(file)
            .spawn()
            .expect("locust starts");
        Proc { child, log }
    }
}

/// The committed locustfile that declares akrida's scenarios as Locust user classes.
pub fn locustfile() -> PathBuf {
    repo_root().join("crates/locust/locustfiles/akrida.py")
}

/// One test per supported Locust release from one body, as [`each_acapy!`](crate::each_acapy)
/// does for ACA-Py: `each_locust!(#[test] #[ignore = "live"] fn name => body)` makes a module
/// `name` holding the tests `newest` and `oldest`, each with the attributes given, calling
/// `body(Locust::Newest)` or `body(Locust::Oldest)` (`async fn name => body` awaits it). So
/// `cargo test name -- --ignored` runs both, `cargo test oldest -- --ignored` every test's
/// oldest-master half.
#[macro_export]
macro_rules! each_locust {
    (#[$test:meta] $(#[$attr:meta])* async fn $name:ident => $body:ident) => {
        mod $name {
            #[$test]
            $(#[$attr])*
            async fn newest() {
                super::$body($crate::Locust::Newest).await
            }
            #[$test]
            $(#[$attr])*
            async fn oldest() {
                super::$body($crate::Locust::Oldest).await
            }
        }
    };
    (#[$test:meta] $(#[$attr:meta])* fn $name:ident => $body:ident) => {
        mod $name {
            #[$test]
            $(#[$attr])*
            fn newest() {
                super::$body($crate::Locust::Newest)
            }
            #[$test]
            $(#[$attr])*
            fn oldest() {
                super::$body($crate::Locust::Oldest)
            }
        }
    };
}
