//! Reading any DID document: did:peer:1 and did:peer:4 documents, the documents attached to
//! DID Exchange 1.0 and connections messages, and the one a did:peer:2 decodes to.
//!
//! Keys and references, in any document ([`read_document`]): verification methods come from
//! `verificationMethod`, the legacy `publicKey` list, or embedded in a relationship, with the key
//! in `publicKeyBase58`, `publicKeyMultibase` (multikey: ed25519-pub / x25519-pub multicodec,
//! base58btc) or `publicKeyJwk` (OKP Ed25519 / X25519). A `recipientKeys` / `routingKeys` entry is
//! a raw base58 verkey, a did:key (with or without fragment), or a DID URL into the document,
//! relative (`#key-1`) or absolute (`did:peer:1zQm…#key-1`). A method whose key we cannot read
//! fails only when something refers to it; a reference that resolves to nothing is an error that
//! names it and says why.
//!
//! For DIDComm v1 the key a message is encrypted to is an Ed25519 key: a service's `recipientKeys`
//! point at one, and a service without usable recipient keys (DIDComm v2 style, or references to
//! the X25519 keys a document lists for keyAgreement) falls back to the document's Ed25519
//! `authentication` keys.
//!
//! It sits above `keys` and below the numalgos (`peer1`, `peer2`, `peer4`), which build on it:
//! it must not depend on them.

use serde_json::{Map, Value};

use super::keys::{read_method, Key, Method};
use super::*;
use crate::did_key;
use crate::keys::VerKey;

/// A JSON array member of the document, or an empty list when absent.
fn list<'a>(
    doc: &'a Map<String, Value>,
    name: &str,
    did: &str,
) -> Result<&'a [Value], PeerDidError> {
    match doc.get(name) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(PeerDidError::BadDocument {
            did: did.into(),
            reason: format!("{name} must be a list"),
        }),
    }
}

/// Reads a whole DID document given as JSON. `did` is the DID it was presented under (the
/// message's `did`, or the document's own `id` when there is none): absolute references whose
/// DID part is `did`, the document's `id` or one of its `alsoKnownAs` resolve into the document.
pub fn read_document(did: &str, doc: &Value) -> Result<PeerDidDoc, PeerDidError> {
    let doc = doc.as_object().ok_or_else(|| PeerDidError::BadDocument {
        did: did.into(),
        reason: "the document is not a JSON object".into(),
    })?;
    read_document_map(did, doc)
}

pub(super) fn read_document_map(
    did: &str,
    doc: &Map<String, Value>,
) -> Result<PeerDidDoc, PeerDidError> {
    let bad = |reason: String| PeerDidError::BadDocument {
        did: did.into(),
        reason,
    };
    // Verification methods live in `verificationMethod`, in the legacy `publicKey` list, or
    // embedded in a relationship.
    let mut methods = Vec::new();
    let mut relationship_refs = |name: &str| -> Result<Vec<String>, PeerDidError> {
        let mut refs = Vec::new();
        for entry in list(doc, name, did)? {
            match entry {
                Value::String(reference) => refs.push(reference.clone()),
                // Legacy Indy documents: `{"type": "Ed25519SignatureAuthentication2018",
                // "publicKey": "did:sov:…#1"}` refers to a `publicKey` entry.
                Value::Object(vm) if vm.get("publicKey").is_some_and(Value::is_string) => {
                    if let Some(Value::String(reference)) = vm.get("publicKey") {
                        refs.push(reference.clone());
                    }
                }
                Value::Object(vm) => {
                    let method = read_method(vm);
                    refs.push(method.id.clone());
                    methods.push(method);
                }
                _ => return Err(bad(format!("{name} holds something other than keys"))),
            }
        }
        Ok(refs)
    };
    let authentication = relationship_refs("authentication")?;
    let agreement = relationship_refs("keyAgreement")?;
    for name in ["verificationMethod", "publicKey"] {
        for vm in list(doc, name, did)? {
            let vm = vm
                .as_object()
                .ok_or_else(|| bad(format!("a {name} entry is not an object")))?;
            methods.push(read_method(vm));
        }
    }
    let mut aliases = vec![did.to_string()];
    if let Some(Value::String(id)) = doc.get("id") {
        aliases.push(id.clone());
    }
    if let Some(Value::Array(others)) = doc.get("alsoKnownAs") {
        aliases.extend(others.iter().filter_map(Value::as_str).map(String::from));
    }
    let refs = Refs {
        did,
        aliases,
        methods,
    };
    let services = list(doc, "service", did)?.to_vec();
    build_doc(&refs, &authentication, &agreement, &services)
}

/// What references resolve against: the document's methods, and the names of the document.
pub(super) struct Refs<'a> {
    /// The DID as given, for error messages.
    pub(super) did: &'a str,
    /// Every name of the document (the DID given, its `id`, its `alsoKnownAs`).
    pub(super) aliases: Vec<String>,
    pub(super) methods: Vec<Method>,
}

impl Refs<'_> {
    fn unknown(&self, reference: &str, reason: impl Into<String>) -> PeerDidError {
        PeerDidError::UnknownKeyRef {
            did: self.did.into(),
            reference: reference.into(),
            reason: reason.into(),
        }
    }

    /// Whether `other` names this document (`did:sov:X` and `X` are one DID; a long-form
    /// did:peer:4 and its short form too).
    fn names_this_document(&self, other: &str) -> bool {
        let norm = |d: &str| -> String {
            let d = d.strip_prefix("did:sov:").unwrap_or(d);
            peer4_short_form(d).unwrap_or(d).to_string()
        };
        let other = norm(other);
        self.aliases.iter().any(|a| norm(a) == other)
    }

    /// Resolves a key reference: a did:key, a raw base58 verkey, or a DID URL into the document
    /// (`#key-1`, `{did}#key-1`, or a legacy `#6Mk…` naming the key by its multibase value).
    fn resolve(&self, reference: &str) -> Result<Key, PeerDidError> {
        if reference.starts_with("did:key:") {
            return did_key::parse(reference)
                .map(Key::Ed25519)
                .map_err(|e| PeerDidError::BadKey {
                    did: self.did.into(),
                    key: reference.into(),
                    reason: e.to_string(),
                });
        }
        let Some((did_part, fragment)) = reference.split_once('#') else {
            if reference.starts_with("did:") {
                return Err(self.unknown(reference, "a DID without a #fragment names no key"));
            }
            // A raw base58 verkey, as legacy documents list recipient keys.
            return VerKey::from_base58(reference)
                .map(Key::Ed25519)
                .map_err(|e| {
                    self.unknown(
                        reference,
                        format!("neither a DID URL nor a base58 key ({e})"),
                    )
                });
        };
        if fragment.is_empty() {
            return Err(self.unknown(reference, "the #fragment is empty"));
        }
        let into_this = did_part.is_empty() || self.names_this_document(did_part);
        let method = self.methods.iter().find(|m| {
            // A method whose id is absolute matches an absolute reference exactly.
            if m.id == reference {
                return true;
            }
            if !into_this {
                return false;
            }
            let (method_did, own) = m.id.rsplit_once('#').unwrap_or(("", &m.id));
            let same_document = method_did.is_empty() || self.names_this_document(method_did);
            (same_document && own == fragment)
                || m.multibase
                    .as_deref()
                    .is_some_and(|mb| mb == fragment || mb.strip_prefix('z') == Some(fragment))
        });
        match method {
            Some(m) => m.key.clone().map_err(|reason| PeerDidError::BadKey {
                did: self.did.into(),
                key: reference.into(),
                reason,
            }),
            None if into_this => Err(self.unknown(
                reference,
                format!(
                    "no verification method of the document has the id #{fragment} (it has: {})",
                    self.method_ids()
                ),
            )),
            None => Err(self.unknown(
                reference,
                format!("it points into another DID ({did_part}), not into this document"),
            )),
        }
    }

    fn method_ids(&self) -> String {
        match self.methods.is_empty() {
            true => "none".into(),
            false => self
                .methods
                .iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

pub(super) fn build_doc(
    refs: &Refs<'_>,
    authentication_refs: &[String],
    agreement_refs: &[String],
    raw_services: &[Value],
) -> Result<PeerDidDoc, PeerDidError> {
    let mut authentication = Vec::new();
    for reference in authentication_refs {
        // An X25519 key cannot authenticate; ignore it rather than fail the whole document.
        if let Key::Ed25519(key) = refs.resolve(reference)? {
            authentication.push(key);
        }
    }
    let mut key_agreement = Vec::new();
    for reference in agreement_refs {
        key_agreement.push(match refs.resolve(reference)? {
            Key::X25519(raw) => raw,
            // ACA-Py's did:peer:4 lists its Ed25519 key under keyAgreement too.
            Key::Ed25519(key) => *key.to_x25519().as_bytes(),
        });
    }
    let mut services = Vec::new();
    for raw in raw_services {
        if let Some((priority, service)) = read_service(refs, &authentication, raw)? {
            services.push((priority, service));
        }
    }
    // Stable: equal priorities keep document order.
    services.sort_by_key(|(priority, _)| *priority);
    Ok(PeerDidDoc {
        did: refs.did.into(),
        authentication,
        key_agreement,
        services: services.into_iter().map(|(_, s)| s).collect(),
    })
}

/// Reads one service; `Ok(None)` for a service type that is not DIDComm (e.g. `LinkedDomains`).
fn read_service(
    refs: &Refs<'_>,
    authentication: &[VerKey],
    raw: &Value,
) -> Result<Option<(i64, DidService)>, PeerDidError> {
    let did = refs.did;
    let Some(map) = raw.as_object() else {
        return Err(PeerDidError::BadService {
            did: did.into(),
            service: raw.to_string().chars().take(40).collect(),
            reason: "a service must be a JSON object".into(),
        });
    };
    let id = map
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let bad = |reason: &str| PeerDidError::BadService {
        did: did.into(),
        service: id.clone(),
        reason: reason.into(),
    };
    // `type` may be a string or a list of strings.
    let types: Vec<&str> = match map.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return Err(bad("missing type")),
    };
    let Some(service_type) = types
        .into_iter()
        .find(|t| [DIDCOMM_V1, DIDCOMM_V2, INDY_AGENT].contains(t))
    else {
        return Ok(None);
    };

    let mut routing_keys = strings(map.get("routingKeys"))
        .map_err(|_| bad("routingKeys must be a list of strings"))?;
    let mut accept =
        strings(map.get("accept")).map_err(|_| bad("accept must be a list of strings"))?;
    // The endpoint is a string, or (DIDComm v2) an object `{uri, routingKeys, accept}`, or a
    // list of either, of which we take the first.
    let mut endpoint_value = map.get("serviceEndpoint");
    if let Some(Value::Array(items)) = endpoint_value {
        endpoint_value = items.first();
    }
    let endpoint = match endpoint_value {
        Some(Value::String(uri)) => uri.clone(),
        Some(Value::Object(inner)) => {
            routing_keys.extend(
                strings(inner.get("routingKeys"))
                    .map_err(|_| bad("serviceEndpoint.routingKeys must be a list of strings"))?,
            );
            accept.extend(
                strings(inner.get("accept"))
                    .map_err(|_| bad("serviceEndpoint.accept must be a list of strings"))?,
            );
            inner
                .get("uri")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("serviceEndpoint object has no uri"))?
                .to_string()
        }
        _ => return Err(bad("missing serviceEndpoint")),
    };
    if endpoint.is_empty() {
        return Err(bad("serviceEndpoint is empty"));
    }

    let mut recipient_keys = Vec::new();
    for reference in strings(map.get("recipientKeys"))
        .map_err(|_| bad("recipientKeys must be a list of strings"))?
    {
        // A reference to an X25519 key is DIDComm v2 thinking; v1 needs the Ed25519 key.
        if let Key::Ed25519(key) = refs.resolve(&reference)? {
            recipient_keys.push(key);
        }
    }
    // A routing key that points into this document is written back as the did:key it names,
    // which is how the rest of akrida (and ACA-Py) reads routing keys. Keys of other DIDs
    // (DIDComm v2 mediators' peer DIDs) stay as written: see `resolve_routing_keys`.
    let routing_keys = routing_keys
        .into_iter()
        .map(|key| match key.split_once('#') {
            Some((did_part, _)) if did_part.is_empty() || refs.names_this_document(did_part) => {
                match refs.resolve(&key)? {
                    Key::Ed25519(verkey) => Ok(verkey.to_did_key_with_fragment()),
                    Key::X25519(_) => Err(PeerDidError::BadKey {
                        did: did.into(),
                        key,
                        reason: "a routing key must be an Ed25519 key, this one is X25519".into(),
                    }),
                }
            }
            _ => Ok(key),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if recipient_keys.is_empty() {
        recipient_keys = authentication.to_vec();
    }
    let priority = map.get("priority").and_then(Value::as_i64).unwrap_or(0);
    Ok(Some((
        priority,
        DidService {
            id,
            service_type: service_type.into(),
            endpoint,
            routing_keys,
            recipient_keys,
            accept,
        },
    )))
}

/// A list of strings, or an empty list when absent.
fn strings(value: Option<&Value>) -> Result<Vec<String>, ()> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(String::from).ok_or(()))
            .collect(),
        Some(_) => Err(()),
    }
}
