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
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use engine::{RunConfig, RunHandle, Runner, Scenario, StatsSnapshot};
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::connection::{endpoint, Connection};
use crate::error::{ConnectError, ProtocolError, WorkerError};
use crate::message::Message;
use crate::process::{resident_bytes, CpuMeter};
use crate::protocol::{FromMaster, SpawnJob, ToMaster, WorkerState};
use crate::report::stats_payload;

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

enum SessionEnd {
    Quit,
    Shutdown,
    MasterLost,
}

/// A run the master started.
struct Load {
    handle: RunHandle,
    run: JoinHandle<StatsSnapshot>,
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

/// One joined stretch: from `ack` to `quit`, shutdown or the master's loss.
struct Session<'w> {
    worker: &'w mut Worker,
    /// None only while a `reconnect` is between its old and new socket, or after it failed.
    connection: Option<Connection>,
    /// The users' runtime, where runs are started.
    users: Handle,
    /// A send found the master's end of the connection closed.
    disconnected: bool,
    state: WorkerState,
    load: Option<Load>,
    /// The newest run, also after it ended: its last figures are still to be reported.
    last_run: Option<RunHandle>,
    /// A run being stopped after `stop`.
    stopping: Option<JoinHandle<StatsSnapshot>>,
    /// A spawn job that came while users were being stopped.
    deferred_spawn: Option<SpawnJob>,
    /// Users per class as last set by a spawn job (this worker's class set to what it runs).
    user_classes_count: BTreeMap<String, u64>,
    /// When the master's last heartbeat came; None until its first.
    last_master_heartbeat: Option<Instant>,
    cpu: CpuMeter,
}

impl<'w> Session<'w> {
    fn new(worker: &'w mut Worker, connection: Connection, users: Handle) -> Self {
        let user_classes_count = [(worker.config.user_class.clone(), 0)].into();
        Session {
            worker,
            connection: Some(connection),
            users,
            disconnected: false,
            state: WorkerState::Ready,
            load: None,
            last_run: None,
            stopping: None,
            deferred_spawn: None,
            user_classes_count,
            last_master_heartbeat: None,
            cpu: CpuMeter::new(),
        }
    }

    fn client_id(&self) -> &str {
        &self.worker.config.client_id
    }

    async fn run(&mut self, shutdown: &mut Shutdown) -> Result<SessionEnd, WorkerError> {
        let config = &self.worker.config;
        let mut heartbeat = tokio::time::interval(config.heartbeat_interval);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut report = tokio::time::interval_at(
            Instant::now() + config.report_interval,
            config.report_interval,
        );
        report.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let heartbeat_timeout = config.heartbeat_timeout;
        let heartbeat_interval = config.heartbeat_interval;
        let mut last_tick = Instant::now();
        loop {
            tokio::select! {
                biased;
                _ = &mut *shutdown => {
                    self.stop_users().await;
                    self.report().await;
                    self.send(ToMaster::quit(self.client_id())).await;
                    return Ok(SessionEnd::Shutdown);
                }
                received = recv_if_any(&mut self.connection) => {
                    let parsed = received.and_then(|m| FromMaster::parse(&m));
                    if let Some(end) = self.handle(parsed).await? {
                        return Ok(end);
                    }
                }
                stopped = join_if_any(&mut self.stopping) => {
                    if let Err(e) = stopped {
                        tracing::error!(%e, "the engine's run task failed while stopping");
                    }
                    self.stopping = None;
                    self.after_stop().await?;
                }
                _ = heartbeat.tick() => {
                    let now = Instant::now();
                    let gap = now.duration_since(last_tick);
                    last_tick = now;
                    if gap >= heartbeat_interval * MISSING_AFTER_BEATS {
                        // Nothing left this process meanwhile, so the master could not answer:
                        // its silence over the stall says nothing about it.
                        if let Some(heard) = &mut self.last_master_heartbeat {
                            *heard = now;
                        }
                        self.worker.emit(WorkerEvent::Stalled {
                            stalled_for: gap.saturating_sub(heartbeat_interval),
                            requests_reported: self.worker.requests_reported,
                        });
                    }
                    let silent_for = self.last_master_heartbeat.map(|heard| heard.elapsed());
                    let why = match silent_for {
                        _ if self.disconnected => Some(MasterLoss::Disconnected),
                        Some(silent_for) if silent_for > heartbeat_timeout => {
                            Some(MasterLoss::Silent(silent_for))
                        }
                        _ => None,
                    };
                    if let Some(why) = why {
                        self.stop_users().await;
                        self.worker.emit(WorkerEvent::MasterLost { why });
                        return Ok(SessionEnd::MasterLost);
                    }
                    let cpu = self.cpu.percent();
                    let beat =
                        ToMaster::heartbeat(self.client_id(), self.state, cpu, resident_bytes());
                    self.send(beat).await;
                }
                _ = report.tick() => self.report().await,
            }
        }
    }

    /// Acts on one message; Some when the session ends.
    async fn handle(
        &mut self,
        parsed: Result<FromMaster, ProtocolError>,
    ) -> Result<Option<SessionEnd>, WorkerError> {
        let message = match parsed {
            Ok(message) => message,
            Err(ProtocolError::Transport(e)) => {
                tracing::debug!(%e, "socket");
                return Ok(None);
            }
            Err(e) => {
                tracing::warn!(error = %e, "ignored a malformed message from the master");
                self.worker.emit(WorkerEvent::Malformed {
                    error: e.to_string(),
                });
                return Ok(None);
            }
        };
        match message {
            FromMaster::Heartbeat => self.last_master_heartbeat = Some(Instant::now()),
            // The answer to the `client_ready` after a `stop`.
            FromMaster::Ack { .. } => {}
            FromMaster::Spawn(job) => {
                self.send(ToMaster::spawning(self.client_id())).await;
                self.spawn(job).await?;
            }
            FromMaster::Stop => self.begin_stop().await?,
            FromMaster::Quit => {
                self.worker.emit(WorkerEvent::Quit);
                // The master waits half a second for final reports: send what there is first.
                self.report().await;
                self.stop_users().await;
                self.report().await;
                self.send(ToMaster::quit(self.client_id())).await;
                return Ok(Some(SessionEnd::Quit));
            }
            FromMaster::Reconnect => {
                tracing::warn!("the master asked for a reconnect; resetting the connection");
                // The old socket goes first, so that the master routes to the new one.
                if let Some(old) = self.connection.take() {
                    old.close().await;
                }
                let config = &self.worker.config;
                match Connection::open(
                    &config.master_host,
                    config.master_port,
                    &config.client_id,
                    CONNECT_ATTEMPT,
                )
                .await
                {
                    Ok(connection) => self.connection = Some(connection),
                    Err(e) => {
                        tracing::warn!(%e, "reconnect failed");
                        self.stop_users().await;
                        self.worker.emit(WorkerEvent::MasterLost {
                            why: MasterLoss::Disconnected,
                        });
                        return Ok(Some(SessionEnd::MasterLost));
                    }
                }
            }
            FromMaster::SpawningComplete { user_count } => {
                tracing::debug!(?user_count, "the master finished spawning");
            }
            FromMaster::Other(kind) => tracing::debug!(%kind, "message ignored"),
        }
        Ok(None)
    }

    async fn spawn(&mut self, job: SpawnJob) -> Result<(), WorkerError> {
        if job.timestamp <= self.worker.last_spawn_timestamp {
            tracing::info!("discarded a spawn job not newer than the previous one");
            return Ok(());
        }
        self.worker.last_spawn_timestamp = job.timestamp;
        if self.stopping.is_some() {
            self.deferred_spawn = Some(job);
            return Ok(());
        }
        let ours = &self.worker.config.user_class;
        let others: BTreeMap<String, u64> = job
            .user_classes_count
            .iter()
            .filter(|(name, n)| *name != ours && **n > 0)
            .map(|(name, n)| (name.clone(), *n))
            .collect();
        // The master deals every class's users over all workers, blind to what each runs; its
        // job names every class of its test, with 0 for those it dealt this worker none of.
        let ours_in_test = job.user_classes_count.get(ours).copied();
        let users = match ours_in_test {
            // Its test runs this worker's class: users of its other classes are run as ours, so
            // that workers of different scenarios under one master run all its users.
            Some(dealt) => dealt.saturating_add(others.values().sum()),
            // Not a test of this worker's class (a worker of the wrong scenario?): nothing runs.
            None => 0,
        };
        if others
            .keys()
            .any(|name| !self.worker.warned_classes.contains(name))
        {
            self.worker.warned_classes.extend(others.keys().cloned());
            self.worker.emit(match ours_in_test {
                Some(_) => WorkerEvent::OtherClasses {
                    classes: others,
                    run_as: ours.clone(),
                },
                None => WorkerEvent::UnknownClasses { classes: others },
            });
        }
        let target = usize::try_from(users).unwrap_or(usize::MAX);
        // The master sends each worker its next count about once a second; starting that step's
        // users at the master's whole rate spreads them over part of that second instead of a
        // burst, and still finishes before the next step.
        let rate = job.spawn_rate.unwrap_or(AT_ONCE);
        match &self.load {
            Some(load) => load.handle.set_target(target, rate)?,
            None => {
                let base = &self.worker.config.run;
                let master_stop_timeout =
                    Duration::try_from_secs_f64(job.stop_timeout).unwrap_or(Duration::ZERO);
                let config = RunConfig {
                    users: target,
                    spawn_rate: rate,
                    run_time: None,
                    stop_timeout: base.stop_timeout.max(master_stop_timeout),
                    ..base.clone()
                };
                // On the users' runtime: the engine spawns the run where it is started.
                let started = {
                    let _users = self.users.enter();
                    Runner::start(self.worker.config.scenario.clone(), config)
                };
                let (handle, run) = started?;
                self.last_run = Some(handle.clone());
                self.load = Some(Load { handle, run });
            }
        }
        self.user_classes_count = job
            .user_classes_count
            .keys()
            .map(|name| (name.clone(), 0))
            .collect();
        self.user_classes_count.insert(ours.clone(), users);
        self.state = WorkerState::Running;
        let complete = ToMaster::spawning_complete(self.client_id(), &self.user_classes_count);
        self.send(complete).await;
        self.worker.emit(WorkerEvent::Spawned {
            users,
            user_classes_count: self.user_classes_count.clone(),
        });
        Ok(())
    }

    /// `stop`: the users are asked to stop; [`Self::after_stop`] follows when they have.
    async fn begin_stop(&mut self) -> Result<(), WorkerError> {
        self.deferred_spawn = None;
        match self.load.take() {
            Some(load) => {
                load.handle.stop();
                self.state = WorkerState::Stopped;
                self.stopping = Some(load.run);
                Ok(())
            }
            None if self.stopping.is_some() => Ok(()),
            None => self.after_stop().await,
        }
    }

    /// Users stopped: their last figures, `client_stopped`, then ready for the next test.
    async fn after_stop(&mut self) -> Result<(), WorkerError> {
        for count in self.user_classes_count.values_mut() {
            *count = 0;
        }
        self.report().await;
        self.send(ToMaster::client_stopped(self.client_id())).await;
        self.worker.emit(WorkerEvent::Stopped);
        self.send(ToMaster::client_ready(self.client_id())).await;
        // The master forgets a worker that stopped until its client_ready: no heartbeats meanwhile.
        if let Some(heard) = &mut self.last_master_heartbeat {
            *heard = Instant::now();
        }
        self.state = WorkerState::Ready;
        if let Some(job) = self.deferred_spawn.take() {
            self.spawn(job).await?;
        }
        Ok(())
    }

    /// Stops the users of the current run (also one already stopping) and waits for them.
    async fn stop_users(&mut self) {
        if let Some(load) = self.load.take() {
            load.handle.stop();
            self.stopping = Some(load.run);
        }
        if let Some(run) = self.stopping.take() {
            if let Err(e) = run.await {
                tracing::error!(%e, "the engine's run task failed while stopping");
            }
        }
        for count in self.user_classes_count.values_mut() {
            *count = 0;
        }
        self.state = WorkerState::Stopped;
    }

    /// Sends what the engine recorded since the previous report.
    async fn report(&mut self) {
        let interval = match &self.last_run {
            Some(handle) => handle.take_interval(),
            None => engine::IntervalStats::empty(unix_now()),
        };
        let user_count = self
            .load
            .as_ref()
            .map(|load| load.handle.user_count() as u64)
            .unwrap_or(0);
        let mut classes = self.user_classes_count.clone();
        classes.insert(self.worker.config.user_class.clone(), user_count);
        // A user that panicked is in the stats as a ("user", "panic") failure; the master's
        // Exceptions tab shows it too, as it shows a Python user's exception.
        for error in interval
            .errors
            .iter()
            .filter(|e| e.kind == "user" && e.name == "panic")
        {
            let message = ToMaster::exception(self.client_id(), &error.error, "");
            self.send(message).await;
        }
        let payload = stats_payload(&interval, user_count, &classes);
        if self.send(ToMaster::stats(self.client_id(), payload)).await {
            self.worker.requests_reported += interval.total.num_requests;
        }
    }

    /// Hands one message to the socket; false when it could not be.
    async fn send(&mut self, message: Message) -> bool {
        let Some(connection) = &mut self.connection else {
            self.disconnected = true;
            return false;
        };
        match connection.send(&message).await {
            Ok(()) => true,
            Err(e) => {
                tracing::debug!(%e, "send failed");
                self.disconnected |= e.disconnected;
                self.worker.emit(WorkerEvent::SendFailed {
                    error: e.to_string(),
                });
                false
            }
        }
    }
}

/// The next message on the connection, if there is one; otherwise never resolves.
async fn recv_if_any(connection: &mut Option<Connection>) -> Result<Message, ProtocolError> {
    match connection {
        Some(connection) => connection.recv().await,
        None => std::future::pending().await,
    }
}

/// Waits for the run being stopped, if there is one; otherwise never resolves.
async fn join_if_any(
    stopping: &mut Option<JoinHandle<StatsSnapshot>>,
) -> Result<StatsSnapshot, tokio::task::JoinError> {
    match stopping {
        Some(run) => run.await,
        None => std::future::pending().await,
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
