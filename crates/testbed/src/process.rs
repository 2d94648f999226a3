//! A process a test started (a Locust master, an `akrida worker`), with its output in a log file
//! and killed on drop, so that a failing test leaves nothing running.

use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

/// A child process and the file its stdout and stderr go to. Killed (and reaped) on drop.
pub struct Proc {
    pub child: Child,
    pub log: PathBuf,
}

impl Proc {
    /// What the process wrote so far (empty when the log cannot be read).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits up to `limit` for the process to end; its exit code (None: killed by a signal).
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<Option<i32>> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status.code());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, as Kubernetes stops a pod.
    pub fn terminate(&mut self) {
        self.signal(libc::SIGTERM);
    }

    /// Sends `signal` (SIGSTOP and SIGCONT pause and resume the process).
    pub fn signal(&mut self, signal: i32) {
        // SAFETY: kill(2) with a pid we started and have not yet waited for.
        unsafe {
            libc::kill(self.child.id() as i32, signal);
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}
