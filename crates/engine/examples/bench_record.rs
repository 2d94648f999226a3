//! Cost of the stats model and of idle users, printed per unit so a change shows as one number.
//!
//! Run with: `cargo run --release -p engine --example bench_record`
//!
//! - ns per recorded sample, one thread, and two threads recording at once (the lock contended);
//! - bytes of memory per stats entry, counted by a wrapping global allocator;
//! - bytes of engine memory per idle user (the user itself is an empty struct sleeping in a task).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::stats::Stats;
use engine::{BoxFuture, RunConfig, Runner, Scenario, User, UserContext, Wait};

/// Counts bytes currently allocated, so memory per entry / per user is measured, not guessed.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_bytes() -> isize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

const NAMES: [&str; 8] = [
    "startup",
    "connect",
    "mediation_grant",
    "keylist_update",
    "socket_open",
    "ping_mediator",
    "msg_client",
    "receive_credential",
];

/// A spread of latencies from 0.1 ms to ~2 s, cheap to compute.
fn latency(i: u64) -> Duration {
    Duration::from_micros(100 + (i.wrapping_mul(2_654_435_761) % 2_000_000))
}

/// Records `samples` samples over the eight names; every 50th is a failure.
fn record_many(stats: &Stats, samples: u64, offset: u64) {
    for i in offset..offset + samples {
        let name = NAMES[(i % NAMES.len() as u64) as usize];
        let error = (i % 50 == 0).then_some("timeout after 30s");
        stats.record("ws", name, latency(i), error);
    }
}

fn ns_per_sample_one_thread(samples: u64) -> f64 {
    let stats = Stats::new();
    record_many(&stats, 100_000, 0); // warm: entries and histograms exist
    let started = Instant::now();
    record_many(&stats, samples, 100_000);
    started.elapsed().as_nanos() as f64 / samples as f64
}

fn ns_per_sample_two_threads(samples_each: u64) -> (f64, f64) {
    let stats = Arc::new(Stats::new());
    record_many(&stats, 100_000, 0);
    let started = Instant::now();
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let stats = stats.clone();
            std::thread::spawn(move || {
                let own = Instant::now();
                record_many(&stats, samples_each, t * samples_each);
                own.elapsed()
            })
        })
        .collect();
    let per_thread: Vec<Duration> = threads
        .into_iter()
        .map(|t| t.join().expect("bench thread"))
        .collect();
    let wall = started.elapsed().as_nanos() as f64 / (2 * samples_each) as f64;
    let thread_avg =
        per_thread.iter().map(|d| d.as_nanos() as f64).sum::<f64>() / (2 * samples_each) as f64;
    (wall, thread_avg)
}

fn bytes_per_entry(entries: usize, spread: bool) -> f64 {
    let before = live_bytes();
    let stats = Stats::new();
    for e in 0..entries {
        let name = format!("entry-{e}");
        if spread {
            // Latencies from 1 µs to 60 s: the histogram grows to cover a minute.
            for i in 0..2_000u64 {
                stats.record("ws", &name, Duration::from_micros(1 + i * i * 15), None);
            }
        } else {
            stats.record("ws", &name, Duration::from_millis(20), None);
        }
    }
    let bytes = (live_bytes() - before) as f64 / entries as f64;
    drop(stats);
    bytes
}

struct Idle;
struct IdleUser;

impl Scenario for Idle {
    fn name(&self) -> &str {
        "idle"
    }
    fn tasks(&self) -> Vec<(&'static str, u32)> {
        vec![("nothing", 1)]
    }
    fn new_user(&self, _index: u64) -> Box<dyn User> {
        Box::new(IdleUser)
    }
}

impl User for IdleUser {
    fn run_task<'a>(&'a mut self, _task: &'static str, _ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

fn bytes_per_idle_user(users: usize) -> Result<f64, Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let config = RunConfig {
            users,
            spawn_rate: 1_000_000.0,
            // Users sit in their wait between tasks, like holders between pings.
            wait: Wait::constant(Duration::from_secs(3_600)),
            ..RunConfig::default()
        };
        let before = live_bytes();
        let (handle, run) = Runner::start(Arc::new(Idle), config)?;
        while handle.stats().users.started < users as u64 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let bytes = (live_bytes() - before) as f64 / users as f64;
        handle.stop();
        run.await?;
        Ok(bytes)
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let samples = 5_000_000;
    println!(
        "stats recording ({} names, latencies 0.1 ms..2 s, 2% failures)",
        NAMES.len()
    );
    println!(
        "  1 thread:   {:7.1} ns per sample",
        ns_per_sample_one_thread(samples)
    );
    let (wall, per_thread) = ns_per_sample_two_threads(samples / 2);
    println!(
        "  2 threads:  {wall:7.1} ns per sample (wall clock), {per_thread:7.1} ns per sample per thread"
    );
    println!("memory per stats entry");
    println!(
        "  one 20 ms sample:         {:9.0} bytes",
        bytes_per_entry(200, false)
    );
    println!(
        "  samples 1 µs..60 s:       {:9.0} bytes",
        bytes_per_entry(200, true)
    );
    let users = 10_000;
    println!(
        "engine memory per idle user ({users} users, empty user struct): {:.0} bytes",
        bytes_per_idle_user(users)?
    );
    Ok(())
}
