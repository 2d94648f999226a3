//! The finding "a saturated mediator's heartbeat drops sockets", re-checked on each ACA-Py
//! release of the testbed. ACA-Py pings every WebSocket every `--ws-heartbeat-interval` seconds
//! and aiohttp closes a socket whose pong it has not *read* within half that; a mediator whose
//! one Python core is saturated reads pongs late. 0.12.8 runs aiohttp 3.9 and 1.7.0 aiohttp 3.14,
//! whose heartbeat skips the ping while data arrives on the socket, but whose pong deadline is
//! the same half interval.
//!
//! Here each mediator runs with a 1 s heartbeat (0.5 s to read a pong) and takes a burst of 80
//! holders onboarding at 40/s; 10 s in, its event loop is stalled five times for 0.7 s
//! (SIGSTOP/SIGCONT, see `stall`), as a saturated loop stalls, and holders count the sockets it
//! drops (`connection_lost`, repaired at once). A burst alone saturated it only on a busy machine (0.12.8 dropped 2, 10 and 1
//! sockets at load average 16-22, none in one CI run on a quieter machine), hence the stalls.
//! One 3 s hold dropped 5, 11 and 0 sockets on 0.12.8; the stalls 34, 6 and 0 (so a burst is
//! repeated, up to six times, until one drops), 1.7.0 0-3: aiohttp 3.14 counts the
//! pong that waited in the socket buffer, aiohttp 3.9 closes the socket first. Only 0.12.8's
//! drops are asserted (under a loaded machine's burst 1.7.0 dropped 7 and 22 too); the same
//! bursts on a 30 s heartbeat (the advice for a loaded mediator) dropped none on either, which
//! the 200-holder load test (`mediator_ping_load.rs`, 30 s heartbeat) covers. One release at a
//! time (a lock): two bursts at once would measure the machine, not the mediators.

mod common;

use std::sync::Mutex;

use common::*;

static ONE_BURST: Mutex<()> = Mutex::new(());

/// A process held with SIGSTOP until dropped (SIGCONT), also when the test fails.
struct Frozen(u32);

impl Frozen {
    fn hold(pid: u32) -> Self {
        signal(pid, libc::SIGSTOP);
        Frozen(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        signal(self.0, libc::SIGCONT);
    }
}

fn signal(pid: u32, which: libc::c_int) {
    // SAFETY: kill(2) with a pid and a signal number; no memory is shared.
    let rc = unsafe { libc::kill(pid as libc::pid_t, which) };
    assert_eq!(rc, 0, "kill({pid}, {which}) failed");
}

/// Stalls the mediator's event loop as saturation does, in a way that catches its heartbeat
/// mid-flight. A single long hold drops a socket only if a ping of it was waiting for its pong
/// at that instant: on a quiet machine a pong comes back within a millisecond, so one hold often
/// caught none. Here the loop runs for only a few milliseconds between holds of 0.7 s: every
/// heartbeat that fell due during a hold fires when the loop resumes and sends its ping, and the
/// next hold comes before the loop has read most of the pongs, which by then wait in the
/// socket's buffer while the 0.5 s pong deadline passes.
fn stall(pid: u32, holds: u32) {
    for _ in 0..holds {
        let _frozen = Frozen::hold(pid);
        std::thread::sleep(std::time::Duration::from_millis(700));
        drop(_frozen);
        std::thread::sleep(std::time::Duration::from_millis(3));
    }
}

/// Sockets the mediator dropped during a burst of 80 holders (pinging every 2-4 s for 20 s)
/// whose event loop, 10 s in, is stalled (see `stall`): what a saturated mediator's loop does
/// to its heartbeat. A burst alone saturates it only on a busy machine (a quiet one dropped no
/// socket in one CI run).
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
    stall(mediator, 5);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report = parse_json(&output);
    let lost = common::find(&report["entries"], "name", "connection_lost")
        .map_or(0, |e| e["num_requests"].as_u64().unwrap());
    (lost, report)
}

testbed::each_acapy! {
    #[test]
    #[ignore = "live"]
    fn a_saturated_mediator_drops_sockets_on_a_short_heartbeat(acapy) {
        let _one = ONE_BURST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let name = acapy.name("mediator");
        mediator_of(acapy);
        // A drop needs a ping in flight when the loop stalls, which each burst catches with a
        // chance far from certain (0.12.8, five stalls a burst: 34, 6, 0, 1, 1, 0 and 1 drops;
        // ten stalls did worse: 0, 0, 6, 0, 0, 0, 0, 17). The finding is that 0.12.8 *can* drop a socket whose pong waits
        // unread, so up to six bursts run until one drops; one that never drops fails all six.
        let mut bursts = Vec::new();
        for _ in 0..6 {
            let (dropped, report) = drops_in_burst(&name, "1");
            println!("{acapy}: sockets dropped in a burst of 80 on a 1 s heartbeat: {dropped}");
            // Every drop was repaired: a socket opened again for each one.
            let opens = entry(&report, "socket_open")["num_requests"].as_u64().unwrap();
            let spawned = report["users"]["spawned"].as_u64().unwrap();
            assert!(opens >= 80.min(spawned) + dropped, "{opens} socket opens, {dropped} drops");
            bursts.push(dropped);
            if dropped > 0 || acapy == testbed::Acapy::V1_7_0 {
                break;
            }
        }
        match acapy {
            testbed::Acapy::V0_12_8 => assert!(
                bursts.iter().any(|&dropped| dropped > 0),
                "{acapy} dropped no socket on a 1 s heartbeat in {} bursts",
                bursts.len()
            ),
            // 1.7.0 reads the waiting pong (aiohttp 3.14); it dropped 0-3 sockets per burst
            // here, as late pongs on a loaded machine do. Nothing is asserted but the repair.
            testbed::Acapy::V1_7_0 => {}
        }
    }
}
