//! What a run's server samples say, per server:
//!
//! - **CPU per request** of each sample name: the server's CPU seconds over the run (its last
//!   CPU reading minus its first) divided by the requests of that name. Each name is given the
//!   whole of the CPU in turn — it is not a split between names; with one kind of request (a
//!   `mediator-ping` run: `ping_mediator`) it is that request's cost, start-up work included.
//! - **RSS per connected holder**: the growth of RSS over the run (mean RSS over the steady part
//!   minus the first reading, taken before the load) divided by the mean users connected over
//!   the steady part (each user is one holder).
//! - **Memory slope**: a least-squares line through the RSS readings of the steady part (from
//!   the first second the users reached their highest count to the last second they were still
//!   at it), in KB per minute, with its R² and the RMS of its residuals: a slope with an R² near
//!   1 is steady growth; near 0, noise around a level.

use serde::Serialize;

use crate::watch::ServerSeries;

/// A straight line fitted by least squares.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LineFit {
    /// y per x.
    pub slope: f64,
    pub intercept: f64,
    /// The share of y's variance the line explains (1 for points on a line; 0 for a flat cloud).
    pub r_squared: f64,
    /// The root mean square of the points' distance to the line, in y's unit.
    pub residual_rms: f64,
    pub points: usize,
}

/// The least-squares line through `points`; `None` for fewer than 3 points or a single x.
pub fn fit_line(points: &[(f64, f64)]) -> Option<LineFit> {
    let n = points.len();
    if n < 3 {
        return None;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n as f64;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n as f64;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let syy: f64 = points.iter().map(|p| (p.1 - mean_y).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    let residuals: f64 = points
        .iter()
        .map(|p| (p.1 - (intercept + slope * p.0)).powi(2))
        .sum();
    let r_squared = if syy > 0.0 {
        1.0 - residuals / syy
    } else {
        1.0
    };
    Some(LineFit {
        slope,
        intercept,
        r_squared,
        residual_rms: (residuals / n as f64).sqrt(),
        points: n,
    })
}

/// What the run contributes to a server's figures, as plain numbers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunFacts {
    /// The run's start (unix seconds).
    pub start: f64,
    /// Requests per sample name over the run.
    pub requests: Vec<(String, u64)>,
    /// Users connected over time: (unix seconds, users).
    pub users: Vec<(f64, f64)>,
}

impl RunFacts {
    /// The steady part: from the first moment the users reached their highest count to the
    /// last moment they were at it; `None` when there were no users, or the highest count was
    /// held for under 2 seconds.
    pub fn steady(&self) -> Option<(f64, f64)> {
        let peak = self.users.iter().map(|u| u.1).fold(0.0, f64::max);
        if peak <= 0.0 {
            return None;
        }
        let at_peak = || self.users.iter().filter(|u| u.1 >= peak);
        let from = at_peak().map(|u| u.0).fold(f64::INFINITY, f64::min);
        let to = at_peak().map(|u| u.0).fold(f64::NEG_INFINITY, f64::max);
        (to - from >= 2.0).then_some((from, to))
    }
}

/// A server's CPU per request of one sample name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CpuPerRequest {
    pub name: String,
    pub requests: u64,
    /// Server CPU milliseconds over the run ÷ requests of this name.
    pub cpu_ms_per_request: f64,
}

/// The memory slope over the steady part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemorySlope {
    pub kb_per_minute: f64,
    pub r_squared: f64,
    /// RMS distance of the readings to the line, in KB.
    pub residual_rms_kb: f64,
    pub points: usize,
    /// The steady part, in seconds from the run's start.
    pub from_s: f64,
    pub to_s: f64,
}

/// One server's figures over the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerSummary {
    pub name: String,
    pub source: String,
    pub samples: usize,
    /// CPU seconds over the run (last reading minus first).
    pub cpu_seconds: Option<f64>,
    /// Mean CPU over the run, in percent of one core.
    pub cpu_percent_mean: Option<f64>,
    pub cpu_per_request: Vec<CpuPerRequest>,
    pub rss_first_mb: Option<f64>,
    pub rss_last_mb: Option<f64>,
    pub rss_peak_mb: Option<f64>,
    /// RSS growth per connected holder, in KB (see the module's definition).
    pub rss_per_holder_kb: Option<f64>,
    pub memory_slope: Option<MemorySlope>,
    /// Each `--server-metric`: its first and last values.
    pub metrics: Vec<(String, f64, f64)>,
    /// What went wrong with the samples, and figures that could not be given.
    pub notes: Vec<String>,
}

const MB: f64 = 1_048_576.0;

/// The figures of one server's samples over a run.
pub fn summarize(series: &ServerSeries, facts: &RunFacts) -> ServerSummary {
    let mut notes = series.notes.clone();
    if series.failures > 0 && series.source.contains("://") {
        notes.push(format!(
            "{} of {} scrapes failed",
            series.failures, series.attempts
        ));
    }
    let cpu: Vec<(f64, f64)> = series
        .samples
        .iter()
        .filter_map(|s| Some((s.t, s.cpu_seconds?)))
        .collect();
    let rss: Vec<(f64, f64)> = series
        .samples
        .iter()
        .filter_map(|s| Some((s.t, s.rss_bytes?)))
        .collect();
    let (cpu_seconds, cpu_percent_mean) = match (cpu.first(), cpu.last()) {
        (Some(first), Some(last)) if last.0 > first.0 => {
            let used = (last.1 - first.1).max(0.0);
            (Some(used), Some(used / (last.0 - first.0) * 100.0))
        }
        _ => (None, None),
    };
    let cpu_per_request = cpu_seconds
        .map(|used| {
            facts
                .requests
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(name, n)| CpuPerRequest {
                    name: name.clone(),
                    requests: *n,
                    cpu_ms_per_request: used * 1000.0 / *n as f64,
                })
                .collect()
        })
        .unwrap_or_default();
    let steady = facts.steady();
    let in_steady = |t: f64| steady.is_some_and(|(from, to)| t >= from && t <= to);
    let steady_rss: Vec<(f64, f64)> = rss.iter().copied().filter(|p| in_steady(p.0)).collect();
    let steady_users: Vec<f64> = facts
        .users
        .iter()
        .filter(|u| in_steady(u.0))
        .map(|u| u.1)
        .collect();
    let rss_per_holder_kb = match (
        rss.first(),
        mean(steady_rss.iter().map(|p| p.1)),
        mean(steady_users.iter().copied()),
    ) {
        (Some(first), Some(level), Some(users)) if users > 0.0 => {
            Some((level - first.1) / 1024.0 / users)
        }
        _ => None,
    };
    let memory_slope = steady.and_then(|(from, to)| {
        let points: Vec<(f64, f64)> = steady_rss
            .iter()
            .map(|(t, bytes)| ((t - facts.start) / 60.0, bytes / 1024.0))
            .collect();
        fit_line(&points).map(|fit| MemorySlope {
            kb_per_minute: fit.slope,
            r_squared: fit.r_squared,
            residual_rms_kb: fit.residual_rms,
            points: fit.points,
            from_s: from - facts.start,
            to_s: to - facts.start,
        })
    });
    if memory_slope.is_none() && !rss.is_empty() {
        notes.push(match steady {
            None => "no memory slope: the users never held their highest count for 2 s".into(),
            Some(_) => "no memory slope: fewer than 3 RSS readings in the steady part".into(),
        });
    }
    let metrics = metric_names(series)
        .into_iter()
        .filter_map(|name| {
            let mut values = series
                .samples
                .iter()
                .filter_map(|s| s.metrics.get(&name).copied());
            let first = values.next()?;
            let last = values.next_back().unwrap_or(first);
            Some((name, first, last))
        })
        .collect();
    ServerSummary {
        name: series.name.clone(),
        source: series.source.clone(),
        samples: series.samples.len(),
        cpu_seconds,
        cpu_percent_mean,
        cpu_per_request,
        rss_first_mb: rss.first().map(|p| p.1 / MB),
        rss_last_mb: rss.last().map(|p| p.1 / MB),
        rss_peak_mb: rss.iter().map(|p| p.1 / MB).reduce(f64::max),
        rss_per_holder_kb,
        memory_slope,
        metrics,
        notes,
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

fn metric_names(series: &ServerSeries) -> Vec<String> {
    let mut names: Vec<String> = series
        .samples
        .iter()
        .flat_map(|s| s.metrics.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::watch::ServerSample;

    #[test]
    fn a_line_is_fitted_exactly_and_noise_is_told_apart() {
        let line: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 3.0 + 2.0 * i as f64)).collect();
        let fit = fit_line(&line).unwrap();
        assert!((fit.slope - 2.0).abs() < 1e-9 && (fit.intercept - 3.0).abs() < 1e-9);
        assert!((fit.r_squared - 1.0).abs() < 1e-9 && fit.residual_rms < 1e-9);
        let zigzag: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, (i % 2) as f64)).collect();
        assert!(fit_line(&zigzag).unwrap().r_squared < 0.1);
        assert_eq!(fit_line(&line[..2]), None);
        assert_eq!(fit_line(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]), None);
    }

    #[test]
    fn figures_of_a_run() {
        // 60 s: users ramp 0 → 10 over the first 10 s, then hold. RSS 100 MiB, +1 MiB a
        // minute from the start; CPU 0.5 s per second.
        let start = 1_000.0;
        let samples = (0..=60)
            .map(|i| ServerSample {
                t: start + i as f64,
                cpu_seconds: Some(10.0 + 0.5 * i as f64),
                rss_bytes: Some(100.0 * MB + MB * i as f64 / 60.0),
                processes: Some(1),
                metrics: BTreeMap::new(),
            })
            .collect();
        let series = ServerSeries {
            name: "m".into(),
            source: "pid 1".into(),
            samples,
            attempts: 61,
            failures: 0,
            notes: vec![],
        };
        let facts = RunFacts {
            start,
            requests: vec![("ping".into(), 300), ("startup".into(), 10)],
            users: (0..=60)
                .map(|i| (start + i as f64, (i.min(10)) as f64))
                .collect(),
        };
        let s = summarize(&series, &facts);
        assert_eq!(s.cpu_seconds, Some(30.0));
        assert!((s.cpu_percent_mean.unwrap() - 50.0).abs() < 1e-9);
        assert_eq!(s.cpu_per_request[0].cpu_ms_per_request, 100.0);
        assert_eq!(s.cpu_per_request[1].cpu_ms_per_request, 3000.0);
        let slope = s.memory_slope.unwrap();
        assert!((slope.kb_per_minute - 1024.0).abs() < 1e-6, "{slope:?}");
        assert_eq!((slope.from_s, slope.to_s, slope.points), (10.0, 60.0, 51));
        // Mean RSS over 10..60 s is 100 MiB + 35/60 MiB; over 10 users.
        let per_holder = s.rss_per_holder_kb.unwrap();
        assert!(
            (per_holder - 1024.0 * 35.0 / 60.0 / 10.0).abs() < 1e-6,
            "{per_holder}"
        );
        assert!(s.notes.is_empty(), "{:?}", s.notes);
    }
}
