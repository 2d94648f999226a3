//! Server-side tracing: the testbed mediator posts its ACA-Py trace events to akrida's
//! `--trace-listen`, and the report joins them to the `ping_mediator` samples by thread id.
//!
//! ACA-Py refuses to start while its http trace target does not answer (it posts a start-up
//! event and fails on an error), so a stand-in listener holds the port while the mediator
//! restarts with tracing; akrida then takes the port over. The mediator's wallet and
//! invitation survive the restart. At the end (also when the test fails) the mediator is
//! restarted without tracing, so other tests find it as before. Against both ACA-Py releases
//! (each release's own mediator and issuer).

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;

/// Answers 200 to every request until dropped.
struct StandIn {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StandIn {
    fn listen(port: u16) -> StandIn {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("stand-in binds");
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        stream
                            .set_read_timeout(Some(Duration::from_millis(500)))
                            .unwrap();
                        let mut buf = [0u8; 4096];
                        let _ = stream.read(&mut buf);
                        let _ = stream.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        StandIn {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Restarts the named agent without tracing when dropped.
struct UntraceOnDrop(String);

impl Drop for UntraceOnDrop {
    fn drop(&mut self) {
        testbed::run(&["restart", &self.0, "--trace-target", ""]);
    }
}

testbed::each_acapy! {
    #[test]
    #[ignore = "live"]
    fn mediator_trace_events_join_the_ping_samples(acapy) {
        trace_pings_and_messages(acapy);
    }
}

fn trace_pings_and_messages(acapy: testbed::Acapy) {
    let name = acapy.name("mediator");
    let mediator = acapy.ensure(&["mediator"]).agent(&name).clone();
    let port = testbed::free_port();
    let target = format!("http://127.0.0.1:{port}/");
    let restore = UntraceOnDrop(name.clone());
    {
        let _stand_in = StandIn::listen(port);
        testbed::run(&["restart", &name, "--trace-target", &target]);
    }
    let tb = testbed::ensure(&[&name]);
    let traced = tb.agent(&name);
    assert_eq!(traced.trace_target.as_deref(), Some(target.as_str()));

    let dir = output_dir("trace");
    let html = dir.join("report.html");
    let listen = format!("127.0.0.1:{port}");
    let mut args = words("-u 3 -r 3 -t 8s --min-wait 0.2 --max-wait 0.5");
    args.extend(["--trace-listen", &listen, "--html", html.to_str().unwrap()]);
    let child = start_mediator_ping(&mediator, &dir, &args);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report = parse_json(&output);
    let pings = entry(&report, "ping_mediator");
    assert!(pings["num_requests"].as_u64().unwrap() >= 6, "{pings:#}");
    assert_eq!(pings["num_failures"], 0, "{:#}", report["failures"]);

    let trace = &report["trace"];
    assert!(
        trace["counts"]["received"].as_u64().unwrap() > 0,
        "{trace:#}"
    );
    assert!(trace["counts"]["joined"].as_u64().unwrap() > 0, "{trace:#}");
    assert_eq!(trace["counts"]["rejected"], 0, "{trace:#}");
    // Rows from the mediator's own events, told apart by its --trace-label, joined by thread id.
    let hops = trace["hops"].as_array().unwrap();
    let dispatch = hops
        .iter()
        .find(|h| h["label"] == traced.label.as_str() && h["step"] == "Dispatcher.handle_message")
        .unwrap_or_else(|| panic!("no dispatcher row for {}: {trace:#}", traced.label));
    assert!(dispatch["joined"].as_u64().unwrap() > 0, "{dispatch:#}");
    assert!(dispatch["timed"].as_u64().unwrap() > 0, "{dispatch:#}");
    let ping_row = common::find(&trace["samples"], "name", "ping_mediator")
        .unwrap_or_else(|| panic!("no ping_mediator row: {trace:#}"));
    let joined = ping_row["joined"].as_u64().unwrap();
    assert!(joined > 0, "{ping_row:#}");
    assert_eq!(ping_row["samples"], pings["num_requests"], "{ping_row:#}");
    let inside = ping_row["inside_ms_by_label"][traced.label.as_str()].as_f64();
    assert!(inside.is_some(), "{ping_row:#}");
    assert!(
        ping_row["mean_total_ms"].as_f64().unwrap() >= ping_row["mean_inside_ms"].as_f64().unwrap(),
        "{ping_row:#}"
    );
    // Shown with --nocapture: the tables as an operator sees them.
    let tables = stderr
        .split_once("Server trace events:")
        .map_or("", |(_, t)| t);
    eprintln!("Server trace events:{tables}");
    // The table is printed with the summary too.
    assert!(stderr.contains("Server trace events:"), "{stderr}");
    // And the HTML report has the tables, after the failures and before the parameters.
    let page = std::fs::read_to_string(&html).unwrap();
    for id in ["traces", "trace-samples", "trace-hops"] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id} in the HTML");
    }
    let at = |id: &str| page.find(&format!("id=\"{id}\"")).unwrap();
    assert!(at("failures") < at("traces") && at("traces") < at("parameters"));
    assert!(
        page.contains(&format!(
            "<td class=\"l\">{}</td><td class=\"l\">Dispatcher.handle_message</td>",
            traced.label
        )),
        "the mediator's dispatcher row in the hop table"
    );

    msg_traced_through_issuer_and_mediator(acapy, port, &target, &traced.label);
    drop(restore);
}

/// The issuer traced too: a mediated `msg` run joins both servers' events to `msg_client` by the
/// message's thread id (issuer sends → mediator forwards → holder).
fn msg_traced_through_issuer_and_mediator(
    acapy: testbed::Acapy,
    port: u16,
    target: &str,
    mediator_label: &str,
) {
    let name = acapy.name("issuer");
    acapy.ensure(&["issuer"]);
    let _restore = UntraceOnDrop(name.clone());
    {
        let _stand_in = StandIn::listen(port);
        testbed::run(&["restart", &name, "--trace-target", target]);
    }
    let tb = acapy.ensure(&["mediator", "issuer"]);
    let issuer = tb.agent(&name);
    let mediator = tb.agent(&acapy.name("mediator"));
    assert_eq!(issuer.trace_target.as_deref(), Some(target));
    let listen = format!("127.0.0.1:{port}");
    let output = akrida()
        .args(["run", "msg", "--json", "-u", "2", "-r", "2", "-t", "6s"])
        .args([
            "--min-wait",
            "0.2",
            "--max-wait",
            "0.5",
            "--trace-listen",
            &listen,
        ])
        .env("ISSUER_URL", &issuer.admin_url)
        .env("MEDIATION_URL", mediator.invitation_url.as_deref().unwrap())
        .env("WITH_MEDIATION", "true")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report = parse_json(&output);
    let messages = entry(&report, "msg_client");
    assert!(
        messages["num_requests"].as_u64().unwrap() >= 2,
        "{messages:#}"
    );
    assert_eq!(messages["num_failures"], 0, "{:#}", report["failures"]);
    let trace = &report["trace"];
    assert_eq!(trace["counts"]["rejected"], 0, "{trace:#}");
    let hops = trace["hops"].as_array().unwrap();
    assert!(
        hops.iter()
            .any(|h| h["label"] == issuer.label.as_str() && h["joined"].as_u64().unwrap_or(0) > 0),
        "no joined rows from the issuer: {trace:#}"
    );
    // The mediator only sees the `forward` wrapping each message: its events carry the
    // forward's own thread, which no holder ever sees, so they are received and listed per
    // hop but cannot be joined to a sample by thread id.
    assert!(
        hops.iter()
            .any(|h| h["label"] == mediator_label && h["events"].as_u64().unwrap_or(0) > 0),
        "no rows from the mediator: {trace:#}"
    );
    let row = common::find(&trace["samples"], "name", "msg_client")
        .unwrap_or_else(|| panic!("no msg_client row: {trace:#}"));
    assert!(row["joined"].as_u64().unwrap() > 0, "{row:#}");
    assert!(
        row["inside_ms_by_label"][issuer.label.as_str()]
            .as_f64()
            .is_some(),
        "msg_client has time inside the issuer: {row:#}"
    );
    eprintln!(
        "msg, server trace events:{}",
        stderr
            .split_once("Server trace events:")
            .map_or("", |(_, t)| t)
    );
}
