//! The per-hop report: server trace events joined to akrida's samples by DIDComm thread id.
//!
//! - **Hops** (one row per agent label and step): how many events the agent sent, how many of them
//!   carried a time (END events), their mean / p95 / max in ms, and how many joined a sample.
//! - **Samples** (one row per sample name that recorded thread ids): of the samples, how many had
//!   events; for those, the mean total time as akrida measured it, the mean time inside the
//!   agents' handlers (sum of the END events' times, nested protocol-handler events left out since
//!   the dispatcher's event already contains them), per label, and the rest — network transit,
//!   queues between the agents' steps, and akrida's own work.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::Serialize;

use super::collector::TraceCollector;
use super::event::{TraceEvent, TracePhase};
use engine::trace::{ThreadLog, ThreadSample};

/// An event this far (seconds) outside a sample's start..end still joins it: the agents' clocks
/// and ours are the same machine's, but an event is posted after its step ends.
const JOIN_SLACK_SECONDS: f64 = 1.0;

/// What came in and what joined.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TraceCounts {
    /// Events kept.
    pub received: u64,
    /// Bodies that were not trace events (answered 400).
    pub rejected: u64,
    /// Events not kept because the collector was full.
    pub dropped: u64,
    /// Events whose thread id matched a sample.
    pub joined: u64,
    /// Events with no matching sample (other threads: forwards, admin calls, other clients).
    pub unjoined: u64,
    /// Samples that recorded a thread id (kept / not kept because the log was full).
    pub thread_samples: u64,
    pub thread_samples_dropped: u64,
}

/// One agent label and step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HopRow {
    pub label: String,
    pub step: String,
    pub events: u64,
    /// END events (the ones with a handler time).
    pub timed: u64,
    /// Events joined to a sample.
    pub joined: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// One sample name, split into time inside the agents and the rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleHopRow {
    pub name: String,
    /// Samples that recorded a thread id.
    pub samples: u64,
    /// Of those, samples with at least one joined event; the means below are over these.
    pub joined: u64,
    /// Events joined to these samples.
    pub events: u64,
    pub mean_total_ms: f64,
    pub mean_inside_ms: f64,
    pub mean_rest_ms: f64,
    /// Mean time inside each agent's handlers, by label.
    pub inside_ms_by_label: BTreeMap<String, f64>,
}

/// The whole per-hop report (also the `trace` object of the JSON report).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HopReport {
    pub counts: TraceCounts,
    pub hops: Vec<HopRow>,
    pub samples: Vec<SampleHopRow>,
}

impl HopReport {
    /// Joins what the collector received to the samples the run recorded.
    pub fn build(collector: &TraceCollector, threads: &ThreadLog) -> HopReport {
        let mut report = Self::join(&collector.events(), &threads.samples());
        report.counts.rejected = collector.rejected();
        report.counts.dropped = collector.dropped();
        report.counts.thread_samples_dropped = threads.dropped();
        report
    }

    /// The join itself, on plain lists (counts of refused input left at 0).
    pub fn join(events: &[TraceEvent], samples: &[ThreadSample]) -> HopReport {
        let mut by_thread: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, sample) in samples.iter().enumerate() {
            by_thread.entry(&sample.thread_id).or_default().push(i);
        }
        // For each sample: its events' count and the handler time per label.
        let mut per_sample: Vec<(u64, BTreeMap<String, f64>)> =
            vec![(0, BTreeMap::new()); samples.len()];
        let mut hops: BTreeMap<(String, String), (Vec<f64>, u64, u64)> = BTreeMap::new();
        let mut counts = TraceCounts {
            received: events.len() as u64,
            thread_samples: samples.len() as u64,
            ..TraceCounts::default()
        };
        for event in events {
            let owner = by_thread
                .get(event.thread_id.as_str())
                .map(|candidates| pick(candidates, samples, event.timestamp));
            let hop = hops
                .entry((event.label.clone(), event.step.clone()))
                .or_default();
            hop.1 += 1;
            if event.phase == TracePhase::End {
                hop.0.push(event.elapsed_ms);
            }
            match owner {
                Some(i) => {
                    counts.joined += 1;
                    hop.2 += 1;
                    let (n, inside) = &mut per_sample[i];
                    *n += 1;
                    if event.phase == TracePhase::End && !event.is_nested() {
                        *inside.entry(event.label.clone()).or_default() += event.elapsed_ms;
                    }
                }
                None => counts.unjoined += 1,
            }
        }
        HopReport {
            counts,
            hops: hops
                .into_iter()
                .map(|((label, step), (mut times, events, joined))| {
                    times.sort_by(f64::total_cmp);
                    HopRow {
                        label,
                        step,
                        events,
                        timed: times.len() as u64,
                        joined,
                        mean_ms: mean(&times),
                        p50_ms: percentile(&times, 0.5),
                        p95_ms: percentile(&times, 0.95),
                        p99_ms: percentile(&times, 0.99),
                        max_ms: times.last().copied().unwrap_or(0.0),
                    }
                })
                .collect(),
            samples: sample_rows(samples, &per_sample),
        }
    }

    /// Whether anything was received at all.
    pub fn is_empty(&self) -> bool {
        self.counts.received == 0 && self.counts.rejected == 0
    }
}

/// Of several samples on one thread, the one whose time span holds the event (else the nearest).
fn pick(candidates: &[usize], samples: &[ThreadSample], at: f64) -> usize {
    let distance = |i: &usize| {
        let s = &samples[*i];
        if at < s.started - JOIN_SLACK_SECONDS {
            s.started - at
        } else if at > s.ended + JOIN_SLACK_SECONDS {
            at - s.ended
        } else {
            0.0
        }
    };
    *candidates
        .iter()
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))
        .unwrap_or(&candidates[0])
}

fn sample_rows(
    samples: &[ThreadSample],
    per_sample: &[(u64, BTreeMap<String, f64>)],
) -> Vec<SampleHopRow> {
    struct Sums {
        samples: u64,
        joined: u64,
        events: u64,
        total_ms: f64,
        inside_ms: f64,
        by_label: BTreeMap<String, f64>,
    }
    let mut names: BTreeMap<&str, Sums> = BTreeMap::new();
    for (sample, (events, inside)) in samples.iter().zip(per_sample) {
        let sums = names.entry(&sample.name).or_insert(Sums {
            samples: 0,
            joined: 0,
            events: 0,
            total_ms: 0.0,
            inside_ms: 0.0,
            by_label: BTreeMap::new(),
        });
        sums.samples += 1;
        if *events == 0 {
            continue;
        }
        sums.joined += 1;
        sums.events += events;
        sums.total_ms += ((sample.ended - sample.started) * 1000.0).max(0.0);
        for (label, ms) in inside {
            sums.inside_ms += ms;
            *sums.by_label.entry(label.clone()).or_default() += ms;
        }
    }
    names
        .into_iter()
        .map(|(name, s)| {
            let per = |x: f64| {
                if s.joined == 0 {
                    0.0
                } else {
                    x / s.joined as f64
                }
            };
            SampleHopRow {
                name: name.to_owned(),
                samples: s.samples,
                joined: s.joined,
                events: s.events,
                mean_total_ms: per(s.total_ms),
                mean_inside_ms: per(s.inside_ms),
                mean_rest_ms: per((s.total_ms - s.inside_ms).max(0.0)),
                inside_ms_by_label: s.by_label.into_iter().map(|(l, ms)| (l, per(ms))).collect(),
            }
        })
        .collect()
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The per-hop tables as text, for the end-of-run summary.
pub fn render_hops(report: &HopReport) -> String {
    let c = &report.counts;
    let mut out = format!(
        "Server trace events: {} received, {} joined to samples by thread id, {} unjoined, {} rejected, {} dropped\n",
        c.received, c.joined, c.unjoined, c.rejected, c.dropped
    );
    if !report.hops.is_empty() {
        let _ = writeln!(
            out,
            "{:<24} {:<44} {:>8} {:>8} {:>8} {:>10} {:>10} {:>10}",
            "Agent label",
            "Step",
            "# events",
            "# timed",
            "# joined",
            "Mean (ms)",
            "p95 (ms)",
            "Max (ms)"
        );
        for h in &report.hops {
            let _ = writeln!(
                out,
                "{:<24} {:<44} {:>8} {:>8} {:>8} {:>10.1} {:>10.1} {:>10.1}",
                h.label, h.step, h.events, h.timed, h.joined, h.mean_ms, h.p95_ms, h.max_ms
            );
        }
    }
    if !report.samples.is_empty() {
        out.push('\n');
        let _ = writeln!(
            out,
            "{:<24} {:>9} {:>9} {:>8} {:>11} {:>12} {:>11}  inside, by agent label (ms)",
            "Sample", "# traced", "# joined", "# events", "Total (ms)", "Inside (ms)", "Rest (ms)"
        );
        for s in &report.samples {
            let by_label: Vec<String> = s
                .inside_ms_by_label
                .iter()
                .map(|(label, ms)| format!("{label} {ms:.1}"))
                .collect();
            let _ = writeln!(
                out,
                "{:<24} {:>9} {:>9} {:>8} {:>11.1} {:>12.1} {:>11.1}  {}",
                s.name,
                s.samples,
                s.joined,
                s.events,
                s.mean_total_ms,
                s.mean_inside_ms,
                s.mean_rest_ms,
                by_label.join(", ")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(label: &str, outcome: &str, thread: &str, at: f64, ms: f64) -> TraceEvent {
        let body = serde_json::json!({"handler": label, "outcome": outcome, "thread_id": thread,
            "timestamp": at, "elapsed_milli": ms});
        TraceEvent::parse(body.to_string().as_bytes()).unwrap()
    }

    fn sample(name: &str, thread: &str, started: f64, ended: f64) -> ThreadSample {
        ThreadSample {
            name: name.into(),
            thread_id: thread.into(),
            started,
            ended,
        }
    }

    #[test]
    fn joins_by_thread_and_splits_inside_from_rest() {
        let events = vec![
            event("M", "Dispatcher.handle_message.START", "t1", 100.01, 0.0),
            event("M", "Dispatcher.handle_message.END", "t1", 100.02, 4.0),
            event("M", "TrustPingHandler.handle.END", "t1", 100.02, 3.0),
            event("I", "Dispatcher.handle_message.END", "t1", 100.03, 6.0),
            event("M", "Dispatcher.handle_message.END", "t2", 200.0, 8.0),
            event("M", "Dispatcher.handle_message.END", "other", 100.0, 1.0),
        ];
        let samples = vec![
            sample("ping", "t1", 100.0, 100.05),
            sample("ping", "t2", 200.0, 200.02),
            sample("ping", "t3", 300.0, 300.01),
        ];
        let r = HopReport::join(&events, &samples);
        assert_eq!((r.counts.joined, r.counts.unjoined), (5, 1));
        let dispatch = r
            .hops
            .iter()
            .find(|h| h.label == "M" && h.step == "Dispatcher.handle_message")
            .unwrap();
        assert_eq!(
            (dispatch.events, dispatch.timed, dispatch.joined),
            (4, 3, 3)
        );
        assert!((dispatch.mean_ms - 13.0 / 3.0).abs() < 1e-9);
        assert_eq!((dispatch.p95_ms, dispatch.max_ms), (8.0, 8.0));
        let ping = &r.samples[0];
        assert_eq!((ping.samples, ping.joined, ping.events), (3, 2, 5));
        // t1: 50 ms total, 4 + 6 inside (the nested handler is not added); t2: 20 ms, 8 inside.
        assert!((ping.mean_total_ms - 35.0).abs() < 1e-6, "{ping:?}");
        assert!((ping.mean_inside_ms - 9.0).abs() < 1e-9);
        assert!((ping.mean_rest_ms - 26.0).abs() < 1e-6);
        assert_eq!(ping.inside_ms_by_label["I"], 3.0);
        let text = render_hops(&r);
        assert!(text.contains("Dispatcher.handle_message"), "{text}");
        assert!(text.contains("5 joined"), "{text}");
    }

    #[test]
    fn one_thread_in_two_samples_goes_to_the_one_in_time() {
        let events = vec![event("M", "Dispatcher.handle_message.END", "t", 50.0, 2.0)];
        let samples = vec![sample("a", "t", 10.0, 11.0), sample("b", "t", 49.9, 50.1)];
        let r = HopReport::join(&events, &samples);
        assert_eq!(r.samples.iter().find(|s| s.name == "b").unwrap().joined, 1);
        assert_eq!(r.samples.iter().find(|s| s.name == "a").unwrap().joined, 0);
    }
}
