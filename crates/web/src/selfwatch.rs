//! akrida watches itself: its CPU, RSS, open file descriptors (from /proc/self) and the tokio
//! runtime's scheduling lag, sampled every second, so a collapse can be told apart: the servers
//! gave out, or the generator did.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use engine::process::{cpu_seconds, open_fds, resident_bytes};
use engine::report::GeneratorSample;

/// Timer period of the lag probe: it sleeps this long and measures how late it wakes.
const PROBE: Duration = Duration::from_millis(50);
/// CPU above this share of the cores the process may use counts as saturated.
const SATURATED_CPU_SHARE: f64 = 0.9;
/// Scheduling lag above this counts as saturated.
pub const SATURATED_LAG_MS: f64 = 100.0;

#[derive(Clone, Default)]
pub struct SelfWatch {
    samples: Arc<Mutex<Vec<GeneratorSample>>>,
}

impl SelfWatch {
    /// Starts sampling every `period` on the current runtime, until the process ends.
    pub fn start(period: Duration) -> Self {
        let watch = SelfWatch::default();
        let lag = Arc::new(Mutex::new(0.0f64));
        let probe_lag = lag.clone();
        tokio::spawn(async move {
            loop {
                let due = tokio::time::Instant::now() + PROBE;
                tokio::time::sleep_until(due).await;
                let late = due.elapsed().as_secs_f64() * 1_000.0;
                let mut worst = probe_lag.lock().unwrap_or_else(PoisonError::into_inner);
                *worst = worst.max(late);
            }
        });
        let samples = watch.samples.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(period);
            // After a stall, one sample covering it and the next a whole period later: catch-up
            // samples a moment apart would each look idle and outnumber the one that saw the
            // stall (`Skip` still ticks on the old schedule, so a tick that came late at 2.95 s
            // was followed by one at 3.0 s covering 50 ms).
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut previous = (std::time::Instant::now(), cpu_seconds());
            loop {
                ticker.tick().await;
                let now = (std::time::Instant::now(), cpu_seconds());
                let wall = now.0.duration_since(previous.0).as_secs_f64();
                let cpu_percent = match (previous.1, now.1) {
                    (Some(a), Some(b)) if wall > 0.0 => (b - a) / wall * 100.0,
                    _ => 0.0,
                };
                previous = now;
                let lag_ms =
                    std::mem::take(&mut *lag.lock().unwrap_or_else(PoisonError::into_inner));
                let sample = GeneratorSample {
                    t: unix_now(),
                    cpu_percent,
                    rss_bytes: resident_bytes().unwrap_or(0),
                    open_fds: open_fds().unwrap_or(0),
                    lag_ms,
                };
                samples
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(sample);
            }
        });
        watch
    }

    pub fn samples(&self) -> Vec<GeneratorSample> {
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The latest sample, if any.
    pub fn latest(&self) -> Option<GeneratorSample> {
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last()
            .cloned()
    }
}

/// Cores this process may run on.
pub fn cores() -> f64 {
    std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64)
}

/// Whether one sample shows akrida itself at its limit.
pub fn is_saturated(sample: &GeneratorSample) -> bool {
    is_saturated_with(sample, SATURATED_LAG_MS)
}

/// [`is_saturated`] with another bound on the scheduling lag.
pub fn is_saturated_with(sample: &GeneratorSample, max_lag_ms: f64) -> bool {
    sample.cpu_percent >= SATURATED_CPU_SHARE * cores() * 100.0 || sample.lag_ms >= max_lag_ms
}

/// A warning for the report when akrida was saturated in any second of the run.
pub fn saturation_warning(samples: &[GeneratorSample], start_unix: f64) -> Option<String> {
    let saturated: Vec<&GeneratorSample> = samples.iter().filter(|s| is_saturated(s)).collect();
    let first = saturated.first()?;
    let worst_cpu = saturated.iter().map(|s| s.cpu_percent).fold(0.0, f64::max);
    let worst_lag = saturated.iter().map(|s| s.lag_ms).fold(0.0, f64::max);
    Some(format!(
        "akrida itself was saturated in {} of {} seconds (from +{:.0}s; CPU up to {:.0}% of {} cores' {:.0}%, \
scheduling lag up to {:.0} ms): latencies measured then include the generator's own delay — \
use fewer users per process, or more cores",
        saturated.len(),
        samples.len(),
        first.t - start_unix,
        worst_cpu,
        cores(),
        cores() * 100.0,
        worst_lag
    ))
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn samples_this_process() {
        let watch = SelfWatch::start(Duration::from_millis(200));
        tokio::time::sleep(Duration::from_millis(250)).await;
        // Some CPU work to see (it also blocks the runtime: lag).
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        std::hint::black_box(x);
        tokio::time::sleep(Duration::from_millis(700)).await;
        let samples = watch.samples();
        assert!(samples.len() >= 3, "{samples:?}");
        let last = samples.last().unwrap();
        assert!(last.rss_bytes > 1_000_000, "{last:?}");
        assert!(last.open_fds >= 3, "{last:?}");
        assert!(samples.iter().any(|s| s.cpu_percent > 0.0), "{samples:?}");
        let hot = GeneratorSample {
            lag_ms: 500.0,
            ..last.clone()
        };
        assert!(is_saturated(&hot));
        assert!(saturation_warning(&[hot], last.t - 10.0)
            .unwrap()
            .contains("saturated"));
    }
}
