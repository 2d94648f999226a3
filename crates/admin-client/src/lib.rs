//! HTTP clients for the admin APIs of the servers under test (ACA-Py). Speaks no DIDComm.
//!
//! Every failure names the admin call and what went wrong (status or transport cause), so it can
//! stand as-is in a load report's failure table. Header values (admin keys, bearer tokens) are
//! never part of an error or a `Debug` output.

pub mod acapy;

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AdminError {
    #[error("admin call {call} could not reach the server: {reason}")]
    Unreachable { call: String, reason: String },
    #[error("admin call {call} answered HTTP {status}: {body}")]
    Status {
        call: String,
        status: u16,
        body: String,
    },
    #[error("admin call {call} answered something that is not JSON: {reason}")]
    NotJson { call: String, reason: String },
    #[error("admin call {call}: {problem}")]
    Unexpected { call: String, problem: String },
    #[error("admin header {name:?} is not a valid HTTP header")]
    BadHeader { name: String },
}

/// A client for one agent's admin API.
#[derive(Clone)]
pub struct AdminClient {
    base_url: String,
    headers: HeaderMap,
    http: reqwest::Client,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header names only: their values are secrets.
        let names: Vec<&str> = self.headers.keys().map(|k| k.as_str()).collect();
        write!(f, "AdminClient({}, headers {:?})", self.base_url, names)
    }
}

impl AdminClient {
    /// `headers` are sent on every call (e.g. `Authorization: Bearer …`, `X-API-Key`). An
    /// `https://` server must have a certificate from the platform's roots.
    pub fn new(base_url: &str, headers: &[(String, String)]) -> Result<Self, AdminError> {
        Self::with_trust(base_url, headers, &net::Trust::platform())
    }

    /// [`AdminClient::new`] trusting what `trust` says (private CAs, or no verification).
    pub fn with_trust(
        base_url: &str,
        headers: &[(String, String)],
        trust: &net::Trust,
    ) -> Result<Self, AdminError> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let bad = || AdminError::BadHeader { name: name.clone() };
            let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
            let mut header_value = HeaderValue::from_str(value).map_err(|_| bad())?;
            header_value.set_sensitive(true);
            map.insert(header_name, header_value);
        }
        let http = net::shared_http_client(trust, Duration::from_secs(60)).map_err(|e| {
            AdminError::Unreachable {
                call: "client setup".into(),
                reason: e.to_string(),
            }
        })?;
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            headers: map,
            http,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub async fn get(&self, path: &str) -> Result<Value, AdminError> {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, AdminError> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Value, AdminError> {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }

    /// A client for the same server with one more header on every call, e.g. a tenant's
    /// `Authorization: Bearer <token>` on a multitenant agent's admin API.
    pub fn with_header(&self, name: &str, value: &str) -> Result<Self, AdminError> {
        let bad = || AdminError::BadHeader {
            name: name.to_string(),
        };
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
        let mut header_value = HeaderValue::from_str(value).map_err(|_| bad())?;
        header_value.set_sensitive(true);
        let mut copy = self.clone();
        copy.headers.insert(header_name, header_value);
        Ok(copy)
    }

    pub async fn delete(&self, path: &str) -> Result<Value, AdminError> {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, AdminError> {
        // The call as a report names it: method and path without the query string.
        let call = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .headers(self.headers.clone());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| AdminError::Unreachable {
            call: call.clone(),
            reason: net::explain(&e),
        })?;
        let status = response.status();
        let text = response.text().await.map_err(|e| AdminError::Unreachable {
            call: call.clone(),
            reason: net::explain(&e),
        })?;
        if !status.is_success() {
            return Err(AdminError::Status {
                call,
                status: status.as_u16(),
                body: mask_ids(&text).chars().take(200).collect(),
            });
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| AdminError::NotJson {
            call,
            reason: e.to_string(),
        })
    }

    /// A fresh out-of-band invitation (`multi_use` for a mediator that many holders share).
    pub async fn create_oob_invitation(
        &self,
        handshake_protocols: &[&str],
        multi_use: bool,
    ) -> Result<Value, AdminError> {
        let protocols: Vec<String> = handshake_protocols
            .iter()
            .map(|p| format!("https://didcomm.org/{p}"))
            .collect();
        self.post(
            &format!("/out-of-band/create-invitation?multi_use={multi_use}&auto_accept=true"),
            &serde_json::json!({ "handshake_protocols": protocols }),
        )
        .await
    }

    /// The connection records whose peer DID is `their_did`.
    pub async fn connections_with_their_did(
        &self,
        their_did: &str,
    ) -> Result<Vec<Value>, AdminError> {
        let page = self
            .get(&format!("/connections?their_did={their_did}"))
            .await?;
        results(page, "GET /connections")
    }

    /// Mediation records, optionally for one connection.
    pub async fn mediation_requests(
        &self,
        connection_id: Option<&str>,
    ) -> Result<Vec<Value>, AdminError> {
        let path = match connection_id {
            Some(id) => format!("/mediation/requests?conn_id={id}"),
            None => "/mediation/requests".to_string(),
        };
        let page = self.get(&path).await?;
        results(page, "GET /mediation/requests")
    }
}

fn results(page: Value, call: &str) -> Result<Vec<Value>, AdminError> {
    page.get("results")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| AdminError::Unexpected {
            call: call.to_string(),
            problem: "no results array".into(),
        })
}

/// Reads `ISSUER_HEADERS`-style JSON (`{"Authorization": "Bearer …"}`) into header pairs.
pub fn parse_headers_json(text: &str) -> Result<Vec<(String, String)>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("headers are not a JSON object: {e}"))?;
    let object = value
        .as_object()
        .ok_or_else(|| "headers are not a JSON object".to_string())?;
    object
        .iter()
        .map(|(k, v)| match v.as_str() {
            Some(s) => Ok((k.clone(), s.to_string())),
            None => Err(format!("header {k:?} is not a string")),
        })
        .collect()
}

/// Replaces each UUID in `text` with `<id>`. Servers name the record in their error texts; a
/// load report groups failures by text, and one group per record would bury the cause.
pub fn mask_ids(text: &str) -> String {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let bytes = text.as_bytes();
    let is_uuid_at = |start: usize| {
        let mut at = start;
        for (i, len) in GROUPS.iter().enumerate() {
            if i > 0 {
                if bytes.get(at) != Some(&b'-') {
                    return false;
                }
                at += 1;
            }
            let group = bytes.get(at..at + len);
            if !group.is_some_and(|g| g.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            at += len;
        }
        // Not the middle of a longer hex run.
        !bytes.get(at).is_some_and(u8::is_ascii_hexdigit)
            && (start == 0 || !bytes[start - 1].is_ascii_hexdigit())
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if is_uuid_at(i) {
            out.push_str("<id>");
            i += 36;
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_json_parses_and_rejects() {
        assert_eq!(
            parse_headers_json(r#"{"Authorization":"Bearer x"}"#).unwrap(),
            vec![("Authorization".to_string(), "Bearer x".to_string())]
        );
        assert!(parse_headers_json("[1]").is_err());
        assert!(parse_headers_json(r#"{"a": 1}"#).is_err());
        assert!(parse_headers_json("").unwrap().is_empty());
    }

    #[test]
    fn ids_in_server_errors_are_masked() {
        assert_eq!(
            mask_ids("no record for 174e30a2-20d4-4881-bf53-f368da72ea78. {'id': 'x'}"),
            "no record for <id>. {'id': 'x'}"
        );
        assert_eq!(mask_ids("Ünïcode and no id"), "Ünïcode and no id");
        let longer = "a174e30a2-20d4-4881-bf53-f368da72ea78";
        assert_eq!(mask_ids(longer), longer, "part of a longer run");
    }

    #[test]
    fn debug_hides_header_values() {
        let client = AdminClient::new(
            "http://127.0.0.1:1",
            &[("X-API-Key".into(), "s3cret".into())],
        )
        .unwrap();
        let shown = format!("{client:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("x-api-key"), "{shown}");
    }

    #[tokio::test]
    async fn unreachable_server_names_the_call() {
        // Port 9 (discard) on loopback is closed on this machine: connection refused.
        let client = AdminClient::new("http://127.0.0.1:9", &[]).unwrap();
        let err = client.get("/status?x=1").await.unwrap_err();
        assert!(
            matches!(&err, AdminError::Unreachable { call, .. } if call == "GET /status"),
            "{err}"
        );
    }
}
