//! What watching a server costs akrida: CPU per sample of a process tree read from /proc (with
//! its children walked, i.e. every process on the machine listed), and CPU per Prometheus scrape
//! (request, answer, parse) of a typical exposition. CPU is this thread's own (user + system,
//! CLOCK_THREAD_CPUTIME_ID), so the stand-in endpoint's thread is not counted.
//!
//! Run with `scripts/bench-server-watch` (a release build).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

const SAMPLES: u32 = 500;
/// The tree sampled: a shell with this many children (a server with its workers).
const CHILDREN: usize = 8;

fn main() {
    let processes = std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
                .count()
        })
        .unwrap_or(0);
    let (pid_cpu, pid_wall, tree) = bench_pid();
    println!(
        "PID sample (a tree of {tree} processes, {processes} processes on the machine): \
{:.0} µs CPU ({:.0} µs wall) per sample, so {:.3} % of a core at one sample a second",
        pid_cpu * 1e6,
        pid_wall * 1e6,
        pid_cpu * 100.0
    );
    let (scrape_cpu, scrape_wall, bytes) = bench_scrape();
    println!(
        "Prometheus scrape ({bytes} bytes, {} lines): {:.0} µs CPU ({:.0} µs wall) per scrape, \
so {:.4} % of a core at one scrape every 5 s",
        exposition().lines().count(),
        scrape_cpu * 1e6,
        scrape_wall * 1e6,
        scrape_cpu * 100.0 / 5.0
    );
}

/// CPU and wall seconds per reading of a tree of CHILDREN + 1 processes.
fn bench_pid() -> (f64, f64, usize) {
    let script = format!("{} wait", "sleep 60 & ".repeat(CHILDREN));
    let mut shell = std::process::Command::new("sh")
        .args(["-c", &script])
        .process_group(0)
        .spawn()
        .expect("sh starts");
    let pid = shell.id();
    let deadline = Instant::now() + Duration::from_secs(10);
    while server_watch::read_tree(pid).map_or(0, |t| t.processes) < CHILDREN + 1 {
        assert!(Instant::now() < deadline, "the children did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (cpu, wall) = measure(|| {
        let reading = server_watch::read_tree(pid).expect("the tree is there");
        std::hint::black_box(reading);
    });
    let tree = server_watch::read_tree(pid).map_or(0, |t| t.processes);
    // SAFETY: killpg only sends a signal, to the group of the shell started above.
    unsafe { libc::killpg(pid as libc::pid_t, libc::SIGKILL) };
    let _ = shell.wait();
    (cpu, wall, tree)
}

/// CPU and wall seconds per scrape of a stand-in endpoint on loopback.
fn bench_scrape() -> (f64, f64, usize) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    let body = exposition();
    let bytes = body.len();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buffer = [0u8; 2048];
            let _ = stream.read(&mut buffer);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // A new connection per scrape, as scrapes seconds apart get in practice.
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .expect("a client");
    let (cpu, wall) = measure(|| {
        runtime.block_on(async {
            let text = client
                .get(&url)
                .send()
                .await
                .expect("answered")
                .text()
                .await
                .expect("a body");
            let parsed = server_watch::parse_exposition(&text).expect("Prometheus text");
            std::hint::black_box(parsed.get("process_resident_memory_bytes"));
        });
    });
    (cpu, wall, bytes)
}

/// Runs `once` SAMPLES times (after a few to warm up): this thread's CPU and the wall time, per run.
fn measure(mut once: impl FnMut()) -> (f64, f64) {
    for _ in 0..10 {
        once();
    }
    let (cpu0, wall0) = (thread_cpu(), Instant::now());
    for _ in 0..SAMPLES {
        once();
    }
    (
        (thread_cpu() - cpu0) / f64::from(SAMPLES),
        wall0.elapsed().as_secs_f64() / f64::from(SAMPLES),
    )
}

fn thread_cpu() -> f64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::try_from(now)
        .expect("a thread's CPU time is never negative")
        .as_secs_f64()
}

/// What a Python service's prometheus_client exports by default, plus a few application
/// metrics: about 60 lines.
fn exposition() -> String {
    let mut text = String::new();
    for generation in 0..3 {
        text.push_str(&format!(
            "# HELP python_gc_objects_collected_total Objects collected during gc\n\
# TYPE python_gc_objects_collected_total counter\n\
python_gc_objects_collected_total{{generation=\"{generation}\"}} 12345.0\n\
python_gc_collections_total{{generation=\"{generation}\"}} 678.0\n"
        ));
    }
    text.push_str(
        "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n\
# TYPE process_virtual_memory_bytes gauge\n\
process_virtual_memory_bytes 1.234567168e+09\n\
# HELP process_resident_memory_bytes Resident memory size in bytes.\n\
# TYPE process_resident_memory_bytes gauge\n\
process_resident_memory_bytes 2.34881024e+08\n\
process_start_time_seconds 1.76500001234e+09\n\
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n\
# TYPE process_cpu_seconds_total counter\n\
process_cpu_seconds_total 1234.56\n\
process_open_fds 321.0\n\
process_max_fds 1.048576e+06\n",
    );
    for route in [
        "/connections",
        "/mediation/requests",
        "/status",
        "/out-of-band",
        "/ws",
    ] {
        for code in ["200", "404", "500"] {
            text.push_str(&format!(
                "http_requests_total{{method=\"GET\",route=\"{route}\",code=\"{code}\"}} 42\n\
http_request_duration_seconds_sum{{route=\"{route}\",code=\"{code}\"}} 1.5\n"
            ));
        }
    }
    text
}
