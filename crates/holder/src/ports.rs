//! A pool of inbound ports (`START_PORT`..=`END_PORT`), for operators whose network setup needs
//! one port per unmediated holder, as owl-akrida's does.
//!
//! owl-akrida hangs when its range runs out; here a lease either succeeds at once or fails with an
//! error that says the range is exhausted, and a dropped lease gives its port back.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use crate::error::HolderError;

#[derive(Debug)]
pub struct PortPool {
    first: u16,
    last: u16,
    free: Mutex<BTreeSet<u16>>,
}

/// One port taken from a [`PortPool`]; back in the pool when dropped.
#[derive(Debug)]
pub struct PortLease {
    port: u16,
    pool: Arc<PortPool>,
}

impl PortPool {
    /// The ports `first..=last`; an empty or reversed range is an error.
    pub fn new(first: u16, last: u16) -> Result<Arc<Self>, String> {
        if first == 0 || last < first {
            return Err(format!(
                "START_PORT..END_PORT must be a range of ports from 1, not {first}..{last}"
            ));
        }
        Ok(Arc::new(Self {
            first,
            last,
            free: Mutex::new((first..=last).collect()),
        }))
    }

    /// The lowest free port, or an error when every port of the range is leased.
    pub fn lease(self: &Arc<Self>) -> Result<PortLease, HolderError> {
        let port = self.lock().pop_first().ok_or_else(|| {
            HolderError::Protocol(format!(
                "port range {}-{} exhausted: all {} ports are held by other holders \
                 (widen START_PORT..END_PORT, lower the users, or leave both unset to share one port)",
                self.first,
                self.last,
                self.size()
            ))
        })?;
        Ok(PortLease {
            port,
            pool: self.clone(),
        })
    }

    pub fn size(&self) -> usize {
        usize::from(self.last - self.first) + 1
    }

    pub fn available(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<u16>> {
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl PortLease {
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for PortLease {
    fn drop(&mut self) {
        self.pool.lock().insert(self.port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_until_exhausted_then_errors_and_recovers() {
        let pool = PortPool::new(10_000, 10_001).unwrap();
        let a = pool.lease().unwrap();
        let b = pool.lease().unwrap();
        assert_eq!((a.port(), b.port()), (10_000, 10_001));
        let err = pool.lease().unwrap_err().to_string();
        assert!(err.contains("port range 10000-10001 exhausted"), "{err}");
        drop(a);
        assert_eq!(pool.available(), 1);
        assert_eq!(pool.lease().unwrap().port(), 10_000);
    }

    #[test]
    fn bad_ranges_are_refused() {
        assert!(PortPool::new(10, 9).is_err());
        assert!(PortPool::new(0, 9).is_err());
        assert_eq!(PortPool::new(5, 5).unwrap().size(), 1);
    }
}
