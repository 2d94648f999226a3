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
//! One module per numalgo (`peer1`, `peer2`, `peer4`), each with its encoding, over the
//! reading of any DID document (`document`) and of the keys in it (`keys`). This module
//! holds what they all share: the error, the document as read, and [`parse`], which picks the
//! numalgo.

mod document;
mod keys;
mod peer1;
mod peer2;
mod peer4;

use thiserror::Error;

use crate::keys::{KeyError, VerKey};
use peer2::parse_peer2;
use peer4::parse_peer4;

pub use document::read_document;
pub use peer1::{create_peer1, peer1_did};
pub use peer2::create_peer2;

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

/// The short form (`did:peer:4{hash}`) of a long-form did:peer:4; `None` if `did` is not one.
/// ACA-Py records connections under the short form once the exchange completes.
pub fn peer4_short_form(did: &str) -> Option<&str> {
    let rest = did.strip_prefix("did:peer:4")?;
    let colon = rest.find(':')?;
    Some(&did[..did.len() - rest.len() + colon])
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

#[cfg(test)]
mod tests {
    use super::*;

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
