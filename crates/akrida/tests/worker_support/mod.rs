//! Shared by the `worker_*` tests: a real Locust master from the project's venv (one per test,
//! on free loopback ports), `akrida worker` processes with their stderr in files, and a tiny
//! HTTP client for the master's web API.
#![allow(dead_code)] // each test binary uses a different part

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[allow(unused_imports)] // each test binary uses a different part
pub use testbed::{free_port, locustfile, Locust, Master, Proc};

pub fn output_dir(name: &str) -> testbed::ScratchDir {
    testbed::scratch_dir(&format!("worker-{name}"))
}

/// Where a test with a master driven through its web API runs, with the testbed's mediator up:
/// (the output directory, the master's worker port, its web port, the web API's address).
pub fn web_master(name: &str) -> (testbed::ScratchDir, u16, u16, String) {
    testbed::ensure(&["mediator"]);
    let dir = output_dir(name);
    let port = free_port();
    let web_port = free_port();
    (dir, port, web_port, format!("http://127.0.0.1:{web_port}"))
}

/// `locust --master` of `locust` on 127.0.0.1:`port` ([`Locust::start_master`]) running the
/// user `classes` (the locustfile declares every scenario's); its output goes to
/// `dir/<name>.log`.
pub fn start_master(
    locust: Locust,
    name: &str,
    port: u16,
    dir: &Path,
    classes: &[&str],
    run: Master,
) -> Proc {
    locust.start_master(port, dir.join(format!("{name}.log")), classes, run)
}

/// The users a headless master runs: `Swarm(users, rate, time)`, that many users started at
/// `rate` a second, run for `time` (a Locust run time).
pub struct Swarm(pub u64, pub u64, pub &'static str);

/// A headless master ([`start_master`]) that waits for two workers, then runs `swarm` of the
/// user `classes`; its log is `dir/<name>.log` and its CSV files `dir/<name>_*.csv`.
pub fn start_headless_master(
    locust: Locust,
    name: &str,
    port: u16,
    dir: &Path,
    classes: &[&str],
    swarm: Swarm,
) -> Proc {
    let csv = dir.join(name);
    let run = Master::Headless {
        workers: 2,
        users: swarm.0,
        rate: swarm.1,
        time: swarm.2,
        csv: &csv,
    };
    start_master(locust, name, port, dir, classes, run)
}

/// `akrida worker mediator-ping` against the testbed mediator and the master on `port`.
pub fn start_worker(name: &str, port: u16, dir: &Path, args: &[&str]) -> Proc {
    start_scenario_worker("mediator-ping", &[], name, port, dir, args)
}

/// `akrida worker issue` against the testbed issuer (holders without a mediator) and the master
/// on `port`; `label` tells its records on the issuer from other runs'.
pub fn start_issue_worker(label: &str, name: &str, port: u16, dir: &Path, args: &[&str]) -> Proc {
    let issuer = testbed::ensure(&["mediator", "issuer"])
        .agent("issuer")
        .clone();
    assert!(
        issuer.admin_api_key.is_none(),
        "the testbed issuer runs in insecure mode"
    );
    let env = [
        ("ISSUER_URL", issuer.admin_url.as_str()),
        ("WITH_MEDIATION", "false"),
        ("AKRIDA_LABEL", label),
    ];
    start_scenario_worker("issue", &env, name, port, dir, args)
}

/// `akrida worker <scenario>` with `env` besides the testbed mediator's invitation; its stderr
/// goes to `dir/<name>.log`.
fn start_scenario_worker(
    scenario: &str,
    env: &[(&str, &str)],
    name: &str,
    port: u16,
    dir: &Path,
    args: &[&str],
) -> Proc {
    let mediator = testbed::ensure(&["mediator"]).agent("mediator").clone();
    let invitation = mediator
        .invitation_url
        .as_deref()
        .expect("mediator invitation");
    let log = dir.join(format!("{name}.log"));
    let file = std::fs::File::create(&log).unwrap();
    let child = crate::common::akrida()
        .args(["worker", scenario, "--master-host", "127.0.0.1"])
        .args(["--master-port", &port.to_string()])
        .args(["--min-wait", "1", "--max-wait", "2"])
        .args(args)
        .env("MEDIATION_URL", invitation)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .expect("akrida starts");
    Proc { child, log }
}

/// The user counts a worker reported running, in order (its "running N users" lines).
pub fn running_counts(worker_log: &str) -> Vec<u64> {
    worker_log
        .lines()
        .filter_map(|line| line.strip_prefix("akrida worker: running "))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect()
}

/// Requests the worker reported to its master in all (its last log line before it leaves).
pub fn requests_reported(worker_log: &str) -> Option<u64> {
    worker_log.lines().rev().find_map(|line| {
        line.strip_prefix("akrida worker: ")?
            .strip_suffix(" requests reported to the master in all")?
            .parse()
            .ok()
    })
}

/// Requests the worker had reported when it found it had been stalled (paused), per stall.
pub fn reported_at_stalls(worker_log: &str) -> Vec<u64> {
    worker_log
        .lines()
        .filter(|line| line.contains("was stalled for"))
        .filter_map(|line| {
            let (_, rest) = line.rsplit_once('(')?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .collect()
}

/// Lines that mean a worker gave its master up and rejoined.
pub fn rejoin_lines(worker_log: &str) -> Vec<&str> {
    worker_log
        .lines()
        .filter(|line| line.contains("waiting to rejoin") || line.contains("rejoined master"))
        .collect()
}

/// Polls `check` every 250 ms until it returns Some, or panics after `limit` with `what`.
pub fn wait_for<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// One HTTP/1.0 request on loopback; returns (status, body). None when nothing answers.
pub fn http(method: &str, url: &str, form: Option<&str>) -> Option<(u16, String)> {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest
        .split_once('/')
        .map(|(a, p)| (a, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(authority).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let body = form.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {authority}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}

/// The master's `/stats/requests` JSON, or None while its web UI is not up.
pub fn master_stats(web: &str) -> Option<serde_json::Value> {
    let (status, body) = http("GET", &format!("{web}/stats/requests"), None)?;
    (status == 200)
        .then(|| serde_json::from_str(&body).ok())
        .flatten()
}

/// Each connected worker's user count, as the master sees them (sorted).
pub fn worker_user_counts(stats: &serde_json::Value) -> Vec<u64> {
    let mut counts: Vec<u64> = stats["workers"]
        .as_array()
        .map(|workers| {
            workers
                .iter()
                .filter(|w| w["state"] != "missing")
                .filter_map(|w| w["user_count"].as_u64())
                .collect()
        })
        .unwrap_or_default();
    counts.sort_unstable();
    counts
}

/// Requests the master counted for one sample name.
pub fn requests_of(stats: &serde_json::Value, name: &str) -> u64 {
    stats["stats"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == name))
        .and_then(|r| r["num_requests"].as_u64())
        .unwrap_or(0)
}
