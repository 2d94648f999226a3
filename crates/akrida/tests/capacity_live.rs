//! `akrida capacity --web` watched by a real headless Chromium (DevTools protocol), against an
//! in-process stand-in of known capacity: the page the browser shows gains plateau rows and knee
//! chart points without reloading, shows the current plateau's progress, and its stop control
//! ends the search with every report written (the answer says who stopped it).
//!
//! The stand-in serves one request at a time in 20 ms: it holds 50 requests a second. The search
//! climbs by 2/s from 2/s in 3 s plateaus, so it would need over a minute to reach the knee (a
//! slow browser start cannot make it end before the test watches it); the test stops it well
//! before. Needs no testbed, only loopback and Chromium (installed
//! by `scripts/install-system-packages`); ignored as slow (~30 s) because of the browser.

mod browser;
mod common;

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use browser::{free_port, wait_listening, Browser};

const SERVICE_TIME: Duration = Duration::from_millis(20);

/// The stand-in: an issuer's liveness endpoint that holds 50 requests a second.
fn start_server() -> String {
    common::standin::fixed_capacity_liveness(SERVICE_TIME)
}

/// Plateau rows the page shows now.
const ROWS: &str = "document.querySelectorAll('#plateaus-table tr.plateau').length";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "slow"]
async fn the_page_grows_plateau_by_plateau_and_its_stop_writes_the_reports() {
    let url = start_server();
    let dir = testbed::scratch_dir("capacity-live");
    let html = dir.join("capacity.html");
    let port = free_port();
    let mut akrida = Command::new(env!("CARGO_BIN_EXE_akrida"))
        .args([
            "capacity", "liveness", "--search", "rate", "-u", "30", "-r", "100",
        ])
        .args(["--slo", "issuer_getliveness:p95<100ms"])
        .args(["--start", "2", "--step", "2", "--max", "200"])
        .args(["--plateau", "3s", "--warmup", "1s", "--json"])
        .arg(format!("--web=127.0.0.1:{port}"))
        .arg("--html")
        .arg(&html)
        .arg("--csv")
        .arg(dir.join("search"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ISSUER_URL", &url)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("akrida runs");
    wait_listening(port, &mut akrida);

    let mut browser = Browser::open_live_page(port, &dir).await;
    browser
        .wait_for(
            "document.getElementById('stop-run') !== null",
            Duration::from_secs(20),
        )
        .await;
    // The page is replaced in place, never reloaded: a mark set on the window now survives.
    browser.eval("window.stillTheSamePage = true").await;
    // The current plateau's progress is shown while one runs.
    browser
        .wait_for(
            "document.getElementById('current') !== null",
            Duration::from_secs(30),
        )
        .await;
    browser
        .wait_for(&format!("{ROWS} >= 1"), Duration::from_secs(60))
        .await;
    let first = browser.eval(ROWS).await.as_u64().unwrap();
    browser
        .wait_for(&format!("{ROWS} > {first}"), Duration::from_secs(60))
        .await;
    let second = browser.eval(ROWS).await.as_u64().unwrap();
    assert!(second > first, "rows {first} then {second}");
    let points = browser
        .eval("Number(document.getElementById('chart-knee-latency').getAttribute('data-points'))")
        .await;
    assert!(
        points.as_u64() >= Some(second),
        "knee points {points} for {second} rows"
    );
    assert_eq!(
        browser.eval("window.stillTheSamePage === true").await,
        serde_json::Value::Bool(true),
        "the page reloaded"
    );

    browser
        .eval("document.getElementById('stop-run').click()")
        .await;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = akrida.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the stop control did not end the search"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    akrida
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    akrida
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    // 0 when a capacity was found before the stop, 3 when none was: never a setup failure.
    assert!(matches!(status.code(), Some(0 | 3)), "{status:?}\n{stderr}");
    assert!(
        stderr.contains("live view at http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(stderr.contains("asked from the live view"), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("the JSON report ({e}):\n{stdout}\n{stderr}"));
    assert_eq!(
        report["answer"]["interrupted"], true,
        "{:#}",
        report["answer"]
    );
    assert!(
        report["answer"]["text"]
            .as_str()
            .unwrap()
            .contains("interrupted (the live view's stop)"),
        "{:#}",
        report["answer"]
    );
    let plateaus = report["plateaus"].as_array().unwrap().len() as u64;
    assert!(
        plateaus >= second,
        "{plateaus} plateaus, {second} seen live"
    );
    // Every report is written, the HTML being the live page frozen: same rows, no script.
    let page = std::fs::read_to_string(&html).expect("the HTML report is written after a stop");
    assert!(!page.contains("<script"), "the final report has no script");
    assert_eq!(
        page.matches("<tr class=\"plateau ").count() as u64,
        plateaus
    );
    assert!(
        page.contains("interrupted (the live view&#39;s stop)"),
        "{page}"
    );
    let csv = std::fs::read_to_string(dir.join("search_capacity.csv")).expect("the CSV");
    assert_eq!(csv.lines().count() as u64, plateaus + 1, "{csv}");
    drop(browser);
}

/// `--web` on a port already taken: one sentence and exit code 2, before any load is sent.
#[test]
fn a_busy_web_port_is_refused_before_any_load() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.local_addr().unwrap());
    let output = Command::new(env!("CARGO_BIN_EXE_akrida"))
        .args([
            "capacity",
            "liveness",
            "--slo",
            "issuer_getliveness:p95<100ms",
        ])
        .arg(format!("--web=127.0.0.1:{port}"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ISSUER_URL", &url)
        .current_dir(common::no_dotenv_dir())
        .output()
        .expect("akrida runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let complaints: Vec<&str> = stderr.lines().collect();
    assert_eq!(complaints.len(), 1, "one sentence: {stderr}");
    assert!(
        complaints[0].contains(&format!("--web 127.0.0.1:{port}: cannot listen")),
        "{stderr}"
    );
    // Nothing reached the server: not even the preflight's connect.
    server.set_nonblocking(true).unwrap();
    assert!(server.accept().is_err(), "a connection before the refusal");
}
