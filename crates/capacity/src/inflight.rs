//! Counts the scenario's task iterations in flight, so the drain between plateaus can tell when
//! the servers have answered what an overloaded plateau left them. The capacity search runs the
//! scenario wrapped in [`Counted`]: each user's task is counted from its start until it ends or
//! is dropped (a stopped user's task), onboarding and clean-up are not.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use engine::{BoxFuture, Phases, Scenario, Stats, User, UserContext};

/// The scenario a search runs, shared by every user.
pub type SharedScenario = Arc<dyn Scenario>;

/// Task iterations in flight, shared by every user of the run.
#[derive(Clone, Default)]
pub struct InFlight(Arc<AtomicU64>);

impl InFlight {
    pub fn now(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// One iteration counted while it lives (also when its future is dropped mid-way).
struct Counting(Arc<AtomicU64>);

impl Counting {
    fn start(counter: &Arc<AtomicU64>) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Counting(counter.clone())
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The scenario, its users' task iterations counted in [`InFlight`].
pub struct Counted {
    inner: SharedScenario,
    in_flight: InFlight,
}

impl Counted {
    pub fn new(inner: SharedScenario) -> (Self, InFlight) {
        let in_flight = InFlight::default();
        (
            Counted {
                inner,
                in_flight: in_flight.clone(),
            },
            in_flight,
        )
    }
}

impl Scenario for Counted {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn tasks(&self) -> Vec<(&'static str, u32)> {
        self.inner.tasks()
    }

    fn new_user(&self, index: u64) -> Box<dyn User> {
        Box::new(CountedUser {
            inner: self.inner.new_user(index),
            in_flight: self.in_flight.0.clone(),
        })
    }

    fn finish<'a>(&'a self, stats: &'a Stats) -> BoxFuture<'a, ()> {
        self.inner.finish(stats)
    }

    fn phases(&self) -> Option<Phases> {
        self.inner.phases()
    }

    fn delivery_sent(&self) -> Option<u64> {
        self.inner.delivery_sent()
    }

    fn delivery_of(&self, ids: std::ops::Range<u64>) -> Option<delivery::DeliveryReport> {
        self.inner.delivery_of(ids)
    }
}

struct CountedUser {
    inner: Box<dyn User>,
    in_flight: Arc<AtomicU64>,
}

impl User for CountedUser {
    fn on_start<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, Result<(), String>> {
        self.inner.on_start(ctx)
    }

    fn run_task<'a>(&'a mut self, task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        let counting = Counting::start(&self.in_flight);
        let task = self.inner.run_task(task, ctx);
        Box::pin(async move {
            let _counting = counting;
            task.await;
        })
    }

    fn while_waiting<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        self.inner.while_waiting(ctx)
    }

    fn on_stop<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        self.inner.on_stop(ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sleeper;
    struct SleeperUser;

    impl Scenario for Sleeper {
        fn name(&self) -> &str {
            "sleeper"
        }
        fn tasks(&self) -> Vec<(&'static str, u32)> {
            vec![("sleep", 1)]
        }
        fn new_user(&self, _index: u64) -> Box<dyn User> {
            Box::new(SleeperUser)
        }
    }

    impl User for SleeperUser {
        fn run_task<'a>(&'a mut self, _: &'static str, _: &'a UserContext) -> BoxFuture<'a, ()> {
            Box::pin(tokio::time::sleep(std::time::Duration::from_secs(60)))
        }
    }

    #[tokio::test]
    async fn a_task_counts_while_it_runs_and_when_dropped_stops_counting() {
        let (counted, in_flight) = Counted::new(Arc::new(Sleeper));
        let mut a = counted.new_user(0);
        let mut b = counted.new_user(1);
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        let ctx = UserContext::new(0, Arc::new(Stats::new()), stopped);
        let first = a.run_task("sleep", &ctx);
        let second = b.run_task("sleep", &ctx);
        assert_eq!(in_flight.now(), 2);
        drop(first);
        assert_eq!(in_flight.now(), 1);
        drop(second);
        assert_eq!(in_flight.now(), 0);
    }
}
