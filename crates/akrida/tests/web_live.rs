//! `akrida run --web` against the testbed mediator, watched and steered by a real headless
//! Chromium through its DevTools protocol: the page the browser shows grows, its users chart is
//! there, its controls change the user count (seen in the run's JSON and in the mediator's own
//! records) and stop the run, whose reports are still written — the final HTML in reading order.

mod browser;
mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use browser::{free_port, wait_listening, Browser};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "live"]
async fn the_page_grows_steers_the_users_and_stops_the_run() {
    let mediator = mediator();
    let dir = output_dir("web-live");
    let html = dir.join("report.html");
    let port = free_port();
    let web = format!("--web=127.0.0.1:{port}");
    let grants_before = granted_mediations(&mediator);
    let mut child = start_mediator_ping(
        &mediator,
        &dir,
        &[
            "-u",
            "2",
            "-r",
            "5",
            "-t",
            "120s",
            "--min-wait",
            "0.2",
            "--max-wait",
            "0.5",
            &web,
            "--html",
            html.to_str().unwrap(),
        ],
    );
    wait_listening(port, &mut child);
    let started = Instant::now();
    let mut browser = Browser::open_live_page(port, &dir).await;

    // The report part is replaced by the event stream (the script says when it last was).
    browser
        .wait_for(
            "document.getElementById('live-state').textContent.startsWith('updated')",
            Duration::from_secs(15),
        )
        .await;
    browser
        .wait_for(
            "Number(document.getElementById('chart-users').getAttribute('data-points')) > 0",
            Duration::from_secs(15),
        )
        .await;
    let first = browser.number("total-requests").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let second = browser.number("total-requests").await;
    assert!(
        second > first,
        "the request count grows: {first} then {second}"
    );

    // More users, from the page's own controls.
    browser
        .eval(
            "document.getElementById('users-input').value = '5';\
             document.getElementById('spawn-rate-input').value = '10';\
             document.getElementById('apply-users').click(); true",
        )
        .await;
    browser
        .wait_for(
            "document.getElementById('running-users').textContent.trim() === '5'",
            Duration::from_secs(20),
        )
        .await;
    // Each holder's onboarding is a mediation the mediator grants.
    let started_grants = Instant::now();
    while granted_mediations(&mediator) < grants_before + 5 {
        assert!(
            started_grants.elapsed() < Duration::from_secs(30),
            "the mediator granted {} mediations, not {} more",
            granted_mediations(&mediator) - grants_before,
            5
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    // Stop from the page: the run ends well before its 120 s, with its reports.
    browser
        .eval("document.getElementById('stop-run').click(); true")
        .await;
    let output = wait_bounded(child, Duration::from_secs(60));
    assert!(
        started.elapsed() < Duration::from_secs(100),
        "the stop ended the run"
    );
    drop(browser);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("asked from the live view"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report = parse_json(&output);
    assert_eq!(report["users"]["spawned"], 5, "{:#}", report["users"]);
    assert_eq!(report["target_user_count"], 5);
    assert!(successes(&report, "ping_mediator") > second / 2);

    // The final report: the live page frozen, no script, sections in reading order.
    let text = std::fs::read_to_string(&html).expect("the HTML report is written after a stop");
    assert!(!text.contains("<script"), "the final report has no script");
    let dom = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--dump-dom",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.join("profile-final").display()
        ))
        .arg(format!("file://{}", html.display()))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dom.stdout);
    let at = |id: &str| {
        dom.find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("{id} missing from the DOM"))
    };
    let order = ["verdict", "statistics", "charts", "failures", "parameters"];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{} before {}", pair[0], pair[1]);
    }
}
