//! `did:peer:1` (create, and read with its attached document), `did:peer:2` (create and resolve)
//! and `did:peer:4` (resolve the long form), offline; and the DID-document reading they share,
//! which also serves the documents attached to DID Exchange 1.0 and connections messages.
//!
//! Why we need them: an ACA-Py invitation made with `use_did_method` carries a peer DID instead of
//! an inline service, and DID Exchange 1.1 wants our side to present a resolvable DID too. Both
//! methods carry their whole DID document inside the DID, so resolving is pure decoding.
//! DID Exchange 1.0 carries the document beside the DID (`did_doc~attach`); current wallets
//! (Credo since 0.4) name it with a `did:peer:1`, the hash of that genesis document.
//!
//! - `did:peer:1zQm…` — `z` + base58btc(multihash sha2-256 of the document without its `id`).
//!   It names the attached document; it cannot be resolved without it.
//! - `did:peer:2.Vz6Mk….Ez6LS….SeyJ…` — one `.`-separated element per key (purpose code + multibase
//!   multikey) or service (`S` + base64url of abbreviated JSON). Keys get the ids `#key-1`,
//!   `#key-2`, … in order of appearance; services without an id get `#service`, `#service-1`, …
//!   (what the `did-peer-2` library used by ACA-Py 0.12 does). Older agents name keys by their
//!   multibase value without the `z` (`#6MkqRY…`); references of that form resolve too.
//! - `did:peer:4{hash}:{doc}` — `doc` is `z` + base58btc(multicodec json 0x0200 ‖ JSON input
//!   document), `hash` is `z` + base58btc(multihash sha2-256 of the `doc` string). The short form
//!   `did:peer:4{hash}` is only a name: it cannot be resolved without having seen the long form.
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

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::b64;
use crate::did_key;
use crate::keys::{KeyError, VerKey};

/// Multicodec varint prefixes (https://github.com/multiformats/multicodec).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
const X25519_PUB: [u8; 2] = [0xec, 0x01];
/// `json` (0x0200) as a varint.
const MULTICODEC_JSON: [u8; 2] = [0x80, 0x04];
/// Multihash header of a 32-byte sha2-256 digest.
const MULTIHASH_SHA256: [u8; 2] = [0x12, 0x20];

/// Service types a DIDComm v1 holder can talk to, in the order we prefer them.
pub const DIDCOMM_V1: &str = "did-communication";
pub const DIDCOMM_V2: &str = "DIDCommMessaging";
const INDY_AGENT: &str = "IndyAgent";

/// What can be wrong with a peer DID someone gave us. Every variant names the DID.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PeerDidError {
    #[error("{did:?} is not a did:peer")]
    NotPeerDid { did: String },
    #[error("{did:?}: did:peer numalgo {numalgo:?} is not supported (only 1 with its document, 2 and 4)")]
    UnsupportedNumalgo { did: String, numalgo: String },
    #[error(
        "{did:?} is a did:peer:1: it names its genesis document without containing it, so it \
         cannot be resolved without that document attached"
    )]
    Peer1WithoutDocument { did: String },
    #[error("{did:?}: element {element:?} is malformed: {reason}")]
    BadElement {
        did: String,
        element: String,
        reason: String,
    },
    #[error("{did:?}: key {key:?} is unusable: {reason}")]
    BadKey {
        did: String,
        key: String,
        reason: String,
    },
    #[error("{did:?}: service {service:?} is malformed: {reason}")]
    BadService {
        did: String,
        service: String,
        reason: String,
    },
    #[error("{did:?}: key reference {reference:?} cannot be resolved: {reason}")]
    UnknownKeyRef {
        did: String,
        reference: String,
        reason: String,
    },
    #[error(
        "{did:?} is a short-form did:peer:4: it names a document without containing it, so it \
         cannot be resolved offline (ask for the long form did:peer:4…:z…)"
    )]
    Peer4ShortForm { did: String },
    #[error("{did:?}: the hash {in_did:?} does not match the encoded document (its hash is {computed:?})")]
    Peer4HashMismatch {
        did: String,
        in_did: String,
        computed: String,
    },
    #[error("{did:?}: the encoded document is malformed: {reason}")]
    BadDocument { did: String, reason: String },
    #[error("{did:?} has no DIDComm service we can use (did-communication, IndyAgent, or DIDCommMessaging accepting rfc19 envelopes)")]
    NoDidcommService { did: String },
    #[error("routing key {key:?}: {source}")]
    RoutingKey { key: String, source: KeyError },
}

/// The parts of a resolved peer DID document a DIDComm v1 holder uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerDidDoc {
    /// The DID as given (for did:peer:4, the long form).
    pub did: String,
    /// Ed25519 keys of the `authentication` relationship, in document order.
    pub authentication: Vec<VerKey>,
    /// X25519 keys of the `keyAgreement` relationship (an Ed25519 key listed there is converted).
    pub key_agreement: Vec<[u8; 32]>,
    /// DIDComm services (other service types, e.g. `LinkedDomains`, are left out), stable-sorted
    /// by their `priority` as ACA-Py does.
    pub services: Vec<DidService>,
}

/// One DIDComm service of a peer DID document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidService {
    pub id: String,
    /// `did-communication`, `DIDCommMessaging` or `IndyAgent`.
    pub service_type: String,
    pub endpoint: String,
    /// As written (usually `did:key:z…#z…`), except references into the document, which are
    /// replaced by the did:key they name; see [`DidService::resolve_routing_keys`].
    pub routing_keys: Vec<String>,
    /// The Ed25519 keys to encrypt to, references already resolved against the document.
    pub recipient_keys: Vec<VerKey>,
    pub accept: Vec<String>,
}

impl DidService {
    /// Reads the routing keys as verkeys. They may be raw base58, `did:key:z…` or
    /// `did:key:z…#frag`; a DIDComm v2 routing key that is a peer DID URL is not supported.
    pub fn resolve_routing_keys(&self) -> Result<Vec<VerKey>, PeerDidError> {
        self.routing_keys
            .iter()
            .map(|key| {
                VerKey::parse(key).map_err(|source| PeerDidError::RoutingKey {
                    key: key.clone(),
                    source,
                })
            })
            .collect()
    }

    /// Whether a DIDComm v1 holder can use this service: v1 types always; `DIDCommMessaging`
    /// only when it declares no `accept` list or accepts RFC 0019 envelopes.
    pub fn speaks_didcomm_v1(&self) -> bool {
        match self.service_type.as_str() {
            DIDCOMM_V1 | INDY_AGENT => true,
            DIDCOMM_V2 => {
                self.accept.is_empty()
                    || self
                        .accept
                        .iter()
                        .any(|a| a == "didcomm/aip1" || a.contains("env=rfc19"))
            }
            _ => false,
        }
    }
}

impl PeerDidDoc {
    /// The first service a DIDComm v1 holder can send to (preferring `did-communication`), with
    /// recipient keys present.
    pub fn didcomm_v1_service(&self) -> Result<&DidService, PeerDidError> {
        let usable = |s: &&DidService| s.speaks_didcomm_v1() && !s.recipient_keys.is_empty();
        self.services
            .iter()
            .filter(usable)
            .find(|s| s.service_type == DIDCOMM_V1)
            .or_else(|| self.services.iter().find(usable))
            .ok_or_else(|| PeerDidError::NoDidcommService {
                did: self.did.clone(),
            })
    }
}

/// Whether `did` names a method this module resolves from the DID alone (`did:peer:2…` or
/// `did:peer:4…`; a `did:peer:1` needs its document).
pub fn is_resolvable_peer_did(did: &str) -> bool {
    did.starts_with("did:peer:2") || did.starts_with("did:peer:4")
}

/// Resolves a `did:peer:2` or a long-form `did:peer:4`.
pub fn parse(did: &str) -> Result<PeerDidDoc, PeerDidError> {
    let rest = did
        .strip_prefix("did:peer:")
        .ok_or_else(|| PeerDidError::NotPeerDid { did: did.into() })?;
    match rest.chars().next() {
        Some('1') => Err(PeerDidError::Peer1WithoutDocument { did: did.into() }),
        Some('2') => parse_peer2(did),
        Some('4') => parse_peer4(did),
        other => Err(PeerDidError::UnsupportedNumalgo {
            did: did.into(),
            numalgo: other.map(String::from).unwrap_or_default(),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// did:peer:1

/// Builds our own `did:peer:1` and its genesis document for DID Exchange 1.0, as a Credo wallet
/// does (`createPeerDidDocumentFromServices`, numalgo 1, Credo's default for DID Exchange
/// requests through 0.5): `#key-1` the Ed25519 key embedded in `authentication`, `#key-2` its
/// X25519 form embedded in `keyAgreement`, both with controller `#id`, and one
/// `did-communication` service `#inline-0` with `recipientKeys: ["#key-1"]` and routing keys as
/// `did:key:z…#z…`. The DID is `did:peer:1` + `z` + base58btc(multihash sha2-256 of the
/// document's JSON without `id`). Returns the DID and the document (with its `id`).
pub fn create_peer1(auth: &VerKey, endpoint: &str, routing_keys: &[VerKey]) -> (String, Value) {
    let mut doc = json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "service": [{
            "id": "#inline-0",
            "serviceEndpoint": endpoint,
            "type": DIDCOMM_V1,
            "priority": 0,
            "recipientKeys": ["#key-1"],
            "routingKeys": routing_keys.iter().map(VerKey::to_did_key_with_fragment).collect::<Vec<_>>(),
        }],
        "authentication": [{
            "id": "#key-1",
            "type": "Ed25519VerificationKey2018",
            "controller": "#id",
            "publicKeyBase58": auth.to_base58(),
        }],
        "keyAgreement": [{
            "id": "#key-2",
            "type": "X25519KeyAgreementKey2019",
            "controller": "#id",
            "publicKeyBase58": bs58::encode(auth.to_x25519().as_bytes()).into_string(),
        }],
    });
    let did = peer1_did(&doc);
    doc["id"] = Value::String(did.clone());
    (did, doc)
}

/// The `did:peer:1` of a genesis document: the hash of its JSON without `id`.
pub fn peer1_did(doc: &Value) -> String {
    let mut stored = doc.clone();
    if let Value::Object(map) = &mut stored {
        map.remove("id");
    }
    let mut multihash = MULTIHASH_SHA256.to_vec();
    multihash.extend_from_slice(&Sha256::digest(stored.to_string().as_bytes()));
    format!("did:peer:1z{}", bs58::encode(multihash).into_string())
}

// ---------------------------------------------------------------------------------------------
// did:peer:2

/// Builds our own `did:peer:2` for DID Exchange 1.1:
/// `did:peer:2.V{ed25519}.E{x25519}.S{service}`.
///
/// The shape follows what ACA-Py 0.12 creates itself (`BaseConnectionManager.create_did_peer_2`)
/// and so what its resolver and pydid's strict `DIDCommService` model accept: the Ed25519 key
/// comes first so that it is `#key-1`, the service is `did-communication` with
/// `recipientKeys: ["#key-1"]` and only the fields that model allows. The X25519 `E` key (the
/// same identity, converted) is what Credo and DIDComm v2 tooling look for in `keyAgreement`.
///
/// Routing keys are written as `did:key:z…#z…`: pydid refuses a DID URL without a fragment, and
/// ACA-Py dereferences each routing key as a verification method. A routing key we cannot read
/// as a key is kept verbatim.
pub fn create_peer2(auth: &VerKey, endpoint: &str, routing_keys: &[String]) -> String {
    let ed25519 = did_key::fingerprint(auth);
    let x25519 = multibase_key(&X25519_PUB, auth.to_x25519().as_bytes());
    let routing: Vec<String> = routing_keys
        .iter()
        .map(|k| match VerKey::parse(k) {
            Ok(key) => key.to_did_key_with_fragment(),
            Err(_) => k.clone(),
        })
        .collect();
    // Abbreviated keys (`t`, `s`, `r`) as the spec's "common string abbreviations" require.
    let service = json!({
        "id": "#didcomm-0",
        "t": DIDCOMM_V1,
        "priority": 0,
        "recipientKeys": ["#key-1"],
        "r": routing,
        "s": endpoint,
    });
    let service = b64::encode_url(service.to_string());
    format!("did:peer:2.V{ed25519}.E{x25519}.S{service}")
}

fn parse_peer2(did: &str) -> Result<PeerDidDoc, PeerDidError> {
    let body = did.strip_prefix("did:peer:2").unwrap_or(did);
    let Some(elements) = body.strip_prefix('.') else {
        return Err(PeerDidError::BadElement {
            did: did.into(),
            element: body.chars().take(40).collect(),
            reason: "did:peer:2 must continue with '.' and an element".into(),
        });
    };
    let mut methods = Vec::new();
    let mut authentication = Vec::new();
    let mut agreement_refs = Vec::new();
    let mut raw_services = Vec::new();
    for element in elements.split('.') {
        let mut chars = element.chars();
        let purpose = chars.next();
        let value = chars.as_str();
        match purpose {
            Some('S') => {
                let service = decode_peer2_service(did, value)?;
                match service {
                    // Early numalgo 2 writers put several services in one element as an array.
                    Value::Array(items) => raw_services.extend(items),
                    other => raw_services.push(other),
                }
            }
            Some(code @ ('A' | 'E' | 'V' | 'I' | 'D')) => {
                let key = decode_multikey(value).map_err(|reason| PeerDidError::BadKey {
                    did: did.into(),
                    key: value.into(),
                    reason,
                })?;
                let id = format!("#key-{}", methods.len() + 1);
                match code {
                    'V' => authentication.push(id.clone()),
                    'E' => agreement_refs.push(id.clone()),
                    _ => {}
                }
                methods.push(Method {
                    id,
                    multibase: Some(value.to_string()),
                    key: Ok(key),
                });
            }
            _ => {
                return Err(PeerDidError::BadElement {
                    did: did.into(),
                    element: element.chars().take(40).collect(),
                    reason: "purpose code must be one of A, E, V, I, D, S".into(),
                })
            }
        }
    }
    // Services without an id are named as the did-peer-2 library names them.
    let mut unnamed = 0;
    for service in raw_services.iter_mut() {
        if let Value::Object(map) = service {
            if !map.contains_key("id") {
                let id = match unnamed {
                    0 => "#service".to_string(),
                    n => format!("#service-{n}"),
                };
                map.insert("id".into(), Value::String(id));
                unnamed += 1;
            }
        }
    }
    let refs = Refs {
        did,
        aliases: vec![did.to_string()],
        methods,
    };
    build_doc(&refs, &authentication, &agreement_refs, &raw_services)
}

/// Decodes an `S` element: base64url (padded or not) of abbreviated JSON.
fn decode_peer2_service(did: &str, value: &str) -> Result<Value, PeerDidError> {
    let bad = |reason: String| PeerDidError::BadElement {
        did: did.into(),
        element: format!("S{}", value.chars().take(40).collect::<String>()),
        reason,
    };
    let bytes =
        b64::decode_any(value).map_err(|e| bad(format!("service is not base64url: {e}")))?;
    let json: Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("service is not JSON: {e}")))?;
    Ok(expand_abbreviations(json))
}

/// Undoes the did:peer:2 "common string abbreviations", recursively (a `DIDCommMessaging`
/// endpoint object abbreviates its `routingKeys` and `accept` too).
fn expand_abbreviations(value: Value) -> Value {
    fn expand_key(k: String) -> String {
        match k.as_str() {
            "t" => "type".into(),
            "s" => "serviceEndpoint".into(),
            "r" => "routingKeys".into(),
            "a" => "accept".into(),
            _ => k,
        }
    }
    match value {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .into_iter()
                .map(|(k, v)| (expand_key(k), expand_abbreviations(v)))
                .collect();
            if out.get("type").and_then(Value::as_str) == Some("dm") {
                out.insert("type".into(), Value::String(DIDCOMM_V2.into()));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(expand_abbreviations).collect()),
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// did:peer:4

/// The short form (`did:peer:4{hash}`) of a long-form did:peer:4; `None` if `did` is not one.
/// ACA-Py records connections under the short form once the exchange completes.
pub fn peer4_short_form(did: &str) -> Option<&str> {
    let rest = did.strip_prefix("did:peer:4")?;
    let colon = rest.find(':')?;
    Some(&did[..did.len() - rest.len() + colon])
}

fn parse_peer4(did: &str) -> Result<PeerDidDoc, PeerDidError> {
    let body = did.strip_prefix("did:peer:4").unwrap_or(did);
    let Some((hash, encoded)) = body.split_once(':') else {
        return Err(PeerDidError::Peer4ShortForm { did: did.into() });
    };
    let computed = peer4_hash(encoded);
    if hash != computed {
        return Err(PeerDidError::Peer4HashMismatch {
            did: did.into(),
            in_did: hash.into(),
            computed,
        });
    }
    let bad = |reason: String| PeerDidError::BadDocument {
        did: did.into(),
        reason,
    };
    let b58 = encoded
        .strip_prefix('z')
        .ok_or_else(|| bad("only base58btc multibase ('z') is supported".into()))?;
    let bytes = bs58::decode(b58)
        .into_vec()
        .map_err(|_| bad("not valid base58".into()))?;
    let json = bytes
        .strip_prefix(&MULTICODEC_JSON)
        .ok_or_else(|| bad("the multicodec is not json (0x0200)".into()))?;
    let doc: Value = serde_json::from_slice(json).map_err(|e| bad(format!("not JSON: {e}")))?;
    let doc = doc
        .as_object()
        .ok_or_else(|| bad("the document is not a JSON object".into()))?;
    read_document_map(did, doc)
}

/// `z` + base58btc(multihash sha2-256 of the encoded document string).
fn peer4_hash(encoded: &str) -> String {
    let mut multihash = MULTIHASH_SHA256.to_vec();
    multihash.extend_from_slice(&Sha256::digest(encoded.as_bytes()));
    format!("z{}", bs58::encode(multihash).into_string())
}

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

// ---------------------------------------------------------------------------------------------
// any DID document: did:peer:1 and did:peer:4 documents, documents attached to DID Exchange 1.0
// and connections messages

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

fn read_document_map(did: &str, doc: &Map<String, Value>) -> Result<PeerDidDoc, PeerDidError> {
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

/// Reads one verification method. Its key may be unreadable (another key type, a malformed
/// value): that is an error only for a reference that resolves to it.
///
/// Forms: `publicKeyMultibase` (Multikey, Ed25519VerificationKey2020,
/// X25519KeyAgreementKey2020), `publicKeyBase58` (the 2018/2019 suites; the type tells whether
/// the raw bytes are Ed25519 or X25519), `publicKeyJwk` (JsonWebKey2020: OKP Ed25519 / X25519).
fn read_method(vm: &Map<String, Value>) -> Method {
    let id = vm
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let is_x25519 = vm
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.contains("X25519"));
    if let Some(mb) = vm.get("publicKeyMultibase").and_then(Value::as_str) {
        return Method {
            id,
            multibase: Some(mb.into()),
            key: decode_multikey(mb).map_err(|r| format!("publicKeyMultibase {mb:?}: {r}")),
        };
    }
    let key = if let Some(b58) = vm.get("publicKeyBase58").and_then(Value::as_str) {
        decode_base58_key(b58, is_x25519).map_err(|r| format!("publicKeyBase58 {b58:?}: {r}"))
    } else if let Some(jwk) = vm.get("publicKeyJwk") {
        decode_jwk(jwk).map_err(|r| format!("publicKeyJwk: {r}"))
    } else {
        Err(
            "the verification method has none of publicKeyBase58, publicKeyMultibase, publicKeyJwk"
                .into(),
        )
    };
    Method {
        id,
        multibase: None,
        key,
    }
}

fn decode_base58_key(b58: &str, is_x25519: bool) -> Result<Key, String> {
    if !is_x25519 {
        return VerKey::from_base58(b58)
            .map(Key::Ed25519)
            .map_err(|e| e.to_string());
    }
    let bytes = bs58::decode(b58)
        .into_vec()
        .map_err(|_| "not valid base58".to_string())?;
    let raw: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "an X25519 key has 32 bytes".to_string())?;
    Ok(Key::X25519(raw))
}

/// An OKP JWK: `crv` Ed25519 or X25519, `x` the base64url key.
fn decode_jwk(jwk: &Value) -> Result<Key, String> {
    let kty = jwk.get("kty").and_then(Value::as_str);
    let crv = jwk.get("crv").and_then(Value::as_str);
    if kty != Some("OKP") {
        return Err(format!("kty {kty:?} is not OKP"));
    }
    let raw: [u8; 32] = jwk
        .get("x")
        .and_then(Value::as_str)
        .and_then(|x| b64::decode_any(x).ok())
        .and_then(|x| x.try_into().ok())
        .ok_or("x is not a 32-byte base64url key")?;
    match crv {
        Some("Ed25519") => VerKey::from_bytes(raw)
            .map(Key::Ed25519)
            .map_err(|e| e.to_string()),
        Some("X25519") => Ok(Key::X25519(raw)),
        other => Err(format!("crv {other:?} is neither Ed25519 nor X25519")),
    }
}

// ---------------------------------------------------------------------------------------------
// shared: keys, references, services

#[derive(Debug, Clone, Copy)]
enum Key {
    Ed25519(VerKey),
    X25519([u8; 32]),
}

/// A verification method: its id as written (`#key-1`, or absolute) and its key, or why it
/// cannot be read.
struct Method {
    id: String,
    /// The multibase value, for the legacy `#6Mk…` style of reference.
    multibase: Option<String>,
    key: Result<Key, String>,
}

/// What references resolve against: the document's methods, and the names of the document.
struct Refs<'a> {
    /// The DID as given, for error messages.
    did: &'a str,
    /// Every name of the document (the DID given, its `id`, its `alsoKnownAs`).
    aliases: Vec<String>,
    methods: Vec<Method>,
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

fn multibase_key(codec: &[u8; 2], key: &[u8; 32]) -> String {
    let mut bytes = codec.to_vec();
    bytes.extend_from_slice(key);
    format!("z{}", bs58::encode(bytes).into_string())
}

/// Reads a multibase multikey: `z6Mk…` (Ed25519) or `z6LS…` (X25519).
fn decode_multikey(multibase: &str) -> Result<Key, String> {
    let b58 = multibase
        .strip_prefix('z')
        .ok_or("only base58btc multibase ('z') is supported")?;
    let bytes = bs58::decode(b58)
        .into_vec()
        .map_err(|_| "not valid base58".to_string())?;
    let (codec, raw) = bytes.split_at(bytes.len().min(2));
    let raw: [u8; 32] = raw.try_into().map_err(|_| {
        format!(
            "key has {} bytes after the multicodec, expected 32",
            raw.len()
        )
    })?;
    if codec == ED25519_PUB {
        VerKey::from_bytes(raw)
            .map(Key::Ed25519)
            .map_err(|e| e.to_string())
    } else if codec == X25519_PUB {
        Ok(Key::X25519(raw))
    } else {
        Err(format!(
            "multicodec {codec:02x?} is neither Ed25519 (ed01) nor X25519 (ec01)"
        ))
    }
}

fn build_doc(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPair;

    #[test]
    fn created_peer2_resolves_to_the_same_keys_and_service() {
        let me = KeyPair::generate().verkey();
        let mediator = KeyPair::generate().verkey();
        let did = create_peer2(&me, "ws://localhost:4001", &[mediator.to_base58()]);
        assert!(did.starts_with("did:peer:2.Vz6Mk"), "{did}");
        let doc = parse(&did).unwrap();
        assert_eq!(doc.authentication, vec![me]);
        assert_eq!(doc.key_agreement, vec![*me.to_x25519().as_bytes()]);
        let service = doc.didcomm_v1_service().unwrap();
        assert_eq!(service.service_type, DIDCOMM_V1);
        assert_eq!(service.endpoint, "ws://localhost:4001");
        assert_eq!(service.recipient_keys, vec![me]);
        // Written in the fragment form ACA-Py can dereference.
        assert_eq!(
            service.routing_keys,
            vec![mediator.to_did_key_with_fragment()]
        );
        assert_eq!(service.resolve_routing_keys().unwrap(), vec![mediator]);
    }

    #[test]
    fn peer2_service_uses_only_unpadded_base64url() {
        // ACA-Py's regex for did:peer:2 allows only [A-Za-z0-9_-] in a service element.
        let me = KeyPair::generate().verkey();
        let did = create_peer2(&me, "https://example.org/a?b=c&d=~~~", &[]);
        let service = did.rsplit(".S").next().unwrap();
        assert!(service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn short_form_of_a_long_peer4() {
        assert_eq!(
            peer4_short_form("did:peer:4zQmX:zABC"),
            Some("did:peer:4zQmX")
        );
        assert_eq!(peer4_short_form("did:peer:4zQmX"), None);
        assert_eq!(peer4_short_form("did:peer:2.Vz"), None);
    }

    #[test]
    fn unsupported_numalgo_and_not_peer() {
        assert!(matches!(
            parse("did:peer:1zQmZ"),
            Err(PeerDidError::Peer1WithoutDocument { .. })
        ));
        assert!(matches!(
            parse("did:peer:0z6Mk"),
            Err(PeerDidError::UnsupportedNumalgo { .. })
        ));
        assert!(matches!(
            parse("did:key:z6Mk"),
            Err(PeerDidError::NotPeerDid { .. })
        ));
    }
}
