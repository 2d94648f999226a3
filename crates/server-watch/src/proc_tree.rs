//! A process and its live descendants, read from `/proc` (see proc(5)): their CPU time and
//! resident memory summed. The tree is walked afresh each reading (every process's parent from
//! its `stat`), so workers forked during the run are counted from their first second.

use std::collections::HashMap;

/// One reading of a process tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreeReading {
    /// User + system CPU of every process of the tree, plus what their reaped children used
    /// (`cutime` + `cstime`), in seconds: a worker that exits keeps counting.
    pub cpu_seconds: f64,
    /// The sum of each process's resident set (a page shared by two processes counts twice, as
    /// `ps` and `top` count it).
    pub rss_bytes: u64,
    /// How many processes the tree has.
    pub processes: usize,
}

/// What one `/proc/PID/stat` says, of what a reading needs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stat {
    state: char,
    parent: u32,
    /// utime + stime + cutime + cstime, in clock ticks.
    ticks: u64,
    /// Resident pages.
    rss_pages: u64,
}

/// Parses a `/proc/PID/stat` line. The command name (field 2) may hold spaces and ')': the fields
/// after its last ')' are plain, counted from 3 (state).
fn parse_stat(line: &str) -> Option<Stat> {
    let rest = &line[line.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).copied();
    let number = |n: usize| field(n)?.parse::<u64>().ok();
    Some(Stat {
        state: field(3)?.chars().next()?,
        parent: field(4)?.parse().ok()?,
        ticks: number(14)? + number(15)? + number(16)? + number(17)?,
        // rss is signed in the kernel's format; a negative one never occurs in practice.
        rss_pages: field(24)?.parse::<i64>().ok()?.max(0) as u64,
    })
}

fn read_stat(pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Whether `pid` is a live process (not a zombie).
pub(crate) fn is_alive(pid: u32) -> bool {
    read_stat(pid).is_some_and(|s| s.state != 'Z' && s.state != 'X')
}

/// Reads the tree rooted at `root`; `None` once the root has exited (or is a zombie).
pub fn read_tree(root: u32) -> Option<TreeReading> {
    let root_stat = read_stat(root).filter(|s| s.state != 'Z' && s.state != 'X')?;
    let mut children: HashMap<u32, Vec<(u32, Stat)>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == root {
            continue;
        }
        // A process may exit between the listing and the read: it is simply not counted.
        if let Some(stat) = read_stat(pid) {
            children.entry(stat.parent).or_default().push((pid, stat));
        }
    }
    let mut ticks = root_stat.ticks;
    let mut pages = root_stat.rss_pages;
    let mut processes = 1;
    let mut queue = vec![root];
    while let Some(parent) = queue.pop() {
        for (pid, stat) in children.remove(&parent).unwrap_or_default() {
            ticks += stat.ticks;
            pages += stat.rss_pages;
            processes += 1;
            queue.push(pid);
        }
    }
    Some(TreeReading {
        cpu_seconds: ticks as f64 / clock_ticks_per_second(),
        rss_bytes: pages * page_size(),
        processes,
    })
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

fn page_size() -> u64 {
    // SAFETY: sysconf only reads a configuration value.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(page).ok().filter(|p| *p > 0).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_with_a_strange_name() {
        let line = "42 (a (b) c) S 7 42 42 0 -1 4194560 100 0 0 0 250 50 10 5 20 0 1 0 100 123456 300 18446744073709551615";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                state: 'S',
                parent: 7,
                ticks: 315,
                rss_pages: 300
            })
        );
        assert_eq!(parse_stat("42 (cut) S 7"), None);
    }

    #[test]
    fn a_tree_counts_its_children() {
        use std::os::unix::process::CommandExt;
        // In a process group of its own, so that the test stops the shell and its sleeps at once.
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & sleep 30 & wait"])
            .process_group(0)
            .spawn()
            .unwrap();
        let pid = child.id();
        // The shell forks its two sleeps shortly after it starts: poll, bounded.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let reading = loop {
            let reading = read_tree(pid).expect("the shell runs");
            if reading.processes == 3 || std::time::Instant::now() > deadline {
                break reading;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        // SAFETY: killpg only sends a signal, to the group of the shell this test started.
        unsafe { libc::killpg(pid as libc::pid_t, libc::SIGKILL) };
        let _ = child.wait();
        assert_eq!(reading.processes, 3, "{reading:?}");
        assert!(reading.rss_bytes > 0);
        assert_eq!(read_tree(pid), None, "an exited process has no tree");
        let me = read_tree(std::process::id()).unwrap();
        assert!(me.rss_bytes > 1 << 20 && me.cpu_seconds >= 0.0, "{me:?}");
    }
}
