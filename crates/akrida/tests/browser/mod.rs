//! A real browser for the live view's tests: a headless Chromium (installed by
//! `scripts/install-system-packages`) with one page open, spoken to over its DevTools protocol
//! (a WebSocket), so a test reads the page as a person would see it, scripts run.
#![allow(dead_code)] // each test binary uses a different part

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// A headless Chromium with one page open, spoken to over the DevTools protocol.
pub struct Browser {
    child: Child,
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    /// The page's session, once attached.
    session: Option<String>,
    next_id: u64,
}

impl Browser {
    /// The live page akrida serves on loopback `port`, in a browser whose profile is kept in
    /// `dir/profile` (with the run's other outputs).
    pub async fn open_live_page(port: u16, dir: &std::path::Path) -> Browser {
        Browser::open(&format!("http://127.0.0.1:{port}/"), &dir.join("profile")).await
    }

    pub async fn open(url: &str, profile: &std::path::Path) -> Browser {
        let mut child = super::common::headless_chromium(profile)
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
    pub async fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
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
    pub async fn eval(&mut self, expression: &str) -> serde_json::Value {
        let result = self
            .call(
                "Runtime.evaluate",
                serde_json::json!({"expression": expression, "returnByValue": true}),
            )
            .await;
        result["result"]["value"].clone()
    }

    /// Evaluates `expression` until it is `true`, at most `limit`.
    pub async fn wait_for(&mut self, expression: &str, limit: Duration) {
        let started = Instant::now();
        while self.eval(expression).await != serde_json::Value::Bool(true) {
            assert!(started.elapsed() < limit, "never true: {expression}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub async fn number(&mut self, id: &str) -> u64 {
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
        super::common::kill_chromium(&mut self.child);
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on `port` (akrida sets up its users first).
pub fn wait_listening(port: u16, child: &mut Child) {
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
