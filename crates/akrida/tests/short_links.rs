//! Short-link invitations (RFC 0434 URL shortening): a URL without `oob=` that the server
//! expands when asked with `Accept: application/json`, by a redirect to the long form or by
//! answering the invitation as JSON. Both must onboard holders through the real testbed
//! mediator; a short link that answers a web page is a setup error before any load.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};

use common::{entry, parse_json};

/// A shortener on 127.0.0.1: `/r` redirects (302) to `long_url`, `/j` answers `json`, `/h`
/// answers an HTML page. Records the `Accept` header of each request it served.
struct Shortener {
    port: u16,
    accepts: Arc<Mutex<Vec<String>>>,
}

impl Shortener {
    fn start(long_url: String, json: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepts = Arc::new(Mutex::new(Vec::new()));
        let seen = accepts.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut accept = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("accept:") {
                        accept = value.trim().to_string();
                    }
                }
                let path = request_line.split_whitespace().nth(1).unwrap_or("/");
                if path.starts_with("/r") || path.starts_with("/j") || path.starts_with("/h") {
                    seen.lock().unwrap().push(accept);
                }
                let response = match path {
                    p if p.starts_with("/r") => format!(
                        "HTTP/1.1 302 Found\r\nLocation: {long_url}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    ),
                    p if p.starts_with("/j") => format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                        json.len()
                    ),
                    p if p.starts_with("/h") => {
                        let page = "<html><body>Open this in your wallet app</body></html>";
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                            page.len()
                        )
                    }
                    // Anything else (akrida's reachability probe of the endpoint, say).
                    _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_string(),
                };
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Self { port, accepts }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn run_with_invitation(url: &str) -> Output {
    common::akrida()
        .args(common::words("run mediator-ping -u 2 -r 2 -t 6s --json"))
        .env("MEDIATION_URL", url)
        .env("LOCUST_MIN_WAIT", "0.5")
        .env("LOCUST_MAX_WAIT", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("akrida runs")
}

#[test]
#[ignore = "live"]
fn short_links_by_redirect_or_json_onboard_and_a_web_page_is_refused() {
    testbed::ensure(&["mediator"]);
    let long_url = testbed::run(&["invite", "mediator"]);
    let created: serde_json::Value =
        serde_json::from_str(&testbed::run(&["invite", "mediator", "--json"])).unwrap();
    let json = created["invitation"].to_string();
    assert!(json.starts_with('{'), "{created}");
    let shortener = Shortener::start(long_url.trim().to_string(), json);

    for (path, how) in [("/r/abc", "redirect"), ("/j/abc", "JSON body")] {
        let output = run_with_invitation(&shortener.url(path));
        let report = parse_json(&output);
        let startup = entry(&report, "startup");
        assert_eq!(startup["num_requests"], 2, "{how}: {report:#}");
        assert_eq!(startup["num_failures"], 0, "{how}: {report:#}");
        assert!(
            entry(&report, "ping_mediator")["num_requests"]
                .as_u64()
                .unwrap()
                > 0,
            "{how}"
        );
    }
    let accepts = shortener.accepts.lock().unwrap().clone();
    assert!(
        accepts.iter().all(|a| a.contains("application/json")),
        "short links are fetched with Accept: application/json: {accepts:?}"
    );

    let started = std::time::Instant::now();
    let output = run_with_invitation(&shortener.url("/h/abc"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("short link") && stderr.contains("text/html"),
        "{stderr}"
    );
    assert!(started.elapsed().as_secs() < 6, "stopped before any load");
}
