//! owl-akrida's recovery rules for external agents, exercised against a deliberately faulty fake
//! agent (`fake_agent.py`: crashes, hangs, prints garbage, closes its stdout, ignores shutdown).
//! Every subprocess must end reaped: its `/proc/<pid>` entry disappears only once we waited
//! for it (a zombie keeps it).
//!
//! Live (`#[ignore = "live"]`) although the fake agent needs only the standard library: it runs
//! on `python3`, and the fast loop needs no Python.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_protocol::Command;
use engine::{RunConfig, Runner, Wait};
use scenarios::{ExternalAgent, ExternalAgentConfig, ExternalScenario};
use serde_json::json;

fn fake(mode: &str, log: Option<&Path>) -> ExternalAgentConfig {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fake_agent.py");
    let mut config =
        ExternalAgentConfig::new(&format!("python3 -u '{}'", script.display())).unwrap();
    config.env.push(("FAKE_MODE".into(), mode.into()));
    if let Some(log) = log {
        config
            .env
            .push(("FAKE_LOG".into(), log.display().to_string()));
    }
    config.read_timeout = Duration::from_secs(10);
    config.shutdown_timeout = Duration::from_secs(5);
    config
}

/// The test's scratch directory `fake-NAME` (keep it while the agents write) and the path of
/// the fake agents' log in it.
fn temp_log(name: &str) -> (testbed::ScratchDir, PathBuf) {
    let dir = testbed::scratch_dir(&format!("fake-{name}"));
    let path = dir.join("agent.log");
    (dir, path)
}

/// Waits (briefly) until the process is gone and reaped.
async fn assert_reaped(pid: u32) {
    let proc = PathBuf::from(format!("/proc/{pid}"));
    let deadline = Instant::now() + Duration::from_secs(3);
    while proc.exists() {
        if Instant::now() > deadline {
            let status = std::fs::read_to_string(proc.join("status")).unwrap_or_default();
            panic!("agent {pid} is still there (not reaped):\n{status}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn ping() -> Command {
    Command::PingMediator
}

#[tokio::test]
#[ignore = "live"]
async fn non_json_lines_are_skipped() {
    let mut agent = ExternalAgent::new(Arc::new(fake("garbage", None)), 0);
    agent.startup().await.unwrap();
    assert_eq!(agent.agent_config().unwrap()["fake"], true);
    let pid = agent.pid().unwrap();
    for _ in 0..3 {
        let response = agent.command(&ping()).await.unwrap();
        assert_eq!(response, json!({"error": 0, "result": "Ping Mediator"}));
    }
    assert_eq!(agent.errors(), 0);
    agent.shutdown().await;
    assert_eq!(agent.pid(), None);
    assert_reaped(pid).await;
}

#[tokio::test]
#[ignore = "live"]
async fn a_crashed_agent_is_restarted_before_the_next_task_with_its_config() {
    let (_dir, log) = temp_log("crash");
    let mut agent = ExternalAgent::new(Arc::new(fake("crash:2", Some(&log))), 7);
    agent.startup().await.unwrap();
    let first = agent.pid().unwrap();
    assert_eq!(
        agent.ensure_is_running().await,
        Ok(false),
        "running: nothing to do"
    );
    agent.command(&ping()).await.unwrap();
    agent.command(&ping()).await.unwrap();
    let err = agent.command(&ping()).await.unwrap_err();
    assert!(err.contains("EOF"), "{err}");
    assert_eq!(agent.ensure_is_running().await, Ok(true), "restarted");
    let second = agent.pid().unwrap();
    assert_ne!(first, second);
    assert_reaped(first).await;
    assert_eq!(agent.restarts(), 1);
    agent.command(&ping()).await.unwrap();
    agent.shutdown().await;
    assert_reaped(second).await;
    // The restart passed back the agentConfig the first start returned.
    let starts: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter(|l| l.contains(" start "))
        .map(str::to_string)
        .collect();
    assert_eq!(starts.len(), 2, "{starts:?}");
    assert!(starts[0].ends_with("start null"), "{}", starts[0]);
    assert!(
        starts[1].contains(&format!("\"pid\": {first}")),
        "restart got the first config: {}",
        starts[1]
    );
}

#[tokio::test]
#[ignore = "live"]
async fn closed_stdout_counts_as_not_running() {
    let mut agent = ExternalAgent::new(Arc::new(fake("close-stdout", None)), 0);
    agent.startup().await.unwrap();
    let first = agent.pid().unwrap();
    let err = agent.command(&ping()).await.unwrap_err();
    assert!(err.contains("EOF"), "{err}");
    // The process is alive (sleeping) but its pipe is closed: ensure_is_running restarts it,
    // and the old one, which ignores shutdown, is killed after the shutdown timeout and reaped.
    assert_eq!(agent.ensure_is_running().await, Ok(true));
    assert_ne!(agent.pid(), Some(first));
    assert_reaped(first).await;
    agent.shutdown().await;
}

#[tokio::test]
#[ignore = "live"]
async fn more_errors_than_allowed_shut_the_agent_down_for_a_restart() {
    let mut config = fake("error", None);
    config.errors_before_restart = 2;
    let mut agent = ExternalAgent::new(Arc::new(config), 0);
    agent.startup().await.unwrap();
    let first = agent.pid().unwrap();
    for n in 1..=2 {
        let err = agent.command(&ping()).await.unwrap_err();
        assert!(err.contains("Mediator timeout!"), "{err}");
        assert_eq!(agent.errors(), n);
        assert_eq!(agent.pid(), Some(first), "not more than 2 errors yet");
    }
    agent.command(&ping()).await.unwrap_err();
    assert_eq!(agent.pid(), None, "the third error shut it down");
    assert_reaped(first).await;
    assert_eq!(agent.ensure_is_running().await, Ok(true));
    assert_eq!(agent.errors(), 0, "a start resets the count");
    agent.shutdown().await;
}

#[tokio::test]
#[ignore = "live"]
async fn a_hanging_agent_hits_the_read_timeout() {
    let mut config = fake("hang", None);
    // The bound applies to `start` too: it must cover a Python start on a loaded CI machine
    // (500 ms did not, once), while staying far below the default 10 s of these tests.
    config.read_timeout = Duration::from_secs(2);
    let mut agent = ExternalAgent::new(Arc::new(config), 0);
    agent.startup().await.unwrap();
    let started = Instant::now();
    let err = agent.command(&ping()).await.unwrap_err();
    assert_eq!(err, "Read Timeout");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(agent.errors(), 1);
    let pid = agent.pid().unwrap();
    agent.shutdown().await;
    assert_reaped(pid).await;
}

#[tokio::test]
#[ignore = "live"]
async fn an_agent_that_ignores_shutdown_is_killed_after_the_timeout() {
    let mut config = fake("ignore-shutdown", None);
    config.shutdown_timeout = Duration::from_millis(500);
    let mut agent = ExternalAgent::new(Arc::new(config), 0);
    agent.startup().await.unwrap();
    let pid = agent.pid().unwrap();
    let started = Instant::now();
    agent.shutdown().await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_reaped(pid).await;
}

#[tokio::test]
#[ignore = "live"]
async fn a_failed_start_is_an_error_and_leaves_nothing_behind() {
    let (_dir, log) = temp_log("fail-start");
    let mut agent = ExternalAgent::new(Arc::new(fake("fail-start", Some(&log))), 0);
    let err = agent.startup().await.unwrap_err();
    assert!(err.contains("cannot start"), "{err}");
    assert_eq!(agent.pid(), None);
    let pid: u32 = std::fs::read_to_string(&log)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_reaped(pid).await;
    let missing = ExternalAgentConfig::new("/nonexistent/agent").unwrap();
    let err = ExternalAgent::new(Arc::new(missing), 0)
        .startup()
        .await
        .unwrap_err();
    assert!(err.contains("cannot start agent"), "{err}");
}

/// The engine drives crashing agents: pings succeed and fail, restarts are timed as `startup`,
/// and when the run ends every agent it ever started is gone and reaped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "live"]
async fn engine_run_with_crashing_agents_reaps_every_process() {
    let (_dir, log) = temp_log("engine");
    let scenario = Arc::new(ExternalScenario::mediator_ping(fake("crash:2", Some(&log))));
    let config = RunConfig {
        users: 3,
        spawn_rate: 10.0,
        run_time: Some(Duration::from_secs(3)),
        wait: Wait::between(0.05, 0.1),
        ..RunConfig::default()
    };
    let (_handle, run) = Runner::start(scenario, config).unwrap();
    let snapshot = run.await.unwrap();
    let entry = |name: &str| {
        snapshot
            .entries
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("no {name} entry: {:?}", snapshot.entries))
    };
    let pings = entry("ping_mediator");
    let startups = entry("startup");
    assert!(pings.num_requests > pings.num_failures, "{pings:?}");
    assert!(pings.num_failures >= 3, "each agent crashed: {pings:?}");
    assert!(
        startups.num_requests > 3,
        "restarts are startups: {startups:?}"
    );
    assert_eq!(startups.num_failures, 0);
    assert!(
        snapshot
            .counters
            .get("agent_restarts")
            .copied()
            .unwrap_or(0)
            >= 3
    );
    assert_eq!(snapshot.users.on_stop_timeouts, 0);

    let text = std::fs::read_to_string(&log).unwrap();
    let mut pids: Vec<u32> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    pids.sort_unstable();
    pids.dedup();
    assert!(pids.len() > 3, "{text}");
    for pid in pids {
        assert_reaped(pid).await;
    }
}
