//! A capacity search on a delivery SLO (`delivery:lost==0`), in process, against a stand-in
//! scenario of known capacity: every message it sends is received in 10 ms while at most
//! `CAPACITY` users run, and lost above that. The search must find exactly that user count,
//! name the delivery SLO as what broke, and show each plateau's delivery verdict in its
//! reports. Offline: no server, no socket.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use akrida_capacity::{Options, Progress, Reports, SearchKind};
use delivery::{Ledger, RecipientState};
use engine::{BoxFuture, Scenario, User, UserContext, Wait};

/// Users at which the stand-in still delivers every message.
const CAPACITY: usize = 6;

struct Lossy {
    ledger: Arc<Mutex<Ledger>>,
    running: Arc<AtomicUsize>,
    start: Instant,
}

struct LossyUser {
    index: u64,
    ledger: Arc<Mutex<Ledger>>,
    running: Arc<AtomicUsize>,
    start: Instant,
}

impl Lossy {
    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Scenario for Lossy {
    fn name(&self) -> &str {
        "lossy"
    }
    fn tasks(&self) -> Vec<(&'static str, u32)> {
        vec![("relay_send", 1)]
    }
    fn new_user(&self, index: u64) -> Box<dyn User> {
        // Counted while it exists: a user stopped by a lower plateau is dropped.
        self.running.fetch_add(1, Ordering::SeqCst);
        Box::new(LossyUser {
            index,
            ledger: self.ledger.clone(),
            running: self.running.clone(),
            start: self.start,
        })
    }
    fn delivery_sent(&self) -> Option<u64> {
        Some(self.ledger().sent_count())
    }
    fn delivery_of(&self, ids: std::ops::Range<u64>) -> Option<delivery::DeliveryReport> {
        Some(self.ledger().report_of(ids))
    }
}

impl Drop for LossyUser {
    fn drop(&mut self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
    }
}

impl User for LossyUser {
    fn run_task<'a>(&'a mut self, _: &'static str, cx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let sent = self.ledger.lock().unwrap().send(
                self.index,
                self.index,
                RecipientState::Online,
                self.start.elapsed(),
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
            if self.running.load(Ordering::SeqCst) <= CAPACITY {
                let at = self.start.elapsed();
                self.ledger.lock().unwrap().receive(self.index, sent.id, at);
            }
            cx.record("relay", "relay_send", Duration::from_millis(10), Ok(()));
        })
    }
}

fn options() -> Options {
    Options {
        search: SearchKind::Users,
        thresholds: Vec::new(),
        slos: vec!["delivery:lost==0".into()],
        start: 2.0,
        step: Some(2.0),
        factor: None,
        max: 12.0,
        plateau: Duration::from_millis(1_000),
        warmup: Duration::from_millis(200),
        precision: "1".into(),
        expect: Some(CAPACITY as f64),
        // The stand-in is no judge of akrida's own health: a busy shared machine must not end
        // the search as generator-limited.
        max_lag: 60_000.0,
        drain_timeout: Duration::ZERO,
        drain_tolerance: "50%".into(),
        steady_tolerance: "10%".into(),
        max_warmup: None,
        users: 1,
        spawn_rate: 100.0,
        wait: Wait::between(0.05, 0.05),
        iterations: "messages".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_knee_is_where_messages_start_being_lost() {
    let setup = akrida_capacity::setup(&options()).expect("valid options");
    let scenario = Arc::new(Lossy {
        // Receipts are 10 ms after the send: 300 ms is plenty before one counts as lost.
        ledger: Arc::new(Mutex::new(Ledger::new(Duration::from_millis(300)))),
        running: Arc::new(AtomicUsize::new(0)),
        start: Instant::now(),
    });
    let driven = akrida_capacity::drive(&setup, scenario, &Progress::new())
        .await
        .expect("the search runs");
    let outcome = driven.search.outcome();
    let loads: Vec<(f64, String)> = driven
        .plateaus
        .iter()
        .map(|p| (p.load, format!("{:?}", p.verdict)))
        .collect();
    assert_eq!(outcome.capacity, Some(CAPACITY as f64), "{loads:?}");
    assert_eq!(
        outcome.first_breach,
        Some(CAPACITY as f64 + 1.0),
        "{loads:?}"
    );
    assert!(akrida_capacity::met(&setup, &driven));
    for p in &driven.plateaus {
        let delivery = p
            .delivery
            .as_ref()
            .expect("each plateau's delivery verdict");
        assert!(delivery.sent > 0, "plateau {}: {delivery:?}", p.number);
        let slo = &p.slos[0];
        assert_eq!(slo.threshold, "delivery:lost==0");
        if p.load <= CAPACITY as f64 {
            assert_eq!(delivery.lost, 0, "plateau {}: {delivery:?}", p.number);
            assert!(slo.passed);
        } else {
            assert!(delivery.lost > 0, "plateau {}: {delivery:?}", p.number);
            assert!(!slo.passed);
            assert_eq!(slo.measured, Some(delivery.lost as f64));
        }
    }

    // The reports carry each plateau's delivery verdict, and the answer names the broken SLO.
    let dir = testbed::scratch_dir("capacity-delivery");
    let reports = Reports {
        csv: Some(dir.join("search")),
        html: Some(dir.join("search.html")),
        ..Reports::default()
    };
    assert!(akrida_capacity::write_reports(&reports, &setup, &driven));
    let csv = std::fs::read_to_string(dir.join("search_capacity.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let lost_column = header
        .iter()
        .position(|c| *c == "delivery_lost")
        .expect("{csv}");
    let breach = csv
        .lines()
        .skip(1)
        .map(|line| line.split(',').collect::<Vec<_>>())
        .find(|row| row[2] == (CAPACITY + 1).to_string())
        .expect("the first breach's row");
    assert!(breach[lost_column].parse::<u64>().unwrap() > 0, "{csv}");
    let html = std::fs::read_to_string(dir.join("search.html")).unwrap();
    assert!(
        html.contains(&format!("first breach at {} messages", CAPACITY + 1))
            || html.contains(&format!("first breach at {} users", CAPACITY + 1)),
        "{html}"
    );
    assert!(
        html.contains("delivery lost"),
        "the answer names the SLO: {html}"
    );
    assert!(html.contains("<th>delivery</th>"), "{html}");
}

/// A scenario without delivery accounting cannot be judged on a delivery SLO: said before any
/// user starts, not a plateau failing for want of figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_slo_on_a_scenario_without_accounting_is_refused() {
    struct Silent;
    impl Scenario for Silent {
        fn name(&self) -> &str {
            "silent"
        }
        fn tasks(&self) -> Vec<(&'static str, u32)> {
            vec![("nothing", 1)]
        }
        fn new_user(&self, _index: u64) -> Box<dyn User> {
            panic!("no user may start")
        }
    }
    let setup = akrida_capacity::setup(&options()).expect("valid options");
    let error = akrida_capacity::drive(&setup, Arc::new(Silent), &Progress::new())
        .await
        .err()
        .expect("refused");
    assert!(
        error.contains("delivery SLO") && error.contains("silent"),
        "{error}"
    );
}
