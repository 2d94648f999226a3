//! The mediator cluster: N ACA-Py mediator instances of one release sharing one askar wallet on
//! the testbed's PostgreSQL, behind their own nginx (one public HTTP and WebSocket endpoint,
//! round robin). Each instance is an agent of the testbed (`mediator-cluster-2`); this module
//! gives tests the cluster as one thing: its public endpoint and invitation, each instance's
//! PID, admin URL and log, what each instance's own records say, and the commands that kill,
//! start and restart instances (`scripts/testbed kill|start|restart mediator-cluster …`).
//!
//! ```no_run
//! let cluster = testbed::Cluster::ensure(testbed::Acapy::V0_12_8);
//! let _invitation = cluster.invitation_url();
//! let marks: Vec<u64> = cluster.instances().iter().map(|i| i.log_mark()).collect();
//! // ... a run through cluster.http_url ...
//! for (instance, mark) in cluster.instances().iter().zip(marks) {
//!     let records = instance.records_since(mark);
//!     println!("{}: {} forwards, {} queued", instance.name, records.forwards, records.queued);
//! }
//! cluster.kill(2);
//! let cluster = cluster.start(2); // ready again; a new PID
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{Acapy, Testbed};

/// The testbed's name of the cluster of one release: `mediator-cluster`, `mediator-cluster-1.7`.
pub fn cluster_name(acapy: Acapy) -> String {
    acapy.name("mediator-cluster")
}

/// The cluster as `state.json` records it (`clusters.<name>`), with its instances.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub state: ClusterState,
    instances: Vec<Instance>,
    dir: PathBuf,
}

/// `state.json`'s record of a cluster.
#[derive(Debug, Clone, Deserialize)]
pub struct ClusterState {
    /// `mediator-cluster` or `mediator-cluster-1.7`.
    pub name: String,
    /// The ACA-Py release of every instance.
    pub acapy_version: String,
    /// How many instances.
    pub size: usize,
    /// Whether the instances advertise the https/wss fronts (else the plain http/ws ones).
    pub tls: bool,
    /// The public DIDComm http endpoint every instance advertises (nginx).
    pub http_url: String,
    /// The public WebSocket endpoint every instance advertises (nginx).
    pub ws_url: String,
    /// nginx's fronts by kind: `http`, `ws` (127.0.0.1), `https`, `wss` (localhost, testbed CA).
    pub fronts: HashMap<String, ClusterFront>,
    /// A multi-use out-of-band invitation whose service endpoint is [`ClusterState::http_url`].
    pub invitation_url: Option<String>,
    /// The testbed CA, which the https/wss fronts' certificate chains to.
    pub ca_cert: PathBuf,
    /// The cluster's own nginx (master) process.
    pub nginx_pid: Option<u32>,
    /// nginx's access log: one JSON object per request, with `upstream_addr`, the instance
    /// that served it ([`crate::read_access_log`]).
    pub access_log: PathBuf,
    pub error_log: PathBuf,
    /// Instance names, in order (`<name>-1` ..).
    pub instances: Vec<String>,
}

/// One of nginx's fronts for the cluster.
#[derive(Debug, Clone, Deserialize)]
pub struct ClusterFront {
    pub url: String,
    pub port: u16,
}

/// One instance of the cluster.
#[derive(Debug, Clone)]
pub struct Instance {
    /// `mediator-cluster-2`.
    pub name: String,
    /// 1..N, as the commands take it.
    pub number: usize,
    /// Its process id (also its process group).
    pub pid: Option<u32>,
    /// Its own admin API (plain, 127.0.0.1).
    pub admin_url: String,
    /// Where it takes DIDComm http itself (nginx's upstream), `http://127.0.0.1:<port>`.
    pub http_url: String,
    /// Where it takes WebSockets itself, `ws://127.0.0.1:<port>`.
    pub ws_url: String,
    /// Its log (stdout and stderr, appended across restarts).
    pub log: PathBuf,
}

/// What one instance did, counted from its own log lines (the testbed's logging config for
/// cluster instances keeps exactly these; each is one ACA-Py log line per event).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InstanceRecords {
    /// Forwards it handled (`Forwarding message to connection`).
    pub forwards: u64,
    /// Messages it could not hand to a live session nor send to an endpoint, so put in its
    /// undelivered queue, which lives in that process's memory (`Cannot queue message for
    /// delivery, no supported transport`).
    pub queued: u64,
    /// Messages it took from its queue into a session of a holder connected to it
    /// (`Sending previously undelivered message via inbound session`).
    pub dequeued: u64,
    /// Messages it pushed to a live session on it: replies and forwards alike (`Returned
    /// message to socket`).
    pub to_socket: u64,
}

impl InstanceRecords {
    /// Count the records in a piece of an instance's log.
    pub fn from_log(text: &str) -> Self {
        let mut records = Self::default();
        for line in text.lines() {
            if line.contains("Forwarding message to connection") {
                records.forwards += 1;
            } else if line.contains("Cannot queue message for delivery") {
                records.queued += 1;
            } else if line.contains("Sending previously undelivered message via inbound session") {
                records.dequeued += 1;
            } else if line.contains("Returned message to socket") {
                records.to_socket += 1;
            }
        }
        records
    }

    /// Messages still in its queue (queued since the mark, not taken out since).
    pub fn still_queued(&self) -> u64 {
        self.queued.saturating_sub(self.dequeued)
    }
}

/// An instance's conductor figures, from its admin API (`GET /status`).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Conductor {
    /// Inbound sessions open now: each holder's WebSocket, plus HTTP requests in flight.
    pub in_sessions: u64,
    /// Messages it dispatched since it started.
    pub task_done: u64,
    #[serde(default)]
    pub task_failed: u64,
}

impl Cluster {
    /// The cluster of this release, started or reused (`scripts/testbed up --agents
    /// mediator-cluster [--acapy 1.7.0]`; safe when many tests call it at once).
    pub fn ensure(acapy: Acapy) -> Cluster {
        let mut args = vec!["up", "--json", "--agents", "mediator-cluster"];
        if acapy != Acapy::V0_12_8 {
            args.extend(["--acapy", acapy.version()]);
        }
        let tb = crate::parse_state(&crate::run(&args));
        Cluster::from_testbed(&tb, &cluster_name(acapy))
    }

    /// The named cluster of a parsed state; panics when the state has none.
    pub fn from_testbed(tb: &Testbed, name: &str) -> Cluster {
        let state =
            tb.clusters.get(name).cloned().unwrap_or_else(|| {
                panic!("the testbed in {} has no cluster {name}", tb.dir.display())
            });
        let instances = state
            .instances
            .iter()
            .map(|n| {
                let agent = tb.agent(n);
                Instance {
                    name: n.clone(),
                    number: agent.instance.expect("a cluster instance has its number"),
                    pid: agent.pid,
                    admin_url: agent.admin_url.clone(),
                    http_url: agent.backend_http_url.clone().expect("instance http"),
                    ws_url: agent.backend_ws_url.clone().expect("instance ws"),
                    log: agent.log.clone(),
                }
            })
            .collect();
        Cluster {
            state,
            instances,
            dir: tb.dir.clone(),
        }
    }

    /// The testbed's name of the cluster.
    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// The public http endpoint (nginx), the one invitations carry.
    pub fn http_url(&self) -> &str {
        &self.state.http_url
    }

    /// The public WebSocket endpoint (nginx).
    pub fn ws_url(&self) -> &str {
        &self.state.ws_url
    }

    /// The invitation made when the cluster started (any instance accepts it: the wallet is shared).
    pub fn invitation_url(&self) -> &str {
        self.state
            .invitation_url
            .as_deref()
            .expect("a running cluster has an invitation")
    }

    /// Every instance, in order.
    pub fn instances(&self) -> &[Instance] {
        &self.instances
    }

    /// Instance `number` (1..N).
    pub fn instance(&self, number: usize) -> &Instance {
        self.instances
            .iter()
            .find(|i| i.number == number)
            .unwrap_or_else(|| panic!("{} has no instance {number}", self.name()))
    }

    /// The cluster as `state.json` says now (PIDs change with kill, start, restart).
    pub fn reload(&self) -> Cluster {
        let path = self.dir.join("state.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let tb = crate::state_from_json(&text, &path.display().to_string());
        Cluster::from_testbed(&tb, self.name())
    }

    /// `scripts/testbed kill <cluster> <number>`: SIGKILL, returns once the process is gone.
    pub fn kill(&self, number: usize) -> Cluster {
        crate::run(&["kill", self.name(), &number.to_string()]);
        self.reload()
    }

    /// `scripts/testbed start <cluster> <number>`: returns once the instance is ready.
    pub fn start(&self, number: usize) -> Cluster {
        crate::run(&["start", self.name(), &number.to_string()]);
        self.reload()
    }

    /// `scripts/testbed restart <cluster> <number>`: returns once the instance is ready again.
    pub fn restart(&self, number: usize) -> Cluster {
        crate::run(&["restart", self.name(), &number.to_string()]);
        self.reload()
    }

    /// `scripts/testbed restart <cluster> all`: rolling, one instance at a time.
    pub fn restart_all(&self) -> Cluster {
        crate::run(&["restart", self.name(), "all"]);
        self.reload()
    }
}

impl Instance {
    /// The end of its log now: pass it to [`Instance::records_since`] after a run.
    pub fn log_mark(&self) -> u64 {
        std::fs::metadata(&self.log).map(|m| m.len()).unwrap_or(0)
    }

    /// What it logged since `mark`.
    pub fn log_since(&self, mark: u64) -> String {
        read_from(&self.log, mark)
    }

    /// What it did since `mark`, from its own log.
    pub fn records_since(&self, mark: u64) -> InstanceRecords {
        InstanceRecords::from_log(&self.log_since(mark))
    }

    /// The holders (their DIDs) whose trust pings it handled since `mark`: a holder pings down
    /// its WebSocket, so these are the holders whose socket was on this instance. ACA-Py 0.12.8
    /// logs each ping at INFO (`Received trust ping from: <did>`); 1.7.0 only at DEBUG, which
    /// the testbed does not turn on (it would log every handler's whole context).
    pub fn ping_senders_since(&self, mark: u64) -> std::collections::BTreeSet<String> {
        ping_senders(&self.log_since(mark))
    }

    /// Its conductor figures now (`GET /status` on its admin API).
    pub fn conductor(&self) -> Conductor {
        #[derive(Deserialize)]
        struct Status {
            conductor: Conductor,
        }
        let body = crate::credo::http_get(&self.admin_url, "/status");
        let status: Status = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{}/status: no conductor figures ({e}): {body}", self.name));
        status.conductor
    }
}

fn ping_senders(log: &str) -> std::collections::BTreeSet<String> {
    log.lines()
        .filter_map(|line| line.split_once("Received trust ping from: "))
        .map(|(_, did)| did.trim().to_string())
        .collect()
}

fn read_from(path: &Path, offset: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let mut text = Vec::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        if file.seek(SeekFrom::Start(offset)).is_ok() {
            let _ = file.read_to_end(&mut text);
        }
    }
    String::from_utf8_lossy(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_record_once_from_the_instance_log() {
        let log = "\
2026-12-06 09:26:40,001 aries_cloudagent.messaging.base_handler INFO Received forward for: did:key:z6Mk
2026-12-06 09:26:40,002 aries_cloudagent.messaging.base_handler INFO Forwarding message to connection: 1f
2026-12-06 09:26:40,003 aries_cloudagent.core.conductor WARNING Cannot queue message for delivery, no supported transport
2026-12-06 09:26:40,004 aries_cloudagent.messaging.base_handler INFO Forwarding message to connection: 2a
2026-12-06 09:26:40,005 aries_cloudagent.transport.inbound.manager DEBUG Returned message to socket 77
2026-12-06 09:26:41,000 acapy_agent.transport.inbound.manager DEBUG Sending previously undelivered message via inbound session
";
        let records = InstanceRecords::from_log(log);
        assert_eq!(
            records,
            InstanceRecords {
                forwards: 2,
                queued: 1,
                dequeued: 1,
                to_socket: 1
            }
        );
        assert_eq!(records.still_queued(), 0);
        let pings = "x INFO Received trust ping from: did:peer:1zA\n\
                     x INFO Received trust ping from: did:peer:1zB\n\
                     x INFO Received trust ping from: did:peer:1zA\n";
        assert_eq!(ping_senders(pings).len(), 2);
    }

    #[test]
    fn parses_a_cluster_and_its_instances() {
        let json = r#"{"dir": "/x", "agents": {
          "mediator-cluster-1": {"pid": 11, "acapy_version": "0.12.8", "cluster": "mediator-cluster", "instance": 1,
            "http_url": "http://127.0.0.1:100", "ws_url": "ws://127.0.0.1:101", "admin_url": "http://127.0.0.1:203",
            "backend_http_url": "http://127.0.0.1:201", "backend_ws_url": "ws://127.0.0.1:202",
            "label": "TB-Mediator-Cluster", "log": "/x/logs/mediator-cluster-1.log", "wallet_storage": "postgres"},
          "mediator-cluster-2": {"pid": null, "acapy_version": "0.12.8", "cluster": "mediator-cluster", "instance": 2,
            "http_url": "http://127.0.0.1:100", "ws_url": "ws://127.0.0.1:101", "admin_url": "http://127.0.0.1:303",
            "backend_http_url": "http://127.0.0.1:301", "backend_ws_url": "ws://127.0.0.1:302",
            "label": "TB-Mediator-Cluster", "log": "/x/logs/mediator-cluster-2.log"}},
          "clusters": {"mediator-cluster": {"name": "mediator-cluster", "acapy_version": "0.12.8", "size": 2,
            "tls": false, "http_url": "http://127.0.0.1:100", "ws_url": "ws://127.0.0.1:101",
            "fronts": {"http": {"url": "http://127.0.0.1:100", "port": 100}, "wss": {"url": "wss://localhost:104", "port": 104}},
            "invitation_url": "http://127.0.0.1:100?oob=e30=", "wallet_name": "mediator-cluster",
            "ca_cert": "/x/tls/ca.crt", "nginx_pid": 10, "nginx_prefix": "/x/nginx/mediator-cluster",
            "nginx_conf": "/x/nginx/mediator-cluster/nginx.conf", "access_log": "/x/nginx/mediator-cluster/access.log",
            "error_log": "/x/nginx/mediator-cluster/error.log", "log_config": "/x/l.ini",
            "instances": ["mediator-cluster-1", "mediator-cluster-2"]}}}"#;
        let tb: Testbed = serde_json::from_str(json).unwrap();
        let cluster = Cluster::from_testbed(&tb, "mediator-cluster");
        assert_eq!(cluster.instances().len(), 2);
        assert_eq!(cluster.instance(2).admin_url, "http://127.0.0.1:303");
        assert_eq!(cluster.instance(1).pid, Some(11));
        assert_eq!(cluster.instance(2).pid, None);
        assert_eq!(cluster.instance(1).http_url, "http://127.0.0.1:201");
        assert!(cluster.invitation_url().starts_with(cluster.http_url()));
        assert_eq!(cluster.state.fronts["wss"].port, 104);
        assert_eq!(cluster_name(Acapy::V1_7_0), "mediator-cluster-1.7");
    }
}
