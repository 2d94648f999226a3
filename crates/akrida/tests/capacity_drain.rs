//! `akrida capacity` against stand-ins that queue: each accepts every connection at once and
//! serves the requests one at a time in arrival order, each taking a fixed service time, so a
//! load above its capacity builds a backlog that takes seconds to drain after the load drops.
//! That is what made a search under-report: a refinement plateau below the capacity, started on
//! the backlog of the failing plateau before it, failed. These check that:
//!
//! - a rate search (10 s plateaus, 3 s warm-up) finds the capacity within ±10 %, three runs out
//!   of three, of two stand-ins three times apart (10 and 30 requests a second), and its
//!   refinement plateau just under the capacity passes;
//! - a users search (closed model) does the same;
//! - every refinement plateau started from a drained server, on the server's own record (its
//!   queue when the plateau began), and was judged on a steady load;
//! - a stand-in that keeps its backlog forever ends the search with that reason, exit code 3;
//! - a plateau just past the capacity, whose backlog grows too slowly to break a loose SLO
//!   within the plateau, fails as the server falling behind (its queue grew on its own record),
//!   while one that a pool too small held back is unsteady.
//!
//! The searches take a minute or two each, so they are `slow` tests, run in parallel (one
//! thread and stand-in per search). The capacities are low so that a busy 2-core machine does
//! not distort them: each stand-in sleeps through its service time. A search the machine did
//! disturb, on akrida's record or the stand-in's own, is run again (see `three_runs_each`).

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// What a stand-in does once its queue first grows past `after` requests.
#[derive(Clone, Copy)]
struct Wedge {
    after: usize,
    /// The service time from then on, for good.
    service: Duration,
}

/// The stand-in's own record: its queue length (accepted, not yet answered) after each change.
#[derive(Default)]
struct Record {
    queue: usize,
    changes: Vec<(f64, usize)>,
    wedged_at: Option<f64>,
    /// The most an answer left after it was due (the serving thread slept too long: the machine
    /// held the stand-in up), in seconds.
    late_max: f64,
}

impl Record {
    fn change(&mut self, by: isize) {
        self.queue = self.queue.saturating_add_signed(by);
        self.changes.push((unix_now(), self.queue));
    }

    /// The queue length at unix time `t`.
    fn queue_at(&self, t: f64) -> usize {
        self.changes
            .iter()
            .take_while(|(at, _)| *at <= t)
            .last()
            .map_or(0, |(_, q)| *q)
    }
}

struct StandIn {
    url: String,
    record: Arc<Mutex<Record>>,
}

impl StandIn {
    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A stand-in of `per_second` capacity on 127.0.0.1: an accepting thread takes every connection
/// at once (so the backlog is the server's, of any length, not the kernel's listen queue) and
/// hands it to the serving thread, which answers them one at a time in order.
fn start_stand_in(per_second: f64, wedge: Option<Wedge>) -> StandIn {
    let service = Duration::from_secs_f64(1.0 / per_second);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let record = Arc::new(Mutex::new(Record::default()));
    let (queue, requests) = mpsc::channel::<(TcpStream, Instant)>();
    let accepted = record.clone();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            accepted
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .change(1);
            if queue.send((stream, Instant::now())).is_err() {
                return;
            }
        }
    });
    let served = record.clone();
    thread::spawn(move || {
        // When the server is free again. Each request ends one service time after it could
        // start (it arrived, and the one before was done): a sleep that overshoots on a busy
        // machine is made up on the next request, so the capacity is exact.
        let mut free_at = Instant::now();
        let mut service = service;
        for (stream, arrived) in requests {
            if let Some(wedge) = wedge {
                let mut record = served.lock().unwrap_or_else(PoisonError::into_inner);
                if record.wedged_at.is_none() && record.queue > wedge.after {
                    record.wedged_at = Some(unix_now());
                    service = wedge.service;
                }
            }
            let late = serve(stream, arrived, service, &mut free_at);
            let mut record = served.lock().unwrap_or_else(PoisonError::into_inner);
            record.change(-1);
            record.late_max = record.late_max.max(late.as_secs_f64());
        }
    });
    StandIn { url, record }
}

/// Answers one request when it is due; returns how late the answer left.
fn serve(
    mut stream: TcpStream,
    arrived: Instant,
    service: Duration,
    free_at: &mut Instant,
) -> Duration {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    // A bare connect (the preflight check) reads EOF and costs no service time.
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return Duration::ZERO,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    let done = (*free_at).max(arrived) + service;
    thread::sleep(done.saturating_duration_since(Instant::now()));
    *free_at = done;
    let late = Instant::now().saturating_duration_since(done);
    let body = r#"{"alive": true}"#;
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
    late
}

/// `akrida capacity liveness ARGS --json` in a clean environment, against `url`.
fn capacity(url: &str, args: &[&str]) -> Output {
    common::akrida()
        .args(["capacity", "liveness"])
        .args(args)
        // A machine shared with other work stalls akrida by 100 ms and more in most seconds at
        // times (load average 14: every search of a round at the default 100 ms was
        // generator-limited, with akrida's own CPU at most 6 %); past 400 ms akrida still says
        // so, and the search is run again (see `three_runs_each`).
        .args(["--max-lag", "400", "--json"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ISSUER_URL", url)
        .current_dir(common::no_dotenv_dir())
        .output()
        .expect("akrida runs")
}

fn report_of(output: &Output, code: i32) -> Result<Value, String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() != Some(code) {
        return Err(format!(
            "exit code {:?}, expected {code}; stderr:\n{stderr}",
            output.status.code()
        ));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("stdout is not the JSON report ({e}); stderr:\n{stderr}"))
}

fn load(p: &Value) -> f64 {
    p["load"].as_f64().unwrap_or(f64::NAN)
}

/// One search's report, checked against the stand-in's true capacity (in the search's unit) and
/// its own record. Returns a line for the log, or what was wrong.
fn check_search(report: &Value, stand_in: &StandIn, truth: f64) -> Result<String, String> {
    let answer = &report["answer"];
    let plateaus = report["plateaus"].as_array().ok_or("no plateaus")?;
    let table = || {
        plateaus
            .iter()
            .map(|p| {
                format!(
                    "  {} {} asked {} ran {:.1}/s steady {} in flight {}→{} drain {} p50 {} p95 {} lag {} ms → {}",
                    p["number"],
                    p["phase"],
                    p["load"],
                    p["achieved_per_s"].as_f64().unwrap_or(f64::NAN),
                    p["steady"],
                    p["in_flight_start"],
                    p["in_flight_end"],
                    p["drain"]["seconds"],
                    p["latency"]["p50_ms"],
                    p["latency"]["p95_ms"],
                    p["generator"]["lag_max_ms"],
                    p["verdict"]
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let fail = |what: String| Err(format!("{what}\n{}\n{}", answer["text"], table()));
    if !answer["generator_limited_at"].is_null() {
        return fail("akrida was saturated (the machine, not the stand-in)".into());
    }
    let Some(found) = answer["capacity"].as_f64() else {
        return fail("no capacity".into());
    };
    if (found - truth).abs() > truth * 0.1 {
        return fail(format!(
            "capacity {found}, truth {truth}: off by more than 10 %"
        ));
    }
    let record = stand_in.record();
    for p in plateaus {
        let l = load(p);
        if l <= 0.95 * truth && p["verdict"] != "pass" {
            return fail(format!(
                "plateau at {l}, below the capacity {truth}, did not pass"
            ));
        }
        if l >= 1.1 * truth && p["verdict"] != "fail" {
            return fail(format!(
                "plateau at {l}, above the capacity {truth}, did not fail"
            ));
        }
        if p["verdict"] == "unsteady" {
            return fail(format!("plateau at {l} never became steady"));
        }
        if p["phase"] == "refine" {
            let drain = &p["drain"];
            if drain["drained"] != true {
                return fail(format!(
                    "refinement plateau at {l} without a drain: {drain}"
                ));
            }
            // On the stand-in's own record: hardly anything queued when the plateau began.
            let started = p["started_at"].as_f64().unwrap_or(0.0);
            let queued = record.queue_at(started);
            let target = drain["in_flight_target"].as_u64().unwrap_or(0) as usize;
            if queued > target + 1 {
                return fail(format!(
                    "refinement plateau at {l} began with {queued} requests queued in the stand-in"
                ));
            }
        }
    }
    // The refinement plateau just under the capacity passed.
    let under = plateaus
        .iter()
        .filter(|p| p["phase"] == "refine" && load(p) <= 0.95 * truth)
        .max_by(|a, b| load(a).total_cmp(&load(b)));
    match under {
        Some(p) if p["verdict"] == "pass" => {}
        Some(p) => return fail(format!("refinement plateau at {} did not pass", load(p))),
        None => return fail("no refinement plateau under the capacity".into()),
    }
    Ok(format!("capacity {found} (truth {truth})\n{}", table()))
}

/// The CSV and the HTML page carry each plateau's load asked, what ran, the iterations in
/// flight, the drain before it and whether it was steady, as the JSON has them.
fn check_files(report: &Value, dir: &std::path::Path) -> Result<(), String> {
    let plateaus = report["plateaus"].as_array().ok_or("no plateaus")?;
    let csv = std::fs::read_to_string(dir.join("search_capacity.csv"))
        .map_err(|e| format!("CSV not written: {e}"))?;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or(format!("no {name} column in {header:?}"))
    };
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    if rows.len() != plateaus.len() {
        return Err(format!(
            "{} CSV rows for {} plateaus",
            rows.len(),
            plateaus.len()
        ));
    }
    for (row, p) in rows.iter().zip(plateaus) {
        let cell = |name: &str| column(name).map(|i| row.get(i).copied().unwrap_or_default());
        let number = |name: &str| -> Result<f64, String> {
            cell(name)?
                .parse::<f64>()
                .map_err(|_| format!("{name} is not a number in {row:?}"))
        };
        // The CSV writes times to the millisecond.
        let same = |name: &str, json: &Value| -> Result<(), String> {
            let agrees = match json.as_f64() {
                Some(json) => (number(name)? - json).abs() <= 1e-3,
                None => json.is_null() && cell(name)?.is_empty(),
            };
            if agrees {
                Ok(())
            } else {
                Err(format!("{name}: CSV {:?}, JSON {json}", cell(name)?))
            }
        };
        same("load", &p["load"])?;
        same("asked_per_s", &p["asked_per_s"])?;
        same("achieved_per_s", &p["achieved_per_s"])?;
        same("in_flight_start", &p["in_flight_start"])?;
        same("in_flight_end", &p["in_flight_end"])?;
        same("drain_seconds", &p["drain"]["seconds"])?;
        let steady = p["steady"].as_bool().map(|b| b.to_string());
        if steady.as_deref() != Some(cell("steady")?) {
            return Err(format!(
                "steady: CSV {:?}, JSON {}",
                cell("steady")?,
                p["steady"]
            ));
        }
    }
    let page = std::fs::read_to_string(dir.join("search.html"))
        .map_err(|e| format!("HTML not written: {e}"))?;
    for heading in ["<th>steady</th>", "<th>in flight</th>", "<th>drain s</th>"] {
        if !page.contains(heading) {
            return Err(format!("no {heading} in the HTML plateau table"));
        }
    }
    let rows = page.matches("<tr class=\"plateau ").count();
    if rows != plateaus.len() {
        return Err(format!("{rows} HTML rows for {} plateaus", plateaus.len()));
    }
    Ok(())
}

/// A stand-in answering this late (s) was held up by the machine: it was not the server of known
/// capacity the search is checked against.
const STAND_IN_HELD_UP: f64 = 0.1;

/// Runs the search for each (capacity, truth, args) three times, all at once, each against its
/// own stand-in; every one must pass `check_files` and `check_search`. An attempt that failed
/// while the machine disturbed it, on the record of akrida (a generator-limited plateau) or of
/// the stand-in (an answer more than `STAND_IN_HELD_UP` late), measured the machine, not the
/// stand-in: it is run again, up to three attempts, and says so. Any other attempt counts as it
/// is: a failure without such a record fails the test.
fn three_runs_each(kind: &'static str, cases: Vec<(f64, f64, Vec<String>)>) {
    let started = Instant::now();
    let mut runs = Vec::new();
    for (per_second, truth, args) in cases {
        for run in 1..=3 {
            let args = args.clone();
            runs.push(thread::spawn(move || {
                let name = format!("{kind} search, stand-in of {per_second}/s, run {run}");
                let mut attempt = 1;
                loop {
                    let (outcome, disturbed) = attempt_search(kind, per_second, truth, run, &args);
                    match (&outcome, disturbed) {
                        (Err(failure), Some(why)) if attempt < 3 => {
                            eprintln!(
                                "{name}, attempt {attempt}: failed while disturbed ({why}); again:\n{failure}"
                            );
                            attempt += 1;
                        }
                        _ => return (format!("{name} (attempt {attempt})"), outcome),
                    }
                }
            }));
        }
    }
    let mut failures = Vec::new();
    for run in runs {
        let (name, outcome) = run.join().expect("a search thread");
        match outcome {
            Ok(line) => eprintln!("{name}: {line}"),
            Err(why) => {
                eprintln!("{name}: FAILED: {why}");
                failures.push(name);
            }
        }
    }
    eprintln!("{kind} searches took {:.0?}", started.elapsed());
    assert!(failures.is_empty(), "failed: {failures:?}");
}

/// One search against a fresh stand-in: its outcome, and what disturbed it, if anything did.
fn attempt_search(
    kind: &str,
    per_second: f64,
    truth: f64,
    run: usize,
    args: &[String],
) -> (Result<String, String>, Option<String>) {
    let stand_in = start_stand_in(per_second, None);
    let dir = testbed::scratch_dir(&format!("capacity-drain-{kind}-{per_second}-{run}"));
    let prefix = dir.join("search");
    let html = dir.join("search.html");
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.extend(["--csv", prefix.to_str().unwrap()]);
    args.extend(["--html", html.to_str().unwrap()]);
    let output = capacity(&stand_in.url, &args);
    let late = stand_in.record().late_max;
    let report = report_of(&output, 0);
    let disturbed = match &report {
        Ok(report) if !report["answer"]["generator_limited_at"].is_null() => Some(format!(
            "akrida was saturated: {}",
            report["answer"]["text"]
        )),
        _ if late > STAND_IN_HELD_UP => Some(format!("the stand-in answered {late:.3}s late")),
        _ => None,
    };
    let outcome = report.and_then(|report| {
        check_files(&report, &dir)?;
        check_search(&report, &stand_in, truth)
            .map(|line| format!("{line}\n  the stand-in answered at most {late:.3}s late"))
    });
    (outcome, disturbed)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
#[ignore = "slow"]
fn rate_searches_find_two_capacities_three_times_apart() {
    // Climbs ×2 from 0.3 × the capacity: 0.3, 0.6, 1.2 (fails), then the refinement 0.9
    // (passes), 1.05, 0.975: the plateau just under the capacity comes right after a failure.
    let search = |start: &str, pool: &str| {
        strings(&common::flags(
            "--search rate -r 200 --slo issuer_getliveness:p95<300ms --factor 2 --max 200 \
            --plateau 10s --warmup 3s --precision 10% --drain-timeout 60s",
            &["-u", pool, "--start", start],
        ))
    };
    three_runs_each(
        "rate",
        vec![
            (10.0, 10.0, search("3", "60")),
            (30.0, 30.0, search("9", "120")),
        ],
    );
}

#[test]
#[ignore = "slow"]
fn users_searches_find_two_capacities_three_times_apart() {
    // Each user waits 2 s after each answer: a stand-in serving C a second with service time S
    // holds C × (2 s + S) users, 21 and 61; past that its queue, and the latency, grow: N users
    // wait N / C − 2 s − S each, so an SLO of X holds C × (2 s + X) users (23 for 300 ms, 64.5
    // for 150 ms). Below it, users that happen to ask together queue behind each other: at 54 of
    // the 61 users, 100 ms (3 service times) was once exceeded by a cluster of four, hence the
    // 150 ms for the fast stand-in.
    let search = |start: &str, slo: &str| {
        strings(&common::flags(
            "--search users -r 200 --min-wait 2 --max-wait 2 --factor 2 --max 500 --plateau 10s \
            --warmup 3s --precision 10% --drain-timeout 60s",
            &["--slo", slo, "--start", start],
        ))
    };
    three_runs_each(
        "users",
        vec![
            (
                10.0,
                10.0 * 2.1,
                search("6", "issuer_getliveness:p95<300ms"),
            ),
            (
                30.0,
                30.0 * (2.0 + 1.0 / 30.0),
                search("18", "issuer_getliveness:p95<150ms"),
            ),
        ],
    );
}

#[test]
#[ignore = "slow"]
fn a_server_that_never_drains_ends_the_search_with_that_reason() {
    // 10 a second until its queue passes 10 requests, then one every 2 s for good: the 12/s
    // plateau wedges it, and the probe at 3/s can never drain it.
    let stand_in = start_stand_in(
        10.0,
        Some(Wedge {
            after: 10,
            service: Duration::from_secs(2),
        }),
    );
    let dir = testbed::scratch_dir("capacity-never-drains");
    let html = dir.join("capacity.html");
    let output = capacity(
        &stand_in.url,
        &common::flags(
            "--search rate -u 60 -r 200 --slo issuer_getliveness:p95<300ms --start 3 --factor 2 \
            --max 100 --plateau 6s --warmup 2s --precision 10% --drain-timeout 10s",
            &["--html", html.to_str().unwrap()],
        ),
    );
    let report = report_of(&output, 3).unwrap_or_else(|e| panic!("{e}"));
    assert!(stand_in.record().wedged_at.is_some(), "the stand-in wedged");
    let answer = &report["answer"];
    let text = answer["text"].as_str().unwrap();
    assert!(text.contains("never drained"), "{text}");
    let drain = &answer["never_drained"];
    assert_eq!(drain["drained"], false, "{drain:#}");
    assert!(drain["seconds"].as_f64().unwrap() >= 10.0, "{drain:#}");
    assert!(
        drain["in_flight_after"].as_u64() > drain["in_flight_target"].as_u64(),
        "{drain:#}"
    );
    // The plateaus before it are still reported, and no plateau ran after the failed drain.
    let plateaus = report["plateaus"].as_array().unwrap();
    assert_eq!(
        plateaus.iter().map(load).collect::<Vec<_>>(),
        [3.0, 6.0, 12.0],
        "{plateaus:#?}"
    );
    assert_eq!(plateaus[2]["verdict"], "fail");
    assert_eq!(answer["capacity"], 6.0);
    let page = std::fs::read_to_string(&html).expect("HTML written");
    assert!(page.contains("the servers never drained"), "{page}");
}

#[test]
#[ignore = "slow"]
fn a_plateau_still_draining_a_backlog_has_its_warm_up_extended_then_is_unsteady() {
    // Without the drain (--drain-timeout 0), the 8/s refinement plateau starts on the backlog
    // of the 14/s plateau before it (about 24 requests, worked off at the 2/s the stand-in has
    // to spare): it completes 10/s, more than asked, through both of its windows. Its warm-up is
    // extended once (to --max-warmup), then it is marked unsteady, not judged, and the search
    // stops there.
    let stand_in = start_stand_in(10.0, None);
    let output = capacity(
        &stand_in.url,
        &common::words(
            "--search rate -u 60 -r 200 --slo issuer_getliveness:p95<300ms --start 2 --factor 7 \
            --max 14 --plateau 6s --warmup 2s --max-warmup 6s --precision 10% \
            --drain-timeout 0",
        ),
    );
    let report = report_of(&output, 0).unwrap_or_else(|e| panic!("{e}"));
    let plateaus = report["plateaus"].as_array().unwrap();
    assert_eq!(
        plateaus.iter().map(load).collect::<Vec<_>>(),
        [2.0, 14.0, 8.0],
        "{plateaus:#?}"
    );
    let last = &plateaus[2];
    assert_eq!(last["verdict"], "unsteady", "{last:#}");
    assert_eq!(last["pace"], "faster", "{last:#}");
    assert_eq!(last["steady"], false, "{last:#}");
    assert_eq!(last["warmup_seconds"], 6.0, "{last:#}");
    assert!(last["drain"].is_null(), "{last:#}");
    assert!(
        last["achieved_per_s"].as_f64().unwrap() > 8.0 * 1.1,
        "{last:#}"
    );
    let answer = &report["answer"];
    assert_eq!(answer["unsteady_at"], 8.0, "{answer:#}");
    assert_eq!(answer["capacity"], 2.0, "{answer:#}");
    assert_eq!(answer["first_breach"], 14.0, "{answer:#}");
    let text = answer["text"].as_str().unwrap();
    assert!(text.contains("never ran at the load asked"), "{text}");
}

/// A rate search of 4/s, then 12/s, with a pool of `pool` users and a loose SLO (p95 < 10 s),
/// of a stand-in serving 10/s; the stand-in and the report.
fn twelve_asked_of_ten(pool: usize) -> (StandIn, Value) {
    let stand_in = start_stand_in(10.0, None);
    let output = capacity(
        &stand_in.url,
        &common::flags(
            "--search rate -r 200 --slo issuer_getliveness:p95<10s --start 4 --factor 3 --max 12 \
            --plateau 6s --warmup 2s --precision 10% --drain-timeout 30s",
            &["-u", &pool.to_string()],
        ),
    );
    let report = report_of(&output, 0).unwrap_or_else(|e| panic!("{e}"));
    (stand_in, report)
}

#[test]
#[ignore = "slow"]
fn a_server_just_past_its_capacity_fails_as_falling_behind_before_its_slo_breaks() {
    // 12/s asked of a stand-in serving 10/s: its queue grows by 2 a second, so after the 2 s
    // warm-up and three 4 s windows (the default --max-warmup) the wait is under 3 s, far from
    // the 10 s SLO. Every window completes about 10/s where 12/s were asked, and the pool of 60
    // starts every iteration on time: the server fell behind, which fails the plateau.
    let (stand_in, report) = twelve_asked_of_ten(60);
    let plateaus = report["plateaus"].as_array().unwrap();
    assert_eq!(
        plateaus.iter().map(load).collect::<Vec<_>>()[..2],
        [4.0, 12.0],
        "{plateaus:#?}"
    );
    let behind = &plateaus[1];
    assert_eq!(behind["verdict"], "fail", "{behind:#}");
    assert_eq!(behind["pace"], "slower", "{behind:#}");
    assert_eq!(behind["started_on_time"], true, "{behind:#}");
    assert_eq!(behind["warmup_seconds"], 10.0, "{behind:#}");
    assert!(
        behind["slos"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["passed"] == true),
        "no SLO broke: {behind:#}"
    );
    // On the stand-in's own record: its queue grew through the judged window.
    let record = stand_in.record();
    let (from, to) = (
        behind["judged_from"].as_f64().unwrap(),
        behind["ended_at"].as_f64().unwrap(),
    );
    assert!(
        record.queue_at(to) >= record.queue_at(from) + 4,
        "the stand-in's queue: {} then {}",
        record.queue_at(from),
        record.queue_at(to)
    );
    let answer = &report["answer"];
    assert_eq!(answer["first_breach"], 12.0, "{answer:#}");
    assert!(answer["unsteady_at"].is_null(), "{answer:#}");
    let text = answer["text"].as_str().unwrap();
    assert!(
        text.contains("first breach at 12 iterations/s: the server fell behind (it completed"),
        "{text}"
    );
}

#[test]
#[ignore = "slow"]
fn a_plateau_that_a_pool_too_small_held_back_is_unsteady_not_the_servers_breach() {
    // 12/s asked with a pool of 4 users, of a stand-in serving 10/s: at most 4 requests are
    // ever in flight, so about 2 a second are due with no free user to start them, and the
    // server never sees the load asked. Slower through every window, but not the server's doing.
    let (stand_in, report) = twelve_asked_of_ten(4);
    let plateaus = report["plateaus"].as_array().unwrap();
    let last = plateaus.last().unwrap();
    assert_eq!(load(last), 12.0, "{plateaus:#?}");
    assert_eq!(last["verdict"], "unsteady", "{last:#}");
    assert_eq!(last["pace"], "slower", "{last:#}");
    assert_eq!(last["started_on_time"], false, "{last:#}");
    assert!(last["missed_iterations"].as_u64().unwrap() > 4, "{last:#}");
    // The stand-in records an answer after writing it, so a user's next request may be accepted
    // just before: one above the pool, for a moment.
    let most = stand_in.record().changes.iter().map(|(_, q)| *q).max();
    assert!(most <= Some(5), "the stand-in's queue went to {most:?}");
    let answer = &report["answer"];
    assert_eq!(answer["unsteady_at"], 12.0, "{answer:#}");
    assert!(answer["first_breach"].is_null(), "{answer:#}");
}
