//! Which servers akrida trusts, built once per process: the platform's roots (or
//! `SSL_CERT_FILE` / `SSL_CERT_DIR` in their place, as OpenSSL, curl and Python read them), plus
//! the private CAs an operator names, or no verification at all for a staging system.
//!
//! Every TLS client of the process derives from the one [`Trust`]: admin API clients share its
//! configuration; each holder takes [`Trust::client_config`], a copy with a session cache of
//! its own, so a holder resumes only its own TLS sessions, as a phone does.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientSessionMemoryCache, Resumption};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// TLS sessions one client remembers for resumption. A holder talks to a mediator and maybe an
/// issuer and a verifier: a few servers, each kept once (TLS 1.3 tickets are single use, so a
/// server's next ticket replaces the last).
const SESSIONS_PER_CLIENT: usize = 4;

/// What the operator asked for: CA files to trust, or no verification at all.
#[derive(Debug, Clone, Default)]
pub struct TrustSettings {
    /// PEM files of CAs to trust besides the platform's roots.
    pub ca_files: Vec<PathBuf>,
    /// Accept any certificate (staging systems with self-signed certificates).
    pub insecure: bool,
}

/// A trust setting that cannot be used; the message names the file or variable and the
/// problem. A CA file's errors start with its path: the caller says which setting named it.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("TLS setup: {0}")]
    Setup(rustls::Error),
    /// `SSL_CERT_FILE` / `SSL_CERT_DIR` set, and the certificates there cannot be loaded.
    #[error("{variables}: cannot load certificates: {cause}")]
    PlatformRoots { variables: String, cause: String },
    /// A CA file of [`TrustSettings::ca_files`] that cannot be used.
    #[error("{}: {problem}", path.display())]
    CaFile { path: PathBuf, problem: String },
}

impl TrustError {
    /// The CA file the error is about, if it is about one.
    pub fn ca_file(&self) -> Option<&Path> {
        match self {
            TrustError::CaFile { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// The built trust of the process. Cloning is cheap (an `Arc`).
#[derive(Clone, Debug)]
pub struct Trust {
    config: Arc<ClientConfig>,
    insecure: bool,
    roots: String,
}

impl Trust {
    /// Builds the trust from the settings and the environment (`SSL_CERT_FILE`, `SSL_CERT_DIR`).
    pub fn new(settings: &TrustSettings) -> Result<Self, TrustError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(TrustError::Setup)?;
        let (mut config, roots) = if settings.insecure {
            let verifier = Arc::new(AcceptAnyCertificate(provider));
            let config = builder
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth();
            (config, "none: certificates are not verified".to_string())
        } else {
            let (store, roots) = root_store(&settings.ca_files)?;
            (
                builder.with_root_certificates(store).with_no_client_auth(),
                roots,
            )
        };
        // Holders speak HTTP/1.1 (DIDComm POSTs and the WebSocket upgrade), as wallets do.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            config: Arc::new(config),
            insecure: settings.insecure,
            roots,
        })
    }

    /// The platform's trust with no extra CA, built once per process. For tests and tools
    /// that take no TLS settings; a missing `SSL_CERT_FILE` there leaves the platform's roots
    /// out rather than failing (setup errors belong to [`Trust::new`]).
    pub fn platform() -> Self {
        static PLATFORM: OnceLock<Trust> = OnceLock::new();
        PLATFORM
            .get_or_init(|| Trust::new(&TrustSettings::default()).unwrap_or_else(|_| empty_trust()))
            .clone()
    }

    /// Whether certificates go unverified (the settings' `insecure`).
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }

    /// What is trusted, in words, for the caller's settings and reports.
    pub fn describe(&self) -> &str {
        &self.roots
    }

    /// The configuration shared by clients that stand for akrida itself (admin API calls,
    /// preflight probes): one session cache for all of them.
    pub fn shared_config(&self) -> Arc<ClientConfig> {
        self.config.clone()
    }

    /// A configuration for one client of its own (a holder): the same trust, and a session
    /// cache nobody else uses, so its reconnects resume its own TLS sessions.
    pub fn client_config(&self) -> ClientConfig {
        let mut config = (*self.config).clone();
        config.resumption =
            Resumption::store(Arc::new(ClientSessionMemoryCache::new(SESSIONS_PER_CLIENT)));
        config
    }
}

/// A trust with no root at all: every verified handshake fails with "unknown issuer", which
/// says exactly what is wrong. Only reached when even an empty default cannot be built.
fn empty_trust() -> Trust {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::DEFAULT_VERSIONS)
        .expect("ring supports the default TLS versions")
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth();
    Trust {
        config: Arc::new(config),
        insecure: false,
        roots: "no roots".into(),
    }
}

/// The platform's roots (as `SSL_CERT_FILE` / `SSL_CERT_DIR` redirect them) plus `ca_files`,
/// with a description of what was loaded.
fn root_store(ca_files: &[PathBuf]) -> Result<(RootCertStore, String), TrustError> {
    let mut store = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let redirected = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .into_iter()
        .filter(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
        .collect::<Vec<_>>();
    // A variable the operator set and we could not read is their mistake to hear about; a
    // platform directory we could not read is not (a container may have none).
    if !redirected.is_empty() {
        if let Some(error) = native.errors.first() {
            return Err(TrustError::PlatformRoots {
                variables: redirected.join(" / "),
                cause: error.to_string(),
            });
        }
    }
    let (platform_added, _) = store.add_parsable_certificates(native.certs);
    let mut described = if redirected.is_empty() {
        format!("{platform_added} platform roots")
    } else {
        format!("{platform_added} roots from {}", redirected.join(" and "))
    };
    for path in ca_files {
        let added = add_ca_file(&mut store, path)?;
        described.push_str(&format!(" + {added} from {}", path.display()));
    }
    Ok((store, described))
}

/// Adds every certificate of a PEM file; a file that cannot be read or holds none is an error.
fn add_ca_file(store: &mut RootCertStore, path: &Path) -> Result<usize, TrustError> {
    let problem = |problem: String| TrustError::CaFile {
        path: path.to_path_buf(),
        problem,
    };
    let iter =
        CertificateDer::pem_file_iter(path).map_err(|e| problem(format!("cannot read it: {e}")))?;
    let mut added = 0;
    for cert in iter {
        let cert = cert.map_err(|e| problem(format!("not a PEM certificate: {e}")))?;
        store
            .add(cert)
            .map_err(|e| problem(format!("unusable certificate: {e}")))?;
        added += 1;
    }
    if added == 0 {
        return Err(problem(
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(added)
}

/// No verification: any certificate is taken for the server's. The handshake's signatures are
/// still checked, so a connection is only ever with whoever holds the certificate's key.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
