//! Invitation parsing: what a holder is handed to connect to a mediator, issuer or verifier.
//!
//! Accepted forms (surrounding whitespace is ignored):
//! - an URL with `?oob=` (RFC 0434 out-of-band 1.0 / 1.1), `?c_i=` (RFC 0160 connections 1.0), or
//!   `?d_m=` (a connectionless message; accepted when it carries one of those invitations);
//! - the invitation JSON itself.
//!
//! The query value is base64 of the invitation JSON. ACA-Py writes urlsafe base64 with `=`
//! padding, others standard or unpadded, and some percent-encode it; all of that is read. Message
//! types may use the current `https://didcomm.org/` prefix or the old
//! `did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/` one.
//!
//! The result keeps services as given: inline ones are checked here (keys parsed), DID services
//! are resolved only when asked ([`Invitation::inline_or_peer_service`]), because only `did:peer`
//! can be resolved without I/O.

use serde_json::{Map, Value};
use thiserror::Error;

use crate::b64;
use crate::did_peer::{self, PeerDidError};
use crate::keys::{KeyError, VerKey};

/// The two spellings of the DIDComm message type prefix.
const PREFIXES: [&str; 2] = [
    "https://didcomm.org/",
    "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/",
];
/// The query parameters that carry an invitation, in the order we look for them.
const PARAMS: [&str; 3] = ["oob", "c_i", "d_m"];

/// What can be wrong with an invitation. Every message says what and where.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum InvitationError {
    #[error("invitation {text:?} is neither an URL nor JSON")]
    NotUrlNorJson { text: String },
    #[error(
        "invitation URL {url:?} has no oob, c_i or d_m parameter (short links that must be \
         fetched first are not supported)"
    )]
    NoInvitationParameter { url: String },
    #[error("invitation parameter {param:?} is not base64: {reason}")]
    BadBase64 { param: String, reason: String },
    #[error("{origin} is not a JSON object: {reason}")]
    NotJson { origin: String, reason: String },
    #[error("invitation has no @type")]
    MissingType,
    #[error("invitation @type {0:?} is neither out-of-band/1.x/invitation nor connections/1.0/invitation")]
    UnknownType(String),
    #[error("invitation has no @id (it becomes ~thread.pthid of the reply)")]
    MissingId,
    #[error("invitation field {field} should be {expected}")]
    WrongShape {
        field: String,
        expected: &'static str,
    },
    #[error("invitation has no services")]
    NoServices,
    #[error("invitation {service} has no recipientKeys")]
    NoRecipientKeys { service: String },
    #[error("invitation {field}: {source}")]
    BadKey { field: String, source: KeyError },
    #[error("invitation {service} has no serviceEndpoint")]
    NoEndpoint { service: String },
    #[error("invitation service {did:?} cannot be resolved without I/O (only did:peer:2 and long-form did:peer:4 can)")]
    UnresolvableDid { did: String },
    #[error("invitation service: {0}")]
    PeerDid(#[from] PeerDidError),
    #[error(
        "invitation offers handshake protocols {offered:?}, none of which we speak ({supported:?})"
    )]
    NoCommonHandshake {
        offered: Vec<String>,
        supported: Vec<String>,
    },
}

/// Which invitation message this was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationKind {
    /// `out-of-band/1.{minor}/invitation`.
    OutOfBand { minor: u8 },
    /// `connections/1.0/invitation`.
    Connections,
}

/// A handshake protocol an out-of-band invitation offers, in the inviter's order of preference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HandshakeProtocol {
    DidExchange10,
    DidExchange11,
    Connections10,
    /// Anything else, kept as written.
    Other(String),
}

impl HandshakeProtocol {
    /// Reads a protocol URI such as `https://didcomm.org/didexchange/1.1` (either prefix).
    pub fn parse(uri: &str) -> Self {
        match strip_prefix(uri).trim_end_matches('/') {
            "didexchange/1.0" => Self::DidExchange10,
            "didexchange/1.1" => Self::DidExchange11,
            "connections/1.0" => Self::Connections10,
            _ => Self::Other(uri.to_string()),
        }
    }

    /// The URI to write in a reply or a log.
    pub fn uri(&self) -> &str {
        match self {
            Self::DidExchange10 => "https://didcomm.org/didexchange/1.0",
            Self::DidExchange11 => "https://didcomm.org/didexchange/1.1",
            Self::Connections10 => "https://didcomm.org/connections/1.0",
            Self::Other(uri) => uri,
        }
    }
}

/// A parsed invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// `@id`: the reply's `~thread.pthid`.
    pub id: String,
    pub kind: InvitationKind,
    pub label: Option<String>,
    /// As offered; a connections invitation implies `[Connections10]`.
    pub handshake_protocols: Vec<HandshakeProtocol>,
    /// Never empty.
    pub services: Vec<Service>,
    /// The whole invitation JSON, for fields we do not model (`accept`, `requests~attach`, …).
    pub raw: Value,
}

/// One way to reach the inviter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Service {
    /// Keys and endpoint written in the invitation.
    Inline(InlineService),
    /// A DID whose document says how to reach the inviter.
    Did(String),
}

/// Where to send the first message, and to which keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineService {
    /// Never empty.
    pub recipient_keys: Vec<VerKey>,
    /// Mediators to wrap forwards for, outermost last (as RFC 0067 lists them).
    pub routing_keys: Vec<VerKey>,
    pub endpoint: String,
}

impl Invitation {
    /// The first service a DIDComm v1 holder can use: an inline one, or a `did:peer:2` /
    /// long-form `did:peer:4` resolved offline. When none is usable, the error of the first
    /// service says why (e.g. a `did:sov` DID that needs a ledger).
    pub fn inline_or_peer_service(&self) -> Result<InlineService, InvitationError> {
        let mut first_error = None;
        for service in &self.services {
            let result = match service {
                Service::Inline(inline) => Ok(inline.clone()),
                Service::Did(did) => resolve_did_service(did),
            };
            match result {
                Ok(inline) => return Ok(inline),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or(InvitationError::NoServices))
    }

    /// The first handshake protocol, in the inviter's order of preference, that is also in
    /// `supported`. Errors when the invitation offers none of them (or none at all, as a
    /// connectionless out-of-band invitation does).
    pub fn choose_handshake(
        &self,
        supported: &[HandshakeProtocol],
    ) -> Result<HandshakeProtocol, InvitationError> {
        self.handshake_protocols
            .iter()
            .find(|p| supported.contains(p))
            .cloned()
            .ok_or_else(|| InvitationError::NoCommonHandshake {
                offered: self
                    .handshake_protocols
                    .iter()
                    .map(|p| p.uri().to_string())
                    .collect(),
                supported: supported.iter().map(|p| p.uri().to_string()).collect(),
            })
    }
}

fn resolve_did_service(did: &str) -> Result<InlineService, InvitationError> {
    if !did_peer::is_resolvable_peer_did(did) {
        return Err(InvitationError::UnresolvableDid { did: did.into() });
    }
    let doc = did_peer::parse(did)?;
    let service = doc.didcomm_v1_service()?;
    Ok(InlineService {
        recipient_keys: service.recipient_keys.clone(),
        routing_keys: service.resolve_routing_keys()?,
        endpoint: service.endpoint.clone(),
    })
}

/// Parses an invitation URL or invitation JSON. See the module documentation for the forms.
pub fn parse_invitation(text: &str) -> Result<Invitation, InvitationError> {
    let text = text.trim();
    if text.starts_with('{') {
        let value = parse_json(text.as_bytes(), "the invitation text")?;
        return from_json(value);
    }
    let (param, encoded) = find_parameter(text)?;
    let bytes = b64::decode_any(encoded.trim()).map_err(|e| InvitationError::BadBase64 {
        param: param.into(),
        reason: e.to_string(),
    })?;
    let value = parse_json(&bytes, &format!("the decoded {param:?} parameter"))?;
    from_json(value)
}

/// Whether `url` carries an invitation in it (`oob=`, `c_i=` or `d_m=`, in the query or in a
/// fragment's query). A URL without one may be a short link (RFC 0434) that its server expands.
pub fn has_invitation_parameter(url: &str) -> bool {
    find_parameter(url.trim()).is_ok()
}

/// Finds the invitation parameter of an URL and returns it, percent-decoded.
fn find_parameter(text: &str) -> Result<(&'static str, String), InvitationError> {
    // A whole URL that was percent-encoded once more (`https%3A%2F%2F…`, as when it was itself a
    // query value) is decoded once; no more, so that crafted input cannot make us loop.
    let url = url::Url::parse(text)
        .or_else(|e| match text.contains('%') {
            true => url::Url::parse(&percent_decode(text)),
            false => Err(e),
        })
        .map_err(|_| InvitationError::NotUrlNorJson {
            text: shorten(text),
        })?;
    // The query, and the query of a fragment (`https://wallet.example/#/invite?oob=…`, as
    // single-page web wallets write it).
    let fragment_query = url
        .fragment()
        .and_then(|f| f.split_once('?'))
        .map(|(_, q)| q);
    let queries = [url.query(), fragment_query];
    for wanted in PARAMS {
        for pair in queries.iter().flatten().flat_map(|q| q.split('&')) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if percent_decode(name) == wanted {
                // Not form-decoding: a `+` of standard base64 must stay a `+`.
                return Ok((wanted, percent_decode(value)));
            }
        }
    }
    Err(InvitationError::NoInvitationParameter { url: shorten(text) })
}

/// Decodes `%XX` escapes; anything malformed is kept as written (base64 decoding reports it).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first 80 characters, for error messages about text that may be huge.
fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(80).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

fn parse_json(bytes: &[u8], origin: &str) -> Result<Value, InvitationError> {
    let not_json = |reason: String| InvitationError::NotJson {
        origin: origin.into(),
        reason,
    };
    match serde_json::from_slice(bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(not_json("it is JSON but not an object".into())),
        Err(e) => Err(not_json(e.to_string())),
    }
}

fn strip_prefix(uri: &str) -> &str {
    PREFIXES
        .iter()
        .find_map(|p| uri.strip_prefix(p))
        .unwrap_or(uri)
}

/// `out-of-band/1.x/invitation` or `connections/1.0/invitation`, either prefix.
fn classify(message_type: &str) -> Result<InvitationKind, InvitationError> {
    let unknown = || InvitationError::UnknownType(message_type.into());
    match strip_prefix(message_type).split('/').collect::<Vec<_>>()[..] {
        ["out-of-band", version, "invitation"] => {
            let minor = version.strip_prefix("1.").ok_or_else(unknown)?;
            Ok(InvitationKind::OutOfBand {
                minor: minor.parse().map_err(|_| unknown())?,
            })
        }
        ["connections", "1.0", "invitation"] => Ok(InvitationKind::Connections),
        _ => Err(unknown()),
    }
}

fn from_json(raw: Value) -> Result<Invitation, InvitationError> {
    let map = raw
        .as_object()
        .expect("parse_json invariant: only objects are returned");
    let message_type = map
        .get("@type")
        .and_then(Value::as_str)
        .ok_or(InvitationError::MissingType)?;
    let kind = classify(message_type)?;
    let id = match map.get("@id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        _ => return Err(InvitationError::MissingId),
    };
    let label = optional_string(map, "label")?;

    let (handshake_protocols, services) = match kind {
        InvitationKind::OutOfBand { .. } => {
            let protocols = string_list(map, "handshake_protocols", "handshake_protocols")?
                .iter()
                .map(|p| HandshakeProtocol::parse(p))
                .collect();
            let services = match map.get("services") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| oob_service(item, &format!("services[{i}]")))
                    .collect::<Result<_, _>>()?,
                Some(_) => {
                    return Err(InvitationError::WrongShape {
                        field: "services".into(),
                        expected: "a list",
                    })
                }
            };
            (protocols, services)
        }
        // Connections 1.0: one service, inline at the top level or as a public DID.
        InvitationKind::Connections => {
            let service = match optional_string(map, "did")? {
                Some(did) => Service::Did(did),
                None => Service::Inline(inline_service(map, "the connection invitation")?),
            };
            (vec![HandshakeProtocol::Connections10], vec![service])
        }
    };
    if services.is_empty() {
        return Err(InvitationError::NoServices);
    }
    Ok(Invitation {
        id,
        kind,
        label,
        handshake_protocols,
        services,
        raw,
    })
}

/// An out-of-band `services` entry: a DID string or an inline service object.
fn oob_service(item: &Value, place: &str) -> Result<Service, InvitationError> {
    match item {
        Value::String(did) => Ok(Service::Did(did.clone())),
        Value::Object(map) => Ok(Service::Inline(inline_service(map, place)?)),
        _ => Err(InvitationError::WrongShape {
            field: place.into(),
            expected: "a DID string or a service object",
        }),
    }
}

/// Reads `recipientKeys`, `routingKeys` and `serviceEndpoint` of `map`; `place` names it in
/// errors (`services[0]`, `the connection invitation`).
fn inline_service(map: &Map<String, Value>, place: &str) -> Result<InlineService, InvitationError> {
    let field = |name: &str| {
        if place.starts_with("services") {
            format!("{place}.{name}")
        } else {
            name.to_string()
        }
    };
    let parse_keys = |name: &str, keys: Vec<String>| -> Result<Vec<VerKey>, InvitationError> {
        keys.iter()
            .enumerate()
            .map(|(i, key)| {
                VerKey::parse(key).map_err(|source| InvitationError::BadKey {
                    field: format!("{}[{i}]", field(name)),
                    source,
                })
            })
            .collect()
    };

    let recipient_keys = string_list(map, "recipientKeys", &field("recipientKeys"))?;
    if recipient_keys.is_empty() {
        return Err(InvitationError::NoRecipientKeys {
            service: place.into(),
        });
    }
    let recipient_keys = parse_keys("recipientKeys", recipient_keys)?;
    let mut routing = string_list(map, "routingKeys", &field("routingKeys"))?;

    // A string, or DIDComm v2 style an object `{uri, routingKeys, accept}`.
    let no_endpoint = || InvitationError::NoEndpoint {
        service: place.into(),
    };
    let endpoint = match map.get("serviceEndpoint") {
        Some(Value::String(uri)) => uri.clone(),
        Some(Value::Object(inner)) => {
            routing.extend(string_list(
                inner,
                "routingKeys",
                &field("serviceEndpoint.routingKeys"),
            )?);
            inner
                .get("uri")
                .and_then(Value::as_str)
                .ok_or_else(no_endpoint)?
                .to_string()
        }
        _ => return Err(no_endpoint()),
    };
    if endpoint.trim().is_empty() {
        return Err(no_endpoint());
    }
    Ok(InlineService {
        recipient_keys,
        routing_keys: parse_keys("routingKeys", routing)?,
        endpoint,
    })
}

fn optional_string(
    map: &Map<String, Value>,
    name: &str,
) -> Result<Option<String>, InvitationError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(InvitationError::WrongShape {
            field: name.into(),
            expected: "a string",
        }),
    }
}

/// A list of strings; absent or null reads as empty. `field` names it in errors.
fn string_list(
    map: &Map<String, Value>,
    name: &str,
    field: &str,
) -> Result<Vec<String>, InvitationError> {
    let wrong = || InvitationError::WrongShape {
        field: field.into(),
        expected: "a list of strings",
    };
    match map.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(String::from).ok_or_else(wrong))
            .collect(),
        Some(_) => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_uris_in_both_prefixes() {
        assert_eq!(
            HandshakeProtocol::parse("https://didcomm.org/didexchange/1.1"),
            HandshakeProtocol::DidExchange11
        );
        assert_eq!(
            HandshakeProtocol::parse("did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/connections/1.0"),
            HandshakeProtocol::Connections10
        );
        assert_eq!(
            HandshakeProtocol::parse("https://didcomm.org/didexchange/2.0"),
            HandshakeProtocol::Other("https://didcomm.org/didexchange/2.0".into())
        );
    }

    #[test]
    fn message_types() {
        assert_eq!(
            classify("https://didcomm.org/out-of-band/1.0/invitation"),
            Ok(InvitationKind::OutOfBand { minor: 0 })
        );
        assert_eq!(
            classify("did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/out-of-band/1.1/invitation"),
            Ok(InvitationKind::OutOfBand { minor: 1 })
        );
        assert!(classify("https://didcomm.org/out-of-band/2.0/invitation").is_err());
        assert!(classify("https://didcomm.org/out-of-band/1.x/invitation").is_err());
    }

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%3Db%2"), "a=b%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%"), "%");
    }
}
