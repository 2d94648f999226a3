//! The finding "a saturated mediator's heartbeat drops sockets", re-checked on each ACA-Py
//! release of the testbed. ACA-Py pings every WebSocket every `--ws-heartbeat-interval` seconds
//! and aiohttp closes a socket whose pong it has not *read* within half that; a mediator whose
//! one Python core is saturated reads pongs late. 0.12.8 runs aiohttp 3.9 and 1.7.0 aiohttp 3.14,
//! whose heartbeat skips the ping while data arrives on the socket, but whose pong deadline is
//! the same half interval.
//!
//! Here each mediator runs with a 1 s heartbeat (0.5 s to read a pong) and takes a burst of 80
//! holders onboarding at 40/s: its event loop falls behind, and holders count the sockets it
//! drops (`connection_lost`, repaired at once). Measured here (2-core machine, load average
//! 16-22): 0.12.8 dropped 2, 10 and 1 sockets in three runs, 1.7.0 dropped 7, 0 and 22, so only 0.12.8's
//! drops are asserted; the same bursts on a 30 s heartbeat
//! (the README's advice for a loaded mediator) dropped none on either, which the 200-holder load
//! test (`mediator_ping_load.rs`, 30 s heartbeat) covers. One release at a time (a lock): two
//! bursts at once would measure the machine, not the mediators.

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

/// Sockets the mediator dropped during a burst of 80 holders (pinging every 2-4 s for 20 s).
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
            // Measured: 2, 10 and 1 drops in three runs.
            testbed::Acapy::V0_12_8 => assert!(
                dropped > 0,
                "{acapy} dropped no socket on a 1 s heartbeat: {:#}",
                report["failures"]
            ),
            // Measured: 7, 0 and 22 drops in three runs. aiohttp 3.14 pushes the heartbeat
            // back while data arrives and skips a ping then, so this burst does not reliably
            // saturate it into drops: nothing is asserted but the repair above.
            testbed::Acapy::V1_7_0 => {}
        }
    }
}
