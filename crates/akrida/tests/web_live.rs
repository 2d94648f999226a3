//! `akrida run --web` against the testbed mediator, watched and steered by a real headless
//! Chromium through its DevTools protocol: the page the browser shows grows, its users chart is
//! there, its controls change the user count (seen in the run's JSON and in the mediator's own
//! records) and stop the run, whose reports are still written — the final HTML in reading order.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// A headless Chromium with one page open, spoken to over the DevTools protocol.
struct Browser {
    child: Child,
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    /// The page's session, once attached.
    session: Option<String>,
    next_id: u64,
}

impl Browser {
    async fn open(url: &str, profile: &std::path::Path) -> Browser {
        let mut child = headless_chromium(profile)
            .args([
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
            ])
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium runs (apt-get install -y chromium)");
        // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID"
        let stderr = child.stderr.take().unwrap();
        let (found, wanted) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let (false, Some(rest)) = (sent, line.split("DevTools listening on ").nth(1)) {
                    let _ = found.send(rest.trim().to_owned());
                    sent = true;
                }
            }
        });
        let browser_url = wanted
            .recv_timeout(Duration::from_secs(30))
            .expect("chromium says where its DevTools listen");
        let (socket, _) = tokio_tungstenite::connect_async(browser_url)
            .await
            .expect("DevTools socket");
        let mut browser = Browser {
            child,
            socket,
            session: None,
            next_id: 1,
        };
        // The page the browser opened, and a session on it (flattened: one socket for all).
        let started = Instant::now();
        let target = loop {
            let targets = browser
                .call("Target.getTargets", serde_json::json!({}))
                .await;
            let page = targets["targetInfos"].as_array().and_then(|all| {
                all.iter()
                    .find(|t| t["type"] == "page")
                    .and_then(|t| t["targetId"].as_str())
                    .map(str::to_owned)
            });
            if let Some(page) = page {
                break page;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no page target"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let attached = browser
            .call(
                "Target.attachToTarget",
                serde_json::json!({"targetId": target, "flatten": true}),
            )
            .await;
        browser.session = attached["sessionId"].as_str().map(str::to_owned);
        assert!(browser.session.is_some(), "{attached}");
        browser
    }

    /// One DevTools command (on the page's session once attached); its result.
    async fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut call = serde_json::json!({"id": id, "method": method, "params": params});
        if let Some(session) = &self.session {
            call["sessionId"] = session.clone().into();
        }
        self.socket
            .send(Message::text(call.to_string()))
            .await
            .unwrap();
        loop {
            let message = tokio::time::timeout(Duration::from_secs(20), self.socket.next())
                .await
                .expect("DevTools answers")
                .expect("DevTools socket open")
                .unwrap();
            let Message::Text(text) = message else {
                continue;
            };
            let reply: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
            if reply["id"] == id {
                assert!(reply["error"].is_null(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }

    /// Evaluates `expression` in the page; its value as JSON.
    async fn eval(&mut self, expression: &str) -> serde_json::Value {
        let result = self
            .call(
                "Runtime.evaluate",
                serde_json::json!({"expression": expression, "returnByValue": true}),
            )
            .await;
        result["result"]["value"].clone()
    }

    /// Evaluates `expression` until it is `true`, at most `limit`.
    async fn wait_for(&mut self, expression: &str, limit: Duration) {
        let started = Instant::now();
        while self.eval(expression).await != serde_json::Value::Bool(true) {
            assert!(started.elapsed() < limit, "never true: {expression}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn number(&mut self, id: &str) -> u64 {
        let text = self
            .eval(&format!("document.getElementById('{id}').textContent"))
            .await;
        text.as_str()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or_else(|| panic!("{id}: {text}"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on `port` (akrida sets up its users first).
fn wait_listening(port: u16, child: &mut Child) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "akrida ended before its live view came up"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "no live view");
        std::thread::sleep(Duration::from_millis(200));
    }
}

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
    let mut browser =
        Browser::open(&format!("http://127.0.0.1:{port}/"), &dir.join("profile")).await;

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
