//! The TLS ingress: nginx's fronts present certificates of the testbed CA (or, on purpose, a
//! wrong or expired one), proxy to mediator-tls, and log each request as one JSON line.
//! The client is the `openssl` CLI (a system package of the project), so this crate stays std-only.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `openssl s_client` to `front`, verifying the chain against the testbed CA and the name
/// `localhost`, sending `request`; (exit status was 0, stdout, stderr).
fn s_client(tls: &testbed::Tls, front: &str, request: &str) -> (bool, String, String) {
    let front = tls.front(front);
    let mut child = Command::new("openssl")
        .args(["s_client", "-quiet", "-verify_return_error"])
        .args(["-connect", &front.addr(), "-servername", "localhost"])
        .args(["-verify_hostname", "localhost", "-CAfile"])
        .arg(&tls.ca_cert)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl runs (scripts/install-system-packages installs it)");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(request.as_bytes())
        .expect("request written");
    let out = child.wait_with_output().expect("openssl s_client finishes");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[ignore = "live"]
fn fronts_present_the_testbed_ca_and_log_each_request() {
    let tb = testbed::ensure_tls(&["mediator-tls"]);
    let tls = tb.tls();
    let mediator = tb.agent("mediator-tls");
    assert!(mediator.http_url.starts_with("https://localhost:"));
    assert_eq!(mediator.http_url, tls.front("mediator-tls-https").url);
    assert_eq!(mediator.ws_url, tls.front("mediator-tls-wss").url);
    let invitation = mediator.invitation_url.as_deref().expect("an invitation");
    assert!(invitation.starts_with(&format!("{}?oob=", mediator.http_url)));
    assert!(tls.ca_cert.is_file() && tls.session_ticket_key.is_file());

    // Two requests on one connection to the admin front: readiness, then a path of our own
    // (ACA-Py answers 404) that finds our lines in a log other tests write to as well.
    let probe = format!("/testbed-probe-{}", std::process::id());
    let mark = tls.access_log_mark();
    let (ok, out, err) = s_client(
        tls,
        "mediator-tls-admin",
        &format!(
            "GET /status/ready HTTP/1.1\r\nHost: localhost\r\n\r\n\
             GET {probe}?q=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        ),
    );
    assert!(ok, "s_client failed: {err}");
    assert!(out.contains(r#"{"ready": true}"#), "{out}");

    let deadline = Instant::now() + Duration::from_secs(5);
    let ours = loop {
        let entries = tls.access_log_since(mark);
        let probe_line = entries.iter().find(|e| e.uri == probe).cloned();
        if let Some(probe_line) = probe_line {
            let same_connection: Vec<_> = entries
                .into_iter()
                .filter(|e| e.connection_id() == probe_line.connection_id())
                .collect();
            break same_connection;
        }
        assert!(Instant::now() < deadline, "no access-log line for {probe}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(ours.len(), 2, "{ours:?}");
    let (ready, probe_line) = (&ours[0], &ours[1]);
    assert_eq!(ready.uri, "/status/ready");
    assert_eq!((ready.status, ready.connection_requests), (200, 1));
    assert_eq!(
        (probe_line.status, probe_line.connection_requests),
        (404, 2)
    );
    assert_eq!(probe_line.upstream_status, "404");
    assert_eq!(ready.server_port, tls.front("mediator-tls-admin").port);
    assert!(ready.ssl_protocol.starts_with("TLSv1."), "{ready:?}");
    assert_eq!(ready.ssl_server_name, "localhost");

    // The trust failures: each says why.
    let (ok, _, err) = s_client(tls, "wrong-host", "");
    assert!(!ok && err.contains("hostname mismatch"), "{err}");
    let (ok, _, err) = s_client(tls, "expired", "");
    assert!(!ok && err.contains("certificate has expired"), "{err}");
}
