//! Test helpers: a real Locust master from the project's venv, and scenarios that need no
//! server (each task records one sample), so the protocol is tested without the testbed.
#![allow(dead_code)] // each test binary uses a different part

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use engine::stub::Stub;
use engine::{BoxFuture, Scenario, User, UserContext};
use locust::WorkerEvent;
#[allow(unused_imports)] // each test binary uses a different part
pub use testbed::{free_port, locust_bin, locustfile, read_csv, Locust, Master, Proc};

pub fn output_dir(name: &str) -> testbed::ScratchDir {
    testbed::scratch_dir(&format!("locust-{name}"))
}

/// `locust --master` of `locust` on 127.0.0.1:`port` ([`Locust::start_master`]) running the
/// `MediatorPing` class only (the test scenarios here stand for it); its output goes to
/// `dir/master.log`.
pub fn start_master(locust: Locust, port: u16, dir: &Path, run: Master) -> Proc {
    locust.start_master(port, dir.join("master.log"), &["MediatorPing"], run)
}

/// A headless master of `locust` on a free port, waiting for `workers` workers and then running
/// `users` users (all started in the first second) for `time`; its files go to a scratch
/// directory named `name` and the release, its CSV under `run`.
pub struct HeadlessMaster {
    pub master: Proc,
    pub port: u16,
    pub dir: testbed::ScratchDir,
}

impl HeadlessMaster {
    pub fn start(locust: Locust, name: &str, workers: u32, users: u64, time: &str) -> Self {
        let port = free_port();
        let dir = output_dir(&format!("{name}-{}", locust.label()));
        let csv = dir.join("run");
        let run = Master::Headless {
            workers,
            users,
            rate: users,
            time,
            csv: &csv,
        };
        let master = start_master(locust, port, &dir, run);
        HeadlessMaster { master, port, dir }
    }

    /// Waits for the master to exit after its run and fails the test unless it exited 0;
    /// returns its log (printed, with how long the run took since `started`).
    pub fn finished(&mut self, started: std::time::Instant) -> String {
        let status = self.master.child.wait().unwrap();
        let log = self.master.log();
        eprintln!("master log:\n{log}\nrun took {:?}", started.elapsed());
        assert!(status.success(), "master exit {status}");
        log
    }
}

/// Users that record a 2 ms "tick" sample every 50 ms, named like the committed locustfile's
/// class, so a master started with it dispatches to them.
pub fn ticks() -> Stub {
    Stub::ticks(
        "mediator-ping",
        Duration::from_millis(2),
        Duration::from_millis(50),
    )
}

/// How long each [`Burn`] user keeps its runtime thread busy.
pub const BURN: Duration = Duration::from_secs(5);

/// Users whose first task keeps its runtime thread busy for [`BURN`] without yielding (as CPU-bound
/// user code does), recording a "burn" sample, and then tick like [`ticks`]. As many users as
/// the runtime has threads hold every one of them.
pub struct Burn;

struct BurnUser {
    burned: bool,
}

impl Scenario for Burn {
    fn name(&self) -> &str {
        "mediator-ping"
    }
    fn tasks(&self) -> Vec<(&'static str, u32)> {
        vec![("tick", 1)]
    }
    fn new_user(&self, _index: u64) -> Box<dyn User> {
        Box::new(BurnUser { burned: false })
    }
}

impl User for BurnUser {
    fn run_task<'a>(&'a mut self, _task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if !self.burned {
                self.burned = true;
                let started = std::time::Instant::now();
                let mut x = 0u64;
                while started.elapsed() < BURN {
                    for i in 0..10_000u64 {
                        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
                    }
                }
                ctx.record("test", "burn", started.elapsed(), Ok(()));
                return;
            }
            ctx.record("test", "tick", Duration::from_millis(2), Ok(()));
            tokio::time::sleep(Duration::from_millis(50)).await;
        })
    }
}

/// Every event a worker emitted, in order.
#[derive(Clone, Default)]
pub struct Events(pub Arc<Mutex<Vec<WorkerEvent>>>);

impl Events {
    pub fn sink(&self) -> impl Fn(&WorkerEvent) + Send + Sync + 'static {
        let events = self.0.clone();
        move |event: &WorkerEvent| {
            eprintln!("worker event: {event:?}");
            events.lock().unwrap().push(event.clone());
        }
    }

    pub fn all(&self) -> Vec<WorkerEvent> {
        self.0.lock().unwrap().clone()
    }

    /// Users of the most recent spawn job.
    pub fn last_spawned(&self) -> Option<u64> {
        self.all().iter().rev().find_map(|e| match e {
            WorkerEvent::Spawned { users, .. } => Some(*users),
            _ => None,
        })
    }

    pub fn count(&self, pred: impl Fn(&WorkerEvent) -> bool) -> usize {
        self.all().iter().filter(|e| pred(e)).count()
    }
}

pub fn worker_config(port: u16) -> locust::WorkerConfig {
    let mut config = locust::WorkerConfig::new(
        "127.0.0.1",
        port,
        locust::user_class_name("mediator-ping"),
        Arc::new(ticks()),
    );
    config.connect_timeout = Duration::from_secs(30);
    config
}
