//! The sampling itself: one thread reads every PID target's process tree each second; one task
//! per URL target scrapes it every few seconds, each scrape bounded by a timeout. A target that
//! fails is warned about once (the first time) and noted in its series; the others go on.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::task::JoinHandle;

use crate::proc_tree::read_tree;
use crate::prometheus::parse_exposition;
use crate::target::{Source, Target};

/// The Prometheus metric read as a server's resident memory (what the official clients export).
pub const RSS: &str = "process_resident_memory_bytes";
/// The Prometheus metric read as a server's CPU time.
pub const CPU: &str = "process_cpu_seconds_total";
/// The largest scrape answer read: more is not a metrics page.
const MAX_BODY: usize = 16 << 20;

/// Where warnings go (the binary prints them on stderr); each is one line.
pub type Warn = Arc<dyn Fn(&str) + Send + Sync>;

/// How often and what to sample.
#[derive(Clone)]
pub struct WatchOptions {
    /// PID targets: one reading of each tree per period.
    pub pid_period: Duration,
    /// URL targets: one scrape per period.
    pub scrape_period: Duration,
    /// A scrape not answered within this is a failed scrape.
    pub scrape_timeout: Duration,
    /// More Prometheus metrics to keep from each scrape (summed over their labels).
    pub metrics: Vec<String>,
    /// The HTTP client for scrapes (the caller's TLS trust); a plain one when `None`.
    pub client: Option<reqwest::Client>,
    /// The run's start in unix seconds: notes say `+12.3s` from it.
    pub origin_unix: f64,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            pid_period: Duration::from_secs(1),
            scrape_period: Duration::from_secs(5),
            scrape_timeout: Duration::from_secs(2),
            metrics: Vec::new(),
            client: None,
            origin_unix: unix_now(),
        }
    }
}

/// One sample of one server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerSample {
    /// Unix seconds.
    pub t: f64,
    /// Cumulative CPU time in seconds (of the whole process tree for a PID).
    pub cpu_seconds: Option<f64>,
    pub rss_bytes: Option<f64>,
    /// PID targets: how many processes the tree had.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processes: Option<usize>,
    /// URL targets: the `--server-metric` values this scrape had.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
}

/// One server's samples so far and what went wrong with them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerSeries {
    pub name: String,
    /// `pid 1234` or the URL.
    pub source: String,
    pub samples: Vec<ServerSample>,
    /// Samples tried, and of them failed (a scrape refused, timed out, not 2xx, or garbage).
    pub attempts: u64,
    pub failures: u64,
    /// What went wrong, each kind once (a process that exited, the first failed scrape, a
    /// metric the endpoint does not have).
    pub notes: Vec<String>,
}

/// The watch of a run's servers, sampling until [`ServerWatch::stop`] (or its drop).
pub struct ServerWatch {
    series: Arc<Mutex<Vec<ServerSeries>>>,
    stop_thread: Mutex<Option<mpsc::Sender<()>>>,
    tasks: Vec<JoinHandle<()>>,
}

impl ServerWatch {
    /// Starts sampling `targets` (a URL target needs the current tokio runtime). Returns at once;
    /// the first sample of each PID is taken right away, before any load.
    pub fn start(targets: &[Target], options: WatchOptions, warn: Warn) -> ServerWatch {
        let series = Arc::new(Mutex::new(
            targets
                .iter()
                .map(|t| ServerSeries {
                    name: t.name.clone(),
                    source: t.source.to_string(),
                    samples: Vec::new(),
                    attempts: 0,
                    failures: 0,
                    notes: Vec::new(),
                })
                .collect::<Vec<_>>(),
        ));
        let pids: Vec<(usize, u32)> = targets
            .iter()
            .enumerate()
            .filter_map(|(i, t)| match t.source {
                Source::Pid(pid) => Some((i, pid)),
                Source::Url(_) => None,
            })
            .collect();
        let stop_thread = if pids.is_empty() {
            None
        } else {
            let (stop, stopped) = mpsc::channel();
            let shared = Shared {
                series: series.clone(),
                warn: warn.clone(),
                origin_unix: options.origin_unix,
            };
            let period = options.pid_period;
            // A thread of its own: reading /proc is blocking file I/O, kept off the runtime.
            let spawned = std::thread::Builder::new()
                .name("server-watch".into())
                .spawn(move || sample_pids(&pids, period, &stopped, &shared));
            if let Err(e) = spawned {
                warn(&format!(
                    "server watch: cannot start its thread ({e}); no PID samples"
                ));
            }
            Some(stop)
        };
        let client = options.client.clone().unwrap_or_else(|| {
            reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap_or_default()
        });
        let tasks = targets
            .iter()
            .enumerate()
            .filter_map(|(i, t)| match &t.source {
                Source::Url(url) => Some((i, url.clone())),
                Source::Pid(_) => None,
            })
            .map(|(index, url)| {
                let shared = Shared {
                    series: series.clone(),
                    warn: warn.clone(),
                    origin_unix: options.origin_unix,
                };
                let options = options.clone();
                let client = client.clone();
                tokio::spawn(
                    async move { scrape_loop(index, &url, &client, &options, &shared).await },
                )
            })
            .collect();
        ServerWatch {
            series,
            stop_thread: Mutex::new(stop_thread),
            tasks,
        }
    }

    /// Every server's samples so far.
    pub fn series(&self) -> Vec<ServerSeries> {
        lock(&self.series).clone()
    }

    /// Stops sampling (the samples stay readable).
    pub fn stop(&self) {
        lock(&self.stop_thread).take();
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Drop for ServerWatch {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the sampling thread and tasks share.
struct Shared {
    series: Arc<Mutex<Vec<ServerSeries>>>,
    warn: Warn,
    origin_unix: f64,
}

impl Shared {
    fn update(&self, index: usize, change: impl FnOnce(&mut ServerSeries)) {
        if let Some(series) = lock(&self.series).get_mut(index) {
            change(series);
        }
    }

    /// Notes `what` on the series, and warns, unless a note starting with `kind` is there.
    fn note_once(&self, index: usize, kind: &str, what: &str) {
        let mut first = false;
        let mut label = String::new();
        self.update(index, |s| {
            if !s.notes.iter().any(|n| n.starts_with(kind)) {
                s.notes.push(format!("{kind}{what}"));
                first = true;
                label = format!("{} ({})", s.name, s.source);
            }
        });
        if first {
            (self.warn)(&format!("server {label}: {kind}{what}"));
        }
    }

    fn since_start(&self) -> String {
        format!("+{:.1}s", unix_now() - self.origin_unix)
    }
}

/// The PID thread: a reading of each live tree per period, until the sender is dropped.
fn sample_pids(
    pids: &[(usize, u32)],
    period: Duration,
    stopped: &mpsc::Receiver<()>,
    shared: &Shared,
) {
    let mut live: Vec<(usize, u32)> = pids.to_vec();
    // Readings on a fixed schedule: a reading that takes a while (a busy machine, many
    // processes) does not push the next one later, so a 30-minute run has 1,800 of them.
    let mut next = std::time::Instant::now();
    loop {
        live.retain(|&(index, pid)| {
            let t = unix_now();
            match read_tree(pid) {
                Some(reading) => {
                    shared.update(index, |s| {
                        s.attempts += 1;
                        s.samples.push(ServerSample {
                            t,
                            cpu_seconds: Some(reading.cpu_seconds),
                            rss_bytes: Some(reading.rss_bytes as f64),
                            processes: Some(reading.processes),
                            metrics: BTreeMap::new(),
                        });
                    });
                    true
                }
                None => {
                    shared.update(index, |s| {
                        s.attempts += 1;
                        s.failures += 1;
                    });
                    let when = shared.since_start();
                    shared.note_once(
                        index,
                        "process exited",
                        &format!(" at {when}: no samples after that"),
                    );
                    false
                }
            }
        });
        if live.is_empty() {
            return;
        }
        next += period;
        let now = std::time::Instant::now();
        if next < now {
            // Behind by more than a period (the machine stalled): one reading now, not a burst.
            next = now;
        }
        match stopped.recv_timeout(next - now) {
            Err(RecvTimeoutError::Timeout) => continue,
            _ => return,
        }
    }
}

/// A URL target's task: a scrape per period, each bounded by the timeout.
async fn scrape_loop(
    index: usize,
    url: &str,
    client: &reqwest::Client,
    options: &WatchOptions,
    shared: &Shared,
) {
    let mut ticker = tokio::time::interval(options.scrape_period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticker.tick().await;
        let t = unix_now();
        let answer = match tokio::time::timeout(options.scrape_timeout, scrape(client, url)).await {
            Ok(answer) => answer,
            Err(_) => Err(format!(
                "no answer within {:.1}s",
                options.scrape_timeout.as_secs_f64()
            )),
        };
        let exposition = answer.and_then(|text| parse_exposition(&text));
        match exposition {
            Ok(exposition) => {
                let metrics: BTreeMap<String, f64> = options
                    .metrics
                    .iter()
                    .filter_map(|m| exposition.get(m).map(|v| (m.clone(), v)))
                    .collect();
                let sample = ServerSample {
                    t,
                    cpu_seconds: exposition.get(CPU),
                    rss_bytes: exposition.get(RSS),
                    processes: None,
                    metrics,
                };
                for name in [RSS, CPU]
                    .into_iter()
                    .chain(options.metrics.iter().map(String::as_str))
                {
                    if exposition.get(name).is_none() {
                        shared.note_once(
                            index,
                            &format!("no metric {name}"),
                            " in the endpoint's answer",
                        );
                    }
                }
                shared.update(index, |s| {
                    s.attempts += 1;
                    s.samples.push(sample);
                });
            }
            Err(e) => {
                shared.update(index, |s| {
                    s.attempts += 1;
                    s.failures += 1;
                });
                let when = shared.since_start();
                shared.note_once(
                    index,
                    "scrape failed",
                    &format!(" (first at {when}): {e}; sampling goes on"),
                );
            }
        }
    }
}

/// One scrape: the body of a 2xx answer, at most [`MAX_BODY`] bytes.
async fn scrape(client: &reqwest::Client, url: &str) -> Result<String, String> {
    let mut response = client
        .get(url)
        .header("Accept", "text/plain;version=0.0.4")
        .send()
        .await
        .map_err(|e| error_chain(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| error_chain(&e))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BODY {
            return Err(format!("an answer over {} MiB", MAX_BODY >> 20));
        }
    }
    String::from_utf8(body).map_err(|_| "an answer that is not UTF-8 text".to_string())
}

/// An error and its causes, e.g. "error sending request: … Connection refused".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
