//! One joined stretch of a worker's life: from the master's `ack` to `quit`, shutdown or the
//! master's loss. Heartbeats, reports, and the master's `spawn`, `stop`, `quit` and
//! `reconnect`, as `WorkerRunner` handles them.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use engine::{RunConfig, RunHandle, Runner, StatsSnapshot};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::{
    MasterLoss, Shutdown, Worker, WorkerEvent, AT_ONCE, CONNECT_ATTEMPT, MISSING_AFTER_BEATS,
};
use crate::connection::Connection;
use crate::error::{ProtocolError, WorkerError};
use crate::message::Message;
use crate::process::{resident_bytes, CpuMeter};
use crate::protocol::{FromMaster, SpawnJob, ToMaster, WorkerState};
use crate::report::stats_payload;

/// How a session ended.
pub(super) enum SessionEnd {
    Quit,
    Shutdown,
    MasterLost,
}

/// A run the master started.
struct Load {
    handle: RunHandle,
    run: JoinHandle<StatsSnapshot>,
}

/// One joined stretch: from `ack` to `quit`, shutdown or the master's loss.
pub(super) struct Session<'w> {
    worker: &'w mut Worker,
    /// None only while a `reconnect` is between its old and new socket, or after it failed.
    pub(super) connection: Option<Connection>,
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
    pub(super) fn new(worker: &'w mut Worker, connection: Connection, users: Handle) -> Self {
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

    pub(super) async fn run(&mut self, shutdown: &mut Shutdown) -> Result<SessionEnd, WorkerError> {
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
