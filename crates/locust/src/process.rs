//! The figures a worker's heartbeat carries about its own process: CPU use in percent of one
//! core since the previous reading (psutil's `Process.cpu_percent()`), and resident memory in
//! bytes. Linux reads `/proc/self`; elsewhere both are 0.

use std::time::Instant;

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

/// User + system CPU time of this process, in seconds.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may contain spaces; fields after its ')' are plain.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime), counted from 1 over the whole line; `rest` starts at 3.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clock_ticks())
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// Resident memory of this process in bytes (0 when unknown).
pub fn resident_bytes() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf only reads a configuration value.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * u64::try_from(page).unwrap_or(4096)
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
