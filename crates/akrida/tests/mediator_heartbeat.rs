//! The finding "a saturated mediator's heartbeat drops sockets", re-checked on each ACA-Py
//! release of the testbed. ACA-Py pings every WebSocket every `--ws-heartbeat-interval` seconds
//! and aiohttp closes a socket whose pong it has not *read* within half that; a mediator whose
//! one Python core is saturated reads pongs late. 0.12.8 runs aiohttp 3.9 and 1.7.0 aiohttp 3.14,
//! whose heartbeat skips the ping while data arrives on the socket, but whose pong deadline is
//! the same half interval.
//!
//! Here each mediator runs with a 1 s heartbeat (0.5 s to read a pong) and takes a burst of 80
//! holders onboarding at 40/s; 10 s in, its event loop is held for 3 s (SIGSTOP/SIGCONT), as a
//! saturated loop holds it, and holders count the sockets it drops (`connection_lost`, repaired
//! at once). A burst alone saturated it only on a busy machine (0.12.8 dropped 2, 10 and 1
//! sockets at load average 16-22, none in one CI run on a quieter machine), hence the freeze.
//! With it: 0.12.8 dropped 5 and 11 sockets in two runs, 1.7.0 none: aiohttp 3.14 counts the
//! pong that waited in the socket buffer, aiohttp 3.9 closes the socket first. Only 0.12.8's
//! drops are asserted (under a loaded machine's burst 1.7.0 dropped 7 and 22 too); the same
//! bursts on a 30 s heartbeat (the advice for a loaded mediator) dropped none on either, which
//! the 200-holder load test (`mediator_ping_load.rs`, 30 s heartbeat) covers. One release at a
//! time (a lock): two bursts at once would measure the machine, not the mediators.

mod common;

use std::sync::Mutex;

use common::*;

static ONE_BURST: Mutex<()> = Mutex::new(());

/// Restarts a mediator with a heartbeat (seconds) and a 90 s receive timeout; back on ACA-Py's
/// defaults when dropped, also when the test fails.
struct Heartbeat(String);

impl Heartbeat {
    fn set(name: &str, seconds: &str) -> Self {
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
        if let Err(e) = testbed::run_with_env(&["restart", &self.0], &[]) {
            eprintln!("could not give {} its default heartbeat back: {e}", self.0);
        }
    }
}

/// A process held with SIGSTOP until dropped (SIGCONT), also when the test fails.
struct Frozen(u32);

impl Frozen {
    fn hold(pid: u32) -> Self {
        signal(pid, "-STOP");
        Frozen(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        signal(self.0, "-CONT");
    }
}

fn signal(pid: u32, which: &str) {
    let status = std::process::Command::new("kill")
        .args([which, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {which} {pid} failed");
}

/// Sockets the mediator dropped during a burst of 80 holders (pinging every 2-4 s for 20 s)
/// whose event loop, 10 s in, is held for 3 s (SIGSTOP, then SIGCONT): what a saturated
/// mediator's loop does to its heartbeat, made certain. A burst alone saturates it only on a
/// busy machine (a quiet one dropped no socket in one CI run).
fn drops_in_burst(name: &str, heartbeat: &str) -> (u64, serde_json::Value) {
    let _heartbeat = Heartbeat::set(name, heartbeat);
    let dir = output_dir(&format!("heartbeat-{name}-{heartbeat}"));
    let child = start_mediator_ping_spread(
        name,
        &dir,
        8,
        &[
            "-u",
            "80",
            "-r",
            "40",
            "-t",
            "20s",
            "--min-wait",
            "2",
            "--max-wait",
            "4",
            "--timeout",
            "60",
            "--exit-code-on-error",
            "0",
        ],
    );
    let mediator = testbed::ensure(&[name])
        .agent(name)
        .pid
        .expect("the mediator's pid");
    std::thread::sleep(std::time::Duration::from_secs(10));
    {
        let _frozen = Frozen::hold(mediator);
        std::thread::sleep(std::time::Duration::from_secs(3));
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report = parse_json(&output);
    let lost = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "connection_lost")
        .map_or(0, |e| e["num_requests"].as_u64().unwrap());
    (lost, report)
}

testbed::each_acapy! {
    #[test]
    fn a_saturated_mediator_drops_sockets_on_a_short_heartbeat(acapy) {
        let _one = ONE_BURST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let name = acapy.name("mediator");
        mediator_of(acapy);
        let (dropped, report) = drops_in_burst(&name, "1");
        println!("{acapy}: sockets dropped in a burst of 80 on a 1 s heartbeat: {dropped}");
        // Every drop was repaired: a socket opened again for each one.
        let opens = entry(&report, "socket_open")["num_requests"].as_u64().unwrap();
        assert!(opens >= 80.min(report["users"]["spawned"].as_u64().unwrap()) + dropped, "{opens} socket opens, {dropped} drops");
        match acapy {
            // Measured with the freeze: 5 and 11 drops in two runs.
            testbed::Acapy::V0_12_8 => assert!(
                dropped > 0,
                "{acapy} dropped no socket on a 1 s heartbeat: {:#}",
                report["failures"]
            ),
            // Measured with the freeze: 0 and 0; without it, under a loaded machine's burst,
            // 7, 0 and 22. Nothing is asserted but the repair above.
            testbed::Acapy::V1_7_0 => {}
        }
    }
}
