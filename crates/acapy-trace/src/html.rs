//! The per-hop report as tables for the HTML report (the engine draws them; it knows nothing of
//! traces): the samples with the time spent inside the agents first, beside the stats they join,
//! then each agent's steps with count and percentiles.

use engine::report::HtmlTable;

use super::hops::HopReport;

/// The trace tables of the HTML report: per sample, then per hop.
pub fn hop_tables(report: &HopReport) -> Vec<HtmlTable> {
    let c = &report.counts;
    let ms = |v: f64| format!("{v:.1}");
    let samples = HtmlTable {
        id: "trace-samples".into(),
        title: "Per sample: time inside the agents and the rest".into(),
        note: format!(
            "{} trace events received, {} joined to samples by DIDComm thread id, {} unjoined, {} rejected, {} dropped. \
Means over the samples that had events; the rest is transit, queueing between the agents' steps, and akrida.",
            c.received, c.joined, c.unjoined, c.rejected, c.dropped
        ),
        columns: [
            "Sample", "Inside, by agent (ms)", "# traced", "# joined", "# events", "Total (ms)",
            "Inside (ms)", "Rest (ms)",
        ]
        .map(String::from)
        .to_vec(),
        text_columns: 2,
        rows: report
            .samples
            .iter()
            .map(|s| {
                let by_label: Vec<String> = s
                    .inside_ms_by_label
                    .iter()
                    .map(|(label, v)| format!("{label} {v:.1}"))
                    .collect();
                vec![
                    s.name.clone(),
                    by_label.join(", "),
                    s.samples.to_string(),
                    s.joined.to_string(),
                    s.events.to_string(),
                    ms(s.mean_total_ms),
                    ms(s.mean_inside_ms),
                    ms(s.mean_rest_ms),
                ]
            })
            .collect(),
    };
    let hops = HtmlTable {
        id: "trace-hops".into(),
        title: "Per hop: each agent's steps".into(),
        note: "Times of the END events (the step's own handler time), in ms.".into(),
        columns: [
            "Agent label",
            "Step",
            "# events",
            "# timed",
            "# joined",
            "Mean",
            "p50",
            "p95",
            "p99",
            "Max",
        ]
        .map(String::from)
        .to_vec(),
        text_columns: 2,
        rows: report
            .hops
            .iter()
            .map(|h| {
                vec![
                    h.label.clone(),
                    h.step.clone(),
                    h.events.to_string(),
                    h.timed.to_string(),
                    h.joined.to_string(),
                    ms(h.mean_ms),
                    ms(h.p50_ms),
                    ms(h.p95_ms),
                    ms(h.p99_ms),
                    ms(h.max_ms),
                ]
            })
            .collect(),
    };
    vec![samples, hops]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TraceEvent;
    use engine::trace::ThreadSample;

    #[test]
    fn one_row_per_sample_and_per_hop_with_percentiles() {
        let events: Vec<TraceEvent> = [(4.0, "t1"), (8.0, "t2")]
            .iter()
            .map(|(ms, thread)| {
                let body = serde_json::json!({"handler": "mediator", "outcome": "Dispatcher.handle_message.END",
                    "thread_id": thread, "timestamp": 10.0, "elapsed_milli": ms});
                TraceEvent::parse(body.to_string().as_bytes()).unwrap()
            })
            .collect();
        let samples: Vec<ThreadSample> = ["t1", "t2"]
            .iter()
            .map(|thread| ThreadSample {
                name: "ping_mediator".into(),
                thread_id: (*thread).into(),
                started: 9.99,
                ended: 10.01,
            })
            .collect();
        let tables = hop_tables(&HopReport::join(&events, &samples));
        assert_eq!(tables[0].rows.len(), 1);
        assert_eq!(tables[0].rows[0][0], "ping_mediator");
        assert_eq!(tables[0].rows[0][3], "2", "both samples joined");
        assert_eq!(tables[1].rows.len(), 1);
        let hop = &tables[1].rows[0];
        assert_eq!(hop[0], "mediator");
        assert_eq!(
            (hop[6].as_str(), hop[9].as_str()),
            ("4.0", "8.0"),
            "p50 and max"
        );
        assert_eq!(tables[1].columns.len(), hop.len());
    }
}
