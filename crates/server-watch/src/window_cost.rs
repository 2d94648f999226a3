//! What each window of a run (a capacity search's plateau) cost the watched servers: the CPU per
//! request and the RSS per user at each load, from the samples taken in its judged window. The
//! whole search's figures (`servers`) mix every load; these say how the cost grows with it.

use crate::ServerSeries;
use serde::Serialize;

/// One server at one plateau.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    pub plateau: usize,
    pub load: f64,
    pub server: String,
    /// Samples in the judged window (none: no figure below).
    pub samples: usize,
    /// Mean CPU over the window, in percent of one core.
    pub cpu_percent_mean: Option<f64>,
    /// CPU over the window divided by the requests of the plateau's window.
    pub cpu_ms_per_request: Option<f64>,
    /// Mean RSS in the window above the search's first sample (taken before any load), per
    /// connected user.
    pub rss_per_user_kb: Option<f64>,
}

/// A plateau's window and what ran in it.
pub struct Window {
    pub plateau: usize,
    pub load: f64,
    /// Unix seconds: from the end of its warm-up to its end.
    pub from: f64,
    pub to: f64,
    pub requests: u64,
    pub users: usize,
}

/// Each server at each plateau, in the plateaus' order.
pub fn costs(series: &[ServerSeries], windows: &[Window]) -> Vec<Cost> {
    windows
        .iter()
        .flat_map(|w| series.iter().map(move |s| cost(s, w)))
        .collect()
}

fn cost(series: &ServerSeries, window: &Window) -> Cost {
    let inside: Vec<_> = series
        .samples
        .iter()
        .filter(|s| s.t >= window.from && s.t <= window.to)
        .collect();
    let cpu: Vec<(f64, f64)> = inside
        .iter()
        .filter_map(|s| Some((s.t, s.cpu_seconds?)))
        .collect();
    let used = match (cpu.first(), cpu.last()) {
        (Some(first), Some(last)) if last.0 > first.0 => {
            Some(((last.1 - first.1).max(0.0), last.0 - first.0))
        }
        _ => None,
    };
    // The requests are counted over the whole window, the CPU between its first and last
    // samples: scaled to the same span.
    let span = window.to - window.from;
    let cpu_ms_per_request = used
        .filter(|_| window.requests > 0 && span > 0.0)
        .map(|(cpu, seconds)| cpu / seconds * span * 1000.0 / window.requests as f64);
    let baseline = series.samples.iter().find_map(|s| s.rss_bytes);
    let rss: Vec<f64> = inside.iter().filter_map(|s| s.rss_bytes).collect();
    let rss_per_user_kb = match (baseline, rss.is_empty(), window.users) {
        (Some(first), false, users) if users > 0 => {
            let mean = rss.iter().sum::<f64>() / rss.len() as f64;
            Some((mean - first) / 1024.0 / users as f64)
        }
        _ => None,
    };
    Cost {
        plateau: window.plateau,
        load: window.load,
        server: series.name.clone(),
        samples: inside.len(),
        cpu_percent_mean: used.map(|(cpu, seconds)| cpu / seconds * 100.0),
        cpu_ms_per_request,
        rss_per_user_kb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServerSample;

    fn sample(t: f64, cpu: f64, rss_kb: f64) -> ServerSample {
        ServerSample {
            t,
            cpu_seconds: Some(cpu),
            rss_bytes: Some(rss_kb * 1024.0),
            processes: None,
            metrics: Default::default(),
        }
    }

    #[test]
    fn each_plateau_is_costed_on_its_own_window() {
        // Before the load: 1,000 KB. Plateau 1 (10 users, 100 requests over 0–10 s of its
        // window) uses 0.5 s of CPU a second at 2,000 KB; plateau 2 (20 users) 1 s a second at
        // 3,000 KB.
        let mut samples = vec![sample(0.0, 0.0, 1000.0)];
        samples.extend((0..=10).map(|i| sample(10.0 + i as f64, 0.5 * i as f64, 2000.0)));
        samples.extend((0..=10).map(|i| sample(30.0 + i as f64, 10.0 + i as f64, 3000.0)));
        let series = ServerSeries {
            name: "m".into(),
            source: "pid 1".into(),
            samples,
            attempts: 23,
            failures: 0,
            notes: Vec::new(),
        };
        let windows = [
            Window {
                plateau: 1,
                load: 10.0,
                from: 10.0,
                to: 20.0,
                requests: 100,
                users: 10,
            },
            Window {
                plateau: 2,
                load: 20.0,
                from: 30.0,
                to: 40.0,
                requests: 400,
                users: 20,
            },
            Window {
                plateau: 3,
                load: 40.0,
                from: 50.0,
                to: 60.0,
                requests: 0,
                users: 40,
            },
        ];
        let costs = costs(&[series], &windows);
        assert_eq!(costs.len(), 3);
        assert_eq!(costs[0].cpu_percent_mean, Some(50.0));
        assert_eq!(costs[0].cpu_ms_per_request, Some(50.0));
        assert_eq!(costs[0].rss_per_user_kb, Some(100.0));
        assert_eq!(costs[1].cpu_percent_mean, Some(100.0));
        assert_eq!(costs[1].cpu_ms_per_request, Some(25.0));
        assert_eq!(costs[1].rss_per_user_kb, Some(100.0));
        // No sample in its window: no figure rather than a made-up one.
        assert_eq!(costs[2].samples, 0);
        assert_eq!(costs[2].cpu_percent_mean, None);
        assert_eq!(costs[2].rss_per_user_kb, None);
    }
}
