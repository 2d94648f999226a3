//! Shared by the tests that run `akrida run` against the testbed: start the binary, read its
//! JSON and CSV outputs, and ask the mediator's admin API what it recorded.
#![allow(dead_code)] // each test binary uses a different part

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};

pub mod standin;

#[allow(unused_imports)] // not every test binary reads CSV
pub use testbed::read_csv;

pub fn output_dir(name: &str) -> testbed::ScratchDir {
    testbed::scratch_dir(name)
}

pub fn mediator() -> testbed::Agent {
    mediator_of(testbed::Acapy::V0_12_8)
}

/// The testbed mediator of one ACA-Py release (started or reused).
pub fn mediator_of(acapy: testbed::Acapy) -> testbed::Agent {
    let name = acapy.name("mediator");
    testbed::ensure(&[&name]).agent(&name).clone()
}

/// `akrida run mediator-ping` against the testbed mediator, writing CSV under `dir`.
pub fn start_mediator_ping(mediator: &testbed::Agent, dir: &Path, args: &[&str]) -> Child {
    let invitation = mediator
        .invitation_url
        .as_deref()
        .expect("mediator invitation");
    mediator_ping(dir, args)
        .env("MEDIATION_URL", invitation)
        .spawn()
        .expect("akrida starts")
}

/// [`start_mediator_ping`] with the holders spread over `invitations` fresh mediator
/// invitations (`MEDIATION_URLS_FILE`), as a large run should be: ACA-Py's cost per onboarding
/// grows with the connections already made through the same invitation.
pub fn start_mediator_ping_spread(
    mediator: &str,
    dir: &Path,
    invitations: usize,
    args: &[&str],
) -> Child {
    let urls: Vec<String> = (0..invitations)
        .map(|_| testbed::run(&["invite", mediator]))
        .collect();
    let file = dir.join("invitations.txt");
    std::fs::write(&file, urls.join("\n")).expect("invitations file written");
    mediator_ping(dir, args)
        .env("MEDIATION_URLS_FILE", &file)
        .spawn()
        .expect("akrida starts")
}

/// The `akrida` binary under test, in a clean environment ([`testbed::clean_command`]): no
/// setting of the developer's shell leaks into a test.
pub fn akrida() -> Command {
    testbed::clean_command(env!("CARGO_BIN_EXE_akrida"))
}

/// A working directory for runs that must read no `.env`: cargo's scratch directory for this
/// package's tests, where nothing writes one (the machine's shared /tmp may hold anyone's).
pub fn no_dotenv_dir() -> &'static str {
    env!("CARGO_TARGET_TMPDIR")
}

/// `akrida run SCENARIO --json --csv DIR/run ARGS`; the caller says where the holders' mediator
/// is and where the output goes.
pub fn run_scenario_command(scenario: &str, dir: &Path, args: &[&str]) -> Command {
    let mut command = akrida();
    command
        .args(["run", scenario, "--json", "--csv"])
        .arg(dir.join("run"))
        .args(args);
    command
}

/// `akrida run SCENARIO ARGS` through `invitation` (and `env`), its JSON report and its stderr
/// written to files in `dir` rather than pipes: a report listing many lost messages outgrows a
/// pipe, and akrida would block writing it while the test waits for it to exit.
pub fn spawn_run_to_files(
    scenario: &str,
    invitation: &str,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Child {
    run_scenario_command(scenario, dir, args)
        .env("MEDIATION_URL", invitation)
        .envs(env.iter().copied())
        .stdout(std::fs::File::create(dir.join("report.json")).expect("report file"))
        .stderr(std::fs::File::create(dir.join("stderr.txt")).expect("stderr file"))
        .spawn()
        .expect("akrida starts")
}

/// Waits at most `limit` for a run [`spawn_run_to_files`] started: its report as stdout.
pub fn finish_run_to_files(child: Child, dir: &Path, limit: std::time::Duration) -> Output {
    let mut output = wait_bounded(child, limit);
    output.stdout = std::fs::read(dir.join("report.json")).expect("report written");
    output.stderr = std::fs::read(dir.join("stderr.txt")).unwrap_or_default();
    output
}

fn mediator_ping(dir: &Path, args: &[&str]) -> Command {
    let mut command = run_scenario_command("mediator-ping", dir, args);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// A command line's words as a person types them: `words("-u 3 -r 3 -t 12s")`.
pub fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// [`words`] of `line`, then `computed`: the flags whose values a test works out, as
/// `flags("-u 20 -t 20s", &["--html", &html])`. Their place on the command line does not matter.
pub fn flags<'a>(line: &'a str, computed: &[&'a str]) -> Vec<&'a str> {
    let mut all = words(line);
    all.extend_from_slice(computed);
    all
}

/// The onboarding phases a mediated holder times, in order (each once per holder).
pub const ONBOARDING_PHASES: [&str; 5] = [
    "startup",
    "connect",
    "socket_open",
    "mediation_grant",
    "keylist_update",
];

/// The JSON report of a run that must have passed (exit code 0), stderr shown when it did not.
pub fn passed_report(output: &Output) -> serde_json::Value {
    assert_eq!(
        output.status.code(),
        Some(0),
        "exit code; stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse_json(output)
}

pub fn parse_json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not the JSON report ({e}); stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

pub fn entry<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no {name} entry in {report:#}"))
}

/// The TLS testbed (`mediator-tls` behind its HTTPS and WSS fronts), started if needed, for a
/// test that reads the fronts' access log: the guard of `log` keeps the file's other tests that
/// read it from running meanwhile.
pub fn tls_testbed(log: &'static Mutex<()>) -> (MutexGuard<'static, ()>, testbed::Testbed) {
    let guard = log.lock().unwrap_or_else(|e| e.into_inner());
    (guard, testbed::ensure_tls(&["mediator-tls"]))
}

/// Granted mediation records of the mediator behind the TLS fronts, counted by its backend's
/// admin API (the fronts do not proxy it).
pub fn granted_behind_tls(mediator: &testbed::Agent) -> usize {
    let admin = mediator
        .backend_admin_url
        .as_deref()
        .expect("backend admin URL");
    let body = http_get(&format!("{admin}/mediation/requests?state=granted"));
    let value: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    value["results"].as_array().map(Vec::len).unwrap_or(0)
}

/// Granted mediation records on the mediator, counted by its admin API.
pub fn granted_mediations(mediator: &testbed::Agent) -> usize {
    // ACA-Py 1.x pages list calls (100 records unless `limit` says otherwise); 0.12.8 ignores it.
    let url = format!(
        "{}/mediation/requests?state=granted&limit=100000",
        mediator.admin_url
    );
    let body = http_get(&url);
    let value: serde_json::Value = serde_json::from_str(&body).expect("admin API answers JSON");
    value["results"].as_array().map(Vec::len).unwrap_or(0)
}

/// A tiny blocking HTTP GET on loopback (the admin API), so these tests need no HTTP crate.
pub fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest
        .split_once('/')
        .map(|(a, p)| (a, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(authority).expect("admin API reachable");
    // A mediator drowning in a backlog may not answer; fail the test rather than hang it.
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("HTTP response");
    assert!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "{head}"
    );
    body.to_string()
}

/// Waits for an `akrida` child process at most `limit`; past it, kills it and fails the test
/// with its stderr (a hang is a failure, never a stuck CI run).
pub fn wait_bounded(mut child: Child, limit: std::time::Duration) -> Output {
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "akrida did not finish within {limit:?} (a hang); stderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

/// The successful samples of `name` in a JSON report.
pub fn successes(report: &serde_json::Value, name: &str) -> u64 {
    let e = entry(report, name);
    e["num_requests"].as_u64().unwrap() - e["num_failures"].as_u64().unwrap()
}

/// A headless Chromium (the Debian package) with a profile of its own under `profile`, quiet:
/// no background networking, no updates, no first-run pages. Callers add their own flags.
pub fn headless_chromium(profile: &Path) -> Command {
    use std::os::unix::process::CommandExt;
    std::fs::create_dir_all(profile).expect("the browser's profile directory can be made");
    let mut command = Command::new("chromium");
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-crash-reporter",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        // Its temporary files too (a lock directory that a killed Chromium leaves behind): they
        // go with the profile, not into the machine's /tmp.
        .env("TMPDIR", profile)
        .stdin(Stdio::null())
        // Its own process group: Chromium's helpers (zygote, renderers) outlive a killed main
        // process for a moment and write into the profile; the group is killed as one.
        .process_group(0);
    command
}

/// Kills a process started by [`headless_chromium`] with every helper of its group, and waits
/// until none is left running: the scratch directory holding its profile can then be removed
/// without a late helper writing it back.
pub fn kill_chromium(child: &mut Child) {
    let group = child.id() as libc::pid_t;
    // SAFETY: killpg only sends a signal; the group is the one this child leads.
    unsafe { libc::killpg(group, libc::SIGKILL) };
    let _ = child.wait();
    let started = std::time::Instant::now();
    while group_runs(group) && started.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Whether a process of `group` is still running. Zombies do not count: they write nothing, and
/// a machine whose first process does not reap orphans keeps them.
fn group_runs(group: libc::pid_t) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // After the command's closing parenthesis: state, ppid, pgrp, …
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
        fields.len() > 2 && fields[2] == group.to_string() && fields[0] != "Z"
    })
}

/// A testbed mediator restarted (same ports and wallet) with a WebSocket heartbeat of `seconds`
/// and a 90 s receive timeout (it must outlast the heartbeat); back on ACA-Py's defaults when
/// dropped, also when the test fails, so the tests after this one see the usual testbed.
pub struct Heartbeat(String);

impl Heartbeat {
    pub fn set(name: &str, seconds: &str) -> Self {
        let env = [
            ("ACAPY_WS_HEARTBEAT_INTERVAL", seconds),
            ("ACAPY_WS_TIMEOUT_INTERVAL", "90"),
        ];
        testbed::run_with_env(&["restart", name], &env).unwrap_or_else(|e| panic!("{e}"));
        Heartbeat(name.to_string())
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        // No panic here: this may run while a failed assertion unwinds.
        if let Err(e) = testbed::run_with_env(&["restart", &self.0], &[]) {
            eprintln!("could not give {} its default heartbeat back: {e}", self.0);
        }
    }
}

/// The member of the JSON array `list` whose `key` is `value` (`list` must be an array).
pub fn find<'a>(
    list: &'a serde_json::Value,
    key: &str,
    value: &str,
) -> Option<&'a serde_json::Value> {
    list.as_array().unwrap().iter().find(|m| m[key] == value)
}

/// What a run wrote on stderr.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The row of the CSV `rows` (as [`read_csv`] reads them) whose `Name` is `name`; `what` names
/// the file in the failure.
pub fn csv_row<'a>(
    rows: &'a [std::collections::HashMap<String, String>],
    name: &str,
    what: &str,
) -> &'a std::collections::HashMap<String, String> {
    rows.iter()
        .find(|r| r["Name"] == name)
        .unwrap_or_else(|| panic!("no {name} row in {what}: {rows:?}"))
}

/// Asserts that the HTML report at `html` has an element with each of `ids`.
pub fn assert_html_ids(html: &Path, ids: &[&str]) {
    let page = std::fs::read_to_string(html).expect("the HTML report");
    for id in ids {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
    }
}
