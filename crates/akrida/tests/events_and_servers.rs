//! `akrida run --at` (timed events) and `--server` (server resources), offline: the `liveness`
//! scenario against a stand-in started by the test, stand-in Prometheus endpoints (one with a
//! known linear memory growth, one answering garbage, one answering 500), a `sleep` child as a
//! process that exits mid-run, and the refusals of bad input before any load. The same flags on
//! `akrida capacity` (a one-plateau search) and their refusal by `akrida worker`.

mod common;

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{akrida, standin};

/// A stand-in HTTP server on 127.0.0.1: each connection gets one answer from `answer(path)`
/// (status line and body), `Connection: close`.
fn serve(answer: impl Fn(&str) -> (&'static str, String) + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            answer_one(stream, &answer);
        }
    });
    format!("http://{address}")
}

fn answer_one(mut stream: TcpStream, answer: &impl Fn(&str) -> (&'static str, String)) {
    let Some(head) = standin::read_request_head(&mut stream, Duration::from_secs(5)) else {
        return;
    };
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let (status, body) = answer(&path);
    standin::answer(&mut stream, status, "text/plain", &body);
}

/// The issuer's liveness endpoint, always alive.
fn liveness_server() -> String {
    serve(|_| ("200 OK", r#"{"alive": true}"#.to_string()))
}

/// Resident memory grows by this many bytes a second on the stand-in metrics endpoint.
const GROWTH_PER_S: f64 = 1_048_576.0;

/// A Prometheus endpoint whose RSS grows linearly with wall time, whose CPU counter grows by
/// 0.25 s a second, and which has one more gauge.
fn growing_metrics() -> String {
    let born = Instant::now();
    serve(move |_| {
        let age = born.elapsed().as_secs_f64();
        (
            "200 OK",
            format!(
                "# HELP process_resident_memory_bytes Resident memory size in bytes.\n\
# TYPE process_resident_memory_bytes gauge\n\
process_resident_memory_bytes {}\n\
process_cpu_seconds_total {}\n\
standin_connections{{kind=\"ws\"}} 40\n\
standin_connections{{kind=\"http\"}} 2\n",
                100.0 * 1_048_576.0 + GROWTH_PER_S * age,
                3.0 + 0.25 * age
            ),
        )
    })
}

/// `akrida run liveness` against `issuer`, JSON on stdout, HTML into `html`.
fn run_liveness(issuer: &str, html: &std::path::Path, args: &[&str]) -> Child {
    akrida()
        .args(["run", "liveness", "--json", "-u", "2", "-r", "10"])
        .arg("--html")
        .arg(html)
        .args(args)
        .env("ISSUER_URL", issuer)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("akrida starts")
}

fn requests(report: &Value) -> u64 {
    report["total"]["num_requests"].as_u64().unwrap()
}

fn server<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["servers"]
        .as_array()
        .expect("servers in the JSON")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no server {name} in {:#}", report["servers"]))
}

/// An event's output and status are kept, a command that sleeps 60 s delays nothing (the 3 s
/// run ends well before it would), and the JSON, the HTML and the terminal summary list them.
#[test]
fn events_run_beside_the_load_and_are_reported() {
    let dir = common::output_dir("events-beside-the-load");
    let html = dir.join("report.html");
    let started = Instant::now();
    let child = run_liveness(
        &liveness_server(),
        &html,
        &[
            "-t",
            "3s",
            "--at",
            "1s",
            "echo hello; echo oops >&2; exit 3",
            "--at",
            "2s",
            "sleep 60",
        ],
    );
    let output = common::wait_bounded(child, Duration::from_secs(50));
    let took = started.elapsed();
    let report = common::passed_report(&output);
    // 3 s of run, a 5 s grace for the sleeping command, then it is stopped: far from 60 s.
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(requests(&report) > 5, "the users ran: {}", report["total"]);
    let events = report["events"].as_array().expect("events in the JSON");
    assert_eq!(events.len(), 2);
    let first = &events[0];
    assert_eq!(first["state"], "finished");
    assert_eq!(first["exit_code"], 3);
    assert_eq!(first["stdout_tail"], "hello\n");
    assert_eq!(first["stderr_tail"], "oops\n");
    assert_eq!(first["planned_s"], 1.0);
    let started_s = first["started_s"].as_f64().unwrap();
    assert!((1.0..3.0).contains(&started_s), "{first:#}");
    assert!(first["duration_s"].as_f64().unwrap() < 5.0);
    let sleeper = &events[1];
    assert_eq!(sleeper["state"], "stopped_at_end", "{sleeper:#}");
    assert_eq!(sleeper["signal"], 15, "{sleeper:#}");

    let page = std::fs::read_to_string(&html).expect("the HTML report");
    assert!(page.contains("id=\"events-table\""));
    assert!(page.contains("still running at the run&#39;s end"));
    let charts = page.matches("<svg class=\"chart\"").count();
    let marked = page.matches("data-mark=\"sleep 60\"").count();
    assert!(
        charts >= 3 && marked == charts,
        "{marked} of {charts} charts marked"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Timed events"), "{stderr}");
    assert!(
        stderr.contains("'echo hello; echo oops >&2; exit 3': exit 3"),
        "{stderr}"
    );
}

/// A stand-in endpoint with a known linear growth gives the memory slope within 5 %, its CPU
/// and extra metric; the HTML charts them beside the users.
#[test]
fn a_known_memory_growth_gives_its_slope() {
    let dir = common::output_dir("server-slope");
    let html = dir.join("report.html");
    let metrics = format!("{}/metrics", growing_metrics());
    let child = run_liveness(
        &liveness_server(),
        &html,
        &[
            "-t",
            "8s",
            "--server",
            &format!("standin={metrics}"),
            "--server-metric",
            "standin_connections",
            "--server-scrape-interval",
            "0.5",
        ],
    );
    let output = common::wait_bounded(child, Duration::from_secs(60));
    let report = common::passed_report(&output);
    let standin = server(&report, "standin");
    let slope = standin["memory_slope"]["kb_per_minute"]
        .as_f64()
        .unwrap_or_else(|| panic!("no slope: {standin:#}"));
    let expected = GROWTH_PER_S / 1024.0 * 60.0;
    assert!(
        (slope / expected - 1.0).abs() < 0.05,
        "slope {slope} KB/min, expected {expected}: {standin:#}"
    );
    assert!(standin["memory_slope"]["r_squared"].as_f64().unwrap() > 0.99);
    let cpu_percent = standin["cpu_percent_mean"].as_f64().unwrap();
    assert!((cpu_percent - 25.0).abs() < 2.5, "{cpu_percent}");
    let per_request = &standin["cpu_per_request"][0];
    assert_eq!(per_request["name"], "issuer_getliveness");
    assert!(per_request["cpu_ms_per_request"].as_f64().unwrap() > 0.0);
    assert_eq!(
        standin["metrics"][0],
        serde_json::json!(["standin_connections", 42.0, 42.0])
    );
    assert!(standin["series"].as_array().unwrap().len() >= 10);
    assert_eq!(standin["failures"], 0);

    common::assert_html_ids(
        &html,
        &[
            "servers-table",
            "chart-server-users",
            "chart-server-rss-standin",
            "chart-server-cpu-standin",
            "chart-server-metric-standin-standin-connections",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Servers\n  standin ("), "{stderr}");
}

/// Endpoints that answer garbage or 500, and a process that exits mid-run, are each reported
/// once (stderr and the report) while the run goes on to its end.
#[test]
fn failing_servers_are_reported_once_and_the_run_goes_on() {
    let dir = common::output_dir("server-failures");
    let html = dir.join("report.html");
    let garbage = serve(|_| ("200 OK", "<html><body>hello</body></html>".into()));
    let broken = serve(|_| ("500 Internal Server Error", "oops".into()));
    // Refuses: a port nothing listens on.
    let refused = format!("http://127.0.0.1:{}/metrics", testbed::free_port());
    let mut short = Command::new("sleep")
        .arg("2")
        .spawn()
        .expect("sleep starts");
    let child = run_liveness(
        &liveness_server(),
        &html,
        &[
            "-t",
            "5s",
            "--server",
            &format!("garbage={garbage}/metrics"),
            "--server",
            &format!("broken={broken}/metrics"),
            "--server",
            &format!("refused={refused}"),
            "--server",
            &format!("short={}", short.id()),
            "--server-scrape-interval",
            "0.5",
        ],
    );
    // Reaped by the test once it exits, so that akrida sees it gone, not a zombie.
    let _ = short.wait();
    let output = common::wait_bounded(child, Duration::from_secs(60));
    let report = common::passed_report(&output);
    assert!(
        requests(&report) > 5,
        "the run went on: {}",
        report["total"]
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    for (name, says) in [
        ("garbage", "not a Prometheus sample"),
        ("broken", "HTTP 500"),
        ("refused", "scrape failed"),
        ("short", "process exited"),
    ] {
        let warnings = stderr
            .lines()
            .filter(|l| l.contains("warning") && l.contains(&format!("server {name} (")))
            .count();
        assert_eq!(warnings, 1, "{name} warned once:\n{stderr}");
        let s = server(&report, name);
        let notes = s["notes"].to_string();
        assert!(notes.contains(says), "{name}: {notes}");
        if name == "short" {
            assert!(s["samples"].as_u64().unwrap() >= 1, "{s:#}");
        } else {
            assert!(
                s["failures"].as_u64().unwrap() >= 3,
                "failed again, said once: {s:#}"
            );
        }
    }
    let page = std::fs::read_to_string(&html).expect("the HTML report");
    assert!(page.contains("short (pid "), "the note is in the HTML");
    assert!(page.contains("HTTP 500"));
}

/// Bad input: one sentence on stderr and exit code 2, before any load (no server is needed:
/// nothing is contacted).
#[test]
fn bad_input_is_refused_before_any_load() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["-t", "10s", "--at", "10s", "true"],
            "is not before the run's end",
        ),
        (
            &["-t", "10s", "--at", "1m", "true"],
            "is not before the run's end",
        ),
        (&["--at", "soon", "true"], "is not a duration"),
        (
            &["--at", "1s", "no-such-program-akrida --now"],
            "not a command on PATH",
        ),
        (
            &["--at", "1s", "./no/such/script"],
            "not an executable file",
        ),
        (&["--server", "mediator"], "no '='"),
        (
            &["--server", "mediator=12x"],
            "neither a process id nor an http(s) URL",
        ),
        (
            &["--server", "mediator=ftp://127.0.0.1/metrics"],
            "neither a process id nor an http(s) URL",
        ),
        (&["--server", "mediator=99999999"], "no live process"),
        (&["--server-metric", "x_total"], "needs a --server NAME=URL"),
    ];
    for (args, says) in cases {
        let started = Instant::now();
        let output = akrida()
            .args(["run", "liveness", "--json"])
            .args(*args)
            .env("ISSUER_URL", "http://127.0.0.1:9")
            .output()
            .expect("akrida runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");
        assert!(output.stdout.is_empty(), "no report: {args:?}");
        assert!(started.elapsed() < Duration::from_secs(10), "{args:?}");
    }
}

/// `akrida capacity liveness` against `issuer`: a one-plateau rate search (5 iterations/s over
/// 5 users, 3 s with a 1 s warm-up: a judged window of several scrapes at 0.5 s), JSON on
/// stdout, HTML into `html`.
fn capacity_liveness(issuer: &str, html: &std::path::Path, args: &[&str]) -> Child {
    akrida()
        .args([
            "capacity", "liveness", "--json", "--search", "rate", "-u", "5",
        ])
        .args(["--slo", "issuer_getliveness:p95<500ms"])
        .args([
            "--start",
            "5",
            "--max",
            "5",
            "--plateau",
            "3s",
            "--warmup",
            "1s",
        ])
        .arg("--html")
        .arg(html)
        .args(args)
        .env("ISSUER_URL", issuer)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("akrida starts")
}

/// A capacity search runs its timed events and watches its servers as a run does: the event's
/// status and output and the server's samples and summary are in its JSON, its HTML has both
/// sections, its terminal summary both blocks.
#[test]
fn a_capacity_search_runs_events_and_watches_servers() {
    let dir = common::output_dir("capacity-events-servers");
    let html = dir.join("capacity.html");
    let metrics = format!("{}/metrics", growing_metrics());
    let child = capacity_liveness(
        &liveness_server(),
        &html,
        &[
            "--at",
            "1s",
            "echo hello",
            "--server",
            &format!("standin={metrics}"),
            "--server-scrape-interval",
            "0.5",
        ],
    );
    let output = common::wait_bounded(child, Duration::from_secs(60));
    let report = common::passed_report(&output);
    assert_eq!(report["answer"]["capacity"], 5.0, "{:#}", report["answer"]);

    let events = report["events"].as_array().expect("events in the JSON");
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = &events[0];
    assert_eq!(event["state"], "finished", "{event:#}");
    assert_eq!(event["exit_code"], 0, "{event:#}");
    assert_eq!(event["stdout_tail"], "hello\n", "{event:#}");
    assert_eq!(event["planned_s"], 1.0);

    let standin = server(&report, "standin");
    assert!(
        standin["series"].as_array().unwrap().len() >= 3,
        "sampled over the search: {standin:#}"
    );
    assert_eq!(standin["failures"], 0, "{standin:#}");
    let cpu_percent = standin["cpu_percent_mean"].as_f64().unwrap();
    assert!((cpu_percent - 25.0).abs() < 2.5, "{cpu_percent}");
    let per_request = &standin["cpu_per_request"][0];
    assert_eq!(per_request["name"], "issuer_getliveness", "{standin:#}");
    assert!(per_request["cpu_ms_per_request"].as_f64().unwrap() > 0.0);
    // The one plateau's own cost: the stand-in's CPU (a quarter of a core) in its judged window.
    let costs = report["server_plateaus"]
        .as_array()
        .expect("server_plateaus in the JSON");
    assert_eq!(costs.len(), 1, "{costs:#?}");
    assert_eq!(costs[0]["server"], "standin");
    assert_eq!(costs[0]["load"], 5.0);
    let plateau_cpu = costs[0]["cpu_percent_mean"]
        .as_f64()
        .unwrap_or_else(|| panic!("{:#}", costs[0]));
    assert!((plateau_cpu - 25.0).abs() < 2.5, "{plateau_cpu}");
    assert!(costs[0]["cpu_ms_per_request"].as_f64().unwrap() > 0.0);

    let page = std::fs::read_to_string(&html).expect("the HTML report");
    for id in ["events-table", "servers-table", "chart-server-rss-standin"] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(page.contains("echo hello"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Timed events"), "{stderr}");
    assert!(stderr.contains("Servers\n  standin ("), "{stderr}");
}

/// Bad `--at` or `--server` on a capacity search: one sentence and exit code 2 before any
/// load (the issuer's address has nothing listening: a search that started would fail there).
#[test]
fn capacity_refuses_bad_events_and_servers_before_any_load() {
    let cases: &[(&[&str], &str)] = &[
        (&["--server", "mediator"], "no '='"),
        (
            &["--server", "mediator=12x"],
            "neither a process id nor an http(s) URL",
        ),
        (&["--server", "mediator=99999999"], "no live process"),
        (&["--at", "soon", "true"], "is not a duration"),
        (
            &["--at", "1s", "no-such-program-akrida --now"],
            "not a command on PATH",
        ),
    ];
    for (args, says) in cases {
        let started = Instant::now();
        let output = akrida()
            .args(["capacity", "liveness", "--json"])
            .args(["--slo", "issuer_getliveness:p95<500ms"])
            .args(*args)
            .env("ISSUER_URL", "http://127.0.0.1:9")
            .output()
            .expect("akrida runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("akrida capacity: "),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");
        assert!(output.stdout.is_empty(), "no report: {args:?}");
        assert!(started.elapsed() < Duration::from_secs(10), "{args:?}");
    }
}

/// `akrida worker` has no report to put events or server figures in: it refuses the flags
/// (one sentence, exit 2) rather than ignore them, before it contacts any master.
#[test]
fn a_worker_refuses_events_and_servers() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--at", "1s", "true"],
            "--at is not supported by akrida worker",
        ),
        (
            &["--server", "mediator=http://127.0.0.1:9/metrics"],
            "--server is not supported by akrida worker",
        ),
    ];
    for (args, says) in cases {
        let output = akrida()
            .args(["worker", "liveness", "--master-host", "127.0.0.1"])
            .args(["--master-port", "9"])
            .args(*args)
            .env("ISSUER_URL", "http://127.0.0.1:9")
            .output()
            .expect("akrida runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one sentence: {stderr}");
    }
}
