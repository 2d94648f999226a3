//! Scenarios for tests that need users but no server (feature `test-util`): [`Stub::idle`] users
//! do nothing, [`Stub::ticks`] users record one made-up sample a task. One copy here, so no test
//! file carries its own.

use std::time::Duration;

use crate::{BoxFuture, Scenario, User, UserContext};

/// A scenario of one task whose users touch no server. Its name is the caller's: a stand-in for
/// a real scenario (a Locust master dispatches by name) or a name of its own.
pub struct Stub {
    name: &'static str,
    task: &'static str,
    tick: Option<Tick>,
}

/// What a ticking user does each task: records a sample of `took` (type "test"), then waits `pause`.
#[derive(Clone, Copy)]
struct Tick {
    took: Duration,
    pause: Duration,
}

impl Stub {
    /// Users whose task (`idle`) returns at once and records nothing.
    pub fn idle(name: &'static str) -> Self {
        Stub {
            name,
            task: "idle",
            tick: None,
        }
    }

    /// Users whose task (`tick`) records a successful "test" / "tick" sample of `took`, then
    /// sleeps `pause` (so a run's request count follows its users and time).
    pub fn ticks(name: &'static str, took: Duration, pause: Duration) -> Self {
        Stub {
            name,
            task: "tick",
            tick: Some(Tick { took, pause }),
        }
    }
}

struct StubUser(Option<Tick>);

impl Scenario for Stub {
    fn name(&self) -> &str {
        self.name
    }
    fn tasks(&self) -> Vec<(&'static str, u32)> {
        vec![(self.task, 1)]
    }
    fn new_user(&self, _index: u64) -> Box<dyn User> {
        Box::new(StubUser(self.tick))
    }
}

impl User for StubUser {
    fn run_task<'a>(&'a mut self, task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Some(Tick { took, pause }) = self.0 {
                ctx.record("test", task, took, Ok(()));
                tokio::time::sleep(pause).await;
            }
        })
    }
}
