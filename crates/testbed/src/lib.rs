//! testbed: the one helper that tests use to reach the local testbed of real ACA-Py servers
//! and Credo mediators ([`Credo`]).
//!
//! It shells out to `<repo>/scripts/testbed` (the launcher of the Python package
//! `scripts/akrida_testbed/`, which owns starting, reusing and stopping the agents, under a file
//! lock, so many test processes may call it at once) and parses the `state.json` it prints,
//! after checking its version ([`STATE_VERSION`]). Blocking and std-only on purpose: any test, async or not, can call it.
//!
//! Test-only code: on failure it panics with the script's stderr, which names the cause
//! (a missing venv, an agent that did not start and the last lines of its log, ...).
//! It must not start or stop processes itself, nor know any ACA-Py flag: that is the script's job.
//!
//! ```no_run
//! let tb = testbed::ensure(&["mediator", "issuer"]);
//! let mediator = tb.agent("mediator");
//! let invitation = mediator.invitation_url.as_deref().unwrap();
//! let fresh_legacy = testbed::run(&["invite", "mediator", "--legacy"]);
//!
//! // Behind the TLS ingress (nginx): https/wss on localhost, signed by the testbed CA.
//! let tb = testbed::ensure_tls(&["mediator-tls"]);
//! let tls = tb.tls();
//! let mediator = tb.agent("mediator-tls");
//! assert!(mediator.invitation_url.as_deref().unwrap().starts_with("https://localhost:"));
//! let _trust_only_this = &tls.ca_cert;
//! let mark = tls.access_log_mark();
//! // ... connect ...
//! let wss = tls.front("mediator-tls-wss").port;
//! let sockets = tls.access_log_since(mark).iter().filter(|e| e.server_port == wss).count();
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use serde::Deserialize;

mod acapy;
mod cluster;
mod credo;
mod ledger;
mod locust;
mod process;
mod support;
mod tls;
pub use acapy::Acapy;
pub use cluster::{
    cluster_name, Cluster, ClusterFront, ClusterState, Conductor, Instance, InstanceRecords,
};
pub use credo::{
    Credo, CredoConnection, CredoCounters, CredoInvitation, CredoMediation, CredoStrategy,
    InvitationCounters, CREDO_AGENTS,
};
pub use ledger::{Ledger, Node, TailsServer};
pub use locust::{locust_bin, locustfile, oldest_locust_bin, Locust, Master, OLDEST_LOCUST};
pub use process::Proc;
pub use support::{clean_command, free_port, read_csv, scratch_dir, ScratchDir};
pub use tls::{read_access_log, AccessLogEntry, Front, Tls};

/// The issuer/verifier on the testbed's Indy ledger (started only when named): its schema and
/// revocable credential definition are in its [`Agent::schema_id`] and [`Agent::cred_def_id`],
/// the pool in [`Testbed::ledger`].
pub const LEDGER_ISSUER: &str = "issuer-indy";

/// Agents the script starts by default (`up`, [`ensure`] with no names): ACA-Py 0.12.8's. The
/// same roles on 1.7.0 are `mediator-1.7`, `issuer-1.7`, `multitenant-1.7` ([`Acapy::name`]).
pub const ALL_AGENTS: &[&str] = &["mediator", "pickup", "issuer", "multitenant"];

/// The agents behind the TLS ingress ([`ensure_tls`] with no names): `mediator-tls` (the flags of
/// `mediator`) and `issuer-tls` (those of `issuer`). `up --tls` also starts `credo-tls`, the
/// Credo mediator behind it ([`Credo::ensure_named`]).
pub const TLS_AGENTS: &[&str] = &["mediator-tls", "issuer-tls"];

/// The layout of `state.json` this crate reads: its top-level `version`, which
/// `scripts/testbed` writes (`STATE_VERSION` in `scripts/akrida_testbed/state.py`: the two change
/// together, with the fixture `tests/fixtures/state.json` both sides' tests read). A state
/// without one was written before versions, in version 1's layout, and is read as version 1.
pub const STATE_VERSION: u32 = 1;

/// The running testbed, as recorded in `state.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Testbed {
    /// The layout of the state ([`STATE_VERSION`]; checked when it is read).
    #[serde(default = "first_state_version")]
    pub version: u32,
    /// The state dir (`<repo>/.testbed`, or `$AKRIDA_TESTBED_DIR`).
    pub dir: PathBuf,
    /// Every agent recorded in the state, by name. The ones passed to [`ensure`] are running
    /// and usable; others may have been stopped since.
    pub agents: HashMap<String, Agent>,
    /// The testbed's own PostgreSQL server that holds the mediators' askar wallets; present
    /// once a mediator has been started.
    #[serde(default)]
    pub postgres: Option<Postgres>,
    /// The TLS ingress (the testbed CA, nginx and its fronts); present once `up --tls` (or
    /// [`ensure_tls`]) ran. See [`Testbed::tls`].
    #[serde(default)]
    pub tls: Option<Tls>,
    /// The Indy ledger (pool, tails server, the issuer's DID); present once `issuer-indy` was
    /// started. See [`Testbed::ledger`].
    #[serde(default)]
    pub ledger: Option<Ledger>,
    /// The mediator clusters, by name (`mediator-cluster`, `mediator-cluster-1.7`); see [`Cluster`].
    #[serde(default)]
    pub clusters: HashMap<String, ClusterState>,
}

/// The testbed's PostgreSQL cluster (its own `initdb` under `<dir>/pg`, TCP on 127.0.0.1 only).
#[derive(Debug, Clone, Deserialize)]
pub struct Postgres {
    /// Process id of the postmaster.
    pub pid: Option<u32>,
    /// TCP port on 127.0.0.1.
    pub port: u16,
    /// `<dir>/pg`: the data dir (`data`) and unix socket dir (`run`) live below it.
    pub dir: PathBuf,
    /// The server log.
    pub log: PathBuf,
    /// Login role of the agents (it may create databases: askar makes one per wallet).
    pub role: String,
    /// Its password (a loopback test secret).
    pub password: String,
    /// The server's `max_connections`.
    pub max_connections: u32,
}

impl Postgres {
    /// `host:port` of the server, for a `TcpStream::connect`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// One agent of the testbed: an ACA-Py, or a Credo mediator ([`Agent::server`]). All URLs are on 127.0.0.1, except those of the TLS agents
/// (`mediator-tls`, `issuer-tls`): theirs are nginx's fronts, `https://localhost:<port>` and
/// `wss://localhost:<port>` (also on 127.0.0.1), and trusting [`Tls::ca_cert`] reaches them.
#[derive(Debug, Clone, Deserialize)]
pub struct Agent {
    /// Process id of the aca-py or node (also its process group and session id).
    pub pid: Option<u32>,
    /// `Some("credo")` for the Credo mediators (see [`Credo`]); `None` for ACA-Py's agents.
    #[serde(default)]
    pub server: Option<String>,
    /// Credo mediators: the Credo release it runs (`"0.6.3"`), checked against its `/status`.
    #[serde(default)]
    pub credo_version: Option<String>,
    /// Credo mediators: its forwarding strategy (`DirectDelivery`, `QueueOnly`, `QueueAndLiveModeDelivery`).
    #[serde(default)]
    pub strategy: Option<String>,
    /// The ACA-Py release it runs (`"0.12.8"`, `"1.7.0"`), checked against its `/status` when
    /// it started. States written before releases were recorded: 0.12.8. (Meaningless for a
    /// Credo mediator: see [`Agent::credo_version`].)
    #[serde(default = "default_acapy_version")]
    pub acapy_version: String,
    /// Admin API, e.g. `http://127.0.0.1:41234` (TLS agents: `https://localhost:<port>`).
    pub admin_url: String,
    /// DIDComm http inbound endpoint (the one invitations carry; TLS agents: `https://localhost:<port>`).
    pub http_url: String,
    /// DIDComm websocket inbound endpoint (root path; TLS agents: `wss://localhost:<port>`).
    pub ws_url: String,
    /// TLS agents only: the plain `http://127.0.0.1:<port>` where the agent itself takes DIDComm
    /// http, behind its `http_url` front. Other agents: `None` (`http_url` is where they listen).
    #[serde(default)]
    pub backend_http_url: Option<String>,
    /// TLS agents only: its plain `ws://127.0.0.1:<port>`, behind its `ws_url` front.
    #[serde(default)]
    pub backend_ws_url: Option<String>,
    /// TLS agents only: its plain admin API `http://127.0.0.1:<port>`, behind its `admin_url` front.
    #[serde(default)]
    pub backend_admin_url: Option<String>,
    /// TLS agents only: the CA file (`SSL_CERT_FILE`) its own outbound https/wss trusts: the
    /// testbed CA, so it reaches the other TLS agent's fronts.
    #[serde(default)]
    pub ssl_cert_file: Option<PathBuf>,
    /// Mediators only (`mediator`, `pickup`, `mediator-tls`): a multi-use out-of-band invitation
    /// (didexchange/1.0 + connections/1.0, auto-accept) made when the agent started; its service
    /// endpoint is the agent's `http_url`.
    #[serde(default)]
    pub invitation_url: Option<String>,
    /// The agent's label, e.g. `TB-Mediator`.
    pub label: String,
    /// The agent's log file (stdout + stderr).
    pub log: PathBuf,
    /// The agent's `ACAPY_HOME` (its wallet lives below it).
    #[serde(default)]
    pub home: Option<PathBuf>,
    /// Issuer only: the admin API key (`X-API-Key`), if it was started with one.
    #[serde(default)]
    pub admin_api_key: Option<String>,
    /// Multitenant only: the JWT secret it signs tenant tokens with.
    #[serde(default)]
    pub jwt_secret: Option<String>,
    /// `--trace-target` the agent was started with, if any.
    #[serde(default)]
    pub trace_target: Option<String>,
    /// Where its askar wallet lives: `"postgres"` (the mediators, database `<name>` on
    /// [`Testbed::postgres`]) or `"sqlite"` (under `home`). `None` in a state written before this field.
    #[serde(default)]
    pub wallet_storage: Option<String>,
    /// PostgreSQL wallets only: the askar pool size (`max_connections`) it was started with.
    #[serde(default)]
    pub pg_max_connections: Option<u32>,
    /// Cluster instances only: the cluster it belongs to (`mediator-cluster`), see [`Cluster`].
    #[serde(default)]
    pub cluster: Option<String>,
    /// Cluster instances only: its number in the cluster, 1..N.
    #[serde(default)]
    pub instance: Option<usize>,
    /// Ledger-backed agents (`issuer-indy`): the pool's genesis file it was started with.
    #[serde(default)]
    pub genesis_file: Option<PathBuf>,
    /// Ledger-backed agents: its public DID on the ledger (role ENDORSER).
    #[serde(default)]
    pub public_did: Option<String>,
    /// Ledger-backed agents: the tails server it uploads to (`--tails-server-base-url`).
    #[serde(default)]
    pub tails_server_url: Option<String>,
    /// Ledger-backed agents: the schema made at its first start (`akrida-prefs` 1.0, attributes
    /// `score` and `level`).
    #[serde(default)]
    pub schema_id: Option<String>,
    /// Ledger-backed agents: the revocable credential definition on that schema, made once at
    /// its first start and reused by every test.
    #[serde(default)]
    pub cred_def_id: Option<String>,
    /// Ledger-backed agents: how many active revocation registries ACA-Py made itself with the
    /// credential definition (2: the registry and its spare). When it made fewer, the testbed
    /// made the spare through the admin API.
    #[serde(default)]
    pub registries_made: Option<u64>,
    /// Ledger-backed agents, when ACA-Py made fewer than 2 registries: the error its log showed.
    #[serde(default)]
    pub registry_error: Option<String>,
}

impl Agent {
    /// `host:port` of the admin API, for a `TcpStream::connect` (TLS agents: `localhost:<port>`).
    pub fn admin_addr(&self) -> &str {
        host_port(&self.admin_url)
    }
    /// `host:port` of the DIDComm http endpoint.
    pub fn http_addr(&self) -> &str {
        host_port(&self.http_url)
    }
    /// `host:port` of the DIDComm websocket endpoint.
    pub fn ws_addr(&self) -> &str {
        host_port(&self.ws_url)
    }
}

impl Testbed {
    /// The TLS ingress; panics when the testbed has none (use [`ensure_tls`]).
    pub fn tls(&self) -> &Tls {
        self.tls.as_ref().unwrap_or_else(|| {
            panic!(
                "the testbed in {} has no TLS ingress; use testbed::ensure_tls",
                self.dir.display()
            )
        })
    }

    /// The Indy ledger; panics when the testbed has none (ensure `issuer-indy`).
    pub fn ledger(&self) -> &Ledger {
        self.ledger.as_ref().unwrap_or_else(|| {
            panic!(
                "the testbed in {} has no Indy ledger; use testbed::ensure(&[\"issuer-indy\"])",
                self.dir.display()
            )
        })
    }

    /// The named agent; panics (naming the ones present) when the state has no such agent.
    pub fn agent(&self, name: &str) -> &Agent {
        self.agents.get(name).unwrap_or_else(|| {
            let mut names: Vec<_> = self.agents.keys().collect();
            names.sort();
            panic!("testbed has no agent {name:?} (has {names:?}); pass it to testbed::ensure")
        })
    }
}

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `<repo>/scripts/testbed`.
pub fn script() -> PathBuf {
    repo_root().join("scripts/testbed")
}

/// The testbed venv's Python (ACA-Py 0.12.8 and PyNaCl importable): `$AKRIDA_PYTHON` if set,
/// else `<repo>/.venv/acapy/bin/python`. Panics when it does not exist: tests that need it fail,
/// they never skip.
pub fn python() -> PathBuf {
    let path = std::env::var_os("AKRIDA_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/acapy/bin/python"));
    assert!(
        path.exists(),
        "no Python with ACA-Py at {} (set AKRIDA_PYTHON or run `scripts/testbed install`)",
        path.display()
    );
    path
}

/// Runs `<repo>/scripts/interop/<script>` with [`python`], JSON `input` on stdin, and returns
/// the JSON it prints. Panics with the script's stderr when it fails.
pub fn run_interop_script(script: &str, input: &serde_json::Value) -> serde_json::Value {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let path = repo_root().join("scripts/interop").join(script);
    let python = python();
    let mut child = Command::new(&python)
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let bytes = serde_json::to_vec(input).expect("JSON serialises");
    // Writing from another thread: a large input must not deadlock against a full stdout pipe.
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let output = child.wait_with_output().expect("script runs");
    writer
        .join()
        .expect("writer thread")
        .expect("stdin written");
    assert!(
        output.status.success(),
        "{} failed: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{} printed no JSON: {e}", path.display()))
}

/// Starts the named agents, or reuses them when they already run (idempotent, safe when many
/// test processes call it at once), and returns the whole testbed. Panics with the cause.
pub fn ensure(agents: &[&str]) -> Testbed {
    let list = if agents.is_empty() {
        ALL_AGENTS.join(",")
    } else {
        agents.join(",")
    };
    parse_state(&run(&["up", "--json", "--agents", &list]))
}

/// [`ensure`] with the TLS ingress: the testbed CA and its certificates, nginx with all its
/// fronts (also `wrong-host` and `expired`), and the named agents, started or reused. With no
/// names, both [`TLS_AGENTS`]; plain agents may be named too. Runs `scripts/testbed up --tls`.
/// Panics with the cause (e.g. nginx missing: `scripts/install-system-packages` installs it).
pub fn ensure_tls(agents: &[&str]) -> Testbed {
    let list = if agents.is_empty() {
        TLS_AGENTS.join(",")
    } else {
        agents.join(",")
    };
    parse_state(&run(&["up", "--json", "--tls", "--agents", &list]))
}

pub(crate) fn parse_state(out: &str) -> Testbed {
    state_from_json(out, "what scripts/testbed up --json printed")
}

/// A testbed state (`state.json`, or what `scripts/testbed up --json` prints), after checking
/// its version. Panics naming `source`, the state's file and both versions when the version is
/// not [`STATE_VERSION`], or when the text is not a state.
pub(crate) fn state_from_json(text: &str, source: &str) -> Testbed {
    let value: serde_json::Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{source} is not a testbed state ({e}):\n{text}"));
    let version = value
        .get("version")
        .map_or(Some(1), serde_json::Value::as_u64);
    if version != Some(u64::from(STATE_VERSION)) {
        let file = value
            .get("dir")
            .and_then(serde_json::Value::as_str)
            .map_or_else(
                || "a testbed's state.json".to_string(),
                |dir| format!("{dir}/state.json"),
            );
        panic!(
            "{source} ({file}) has state version {}, but this crate (crates/testbed) reads version \
             {STATE_VERSION}: scripts/testbed and crates/testbed of one checkout go together; run \
             `scripts/testbed down` and `scripts/testbed up` again with this checkout's script",
            value["version"]
        );
    }
    serde_json::from_value(value).unwrap_or_else(|e| {
        panic!("{source} is not a testbed state of version {STATE_VERSION} ({e}):\n{text}")
    })
}

fn first_state_version() -> u32 {
    1
}

/// Runs `scripts/testbed <args>` (e.g. `["restart", "mediator"]`, `["invite", "issuer"]`) and
/// returns its stdout, trimmed. Panics with the exit status and stderr when it fails.
pub fn run(args: &[&str]) -> String {
    run_with_env(args, &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// [`run`] with extra environment for what it starts (ACA-Py reads `ACAPY_*` settings from its
/// environment, e.g. `ACAPY_WS_HEARTBEAT_INTERVAL`). Other `ACAPY_WS_*` settings of ours are not
/// passed on, so an empty `env` means ACA-Py's defaults. Err: the exit status and stderr.
pub fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> Result<String, String> {
    let script = script();
    let mut command = Command::new(&script);
    for (name, _) in std::env::vars_os().filter(|(name, _)| {
        name.to_str()
            .is_some_and(|name| name.starts_with("ACAPY_WS_"))
    }) {
        command.env_remove(name);
    }
    let out = command
        .args(args)
        .envs(env.iter().copied())
        .current_dir(repo_root())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "scripts/testbed {} failed ({}):\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn default_acapy_version() -> String {
    Acapy::V0_12_8.version().to_string()
}

fn host_port(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one fixture of a state.json, read by both sides: a real state (`up --tls`,
    /// `up --acapy 1.7.0`, `up --agents mediator-cluster`, `up --agents issuer-indy`) with a few
    /// agents left out and its paths moved to /home/dev/akrida. The Python side's test,
    /// scripts/akrida_testbed/tests/test_state.py, checks the same facts.
    const FIXTURE: &str = include_str!("../tests/fixtures/state.json");

    fn fixture() -> Testbed {
        state_from_json(FIXTURE, "tests/fixtures/state.json")
    }

    #[test]
    fn parses_a_state_from_before_versions() {
        let json = r#"{"dir": "/x/.testbed", "agents": {
          "mediator": {"pid": 1, "admin_url": "http://127.0.0.1:3", "http_url": "http://127.0.0.1:1",
            "ws_url": "ws://127.0.0.1:2", "invitation_url": "http://127.0.0.1:1?oob=e30=", "label": "TB-Mediator",
            "log": "/x/.testbed/logs/mediator.log", "home": "/x/.testbed/home/mediator",
            "admin_api_key": null, "trace_target": null},
          "multitenant": {"pid": null, "admin_url": "http://127.0.0.1:6", "http_url": "http://127.0.0.1:4",
            "ws_url": "ws://127.0.0.1:5", "label": "TB-Multitenant", "log": "/x/l", "jwt_secret": "s"}}}"#;
        let old = state_from_json(json, "an old state");
        assert_eq!(old.version, 1);
        assert!(old.postgres.is_none());
        assert_eq!(old.agent("mediator").acapy_version, "0.12.8");
        assert_eq!(old.agent("mediator").wallet_storage, None);
        assert_eq!(old.agent("multitenant").pid, None);
    }

    #[test]
    #[should_panic(
        expected = "tests/fixtures/state.json (/home/dev/akrida/.testbed/state.json) has state version 2, but this crate"
    )]
    fn refuses_a_state_of_another_version() {
        let newer = FIXTURE.replacen("\"version\": 1,", "\"version\": 2,", 1);
        state_from_json(&newer, "tests/fixtures/state.json");
    }

    #[test]
    fn parses_the_fixture_agents_and_postgres() {
        let tb = fixture();
        assert_eq!(tb.version, STATE_VERSION);
        assert_eq!(tb.dir, PathBuf::from("/home/dev/akrida/.testbed"));
        let m = tb.agent("mediator");
        assert_eq!(m.pid, Some(19554));
        assert_eq!(m.admin_addr(), "127.0.0.1:32873");
        assert_eq!(m.http_addr(), "127.0.0.1:57695");
        assert_eq!(m.ws_addr(), "127.0.0.1:44965");
        assert!(m
            .invitation_url
            .as_deref()
            .unwrap()
            .starts_with(&(m.http_url.clone() + "?oob=")));
        assert_eq!(m.wallet_storage.as_deref(), Some("postgres"));
        assert_eq!(m.pg_max_connections, Some(200));
        assert_eq!(
            tb.agent("multitenant").jwt_secret.as_deref(),
            Some("akrida-testbed-jwt-secret")
        );
        assert_eq!(tb.agent("issuer").wallet_storage.as_deref(), Some("sqlite"));
        assert_eq!(tb.agent("mediator-1.7").acapy_version, "1.7.0");
        let credo = tb.agent("credo");
        assert_eq!(credo.server.as_deref(), Some("credo"));
        assert_eq!(credo.credo_version.as_deref(), Some("0.6.3"));
        assert_eq!(credo.strategy.as_deref(), Some("DirectDelivery"));
        let pg = tb.postgres.as_ref().unwrap();
        assert_eq!(
            (pg.pid, pg.addr().as_str(), pg.max_connections),
            (Some(19469), "127.0.0.1:35757", 1230)
        );
    }

    #[test]
    fn parses_the_fixture_ledger_and_its_issuer() {
        let tb = fixture();
        let ledger = tb.ledger();
        let issuer = tb.agent(LEDGER_ISSUER);
        assert_eq!(issuer.genesis_file.as_ref(), Some(&ledger.genesis_file));
        assert_eq!(issuer.public_did, ledger.issuer_did);
        assert_eq!(issuer.registries_made, Some(2));
        assert_eq!(issuer.registry_error, None);
        assert_eq!(
            issuer.tails_server_url.as_deref(),
            Some(ledger.tails_server.url.as_str())
        );
        assert_eq!(ledger.nodes.len(), 4);
        assert_eq!(ledger.nodes["Node1"].client_port, 55147);
        assert!(issuer.cred_def_id.as_deref().unwrap().contains(":3:CL:"));
    }

    #[test]
    fn parses_the_fixture_tls_section_and_agents_behind_it() {
        let tb = fixture();
        let m = tb.agent("mediator-tls");
        assert_eq!(m.ws_addr(), "localhost:60287");
        assert_eq!(m.backend_ws_url.as_deref(), Some("ws://127.0.0.1:57051"));
        let tls = tb.tls();
        assert_eq!(
            (tls.nginx_pid, tls.worker_connections),
            (Some(19546), 16384)
        );
        assert_eq!(tls.front("expired").addr(), "127.0.0.1:49799");
        assert_eq!(tls.front("mediator-tls-wss").url, m.ws_url);
        assert_eq!(m.ssl_cert_file.as_ref(), Some(&tls.ca_cert));
        assert_eq!(
            tb.agent("credo-tls").backend_ws_url.as_deref(),
            Some("ws://127.0.0.1:35067")
        );
    }

    #[test]
    fn parses_the_fixture_cluster() {
        let tb = fixture();
        let cluster = Cluster::from_testbed(&tb, "mediator-cluster");
        assert_eq!(cluster.instances().len(), 3);
        assert_eq!(cluster.instance(2).admin_url, "http://127.0.0.1:50825");
        assert_eq!(cluster.instance(3).pid, Some(20284));
        assert!(cluster.invitation_url().starts_with(cluster.http_url()));
        assert_eq!(cluster.state.fronts["wss"].port, 53573);
    }
}
