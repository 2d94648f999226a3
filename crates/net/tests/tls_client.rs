//! The TLS client side against small TLS servers made here (rustls, certificates from rcgen):
//! trust decisions and their sentences, per-holder session resumption, and servers that do not
//! speak TLS or stop half way. nginx-fronted ACA-Py agents are tested in the akrida crate.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use net::{Trust, TrustSettings};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::HandshakeKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TIMEOUT: Duration = Duration::from_secs(10);

/// A private CA and what it signs.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        Self {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap(),
        }
    }

    /// A server certificate for `names`, valid from `from` to `until` (years).
    fn server(&self, names: &[&str], years: (i32, i32)) -> (CertificateDer<'static>, KeyPair) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.not_before = rcgen::date_time_ymd(years.0, 1, 1);
        params.not_after = rcgen::date_time_ymd(years.1, 1, 1);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.der().clone(), key)
    }

    /// The CA certificate in a PEM file, as an operator would pass to --ca-cert: the test's
    /// scratch directory `name` (keep it while the file is read) and the file's path in it.
    fn pem_file(&self, name: &str) -> (testbed::ScratchDir, PathBuf) {
        let dir = testbed::scratch_dir(&format!("net-{name}"));
        let path = dir.join("ca.pem");
        std::fs::write(&path, self.issuer.pem()).unwrap();
        (dir, path)
    }
}

/// Handshakes a test server completed, by kind.
#[derive(Default)]
struct Handshakes {
    full: AtomicUsize,
    resumed: AtomicUsize,
}

/// An HTTPS server on 127.0.0.1 answering `200 ok` and closing after each request (so every
/// request needs a new connection and shows whether its handshake was resumed).
async fn https_server(cert: CertificateDer<'static>, key: KeyPair) -> (u16, Arc<Handshakes>) {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handshakes = Arc::new(Handshakes::default());
    let counts = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let counts = counts.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                match tls.get_ref().1.handshake_kind() {
                    Some(HandshakeKind::Resumed) => counts.resumed.fetch_add(1, Ordering::SeqCst),
                    _ => counts.full.fetch_add(1, Ordering::SeqCst),
                };
                let mut buf = vec![0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, handshakes)
}

fn trust(ca_files: Vec<PathBuf>, insecure: bool) -> Trust {
    Trust::new(&TrustSettings { ca_files, insecure }).unwrap()
}

async fn probe(port: u16, trust: &Trust) -> Result<(), net::ProbeError> {
    net::probe(&format!("https://localhost:{port}/"), trust, TIMEOUT).await
}

#[tokio::test]
async fn a_private_ca_is_refused_until_it_is_added_or_verification_is_off() {
    let ca = Ca::new();
    let (cert, key) = ca.server(&["localhost"], (2020, 2090));
    let (port, _) = https_server(cert, key).await;

    let refused = probe(port, &trust(vec![], false)).await.unwrap_err();
    assert!(refused.to_string().contains("unknown issuer"), "{refused}");
    assert!(
        matches!(refused, net::ProbeError::UntrustedCertificate(_)),
        "told apart, so the caller can say what fixes it: {refused}"
    );

    let (_dir, pem) = ca.pem_file("added");
    let with_ca = trust(vec![pem], false);
    assert!(!with_ca.is_insecure());
    probe(port, &with_ca).await.unwrap();

    let insecure = trust(vec![], true);
    assert!(insecure.is_insecure());
    probe(port, &insecure).await.unwrap();
}

#[tokio::test]
async fn expired_and_wrong_host_certificates_are_named() {
    let ca = Ca::new();
    let (_dir, pem) = ca.pem_file("names");
    let trusted = trust(vec![pem], false);

    let (cert, key) = ca.server(&["localhost"], (2019, 2020));
    let (expired, _) = https_server(cert, key).await;
    let said = probe(expired, &trusted).await.unwrap_err().to_string();
    assert!(said.contains("has expired"), "{said}");

    let (cert, key) = ca.server(&["wrong-host.akrida.test"], (2020, 2090));
    let (wrong_host, _) = https_server(cert, key).await;
    let said = probe(wrong_host, &trusted).await.unwrap_err().to_string();
    assert!(
        said.contains("not valid for the host name localhost")
            && said.contains("wrong-host.akrida.test"),
        "{said}"
    );
}

#[tokio::test]
async fn a_bad_ca_file_is_a_setup_error_naming_it() {
    let dir = testbed::scratch_dir("net-empty");
    let path = dir.join("empty.pem");
    std::fs::write(&path, "not a certificate\n").unwrap();
    let error = Trust::new(&TrustSettings {
        ca_files: vec![path.clone()],
        insecure: false,
    })
    .unwrap_err()
    .to_string();
    assert!(
        error.contains(&path.display().to_string()) && error.contains("no PEM certificate"),
        "{error}"
    );

    let missing = PathBuf::from("/nonexistent/akrida-ca.pem");
    let error = Trust::new(&TrustSettings {
        ca_files: vec![missing],
        insecure: false,
    })
    .unwrap_err()
    .to_string();
    assert!(error.contains("cannot read"), "{error}");
}

#[tokio::test]
async fn each_holder_resumes_only_its_own_sessions() {
    let ca = Ca::new();
    let (cert, key) = ca.server(&["localhost", "127.0.0.1"], (2020, 2090));
    let (port, handshakes) = https_server(cert, key).await;
    let (_dir, pem) = ca.pem_file("resume");
    let trust = trust(vec![pem], false);
    let url = format!("https://localhost:{port}/");

    let alice = net::holder_http_client(trust.client_config(), TIMEOUT).unwrap();
    let bob = net::holder_http_client(trust.client_config(), TIMEOUT).unwrap();
    for _ in 0..3 {
        let body = alice.get(&url).send().await.unwrap().text().await.unwrap();
        assert_eq!(body, "ok");
    }
    bob.get(&url).send().await.unwrap().text().await.unwrap();

    // Alice: one full handshake, then two resumptions (the server closes after each request).
    // Bob holds none of Alice's tickets: a full handshake of his own.
    assert_eq!(handshakes.full.load(Ordering::SeqCst), 2);
    assert_eq!(handshakes.resumed.load(Ordering::SeqCst), 2);
}

/// A server on 127.0.0.1 that does `behave` with each connection instead of TLS.
async fn misbehaving_server<F, Fut>(behave: F) -> u16
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(behave(tcp));
        }
    });
    port
}

#[tokio::test]
async fn servers_that_do_not_speak_tls_fail_with_a_cause_and_never_hang() {
    let trust = trust(vec![], false);
    let plain_http = misbehaving_server(|mut tcp| async move {
        let mut buf = [0u8; 1024];
        let _ = tcp.read(&mut buf).await;
        let _ = tcp
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await;
    })
    .await;
    let half_way = misbehaving_server(|mut tcp| async move {
        // Reads the ClientHello, answers the start of a TLS record, then hangs up.
        let mut buf = [0u8; 1024];
        let _ = tcp.read(&mut buf).await;
        let _ = tcp.write_all(&[0x16, 0x03, 0x03, 0x00, 0x40, 0x02]).await;
    })
    .await;
    let garbage = misbehaving_server(|mut tcp| async move {
        let _ = tcp.write_all(&[0xde; 512]).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    })
    .await;

    let said = probe(plain_http, &trust).await.unwrap_err().to_string();
    assert!(said.contains("did not answer in TLS"), "{said}");
    let said = probe(half_way, &trust).await.unwrap_err().to_string();
    assert!(
        said.contains("closed the connection during the TLS handshake"),
        "{said}"
    );
    let said = probe(garbage, &trust).await.unwrap_err().to_string();
    assert!(said.contains("did not answer in TLS"), "{said}");

    // The same through a holder's own client, as during a run: an error with a cause.
    let holder = net::holder_http_client(trust.client_config(), TIMEOUT).unwrap();
    let error = holder
        .post(format!("https://localhost:{half_way}/"))
        .body("x")
        .send()
        .await
        .unwrap_err();
    let said = net::explain(&error);
    assert!(said.contains("TLS handshake"), "{said}");
    // And a WebSocket to a server speaking no TLS.
    let connector = tokio_tungstenite::Connector::Rustls(trust.shared_config());
    let error = tokio_tungstenite::connect_async_tls_with_config(
        format!("wss://localhost:{garbage}/"),
        None,
        false,
        Some(connector),
    )
    .await
    .unwrap_err();
    let said = net::explain(&error);
    assert!(said.contains("did not answer in TLS"), "{said}");
}
