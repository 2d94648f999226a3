//! The live view while a run goes: progress (elapsed / total, users / target), the generator's
//! own health, and the stats table. On a terminal it is redrawn in place (ANSI: cursor home,
//! clear below); piped, it is printed as plain blocks of lines, one per stats interval.

use std::fmt::Write;
use std::time::Duration;

use crate::report::{render_table, GeneratorSample, Rates};
use crate::StatsSnapshot;

/// One frame: a progress line, the generator line, and the table.
pub fn frame(
    snapshot: &StatsSnapshot,
    elapsed: Duration,
    total: Option<Duration>,
    generator: Option<&GeneratorSample>,
    thresholds_failing: usize,
) -> String {
    let mut out = String::new();
    let _ = write!(out, "{}", progress_line(snapshot, elapsed, total));
    if thresholds_failing > 0 {
        let _ = write!(out, " | thresholds failing now: {thresholds_failing}");
    }
    out.push('\n');
    if let Some(g) = generator {
        let _ = writeln!(
            out,
            "akrida: cpu {:.0}% | rss {:.0} MiB | fds {} | lag {:.0} ms{}",
            g.cpu_percent,
            g.rss_bytes as f64 / 1_048_576.0,
            g.open_fds,
            g.lag_ms,
            if crate::selfwatch::is_saturated(g) {
                "  ⚠ the generator is saturated"
            } else {
                ""
            }
        );
    }
    out.push_str(&render_table(snapshot, Rates::Current));
    out
}

/// `[#####.....] 1m20s / 5m00s (27%) | users 120 / 200 | 35.2 req/s | 0 fail/s`
pub fn progress_line(
    snapshot: &StatsSnapshot,
    elapsed: Duration,
    total: Option<Duration>,
) -> String {
    let time = match total {
        Some(total) if !total.is_zero() => {
            let share = (elapsed.as_secs_f64() / total.as_secs_f64()).clamp(0.0, 1.0);
            let filled = (share * 20.0).round() as usize;
            format!(
                "[{}{}] {} / {} ({:.0}%)",
                "#".repeat(filled),
                ".".repeat(20 - filled),
                clock(elapsed),
                clock(total),
                share * 100.0
            )
        }
        _ => format!("{} elapsed (until Ctrl-C)", clock(elapsed)),
    };
    format!(
        "{time} | users {} / {} (spawned {}) | {:.1} req/s | {:.1} fail/s",
        snapshot.user_count,
        snapshot.target_user_count,
        snapshot.users.spawned,
        snapshot.total.current_requests_per_s,
        snapshot.total.current_failures_per_s
    )
}

/// Redraws on a terminal: cursor to the top-left, the frame, clear what is left below.
pub fn redraw(frame: &str) -> String {
    // Each line also clears its own end, so shorter lines leave no residue.
    let body: String = frame.lines().map(|l| format!("{l}\x1b[K\n")).collect();
    format!("\x1b[H{body}\x1b[J")
}

/// Erases the live frame on a terminal (cursor to the top-left, clear below), so that the final
/// table, printed next, is the only one on screen.
pub fn erase() -> &'static str {
    "\x1b[H\x1b[J"
}

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m{:02}s", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_and_redraw() {
        let mut snapshot = crate::Stats::new().summary();
        snapshot.user_count = 120;
        snapshot.target_user_count = 200;
        let line = progress_line(
            &snapshot,
            Duration::from_secs(80),
            Some(Duration::from_secs(300)),
        );
        assert!(line.starts_with("[#####..............."), "{line}");
        assert!(line.contains("1m20s / 5m00s (27%)"), "{line}");
        assert!(line.contains("users 120 / 200"), "{line}");
        assert!(progress_line(&snapshot, Duration::from_secs(5), None).contains("until Ctrl-C"));
        let text = redraw("a\nb");
        assert_eq!(text, "\x1b[Ha\x1b[K\nb\x1b[K\n\x1b[J");
        let frame = frame(&snapshot, Duration::from_secs(1), None, None, 2);
        assert!(frame.contains("thresholds failing now: 2"));
        assert!(frame.contains("Aggregated"));
    }
}
