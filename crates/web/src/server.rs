//! `--web`: the live page of a run or of a capacity search, through akrida's one HTTP server
//! ([`net::server`]). What it shows and what its controls do is a [`LiveSource`]'s: the run's
//! ([`RunLive`] over a [`PageSource`]) or the capacity search's.
//!
//! - `GET /` — the report page as it is now, with controls above it and a small inline script;
//! - `GET /events` — server-sent events: the report part of the page, rendered afresh each
//!   second (event `report`); the script swaps it in, so the page never reloads;
//! - `GET /api/state` — the source's state, as JSON (a run's users and counts);
//! - `POST /api/users` — a run only: `{"users": N, "spawn_rate": R}` (the rate may be left out):
//!   a new user count, reached at that rate;
//! - `POST /api/stop` — stops the run or the search as Ctrl-C does: the reports are still written.
//!
//! Loopback by default. Bound elsewhere, every route wants the token printed once at start, as
//! `Authorization: Bearer TOKEN` or `?token=TOKEN` (the page passes it on to its own requests):
//! 401 without. Input from the browser is checked: a bad request is a 400 with its reason.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use engine::report::LiveParts;
use net::server::{Handler, HttpServer, Limits, Method, Reply, Request, StatusCode};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::page::PageSource;

/// The address `--web` binds when given none (Locust's web UI port).
pub const DEFAULT_ADDR: &str = "127.0.0.1:8089";
/// Requests bodies are a few bytes of JSON.
const MAX_BODY: usize = 4 * 1024;
/// How often the page is sent afresh.
const FRAME_PERIOD: Duration = Duration::from_secs(1);
/// Most users the page may ask for (a typo of a few zeros must not exhaust the machine).
const MAX_USERS: usize = 1_000_000;
const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

/// The live view's address, and the token it wants when it is not loopback.
pub struct Bound {
    pub listener: TcpListener,
    pub token: Option<String>,
}

/// Binds `addr`; away from loopback, makes the token every request must carry.
pub async fn bind(addr: SocketAddr) -> Result<Bound, String> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("--web {addr}: cannot listen: {e}"))?;
    let token = (!addr.ip().is_loopback()).then(new_token);
    Ok(Bound { listener, token })
}

/// 128 random bits in hex: not guessable, and safe in a URL as it is.
fn new_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Says where the page is (with its token, once) on stderr.
pub fn announce(bound: &Bound) {
    let addr = bound
        .listener
        .local_addr()
        .map_or_else(|_| "?".into(), |a| a.to_string());
    match &bound.token {
        None => eprintln!(
            "akrida: live view at http://{addr}/ (loopback only; --web=ADDR on another interface asks for a token)"
        ),
        Some(token) => eprintln!(
            "akrida: live view at http://{addr}/?token={token} — not loopback: the page and its API \
refuse requests without this token (shown once)"
        ),
    }
}

/// What a live page shows and what its controls do.
pub trait LiveSource: Send + Sync + 'static {
    /// The whole page now, with the live view's controls and script (`live`).
    fn page(&self, live: &LiveParts<'_>) -> String;
    /// The report part of the page now: what the page replaces each second.
    fn report(&self) -> String;
    /// The controls above the report (HTML; the stop button is `id="stop-run"`).
    fn controls(&self) -> String;
    /// `GET /api/state`.
    fn state(&self) -> serde_json::Value;
    /// `POST /api/stop`: ends the run or search as Ctrl-C does; the answer says so.
    fn stop(&self) -> String;
    /// `POST /api/users` with its body: the answer, or why not (a 400). None: this source has no
    /// user count to change (a 404).
    fn change_users(&self, _body: &[u8]) -> Option<Result<String, String>> {
        None
    }
}

/// Serves the run's live view until the process ends.
pub fn serve(bound: Bound, source: Arc<PageSource>, spawn_rate: f64) -> HttpServer {
    serve_source(
        bound,
        Arc::new(RunLive {
            source,
            spawn_rate: Mutex::new(spawn_rate),
        }),
    )
}

/// Serves a live view of `source` until the process ends.
pub fn serve_source(bound: Bound, source: Arc<dyn LiveSource>) -> HttpServer {
    HttpServer::start(
        bound.listener,
        Arc::new(LiveView {
            source,
            token: bound.token,
        }),
        Limits::with_max_body(MAX_BODY),
    )
}

struct LiveView {
    source: Arc<dyn LiveSource>,
    token: Option<String>,
}

/// A run's live source: its page, and the user count and spawn rate its controls change.
pub struct RunLive {
    source: Arc<PageSource>,
    /// The spawn rate last asked for, shown in the controls.
    spawn_rate: Mutex<f64>,
}

/// `POST /api/users`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersChange {
    users: usize,
    spawn_rate: Option<f64>,
}

impl Handler for LiveView {
    fn handle(&self, request: Request) -> Reply {
        if !self.authorized(&request) {
            return Reply::text(
                StatusCode::UNAUTHORIZED,
                "this live view wants its token: ?token=TOKEN or Authorization: Bearer TOKEN\n",
            );
        }
        match (&request.method, request.path.as_str()) {
            (&Method::GET, "/") => {
                let controls = self.source.controls();
                let page = self.source.page(&LiveParts {
                    controls: &controls,
                    script: SCRIPT,
                });
                Reply::with_body(StatusCode::OK, HTML, page)
            }
            (&Method::GET, "/events") => self.events(),
            (&Method::GET, "/api/state") => {
                Reply::with_body(StatusCode::OK, JSON, self.source.state().to_string())
            }
            (&Method::POST, "/api/users") => match self.source.change_users(&request.body) {
                None => Reply::text(StatusCode::NOT_FOUND, "no user count to change here\n"),
                Some(Ok(answer)) => Reply::text(StatusCode::OK, answer),
                Some(Err(why)) => Reply::text(StatusCode::BAD_REQUEST, why),
            },
            (&Method::POST, "/api/stop") => Reply::text(StatusCode::OK, self.source.stop()),
            (_, "/" | "/events" | "/api/state" | "/api/users" | "/api/stop") => {
                Reply::text(StatusCode::METHOD_NOT_ALLOWED, "wrong method\n")
            }
            _ => Reply::text(StatusCode::NOT_FOUND, "not here: try /\n"),
        }
    }
}

impl LiveView {
    fn authorized(&self, request: &Request) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let bearer = request
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|t| t == token);
        let query = request
            .query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .any(|pair| pair.strip_prefix("token=") == Some(token.as_str()));
        bearer || query
    }

    /// A stream of frames, one a second, until the browser leaves (its send fails).
    fn events(&self) -> Reply {
        let (sender, receiver) = mpsc::channel::<Bytes>(2);
        let source = self.source.clone();
        tokio::spawn(async move {
            // A browser that loses the stream tries again after this long.
            if sender
                .send(Bytes::from_static(b"retry: 2000\n\n"))
                .await
                .is_err()
            {
                return;
            }
            let mut ticker = tokio::time::interval(FRAME_PERIOD);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                ticker.tick().await;
                // Rendering takes milliseconds on a long run: off the runtime's workers, so the
                // users' timers (and the lag akrida measures) do not wait for it.
                let source = source.clone();
                let Ok(report) = tokio::task::spawn_blocking(move || source.report()).await else {
                    return;
                };
                if sender.send(sse_event("report", &report)).await.is_err() {
                    return;
                }
            }
        });
        Reply::stream(StatusCode::OK, "text/event-stream", receiver)
    }
}

impl RunLive {
    fn spawn_rate(&self) -> f64 {
        *self
            .spawn_rate
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl LiveSource for RunLive {
    fn page(&self, live: &LiveParts<'_>) -> String {
        self.source.page_now(Some(live))
    }

    fn report(&self) -> String {
        self.source.report_now()
    }

    fn controls(&self) -> String {
        controls(self.source.handle.target_user_count(), self.spawn_rate())
    }

    fn state(&self) -> serde_json::Value {
        let handle = &self.source.handle;
        let summary = handle.summary();
        serde_json::json!({
            "running_users": handle.user_count(),
            "target_users": handle.target_user_count(),
            "spawn_rate": self.spawn_rate(),
            "requests": summary.total.num_requests,
            "failures": summary.total.num_failures,
        })
    }

    fn stop(&self) -> String {
        eprintln!("akrida: stopping users (asked from the live view)");
        self.source.handle.stop();
        "stopping; the reports will be written\n".into()
    }

    fn change_users(&self, body: &[u8]) -> Option<Result<String, String>> {
        let change: UsersChange = match serde_json::from_slice(body) {
            Ok(change) => change,
            Err(e) => {
                return Some(Err(format!(
                    "want {{\"users\": N, \"spawn_rate\": R}}: {e}\n"
                )))
            }
        };
        if change.users > MAX_USERS {
            return Some(Err(format!("at most {MAX_USERS} users\n")));
        }
        let rate = change.spawn_rate.unwrap_or_else(|| self.spawn_rate());
        if let Err(e) = self.source.handle.set_target(change.users, rate) {
            return Some(Err(format!("{e}\n")));
        }
        *self
            .spawn_rate
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = rate;
        eprintln!(
            "akrida: {} users at {rate}/s (asked from the live view)",
            change.users
        );
        Some(Ok(format!(
            "aiming for {} users at {rate}/s\n",
            change.users
        )))
    }
}

/// One server-sent event: its name, then each line of the data.
fn sse_event(name: &str, data: &str) -> Bytes {
    let mut out = String::with_capacity(data.len() + 64);
    out.push_str("event: ");
    out.push_str(name);
    out.push('\n');
    for line in data.lines() {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

/// The controls above the report: they stay put while the report below is replaced.
fn controls(users: usize, spawn_rate: f64) -> String {
    format!(
        "<div class=\"controls\" id=\"controls\"><b>Live</b>\
<label>users <input id=\"users-input\" type=\"number\" min=\"0\" value=\"{users}\"></label>\
<label>spawn rate /s <input id=\"spawn-rate-input\" type=\"number\" min=\"0.1\" step=\"any\" value=\"{spawn_rate}\"></label>\
<button id=\"apply-users\">Apply</button><button id=\"stop-run\">Stop the run</button>\
<span class=\"state\" id=\"live-state\">connecting…</span></div>"
    )
}

/// Keeps the page fresh and sends the controls' requests, with the page's token if it has one.
const SCRIPT: &str = r#"
(function () {
  var token = new URLSearchParams(location.search).get('token');
  var q = token ? '?token=' + encodeURIComponent(token) : '';
  var report = document.getElementById('report');
  var state = document.getElementById('live-state');
  var events = new EventSource('/events' + q);
  events.addEventListener('report', function (e) {
    report.innerHTML = e.data;
    state.textContent = 'updated ' + new Date().toLocaleTimeString();
  });
  events.onerror = function () { state.textContent = 'disconnected (the run may have ended)'; };
  function post(path, body) {
    fetch(path + q, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)})
      .then(function (r) { return r.text(); })
      .then(function (t) { state.textContent = t; })
      .catch(function (e) { state.textContent = String(e); });
  }
  // A capacity search's page has no user count to change, only the stop.
  var apply = document.getElementById('apply-users');
  if (apply) {
    apply.onclick = function () {
      post('/api/users', {users: Number(document.getElementById('users-input').value),
        spawn_rate: Number(document.getElementById('spawn-rate-input').value)});
    };
  }
  document.getElementById('stop-run').onclick = function () { post('/api/stop', {}); };
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use engine::{BoxFuture, RunConfig, Runner, Scenario, StatsSnapshot, User, UserContext};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Users that each record a quick sample every 50 ms.
    struct Stub;
    struct StubUser;

    impl Scenario for Stub {
        fn name(&self) -> &str {
            "stub"
        }
        fn tasks(&self) -> Vec<(&'static str, u32)> {
            vec![("tick", 1)]
        }
        fn new_user(&self, _index: u64) -> Box<dyn User> {
            Box::new(StubUser)
        }
    }

    impl User for StubUser {
        fn run_task<'a>(&'a mut self, _: &'static str, cx: &'a UserContext) -> BoxFuture<'a, ()> {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                cx.record("stub", "tick", Duration::from_millis(1), Ok(()));
            })
        }
    }

    /// A run of `users` stub users with its live view on `addr`.
    async fn live_run(
        addr: &str,
        users: usize,
    ) -> (
        SocketAddr,
        Option<String>,
        engine::RunHandle,
        tokio::task::JoinHandle<StatsSnapshot>,
        HttpServer,
    ) {
        let config = RunConfig {
            users,
            spawn_rate: 100.0,
            ..RunConfig::default()
        };
        let (handle, run) = Runner::start(Arc::new(Stub), config).unwrap();
        let bound = bind(addr.parse().unwrap()).await.unwrap();
        let port = bound.listener.local_addr().unwrap().port();
        let token = bound.token.clone();
        let source = Arc::new(PageSource {
            title: "akrida — stub".into(),
            settings: serde_json::json!({"users": users}),
            thresholds: Vec::new(),
            baseline: None,
            tolerance: 0.1,
            phases: None,
            handle: handle.clone(),
            watch: crate::selfwatch::SelfWatch::start(Duration::from_secs(1)),
            traces: None,
            observers: None,
        });
        let server = serve(bound, source, 100.0);
        // Whatever the bind address, the test speaks to loopback only.
        let local = SocketAddr::from(([127, 0, 0, 1], port));
        (local, token, handle, run, server)
    }

    /// One request over a fresh connection; the status code and the body.
    async fn call(addr: SocketAddr, head: &str, body: &str) -> (u16, String) {
        let raw = format!(
            "{head}\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(raw.as_bytes()).await.unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await.unwrap();
        let status = reply[9..12].parse().unwrap();
        let body = reply
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    async fn wait_for_users(handle: &engine::RunHandle, n: usize) {
        for _ in 0..100 {
            if handle.user_count() == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{} users running, not {n}", handle.user_count());
    }

    #[tokio::test]
    async fn the_controls_steer_the_run_and_bad_input_is_a_400() {
        let (addr, token, handle, run, _server) = live_run("127.0.0.1:0", 2).await;
        assert_eq!(token, None, "loopback wants no token");
        wait_for_users(&handle, 2).await;

        let (status, page) = call(addr, "GET / HTTP/1.1", "").await;
        assert_eq!(status, 200);
        for id in [
            "controls",
            "users-input",
            "stop-run",
            "report",
            "stats-table",
        ] {
            assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(page.contains("<script>"), "the live page has its script");

        let (status, _) = call(
            addr,
            "POST /api/users HTTP/1.1",
            r#"{"users": 5, "spawn_rate": 50}"#,
        )
        .await;
        assert_eq!(status, 200);
        wait_for_users(&handle, 5).await;
        let (status, state) = call(addr, "GET /api/state HTTP/1.1", "").await;
        assert_eq!(status, 200);
        let state: serde_json::Value = serde_json::from_str(&state).unwrap();
        assert_eq!(state["target_users"], 5);
        assert_eq!(state["spawn_rate"], 50.0);

        for bad in [
            "",
            "{",
            r#"{"users": -1}"#,
            r#"{"users": 2.5}"#,
            r#"{"users": 2, "spawn_rate": 0}"#,
            r#"{"users": 2, "spawn_rate": -3}"#,
            r#"{"users": 99999999999}"#,
            r#"{"users": 2, "extra": 1}"#,
        ] {
            let (status, reason) = call(addr, "POST /api/users HTTP/1.1", bad).await;
            assert_eq!(status, 400, "{bad}: {reason}");
            assert!(!reason.is_empty(), "a 400 says why");
        }
        assert_eq!(handle.target_user_count(), 5, "bad input changed nothing");
        assert_eq!(call(addr, "GET /api/users HTTP/1.1", "").await.0, 405);
        assert_eq!(call(addr, "GET /nowhere HTTP/1.1", "").await.0, 404);

        let (status, _) = call(addr, "POST /api/stop HTTP/1.1", "").await;
        assert_eq!(status, 200);
        let last = tokio::time::timeout(Duration::from_secs(10), run)
            .await
            .expect("the stop control ends the run")
            .unwrap();
        assert!(last.total.num_requests > 0);
    }

    #[tokio::test]
    async fn the_event_stream_sends_the_report() {
        let (addr, _, handle, _run, _server) = live_run("127.0.0.1:0", 1).await;
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut seen = String::new();
        let mut buffer = [0u8; 16 * 1024];
        let found = tokio::time::timeout(Duration::from_secs(5), async {
            while !(seen.contains("event: report") && seen.contains("id=\"stats-table\"")) {
                let n = stream.read(&mut buffer).await.unwrap();
                assert!(n > 0, "the stream ended: {seen}");
                seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        })
        .await;
        assert!(found.is_ok(), "a report event within 5 s: {seen}");
        assert!(seen.contains("text/event-stream"), "{seen}");
        handle.stop();
    }

    #[tokio::test]
    async fn away_from_loopback_every_route_wants_the_token() {
        let (addr, token, handle, _run, _server) = live_run("0.0.0.0:0", 1).await;
        let token = token.expect("a non-loopback bind makes a token");
        assert_eq!(token.len(), 32);
        for route in [
            "GET / HTTP/1.1",
            "GET /events HTTP/1.1",
            "GET /api/state HTTP/1.1",
            "POST /api/stop HTTP/1.1",
        ] {
            assert_eq!(call(addr, route, "").await.0, 401, "{route}");
        }
        let wrong = "GET /?token=00000000000000000000000000000000 HTTP/1.1";
        assert_eq!(call(addr, wrong, "").await.0, 401);
        let (status, page) = call(addr, &format!("GET /?token={token} HTTP/1.1"), "").await;
        assert_eq!(status, 200);
        assert!(page.contains("id=\"stats-table\""));
        let bearer = format!("GET /api/state HTTP/1.1\r\nAuthorization: Bearer {token}");
        assert_eq!(call(addr, &bearer, "").await.0, 200);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(handle.user_count(), 1, "the refused stop stopped nothing");
        handle.stop();
    }
}
