//! Runs the events: one task per event sleeps until its time, runs `sh -c COMMAND` in a process
//! group of its own and records what happened. Nothing here is awaited by the load: the tasks
//! run beside it, and only [`Timeline::finish`] waits for them (boundedly).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::process::Command;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::tail::Tail;
use crate::TimedEvent;

/// How much of each of stdout and stderr is kept: the last 4 KiB.
pub const TAIL_BYTES: usize = 4096;
/// How long [`Timeline::finish`] waits, by default, for commands still running at the run's end.
pub const END_GRACE: Duration = Duration::from_secs(5);
/// After SIGTERM, how long a stopped command's process group has before SIGKILL.
const KILL_AFTER: Duration = Duration::from_secs(2);
/// Once the shell has exited, how long its output may still be read: a background child that
/// keeps the pipe open must not hold the record back.
const DRAIN: Duration = Duration::from_millis(500);

/// Where an event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventState {
    /// Not yet due.
    Planned,
    Running,
    /// The command ended by itself (see `exit_code` / `signal`).
    Finished,
    /// The shell could not be started (see `error`).
    FailedToStart,
    /// Still running after the grace at the run's end: its process group was stopped.
    StoppedAtEnd,
    /// The run ended before the event was due (e.g. Ctrl-C).
    NotRun,
}

/// What happened to one event: what the JSON report lists, and the HTML and terminal show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    pub command: String,
    /// When it was planned, in seconds from the run's start.
    pub planned_s: f64,
    /// When the command started, in seconds from the run's start.
    pub started_s: Option<f64>,
    /// When the command started, in unix seconds.
    pub started_at: Option<f64>,
    pub state: EventState,
    /// The shell's exit code, when it exited.
    pub exit_code: Option<i32>,
    /// The signal that ended the shell, when one did.
    pub signal: Option<i32>,
    /// From start to end, in seconds (to the moment it was stopped, for [`EventState::StoppedAtEnd`]).
    pub duration_s: Option<f64>,
    /// The last [`TAIL_BYTES`] of stdout and stderr.
    pub stdout_tail: String,
    pub stderr_tail: String,
    /// All the bytes written to stdout and stderr (the tails may be shorter).
    pub stdout_bytes: u64,
    pub stderr_bytes: u64,
    /// Why the command could not start.
    pub error: Option<String>,
    /// The shell's process id (also its process group), while it runs.
    #[serde(skip)]
    pid: Option<u32>,
}

impl EventRecord {
    fn planned(event: &TimedEvent) -> Self {
        EventRecord {
            command: event.command.clone(),
            planned_s: event.at.as_secs_f64(),
            started_s: None,
            started_at: None,
            state: EventState::Planned,
            exit_code: None,
            signal: None,
            duration_s: None,
            stdout_tail: String::new(),
            stderr_tail: String::new(),
            stdout_bytes: 0,
            stderr_bytes: 0,
            error: None,
            pid: None,
        }
    }

    /// The result in a few words: `exit 0`, `killed by signal 9`, `still running`, …
    pub fn outcome(&self) -> String {
        match self.state {
            EventState::Planned => "planned".into(),
            EventState::Running => "running".into(),
            EventState::NotRun => "not run (the run ended before its time)".into(),
            EventState::FailedToStart => format!(
                "could not start: {}",
                self.error.as_deref().unwrap_or("unknown error")
            ),
            EventState::Finished | EventState::StoppedAtEnd => {
                let how = match (self.exit_code, self.signal) {
                    (Some(code), _) => format!("exit {code}"),
                    (None, Some(signal)) => format!("killed by signal {signal}"),
                    (None, None) => "ended".into(),
                };
                if self.state == EventState::StoppedAtEnd {
                    format!("still running at the run's end: stopped ({how})")
                } else {
                    how
                }
            }
        }
    }

    /// Whether it ran and exited 0.
    pub fn succeeded(&self) -> bool {
        self.state == EventState::Finished && self.exit_code == Some(0)
    }

    /// One line for the terminal: `+20.0s (at 20s) 'cmd': exit 0 after 0.31s`.
    pub fn summary_line(&self) -> String {
        let started = self
            .started_s
            .map_or("—".to_string(), |s| format!("+{s:.1}s"));
        let took = self
            .duration_s
            .map_or(String::new(), |d| format!(" after {d:.2}s"));
        format!(
            "{started} (at {}s) '{}': {}{took}",
            trim(self.planned_s),
            self.command,
            self.outcome()
        )
    }
}

fn trim(seconds: f64) -> String {
    let text = format!("{seconds:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The events of one run, running or done.
#[derive(Clone)]
pub struct Timeline {
    records: Arc<Mutex<Vec<EventRecord>>>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    origin: Instant,
    origin_unix: f64,
}

impl Timeline {
    /// Starts a task per event on the current runtime, each due `event.at` after `origin` (the
    /// run's start; `origin_unix` is the same moment in unix seconds). Returns at once.
    pub fn start(events: &[TimedEvent], origin: Instant, origin_unix: f64) -> Timeline {
        let timeline = Timeline {
            records: Arc::new(Mutex::new(
                events.iter().map(EventRecord::planned).collect(),
            )),
            tasks: Arc::default(),
            origin,
            origin_unix,
        };
        let tasks = events
            .iter()
            .enumerate()
            .map(|(index, event)| {
                let timeline = timeline.clone();
                let event = event.clone();
                tokio::spawn(async move { timeline.run_one(index, &event).await })
            })
            .collect();
        *timeline
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = tasks;
        timeline
    }

    /// The events as they stand now (for a live page).
    pub fn records(&self) -> Vec<EventRecord> {
        self.lock().clone()
    }

    /// At the run's end: events not yet due are marked not run; commands still running get
    /// `grace`, then their process groups get SIGTERM, then SIGKILL [`KILL_AFTER`] later. Returns
    /// every event's record; takes at most about `grace` + 3 s.
    pub async fn finish(&self, grace: Duration) -> Vec<EventRecord> {
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        {
            let mut records = self.lock();
            for (record, task) in records.iter_mut().zip(&tasks) {
                if record.state == EventState::Planned {
                    task.abort();
                    record.state = EventState::NotRun;
                }
            }
        }
        let deadline = Instant::now() + grace;
        while self.lock().iter().any(|r| r.state == EventState::Running)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.signal_running(libc::SIGTERM);
        let deadline = Instant::now() + KILL_AFTER;
        while self
            .lock()
            .iter()
            .any(|r| r.state == EventState::StoppedAtEnd && r.pid.is_some())
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.signal_running(libc::SIGKILL);
        for task in tasks {
            // Each task ends once its shell has been reaped and its output drained (DRAIN).
            let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
        }
        self.records()
    }

    /// Marks each running command stopped at the end and signals its process group.
    fn signal_running(&self, signal: libc::c_int) {
        let mut records = self.lock();
        for record in records.iter_mut() {
            if matches!(record.state, EventState::Running | EventState::StoppedAtEnd) {
                if let Some(pid) = record.pid {
                    record.state = EventState::StoppedAtEnd;
                    record.duration_s = record
                        .started_s
                        .map(|s| self.origin.elapsed().as_secs_f64() - s);
                    if let Ok(group) = libc::pid_t::try_from(pid) {
                        // SAFETY: killpg only sends a signal; the group is the shell's own (it
                        // was started with process_group(0)) and has not been reaped yet (pid is
                        // cleared when it is).
                        unsafe { libc::killpg(group, signal) };
                    }
                }
            }
        }
    }

    async fn run_one(&self, index: usize, event: &TimedEvent) {
        tokio::time::sleep_until(self.origin + event.at).await;
        let started = Instant::now();
        let started_s = started.duration_since(self.origin).as_secs_f64();
        let mut child = match Command::new("sh")
            .arg("-c")
            .arg(&event.command)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            // Its own process group: stopping it at the end stops what it started too.
            .process_group(0)
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                self.update(index, |r| {
                    r.started_s = Some(started_s);
                    r.started_at = Some(self.origin_unix + started_s);
                    r.state = EventState::FailedToStart;
                    r.error = Some(format!("sh -c: {e}"));
                });
                return;
            }
        };
        self.update(index, |r| {
            r.started_s = Some(started_s);
            r.started_at = Some(self.origin_unix + started_s);
            r.state = EventState::Running;
            r.pid = child.id();
        });
        let stdout = child
            .stdout
            .take()
            .map(|s| tokio::spawn(Tail::read_all(s, TAIL_BYTES)));
        let stderr = child
            .stderr
            .take()
            .map(|s| tokio::spawn(Tail::read_all(s, TAIL_BYTES)));
        let status = child.wait().await;
        let took = started.elapsed().as_secs_f64();
        let (stdout, stderr) = (drain(stdout).await, drain(stderr).await);
        self.update(index, |r| {
            r.pid = None;
            if r.state == EventState::Running {
                r.state = EventState::Finished;
                r.duration_s = Some(took);
            }
            match &status {
                Ok(status) => {
                    use std::os::unix::process::ExitStatusExt;
                    r.exit_code = status.code();
                    r.signal = status.signal();
                }
                Err(e) => r.error = Some(format!("waiting for the command: {e}")),
            }
            r.stdout_tail = stdout.text();
            r.stdout_bytes = stdout.total();
            r.stderr_tail = stderr.text();
            r.stderr_bytes = stderr.total();
        });
    }

    fn update(&self, index: usize, change: impl FnOnce(&mut EventRecord)) {
        if let Some(record) = self.lock().get_mut(index) {
            change(record);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<EventRecord>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The output read so far by a reader task, waiting at most [`DRAIN`] for its end.
async fn drain(reader: Option<JoinHandle<Tail>>) -> Tail {
    let Some(mut reader) = reader else {
        return Tail::new(0);
    };
    match tokio::time::timeout(DRAIN, &mut reader).await {
        Ok(Ok(tail)) => tail,
        _ => {
            // A background process holds the pipe open: what it wrote stays unreported.
            reader.abort();
            Tail::new(0)
        }
    }
}

/// Unix seconds now (for callers that start a timeline with the run).
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(at_ms: u64, command: &str) -> TimedEvent {
        TimedEvent {
            at: Duration::from_millis(at_ms),
            command: command.into(),
        }
    }

    #[tokio::test]
    async fn output_status_and_duration_are_kept() {
        let origin = Instant::now();
        let timeline = Timeline::start(
            &[
                event(50, "echo out; echo err >&2; exit 3"),
                event(0, "head -c 10000 /dev/zero | tr '\\0' x"),
            ],
            origin,
            1_000.0,
        );
        // Poll until both ran (bounded), as a run would go on meanwhile.
        let deadline = Instant::now() + Duration::from_secs(10);
        while timeline
            .records()
            .iter()
            .any(|r| r.state != EventState::Finished)
        {
            assert!(Instant::now() < deadline, "{:?}", timeline.records());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let records = timeline.finish(Duration::ZERO).await;
        let first = &records[0];
        assert_eq!(
            (first.exit_code, first.state),
            (Some(3), EventState::Finished)
        );
        assert_eq!(
            (first.stdout_tail.as_str(), first.stderr_tail.as_str()),
            ("out\n", "err\n")
        );
        assert!(first.started_s.unwrap() >= 0.05, "{first:?}");
        assert!(first.started_at.unwrap() >= 1_000.05);
        assert!(first.duration_s.unwrap() >= 0.0);
        assert_eq!(first.outcome(), "exit 3");
        let big = &records[1];
        assert_eq!(
            (big.stdout_bytes, big.stdout_tail.len()),
            (10_000, TAIL_BYTES)
        );
        assert!(big.succeeded());
    }

    #[tokio::test]
    async fn a_long_command_is_stopped_at_the_end_and_a_late_one_not_run() {
        let origin = Instant::now();
        let timeline = Timeline::start(
            &[
                event(0, "echo started; sleep 60"),
                event(60_000, "echo never"),
            ],
            origin,
            0.0,
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while timeline.records()[0].state != EventState::Running {
            assert!(Instant::now() < deadline);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let before = Instant::now();
        let records = timeline.finish(Duration::from_millis(200)).await;
        assert!(
            before.elapsed() < Duration::from_secs(10),
            "finish is bounded"
        );
        assert_eq!(
            records[0].state,
            EventState::StoppedAtEnd,
            "{:?}",
            records[0]
        );
        assert_eq!(records[0].signal, Some(libc::SIGTERM), "{:?}", records[0]);
        assert!(records[0].outcome().contains("still running"));
        assert_eq!(records[1].state, EventState::NotRun);
        assert!(records[1].summary_line().contains("not run"));
    }
}
