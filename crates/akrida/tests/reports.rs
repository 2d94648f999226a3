//! Reports against the real testbed mediator: thresholds and their exit codes, the baseline
//! comparison, the Prometheus endpoint scraped during a run, and the HTML report rendered in
//! headless Chromium (screenshot and DOM checked).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use common::*;

fn akrida(args: &[&str]) -> Output {
    common::akrida().args(args).output().expect("akrida runs")
}

#[test]
fn bad_thresholds_are_setup_errors() {
    let output = akrida(&["run", "mediator-ping", "--threshold", "ping_mediator:p95"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no comparison"), "{stderr}");

    let dir = output_dir("bad-thresholds");
    let file = dir.join("thresholds.txt");
    std::fs::write(&file, "# ok\nping_mediator:p95<1s\nping_mediator:p42<1s\n").unwrap();
    let output = akrida(&[
        "run",
        "mediator-ping",
        "--mediation-url",
        "http://127.0.0.1:1/?oob=x",
        "--thresholds-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 3") && stderr.contains("unknown metric"),
        "{stderr}"
    );

    let output = akrida(&["run", "mediator-ping", "--stages", "1m:10,oops"]);
    assert_eq!(output.status.code(), Some(2));
}

/// Parses Prometheus text: (metric name with labels, value) for every sample line; panics on a
/// line that is neither a comment nor `name{labels} value`.
fn parse_prometheus(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("value in {line}"));
            let name = series.split('{').next().unwrap();
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{line}"
            );
            if series.contains('{') {
                assert!(series.ends_with('}'), "{line}");
            }
            (series.to_owned(), value)
        })
        .collect()
}

fn value(samples: &[(String, f64)], series: &str) -> f64 {
    samples
        .iter()
        .find(|(s, _)| s == series)
        .unwrap_or_else(|| panic!("no {series}"))
        .1
}

fn chromium(args: &[&str], profile: &Path) -> Output {
    headless_chromium(profile)
        .arg("--hide-scrollbars")
        .args(args)
        .output()
        .expect("chromium runs (apt-get install -y chromium)")
}

#[test]
#[ignore = "live"]
fn a_real_run_with_thresholds_metrics_html_and_baseline() {
    let mediator = mediator();
    let dir = output_dir("reports");
    let html = dir.join("report.html");
    let port = testbed::free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = start_mediator_ping(
        &mediator,
        &dir,
        &common::flags(
            "-u 20 -r 10 -t 20s --min-wait 0.2 --max-wait 0.5 --stats-interval 2 \
            --threshold ping_mediator:p95<5s --threshold total:fail_ratio<0.01 \
            --threshold startup:requests>=20",
            &["--html", html.to_str().unwrap(), "--metrics-addr", &addr],
        ),
    );

    // Scrape the endpoint while the run goes, until pings show up.
    let deadline = Instant::now() + Duration::from_secs(30);
    let scraped = loop {
        std::thread::sleep(Duration::from_millis(500));
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            panic!("akrida ended early ({status}): {stderr}");
        }
        let Ok(_) = std::net::TcpStream::connect(&addr) else {
            assert!(Instant::now() < deadline, "metrics endpoint never answered");
            continue;
        };
        let samples = parse_prometheus(&http_get(&format!("http://{addr}/metrics")));
        let pings = r#"akrida_requests_total{kind="didcomm",name="ping_mediator"}"#;
        if samples.iter().any(|(s, v)| s == pings && *v > 0.0) {
            break samples;
        }
        assert!(
            Instant::now() < deadline,
            "no pings in the metrics: {samples:?}"
        );
    };
    assert!(value(&scraped, "akrida_users") > 0.0);
    assert_eq!(value(&scraped, "akrida_users_target"), 20.0);
    let inf = value(
        &scraped,
        r#"akrida_response_time_seconds_bucket{kind="didcomm",name="ping_mediator",le="+Inf"}"#,
    );
    let count = value(
        &scraped,
        r#"akrida_response_time_seconds_count{kind="didcomm",name="ping_mediator"}"#,
    );
    assert_eq!(inf, count);
    assert!(count > 0.0);
    // Buckets are cumulative.
    let buckets: Vec<f64> = scraped
        .iter()
        .filter(|(s, _)| {
            s.starts_with(
                r#"akrida_response_time_seconds_bucket{kind="didcomm",name="ping_mediator""#,
            )
        })
        .map(|(_, v)| *v)
        .collect();
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");

    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = parse_json(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let thresholds = report["thresholds"].as_array().unwrap();
    assert_eq!(thresholds.len(), 3);
    assert!(
        thresholds.iter().all(|t| t["passed"] == true),
        "{thresholds:?}"
    );
    assert!(thresholds[0]["measured"].as_f64().unwrap() > 0.0);
    assert!(
        stderr.contains("PASS ping_mediator:p95<5s (measured"),
        "{stderr}"
    );
    let samples = report["self_watch"]["samples"].as_array().unwrap();
    assert!(samples.len() >= 10, "one self-watch sample a second");
    assert!(samples.iter().any(|s| s["rss_bytes"].as_u64().unwrap() > 0));
    assert!(
        samples.iter().any(|s| s["open_fds"].as_u64().unwrap() > 20),
        "holders hold sockets"
    );

    check_html_in_chromium(&html, &dir);

    // The same load again, judged: a threshold that cannot pass (exit 3) ...
    let json = dir.join("first.json");
    std::fs::write(&json, &output.stdout).unwrap();
    let short = [
        "-u",
        "5",
        "-r",
        "5",
        "-t",
        "4s",
        "--min-wait",
        "0.2",
        "--max-wait",
        "0.5",
    ];
    let failing_dir = output_dir("reports-threshold");
    let failing = start_mediator_ping(
        &mediator,
        &failing_dir,
        &[&short[..], &["--threshold", "ping_mediator:max<0.001ms"]].concat(),
    )
    .wait_with_output()
    .unwrap();
    assert_eq!(failing.status.code(), Some(3));
    let judged = parse_json(&failing);
    assert_eq!(judged["thresholds"][0]["passed"], false);
    assert!(String::from_utf8_lossy(&failing.stderr).contains("FAIL ping_mediator:max<0.001ms"));

    // ... and a baseline that was much faster (exit 4).
    let mut fast: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for entry in fast["entries"].as_array_mut().unwrap() {
        if entry["name"] == "startup" {
            for p in entry["percentiles_ms"].as_array_mut().unwrap() {
                p["ms"] = 1.into();
            }
        }
    }
    let baseline = dir.join("fast-baseline.json");
    std::fs::write(&baseline, serde_json::to_vec(&fast).unwrap()).unwrap();
    let regressed_dir = output_dir("reports-baseline");
    let regressed = start_mediator_ping(
        &mediator,
        &regressed_dir,
        &[
            &short[..],
            &[
                "--baseline",
                baseline.to_str().unwrap(),
                "--tolerance",
                "10%",
            ],
        ]
        .concat(),
    )
    .wait_with_output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&regressed.stderr);
    assert_eq!(regressed.status.code(), Some(4), "{stderr}");
    let judged = parse_json(&regressed);
    let flagged: Vec<&serde_json::Value> = judged["baseline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["regression"] == true)
        .collect();
    assert!(
        flagged
            .iter()
            .any(|c| c["sample"] == "ws startup"
                || c["sample"].as_str().unwrap().ends_with("startup")),
        "{flagged:?}"
    );
    assert!(stderr.contains("REGRESSION"), "{stderr}");
    // The unchanged previous run as baseline: no regression beyond a generous tolerance.
    let same_dir = output_dir("reports-same");
    let same = start_mediator_ping(
        &mediator,
        &same_dir,
        &[
            &short[..],
            &["--baseline", json.to_str().unwrap(), "--tolerance", "1000%"],
        ]
        .concat(),
    )
    .wait_with_output()
    .unwrap();
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
}

/// Renders the report in headless Chromium: a screenshot (copied to docs/ for the book) and
/// the DOM, which must hold the tables and charts with data.
fn check_html_in_chromium(html: &Path, dir: &Path) {
    let text = std::fs::read_to_string(html).unwrap();
    for external in ["src=\"http", "href=\"http", "<script src", "<link "] {
        assert!(
            !text.contains(external),
            "the report loads nothing: {external}"
        );
    }
    let url = format!("file://{}", html.display());
    let profile = dir.join("chromium-profile");
    let dom = chromium(&["--dump-dom", &url], &profile);
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    for id in [
        "stats-table",
        "chart-users",
        "chart-rps",
        "chart-latency-didcomm-ping-mediator",
        "chart-latency-didcomm-startup",
        "phases",
        "failures",
        "thresholds",
        "parameters",
        "generator",
        "chart-generator-cpu",
    ] {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "{id} missing from the DOM"
        );
    }
    // Charts carry points, tables carry rows.
    for chart in [
        "chart-users",
        "chart-rps",
        "chart-latency-didcomm-ping-mediator",
    ] {
        let at = dom.find(&format!("id=\"{chart}\"")).unwrap();
        let svg = &dom[at..at + dom[at..].find("</svg>").unwrap()];
        let points: usize = svg
            .split("data-points=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(points >= 5, "{chart}: {points} points");
        assert!(svg.contains("<polyline"), "{chart} has lines");
    }
    for phase in [
        "connect",
        "socket_open",
        "mediation_grant",
        "keylist_update",
    ] {
        assert!(
            dom.contains(&format!("<td class=\"l\">{phase}</td>")),
            "{phase}"
        );
    }
    let stats_rows = dom.matches("<tr class=\"entry\">").count();
    assert!(stats_rows >= 6, "{stats_rows} stats rows");
    assert!(dom.contains("ping_mediator:p95&lt;5s"));
    // Invitations are shortened to their endpoint ("?oob=…"), not shown with their payload.
    assert!(
        !dom.contains("oob=eyJ"),
        "the invitation is not shown whole"
    );

    let png = dir.join("report.png");
    let shot = chromium(
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,1700",
            &url,
        ],
        &profile,
    );
    let bytes = std::fs::read(&png).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}): {}",
            String::from_utf8_lossy(&shot.stderr)
        )
    });
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
    assert!(bytes.len() > 20_000, "a page with content, not a blank one");
    // The book's picture of a report (Reports) is this screenshot, refreshed on request only:
    // a test run must not leave the work tree modified.
    if std::env::var_os("AKRIDA_UPDATE_SCREENSHOT").is_some() && bytes.len() < 300_000 {
        let images = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/src/images");
        std::fs::copy(&png, images.join("report.png")).expect("docs/src/images/report.png written");
    }
}
