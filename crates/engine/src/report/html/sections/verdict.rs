//! The verdict first: warnings, the thresholds' outcome and the comparison with a baseline.

use std::fmt::Write;

use crate::baseline::Comparison;
use crate::report::html::kit::escape;
use crate::report::html::HtmlReport;
use crate::thresholds::{trim_float, ThresholdResult};

pub(in crate::report::html) fn verdict(out: &mut String, report: &HtmlReport<'_>) {
    out.push_str("<section id=\"verdict\"><h2>Verdict</h2>");
    if !report.thresholds.is_empty() {
        let failed = report.thresholds.iter().filter(|t| !t.passed).count();
        let _ = write!(
            out,
            "<span class=\"badge {}\">thresholds: {} of {} passed</span>",
            if failed == 0 { "pass" } else { "fail" },
            report.thresholds.len() - failed,
            report.thresholds.len()
        );
    }
    if !report.baseline.is_empty() {
        let regressions = report.baseline.iter().filter(|c| c.regression).count();
        let _ = write!(
            out,
            "<span class=\"badge {}\">baseline: {regressions} regression(s)</span>",
            if regressions == 0 { "pass" } else { "fail" }
        );
    }
    let failures = report.snapshot.total.num_failures;
    let _ = write!(
        out,
        "<span class=\"badge {}\">failures: {failures} ({:.2}%)</span>",
        if failures == 0 { "pass" } else { "fail" },
        report.snapshot.total.fail_ratio * 100.0
    );
    for warning in report.warnings {
        let _ = write!(out, "<p class=\"warn\">⚠ {}</p>", escape(warning));
    }
    out.push_str("</section>\n");
}

pub(in crate::report::html) fn thresholds(out: &mut String, report: &HtmlReport<'_>) {
    let results: &[ThresholdResult] = report.thresholds;
    if results.is_empty() {
        return;
    }
    out.push_str("<section id=\"thresholds\"><h2>Thresholds</h2><table><tr><th class=\"l\">Threshold</th><th>Measured</th><th>Result</th></tr>");
    for r in results {
        let measured = r
            .measured
            .map(|m| format!("{} {}", trim_float(m), r.unit))
            .unwrap_or_else(|| "no requests".into());
        let _ = write!(
            out,
            "<tr><td class=\"l\">{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            escape(&r.threshold),
            escape(measured.trim()),
            if r.passed { "pass" } else { "fail" },
            if r.passed { "PASS" } else { "FAIL" }
        );
    }
    out.push_str("</table></section>\n");
}

pub(in crate::report::html) fn baseline(out: &mut String, report: &HtmlReport<'_>) {
    let comparisons: &[Comparison] = report.baseline;
    if comparisons.is_empty() {
        return;
    }
    out.push_str("<section id=\"baseline\"><h2>Compared with the baseline</h2><table><tr><th class=\"l\">Sample</th><th class=\"l\">Metric</th><th>Baseline</th><th>This run</th><th>Change</th><th></th></tr>");
    for c in comparisons {
        let change = c
            .change
            .map_or("—".into(), |x| format!("{:+.1}%", x * 100.0));
        let _ = write!(
            out,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            escape(&c.sample),
            escape(&c.metric),
            trim_float(c.baseline),
            trim_float(c.current),
            change,
            if c.regression { "fail" } else { "pass" },
            if c.regression { "REGRESSION" } else { "ok" }
        );
    }
    out.push_str("</table></section>\n");
}
