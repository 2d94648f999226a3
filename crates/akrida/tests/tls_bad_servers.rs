//! A server that speaks TLS at first (so the run passes its preflight) and then, on later
//! connections, hangs up half way through the handshake or answers garbage instead of TLS.
//! Each such request must be a counted failure with its cause in words; the run ends on time
//! and writes its report, without a hang or a panic.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{CertificateParams, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Starts the server on its own runtime; returns its port and the CA (its self-signed
/// certificate) as `server.pem` in the scratch directory, to pass to --ca-cert.
fn start_server() -> (u16, testbed::ScratchDir) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let dir = testbed::scratch_dir("tls-bad-servers");
    std::fs::write(dir.join("server.pem"), cert.pem()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let served = Arc::new(AtomicUsize::new(0));
            while let Ok((mut tcp, _)) = listener.accept().await {
                let n = served.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let mut hello = [0u8; 2048];
                    match n {
                        // The preflight's probe: a real TLS server saying it is alive.
                        0 => {
                            let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                            let _ = tls.read(&mut hello).await;
                            let body = br#"{"alive": true}"#;
                            let head = format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                body.len()
                            );
                            let _ = tls.write_all(head.as_bytes()).await;
                            let _ = tls.write_all(body).await;
                            let _ = tls.shutdown().await;
                        }
                        // Then: the start of a handshake record, and gone.
                        n if n % 2 == 1 => {
                            let _ = tcp.read(&mut hello).await;
                            let _ = tcp.write_all(&[0x16, 0x03, 0x03, 0x00, 0x40, 0x02]).await;
                        }
                        // Or bytes that are not TLS at all.
                        _ => {
                            let _ = tcp.read(&mut hello).await;
                            let _ = tcp.write_all(&[0x6e; 300]).await;
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                });
            }
        });
    });
    (port, dir)
}

#[test]
fn tls_that_breaks_during_a_run_is_a_counted_failure_with_its_cause() {
    let (port, dir) = start_server();
    let pem = dir.join("server.pem");
    let started = Instant::now();
    let output = common::akrida()
        .args([
            "run", "liveness", "-u", "2", "-r", "2", "-t", "4s", "--json",
        ])
        .args(["--min-wait", "0.1", "--max-wait", "0.2", "--timeout", "5"])
        .arg("--ca-cert")
        .arg(&pem)
        .env("ISSUER_URL", format!("https://localhost:{port}"))
        .output()
        .expect("akrida runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(started.elapsed() < Duration::from_secs(30), "no hang");
    assert_eq!(output.status.code(), Some(1), "failures, exit 1: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("the report is written ({e}): {stderr}"));
    assert!(
        report["total"]["num_failures"].as_u64().unwrap() > 2,
        "{report:#}"
    );
    let causes: Vec<String> = report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["error"].as_str().unwrap_or_default().to_string())
        .collect();
    let has = |words: &str| causes.iter().any(|c| c.contains(words));
    assert!(
        has("closed the connection during the TLS handshake"),
        "{causes:#?}"
    );
    assert!(has("did not answer in TLS"), "{causes:#?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
