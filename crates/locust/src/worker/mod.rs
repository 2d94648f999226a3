//! A Locust worker that runs an engine scenario: it joins a master, runs the users the master
//! assigns it, reports every interval, and follows the master's `stop` and `quit`.
//!
//! The life of a worker, as `WorkerRunner` in `locust/runners.py` lives it:
//! 1. **join**: connect, send `client_ready`, wait for `ack`; retried (with an event per failed
//!    attempt) until `connect_timeout` at start, and without limit when rejoining.
//! 2. **session**: heartbeats every second (state, CPU, memory); `stats` every report interval;
//!    `spawn` → `spawning`, the engine's user target set (the master paces the ramp by sending
//!    growing counts; each step's users start at the master's rate), `spawning_complete`;
//!    `stop` → users stopped, their last figures reported, `client_stopped`, then `client_ready`
//!    again; `quit` → a report at once (the master
//!    waits only half a second for it), users stopped, a last report, `quit`; `reconnect` → the
//!    socket closed and opened again with the same identity.
//! 3. **master lost**: the master's connection closed, or no heartbeat from it for
//!    `heartbeat_timeout` *after a first one came* → users stopped, the socket closed, back to 1.
//!    Masters before 2.19 send no heartbeats at all, so the clock only starts at the first one,
//!    as Locust's own worker does (which quits after 60 s instead; rejoining lets a restarted
//!    master find its workers again).
//!
//! A worker the master marked missing (it was paused, or its machine stalled) needs nothing
//! special: its next heartbeat makes the master take it back ("self-healed") and hand it users
//! again, on the same session. A stall long enough for that is reported as an event.
//!
//! The session runs on a thread of its own with a small runtime, apart from the users' runtime
//! (the caller's): users that keep every runtime thread busy cannot delay heartbeats, reports or
//! the master's commands.
//!
//! A malformed message is reported as an event and ignored. Nothing here computes a statistic:
//! the engine's interval figures are renamed by [`crate::report`].

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use engine::{RunConfig, Scenario};
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::connection::{endpoint, Connection};
use crate::error::{ConnectError, ProtocolError, WorkerError};
use crate::protocol::{FromMaster, ToMaster};

mod session;
use session::{Session, SessionEnd};

/// Locust's `HEARTBEAT_INTERVAL`.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(1);
/// Locust's `WORKER_REPORT_INTERVAL`.
pub const REPORT_INTERVAL: Duration = Duration::from_secs(3);
/// Locust's `CONNECT_TIMEOUT`: how long to wait for `ack` after `client_ready`.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(5);
/// Locust's `MASTER_HEARTBEAT_TIMEOUT`: the master counts as gone after this long without a
/// heartbeat from it, once it has sent one.
pub const MASTER_HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(60);
/// Heartbeat intervals without one from this worker after which the master marks it missing
/// (`HEARTBEAT_LIVENESS` = 3, counted down once a second, missing below 0).
const MISSING_AFTER_BEATS: u32 = 4;
/// Users per second the engine starts a spawn job's users at when the master sent no spawn rate:
/// all at once, as Python workers do (the master paces the ramp by sending growing counts).
const AT_ONCE: f64 = 1.0e6;
/// Longest pause between two join attempts.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);
/// How long the last messages get to leave the socket before the worker returns (the `zeromq`
/// crate has no linger option; a send returns when the message is queued, not written).
const LINGER: Duration = Duration::from_millis(500);
/// Longest a single TCP connect attempt may take.
const CONNECT_ATTEMPT: Duration = Duration::from_secs(2);

/// How a worker reaches its master and what it runs.
#[derive(Clone)]
pub struct WorkerConfig {
    pub master_host: String,
    pub master_port: u16,
    /// Locust's client id format: `<hostname>_<32 hex digits>` (see [`new_client_id`]).
    pub client_id: String,
    /// The Locust user class this worker runs; the master's locustfile declares a class with this
    /// name, and `spawn` jobs count users per class name.
    pub user_class: String,
    pub scenario: Arc<dyn Scenario>,
    /// Waits, seed, history interval and the least stop timeout of each run; the user count and
    /// spawn rate come from the master, the run time too (the master stops the run).
    pub run: RunConfig,
    /// At start: give up when no master answered for this long.
    pub connect_timeout: Duration,
    /// The master counts as gone after this long without a heartbeat from it; the clock starts at
    /// its first heartbeat (masters before 2.19 send none).
    pub heartbeat_timeout: Duration,
    pub heartbeat_interval: Duration,
    pub report_interval: Duration,
}

impl WorkerConfig {
    pub fn new(
        master_host: impl Into<String>,
        master_port: u16,
        user_class: impl Into<String>,
        scenario: Arc<dyn Scenario>,
    ) -> Self {
        WorkerConfig {
            master_host: master_host.into(),
            master_port,
            client_id: new_client_id(),
            user_class: user_class.into(),
            scenario,
            run: RunConfig::default(),
            connect_timeout: Duration::from_secs(60),
            heartbeat_timeout: MASTER_HEARTBEAT_TIMEOUT,
            heartbeat_interval: HEARTBEAT_INTERVAL,
            report_interval: REPORT_INTERVAL,
        }
    }

    pub fn endpoint(&self) -> String {
        endpoint(&self.master_host, self.master_port)
    }
}

/// `<hostname>_<uuid4 hex>`, as `WorkerRunner.client_id`.
pub fn new_client_id() -> String {
    format!("{}_{}", hostname(), uuid::Uuid::new_v4().simple())
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let name = if rc == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        String::new()
    };
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        .take(64)
        .collect();
    if name.is_empty() {
        "akrida".to_owned()
    } else {
        name
    }
}

/// What a worker tells its owner as it goes (the binary prints these on stderr).
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerEvent {
    /// A join attempt failed; another follows in `retry_in` (None: no more, the worker gives up).
    JoinFailed {
        attempt: u32,
        endpoint: String,
        cause: String,
        retry_in: Option<Duration>,
        rejoin: bool,
    },
    /// The master acknowledged `client_ready`.
    Joined {
        endpoint: String,
        index: Option<i64>,
        rejoin: bool,
    },
    /// A spawn job was applied: this worker now runs `users` users.
    Spawned {
        users: u64,
        user_classes_count: BTreeMap<String, u64>,
    },
    /// The master asked for users of classes only, none of which this worker runs (its test does
    /// not include this worker's class); they are not started.
    UnknownClasses { classes: BTreeMap<String, u64> },
    /// The master dealt this worker users of other classes of its test besides its own (a master
    /// deals every class over all workers); they run as `run_as`, the worker's class.
    OtherClasses {
        classes: BTreeMap<String, u64>,
        run_as: String,
    },
    /// The master said `stop`; the users have stopped.
    Stopped,
    /// The master is gone: users stopped, the socket closed, rejoining.
    MasterLost { why: MasterLoss },
    /// This process did nothing for `stalled_for` (paused, or its machine stalled): the master
    /// has likely marked it missing meanwhile. Its heartbeats go on; the master takes it back.
    Stalled {
        stalled_for: Duration,
        requests_reported: u64,
    },
    /// A message from the master could not be used; it was ignored.
    Malformed { error: String },
    /// A message could not be sent (the master may be gone).
    SendFailed { error: String },
    /// The master said `quit`.
    Quit,
    /// The worker is leaving (after `quit` or a shutdown): requests reported to masters in all.
    Done { requests_reported: u64 },
}

/// Why a worker gave its master up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MasterLoss {
    /// The master's heartbeats stopped for this long.
    Silent(Duration),
    /// The master's end of the connection closed (the master ended, or reset its socket).
    Disconnected,
}

/// How a worker ended (both are normal ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerEnd {
    /// The master said `quit`.
    Quit,
    /// The owner's shutdown future resolved (Ctrl-C): users stopped, the master told `quit`.
    Shutdown,
}

type EventSink = Arc<dyn Fn(&WorkerEvent) + Send + Sync>;
type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A Locust worker. See the module documentation.
pub struct Worker {
    config: WorkerConfig,
    events: EventSink,
    /// The newest spawn job's timestamp; older or equal ones are discarded (as Locust does).
    last_spawn_timestamp: f64,
    warned_classes: BTreeSet<String>,
    /// Requests in the `stats` messages handed to the socket so far.
    requests_reported: u64,
}

impl Worker {
    pub fn new(config: WorkerConfig) -> Self {
        Worker {
            config,
            events: Arc::new(|event| tracing::info!(?event, "locust worker")),
            last_spawn_timestamp: f64::NEG_INFINITY,
            warned_classes: BTreeSet::new(),
            requests_reported: 0,
        }
    }

    /// Calls `sink` with every [`WorkerEvent`] (instead of logging them at info level).
    pub fn on_event(mut self, sink: impl Fn(&WorkerEvent) + Send + Sync + 'static) -> Self {
        self.events = Arc::new(sink);
        self
    }

    pub fn config(&self) -> &WorkerConfig {
        &self.config
    }

    fn emit(&self, event: WorkerEvent) {
        (self.events)(&event);
    }

    /// Joins the master and works until it says `quit` or `shutdown` resolves. Errors only when
    /// no master answered at start, or the engine refused a run.
    ///
    /// The users run on the caller's tokio runtime; the session with the master on a thread of
    /// its own. Dropping the returned future shuts the worker down as `shutdown` would.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<WorkerEnd, WorkerError> {
        let users = Handle::try_current()
            .map_err(|_| WorkerError::Engine(engine::EngineError::NoRuntime))?;
        let (leave, left) = oneshot::channel::<()>();
        let (answer, answered) = oneshot::channel();
        std::thread::Builder::new()
            .name("locust-session".to_owned())
            .spawn(move || {
                let result = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(self.serve(users, left)),
                    Err(e) => Err(WorkerError::SessionThread(format!(
                        "cannot start its runtime: {e}"
                    ))),
                };
                let _ = answer.send(result);
            })
            .map_err(|e| WorkerError::SessionThread(format!("cannot start: {e}")))?;
        // Dropped with this future, `leave` tells the session to leave as a shutdown would.
        let mut leave = Some(leave);
        let mut shutdown = std::pin::pin!(shutdown);
        let mut answered = answered;
        loop {
            tokio::select! {
                result = &mut answered => {
                    return result.unwrap_or_else(|_| {
                        Err(WorkerError::SessionThread("it ended without an answer".to_owned()))
                    });
                }
                _ = &mut shutdown, if leave.is_some() => {
                    if let Some(leave) = leave.take() {
                        let _ = leave.send(());
                    }
                }
            }
        }
    }

    /// The worker's life on the session thread; `left` resolves on shutdown.
    async fn serve(
        mut self,
        users: Handle,
        left: oneshot::Receiver<()>,
    ) -> Result<WorkerEnd, WorkerError> {
        let mut shutdown: Shutdown = Box::pin(async move {
            let _ = left.await;
        });
        let mut rejoin = false;
        loop {
            let Some(connection) = self.join(rejoin, &mut shutdown).await? else {
                return Ok(WorkerEnd::Shutdown);
            };
            rejoin = true;
            let mut session = Session::new(&mut self, connection, users.clone());
            let end = session.run(&mut shutdown).await;
            let connection = session.connection.take();
            let end = match end {
                Ok(SessionEnd::MasterLost) => {
                    // Closed before the next join: the master's ROUTER refuses a second
                    // connection of an identity whose first one it still has.
                    if let Some(connection) = connection {
                        connection.close().await;
                    }
                    continue;
                }
                Ok(SessionEnd::Quit) => WorkerEnd::Quit,
                Ok(SessionEnd::Shutdown) => WorkerEnd::Shutdown,
                Err(e) => return Err(e),
            };
            // The socket writes in the background: give the last report and `quit` time to
            // leave before the connection (and maybe the process) goes.
            tokio::time::sleep(LINGER).await;
            if let Some(connection) = connection {
                connection.close().await;
            }
            self.emit(WorkerEvent::Done {
                requests_reported: self.requests_reported,
            });
            return Ok(end);
        }
    }

    /// Connects and gets an `ack`, retrying; None when shut down meanwhile.
    async fn join(
        &self,
        rejoin: bool,
        shutdown: &mut Shutdown,
    ) -> Result<Option<Connection>, WorkerError> {
        let started = Instant::now();
        let endpoint = self.config.endpoint();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = tokio::select! {
                biased;
                _ = &mut *shutdown => return Ok(None),
                outcome = self.try_join() => outcome,
            };
            let cause = match outcome {
                Ok((connection, index)) => {
                    self.emit(WorkerEvent::Joined {
                        endpoint,
                        index,
                        rejoin,
                    });
                    return Ok(Some(connection));
                }
                Err(e @ ConnectError::BadIdentity(_)) => return Err(WorkerError::Connect(e)),
                Err(e) => e.to_string(),
            };
            let waited = started.elapsed();
            let give_up = !rejoin && waited >= self.config.connect_timeout;
            let mut retry_in = Duration::from_secs(u64::from(attempt.min(5))).min(MAX_RETRY_DELAY);
            if !rejoin {
                retry_in = retry_in.min(self.config.connect_timeout.saturating_sub(waited));
            }
            self.emit(WorkerEvent::JoinFailed {
                attempt,
                endpoint: endpoint.clone(),
                cause: cause.clone(),
                retry_in: (!give_up).then_some(retry_in),
                rejoin,
            });
            if give_up {
                return Err(WorkerError::MasterUnreachable {
                    endpoint,
                    waited,
                    attempts: attempt,
                    last: cause,
                });
            }
            tokio::select! {
                biased;
                _ = &mut *shutdown => return Ok(None),
                _ = tokio::time::sleep(retry_in) => {}
            }
        }
    }

    /// One attempt: connect, `client_ready`, wait for `ack`.
    async fn try_join(&self) -> Result<(Connection, Option<i64>), ConnectError> {
        let config = &self.config;
        let mut connection = Connection::open(
            &config.master_host,
            config.master_port,
            &config.client_id,
            CONNECT_ATTEMPT,
        )
        .await?;
        let no_ack = || ConnectError::NoAck {
            endpoint: config.endpoint(),
            timeout: ACK_TIMEOUT,
        };
        if let Err(e) = connection
            .send(&ToMaster::client_ready(&config.client_id))
            .await
        {
            return Err(ConnectError::Unreachable {
                endpoint: config.endpoint(),
                timeout: CONNECT_ATTEMPT,
                cause: e.to_string(),
            });
        }
        let deadline = Instant::now() + ACK_TIMEOUT;
        loop {
            let received = tokio::time::timeout_at(deadline, connection.recv())
                .await
                .map_err(|_| no_ack())?;
            match received.and_then(|m| FromMaster::parse(&m)) {
                Ok(FromMaster::Ack { index }) => return Ok((connection, index)),
                // Anything before the ack (a late message of an earlier session) is not for us.
                Ok(other) => tracing::debug!(?other, "ignored before ack"),
                Err(ProtocolError::Transport(e)) => tracing::debug!(%e, "while waiting for ack"),
                Err(e) => self.emit(WorkerEvent::Malformed {
                    error: e.to_string(),
                }),
            }
        }
    }
}
