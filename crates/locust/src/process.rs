//! The figures a worker's heartbeat carries about its own process: CPU use in percent of one
//! core since the previous reading (psutil's `Process.cpu_percent()`), and resident memory in
//! bytes. Linux reads `/proc/self`; elsewhere both are 0.

use std::time::Instant;

use engine::process::cpu_seconds;

/// Successive CPU readings.
pub struct CpuMeter {
    last: Option<(Instant, f64)>,
}

impl CpuMeter {
    pub fn new() -> Self {
        CpuMeter {
            last: cpu_seconds().map(|s| (Instant::now(), s)),
        }
    }

    /// Percent of one core used since the previous call (0 on the first call or off Linux).
    pub fn percent(&mut self) -> f64 {
        let now = Instant::now();
        let Some(cpu) = cpu_seconds() else {
            return 0.0;
        };
        let percent = match self.last {
            Some((then, before)) => {
                let wall = now.duration_since(then).as_secs_f64();
                if wall > 0.0 {
                    ((cpu - before) / wall * 100.0).max(0.0)
                } else {
                    0.0
                }
            }
            None => 0.0,
        };
        self.last = Some((now, cpu));
        (percent * 10.0).round() / 10.0
    }
}

impl Default for CpuMeter {
    fn default() -> Self {
        Self::new()
    }
}

/// Resident memory of this process in bytes (0 when unknown).
pub fn resident_bytes() -> u64 {
    engine::process::resident_bytes().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_are_sane() {
        let mut meter = CpuMeter::new();
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let percent = meter.percent();
        assert!((0.0..=1000.0).contains(&percent), "{percent}");
        if cfg!(target_os = "linux") {
            assert!(resident_bytes() > 1_000_000);
        }
    }
}
