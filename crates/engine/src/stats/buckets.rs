//! Locust's coarse response-time buckets.
//!
//! Locust does not keep exact response times: it rounds each one to about two significant digits
//! (`bucket_response_time` in `locust/stats.py`) and counts samples per rounded value. A Locust master
//! only understands that form, and Locust's "current" (last ~10 s) percentiles are computed from it,
//! so we keep it beside the exact HDR histograms: for the worker interval and for the history rows.

use std::collections::BTreeMap;

/// Rounds a response time given in microseconds to the millisecond key Locust would use.
///
/// Locust rounds the float `ms` with Python's `round`, which rounds exact halves to the even
/// neighbour: `round(2.5) == 2`, `round(145.0, -1) == 140`. A latency of a whole number of
/// microseconds divided by 1000 is a halfway case only when the remainder is exactly half the
/// step, so integer arithmetic reproduces Python's result exactly, without float surprises.
pub fn locust_bucket_ms(micros: u64) -> u64 {
    // (step in µs, step in ms) for the ranges <100 ms, <1 s, <10 s, and beyond.
    let step_us = match micros {
        0..=99_999 => 1_000,
        100_000..=999_999 => 10_000,
        1_000_000..=9_999_999 => 100_000,
        _ => 1_000_000,
    };
    let quotient = micros / step_us;
    let remainder = micros % step_us;
    let half = step_us / 2;
    let rounded = if remainder > half || (remainder == half && quotient % 2 == 1) {
        quotient + 1
    } else {
        quotient
    };
    rounded * (step_us / 1_000)
}

/// Number of distinct keys below 10 s: 0..=100 (101 keys), 110..=1000 by 10 (90), 1100..=10000 by 100 (90).
const DENSE_KEYS: usize = 281;

/// Maps a bucket key below or at 10 000 ms to its slot in the dense array.
fn dense_slot(key_ms: u64) -> Option<usize> {
    let slot = match key_ms {
        0..=100 => key_ms,
        101..=1_000 => 100 + (key_ms - 100) / 10,
        1_001..=10_000 => 190 + (key_ms - 1_000) / 100,
        _ => return None,
    };
    Some(slot as usize)
}

/// The inverse of [`dense_slot`].
fn dense_key(slot: usize) -> u64 {
    let slot = slot as u64;
    match slot {
        0..=100 => slot,
        101..=190 => 100 + (slot - 100) * 10,
        _ => 1_000 + (slot - 190) * 100,
    }
}

/// Counts per Locust bucket. Recording is an array increment for anything under 10 s (the common
/// case), so it costs almost nothing on the recording path; slower samples go to a small map.
#[derive(Clone)]
pub struct LocustBuckets {
    dense: Box<[u32; DENSE_KEYS]>,
    slow: BTreeMap<u64, u64>,
    count: u64,
}

impl Default for LocustBuckets {
    fn default() -> Self {
        LocustBuckets {
            dense: Box::new([0; DENSE_KEYS]),
            slow: BTreeMap::new(),
            count: 0,
        }
    }
}

impl LocustBuckets {
    /// Counts one sample of `micros` microseconds.
    pub fn record(&mut self, micros: u64) {
        let key = locust_bucket_ms(micros);
        match dense_slot(key) {
            Some(slot) => {
                // A u32 slot overflows only after 4 billion samples of one bucket in one
                // interval; saturating keeps the figure honest-ish instead of wrapping to zero.
                self.dense[slot] = self.dense[slot].saturating_add(1);
            }
            None => *self.slow.entry(key).or_insert(0) += 1,
        }
        self.count += 1;
    }

    /// Forgets all counts, keeping the allocation.
    pub fn clear(&mut self) {
        self.dense.fill(0);
        self.slow.clear();
        self.count = 0;
    }

    /// Number of samples counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds another set of counts to this one.
    pub fn merge(&mut self, other: &LocustBuckets) {
        for (mine, theirs) in self.dense.iter_mut().zip(other.dense.iter()) {
            *mine = mine.saturating_add(*theirs);
        }
        for (key, n) in &other.slow {
            *self.slow.entry(*key).or_insert(0) += n;
        }
        self.count += other.count;
    }

    /// The `{rounded_ms: count}` map Locust sends from worker to master, without empty keys.
    pub fn to_map(&self) -> BTreeMap<u64, u64> {
        let mut map: BTreeMap<u64, u64> = self
            .dense
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(slot, n)| (dense_key(slot), u64::from(*n)))
            .collect();
        map.extend(self.slow.iter().map(|(k, n)| (*k, *n)));
        map
    }

    /// Locust's `calculate_response_time_percentile`: walks the buckets from the slowest down
    /// and returns the first key at which at most `count * percent` samples remain below.
    /// Zero when there is nothing, as Locust's `... or 0`.
    pub fn percentile(&self, percent: f64) -> u64 {
        let wanted = (self.count as f64 * percent) as u64;
        let mut processed = 0u64;
        let dense = self
            .dense
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, n)| **n > 0)
            .map(|(slot, n)| (dense_key(slot), u64::from(*n)));
        for (key, n) in self.slow.iter().rev().map(|(k, n)| (*k, *n)).chain(dense) {
            processed += n;
            if self.count.saturating_sub(processed) <= wanted {
                return key;
            }
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values computed with Python 3.11: `locust.stats.bucket_response_time(us / 1000)`.
    #[test]
    fn rounds_like_locust_including_halves_to_even() {
        let cases: &[(u64, u64)] = &[
            (0, 0),
            (400, 0),
            (500, 0),   // round(0.5) == 0
            (1_500, 2), // round(1.5) == 2
            (2_500, 2), // round(2.5) == 2
            (2_501, 3),
            (99_499, 99),
            (99_500, 100), // round(99.5) == 100
            (100_000, 100),
            (104_999, 100),
            (145_000, 140), // round(145.0, -1) == 140
            (155_000, 160),
            (145_001, 150),
            (147_000, 150),
            (999_999, 1_000),
            (3_432_000, 3_400),
            (3_450_000, 3_400),
            (3_550_000, 3_600),
            (58_760_000, 59_000),
            (10_500_000, 10_000),
            (11_500_000, 12_000),
        ];
        for (micros, want) in cases {
            assert_eq!(locust_bucket_ms(*micros), *want, "{micros} µs");
        }
    }

    #[test]
    fn dense_slots_round_trip_for_every_key() {
        for micros in (0..10_000_000u64).step_by(997) {
            let key = locust_bucket_ms(micros);
            if let Some(slot) = dense_slot(key) {
                assert_eq!(dense_key(slot), key);
            }
        }
        assert_eq!(dense_slot(10_000), Some(DENSE_KEYS - 1));
        assert_eq!(dense_slot(11_000), None);
    }

    #[test]
    fn map_and_percentile_follow_locust() {
        let mut buckets = LocustBuckets::default();
        for ms in 1..=100u64 {
            buckets.record(ms * 1_000);
        }
        buckets.record(20_000_000);
        let map = buckets.to_map();
        assert_eq!(map.get(&50), Some(&1));
        assert_eq!(map.get(&20_000), Some(&1));
        assert_eq!(map.values().sum::<u64>(), 101);
        // Python: calculate_response_time_percentile({1:1,...,100:1,20000:1}, 101, 0.5) == 51
        assert_eq!(buckets.percentile(0.5), 51);
        assert_eq!(buckets.percentile(1.0), 20_000);
        assert_eq!(LocustBuckets::default().percentile(0.5), 0);
    }
}
