//! Per-second counts over the run, for the report's chart: what was sent, delivered, late,
//! duplicated and (once the verdict is in) lost each second, and how many holders were away.

use std::time::Duration;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimelineRow {
    /// Seconds since the run's start.
    pub second: u64,
    pub sent: u64,
    /// First receipts in this second.
    pub delivered: u64,
    /// First receipts in this second that came after the delivery timeout.
    pub late: u64,
    pub duplicated: u64,
    /// Messages sent in this second and never received (filled in by the verdict).
    pub lost: u64,
    /// The most holders away (asleep or vanished) at any moment of this second.
    pub asleep: u64,
}

/// A run's timeline; grows by one row a second of run (a few hundred KB for a day's run).
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    rows: Vec<TimelineRow>,
}

impl Timeline {
    pub(crate) fn row_mut(&mut self, at: Duration) -> &mut TimelineRow {
        let second = at.as_secs();
        let index = usize::try_from(second).unwrap_or(usize::MAX);
        // Bounded: a time beyond ten days is clamped into the last row rather than growing the
        // table without limit on a caller's bad clock.
        let index = index.min(864_000);
        while self.rows.len() <= index {
            let second = self.rows.len() as u64;
            self.rows.push(TimelineRow {
                second,
                ..TimelineRow::default()
            });
        }
        &mut self.rows[index]
    }

    pub fn rows(self) -> Vec<TimelineRow> {
        self.rows
    }
}
