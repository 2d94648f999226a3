//! `delivery:` thresholds from the command line, offline: a bad one is a setup error (exit 2),
//! and one that a run cannot meet fails the run with exit 3 — here a run with no delivery
//! accounting at all (liveness against a stand-in on loopback), which must never pass a
//! delivery SLO silently. The live tests of mediator-relay break one on real deliveries.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Output;
use std::thread;

/// A liveness endpoint on 127.0.0.1 that always answers alive.
fn start_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = listener.local_addr().unwrap();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut head = Vec::new();
                let mut buffer = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                let body = r#"{"alive": true}"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    format!("http://{address}")
}

fn liveness(url: &str, thresholds: &[&str]) -> Output {
    let mut command = common::akrida();
    command
        .args([
            "run", "liveness", "--json", "-u", "2", "-r", "2", "-t", "2s",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ISSUER_URL", url)
        .current_dir(common::no_dotenv_dir());
    for threshold in thresholds {
        command.args(["--threshold", threshold]);
    }
    command.output().expect("akrida runs")
}

#[test]
fn a_delivery_threshold_without_deliveries_fails_the_run_with_exit_3() {
    let url = start_server();
    let output = liveness(&url, &["delivery:lost==0", "total:failures==0"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "stderr:\n{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let results = report["thresholds"].as_array().unwrap();
    assert_eq!(results[0]["passed"], false);
    assert!(results[0]["measured"].is_null());
    assert_eq!(results[1]["passed"], true, "'==' works on any figure");
    assert!(stderr.contains("no delivery accounting"), "{stderr}");
}

#[test]
fn an_unknown_delivery_metric_is_a_setup_error() {
    let output = liveness("http://127.0.0.1:9", &["delivery:lots==0"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown delivery metric"), "{stderr}");
}
