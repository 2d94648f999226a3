//! This process's own figures, read from `/proc/self` (Linux): CPU time, resident memory and
//! open file descriptors. A load generator reports them so that a collapse can be told apart:
//! the servers gave out, or the generator did. Elsewhere each reading is `None`.

/// User + system CPU time of this process, in seconds (`utime` + `stime` of `/proc/self/stat`).
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    cpu_seconds_from_stat(&stat, clock_ticks_per_second()?)
}

fn cpu_seconds_from_stat(stat: &str, ticks_per_second: f64) -> Option<f64> {
    // The command name (field 2) may contain spaces and ')'; the fields after its last ')' are
    // plain. Fields 14 (utime) and 15 (stime), counted from 1 over the whole line, are the 12th
    // and 13th after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / ticks_per_second)
}

fn clock_ticks_per_second() -> Option<f64> {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (ticks > 0).then_some(ticks as f64)
}

/// Resident memory of this process, in bytes (the second field of `/proc/self/statm`, in pages).
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok().filter(|p| *p > 0)?)
}

/// How many file descriptors this process has open.
pub fn open_fds() -> Option<u64> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_name_with_spaces_and_parentheses_is_skipped() {
        let stat = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0";
        assert_eq!(cpu_seconds_from_stat(stat, 100.0), Some(3.0));
        assert_eq!(cpu_seconds_from_stat("4242 (cut) S 1", 100.0), None);
    }

    #[test]
    fn this_process_is_read() {
        if cfg!(target_os = "linux") {
            assert!(cpu_seconds().is_some_and(|s| s >= 0.0));
            assert!(resident_bytes().is_some_and(|b| b > 1 << 20));
            assert!(open_fds().is_some_and(|n| n >= 3));
        }
    }
}
