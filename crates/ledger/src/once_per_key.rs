//! A value made once per key for the whole process, however many tasks ask at the same time:
//! the first asker makes it, the others wait for that one attempt. A failed attempt is not
//! kept, so the next asker tries again (a tails server that was briefly down does not fail
//! the rest of the run).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

pub struct OncePerKey<V> {
    cells: Mutex<HashMap<String, Arc<OnceCell<V>>>>,
}

impl<V> Default for OncePerKey<V> {
    fn default() -> Self {
        Self {
            cells: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> OncePerKey<V> {
    /// The value of `key`, made by `make` if no earlier call made it. Returns the value and
    /// whether this call made it.
    pub async fn get_or_make<E, F>(&self, key: &str, make: F) -> Result<(V, bool), E>
    where
        F: Future<Output = Result<V, E>>,
    {
        let cell = {
            let mut cells = self.cells.lock().expect("no panic while the map is locked");
            cells.entry(key.to_string()).or_default().clone()
        };
        let mut made = false;
        let value = cell
            .get_or_try_init(|| async {
                let value = make.await?;
                made = true;
                Ok(value)
            })
            .await?;
        Ok((value.clone(), made))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn concurrent_askers_share_one_attempt_and_failures_are_retried() {
        let once: Arc<OncePerKey<u32>> = Arc::default();
        let attempts = Arc::new(AtomicU32::new(0));
        let failed: Result<(u32, bool), String> = once
            .get_or_make("k", async {
                attempts.fetch_add(1, Ordering::SeqCst);
                Err("down".to_string())
            })
            .await;
        assert!(failed.is_err());
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (once, attempts) = (once.clone(), attempts.clone());
            tasks.push(tokio::spawn(async move {
                once.get_or_make("k", async {
                    attempts.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok::<_, String>(7)
                })
                .await
                .unwrap()
            }));
        }
        let mut makers = 0;
        for task in tasks {
            let (value, made) = task.await.unwrap();
            assert_eq!(value, 7);
            makers += u32::from(made);
        }
        assert_eq!(makers, 1);
        assert_eq!(attempts.load(Ordering::SeqCst), 2, "one failed, one made");
    }
}
