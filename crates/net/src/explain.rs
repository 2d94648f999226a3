//! Connection failures in words an operator understands: "its TLS certificate has expired",
//! "connection refused". The words name the problem, not the connection (no local ports, no
//! connection numbers), so that a thousand holders failing for one reason make one row of the
//! failure table.

use std::error::Error;

use rustls::CertificateError;

/// The cause of a failed connection or request: the first cause in `error`'s chain that akrida
/// recognises (TLS, refused, reset, name resolution), else the whole chain as text.
pub fn explain(error: &(dyn Error + 'static)) -> String {
    let mut cause: Option<&(dyn Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(words) = recognise(current) {
            return words;
        }
        cause = current.source();
    }
    chain_text(error)
}

/// Whether `error`'s chain holds a server certificate that no trusted CA signed: the one failure
/// the operator fixes on akrida's side (by trusting that CA), so callers add how.
pub fn is_unknown_issuer(error: &(dyn Error + 'static)) -> bool {
    let mut cause: Option<&(dyn Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(tls) = tls_error(current) {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
            );
        }
        cause = current.source();
    }
    false
}

/// The rustls error `error` is or carries (TLS streams wrap it in io errors, at times twice).
fn tls_error<'e>(error: &'e (dyn Error + 'static)) -> Option<&'e rustls::Error> {
    if let Some(tls) = error.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner = error.downcast_ref::<std::io::Error>()?.get_ref()?;
    tls_error(inner)
}

/// An error and all its causes, joined by ": ". Libraries' outermost messages ("error sending
/// request") seldom say what an operator needs ("connection refused"); the chain does.
pub fn chain_text(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        // Some errors repeat their cause in their own message; say it once.
        if !text.ends_with(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

fn recognise(error: &(dyn Error + 'static)) -> Option<String> {
    if let Some(tls) = error.downcast_ref::<rustls::Error>() {
        return Some(explain_tls(tls));
    }
    let io = error.downcast_ref::<std::io::Error>()?;
    // TLS streams report TLS failures as io errors that carry the rustls error inside, at times
    // in another io error; `source()` of an io error skips what it carries, so look inside.
    if let Some(inner) = io.get_ref() {
        if let Some(words) = recognise(inner) {
            return Some(words);
        }
    }
    let said = io.to_string();
    use std::io::ErrorKind::*;
    Some(match io.kind() {
        ConnectionRefused => "connection refused (nothing listens at that address)".into(),
        ConnectionReset => "the server reset the connection".into(),
        ConnectionAborted => "the connection was aborted".into(),
        TimedOut => "the connection timed out".into(),
        UnexpectedEof if said.contains("tls handshake") => {
            "the server closed the connection during the TLS handshake".into()
        }
        UnexpectedEof => "the server closed the connection before answering".into(),
        _ if said.contains("failed to lookup address") || said.contains("Name or service") => {
            "the host name could not be resolved (DNS)".into()
        }
        _ => return None,
    })
}

/// A rustls error as a sentence about the server ("its TLS certificate …").
pub fn explain_tls(error: &rustls::Error) -> String {
    use rustls::Error::*;
    match error {
        InvalidCertificate(cert) => explain_certificate(cert),
        AlertReceived(alert) => format!("the server refused the TLS handshake (alert: {alert:?})"),
        InvalidMessage(_) | InappropriateMessage { .. } | InappropriateHandshakeMessage { .. } => {
            "the server did not answer in TLS (a plain HTTP port? then use http:// or ws://)".into()
        }
        PeerIncompatible(why) => {
            format!("the server has no TLS version or cipher suite in common with akrida ({why:?})")
        }
        PeerMisbehaved(why) => format!("the server broke the TLS protocol ({why:?})"),
        NoCertificatesPresented => "the server presented no TLS certificate".into(),
        DecryptError => "a TLS record from the server could not be decrypted".into(),
        other => format!("TLS failed: {other}"),
    }
}

fn explain_certificate(error: &CertificateError) -> String {
    use CertificateError::*;
    match error {
        UnknownIssuer => {
            "its TLS certificate is not signed by a CA akrida trusts (unknown issuer)".into()
        }
        Expired | ExpiredContext { .. } => "its TLS certificate has expired".into(),
        NotValidYet | NotValidYetContext { .. } => {
            "its TLS certificate is not valid yet (is a clock wrong?)".into()
        }
        NotValidForName => "its TLS certificate is not valid for this host name".into(),
        NotValidForNameContext {
            expected,
            presented,
        } => format!(
            "its TLS certificate is not valid for the host name {} (it is for {})",
            expected.to_str(),
            if presented.is_empty() {
                "no name".to_string()
            } else {
                presented.join(", ")
            }
        ),
        Revoked => "its TLS certificate has been revoked".into(),
        BadSignature => "its TLS certificate's signature is not valid".into(),
        other => format!("its TLS certificate was rejected: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(Box<dyn Error + Send + Sync>);
    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("error sending request")
        }
    }
    impl Error for Wrapper {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&*self.0)
        }
    }

    #[test]
    fn a_tls_error_inside_an_io_error_is_found_down_the_chain() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        let wrapped = Wrapper(Box::new(io));
        let words = explain(&wrapped);
        assert!(words.contains("unknown issuer"), "{words}");
        assert!(
            is_unknown_issuer(&wrapped),
            "told apart, so the caller can say what fixes it"
        );
    }

    #[test]
    fn refused_and_unknown_errors() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(explain(&Wrapper(Box::new(refused))).starts_with("connection refused"));
        let odd = std::io::Error::other("something odd");
        assert_eq!(
            explain(&Wrapper(Box::new(odd))),
            "error sending request: something odd"
        );
    }
}
