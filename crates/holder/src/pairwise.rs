//! An established pairwise connection (our key and DID, the peer's DID and services) and the
//! packing of a message for it: authcrypt for the peer's recipient keys, then one forward layer
//! per routing key.
//!
//! It sits below every transport and protocol module: the WebSocket reader packs the
//! acknowledgements of pushed deliveries with it, `outbound` sends what it packs, and the
//! handshake in `connection` makes one. So it must not depend on `ws`, `outbound`, `inbox`,
//! `connection` or any protocol module; only on `error` and the `didcomm` crate.

use std::sync::{Arc, OnceLock};

use didcomm::diddoc::DidCommService;
use didcomm::forward::wrap_for_routing;
use didcomm::invitation::HandshakeProtocol;
use didcomm::{KeyPair, PairKey, VerKey};
use serde_json::Value;

use crate::error::HolderError;

/// The endpoint we advertise in our DID document. A holder with no endpoint of its own (the
/// mobile-wallet case) says `didcomm:transport/queue` and relies on return routes.
#[derive(Debug, Clone)]
pub struct OurEndpoint {
    pub endpoint: String,
    pub routing_keys: Vec<VerKey>,
}

impl OurEndpoint {
    pub fn return_route_only() -> Self {
        Self {
            endpoint: "didcomm:transport/queue".into(),
            routing_keys: Vec::new(),
        }
    }
}

/// An established pairwise connection.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Our key for this connection.
    pub my_key: KeyPair,
    /// The DID we gave the peer: did:peer:1 (DID Exchange 1.0), did:peer:2 (1.1), or
    /// unqualified (connections 1.0).
    pub my_did: String,
    pub their_did: String,
    /// Every DIDComm service the peer's document lists, in its order.
    pub their_services: Vec<DidCommService>,
    pub protocol: HandshakeProtocol,
    /// The crypto_box key of (our key, the peer's key), made on the first message we pack.
    pub pair: PairSlot,
}

/// A [`PairKey`] computed once and shared by the clones of a connection.
#[derive(Debug, Clone, Default)]
pub struct PairSlot(Arc<OnceLock<PairKey>>);

impl Connection {
    /// The service to send to: the first one the peer lists.
    pub fn their_service(&self) -> &DidCommService {
        &self.their_services[0]
    }

    /// The peer's first WebSocket endpoint, if it offers one.
    pub fn their_ws_service(&self) -> Option<&DidCommService> {
        self.their_services
            .iter()
            .find(|s| s.endpoint.starts_with("ws://") || s.endpoint.starts_with("wss://"))
    }

    /// Packs `message` from our key for the peer's service. A service with one recipient key
    /// (the usual case) reuses the pair's crypto_box key.
    pub fn pack(&self, message: &Value) -> Result<Vec<u8>, HolderError> {
        let service = self.their_service();
        match service.recipient_keys.as_slice() {
            [theirs] => {
                let pair = self
                    .pair
                    .0
                    .get_or_init(|| PairKey::new(&self.my_key, theirs));
                if pair.theirs() == *theirs && pair.ours() == self.my_key.verkey() {
                    return pack_for_pair(message, &self.my_key, pair, service);
                }
                pack_for_service(message, &self.my_key, service)
            }
            _ => pack_for_service(message, &self.my_key, service),
        }
    }
}

/// Packs `message` from `sender` for `service`, wrapped for its routing keys.
pub fn pack_for_service(
    message: &Value,
    sender: &KeyPair,
    service: &DidCommService,
) -> Result<Vec<u8>, HolderError> {
    let plaintext = serde_json::to_vec(message).expect("a serde_json::Value always serialises");
    let packed = didcomm::pack(&plaintext, &service.recipient_keys, Some(sender))?;
    // The forward's `to` names the first recipient key: one key is what a mediator routes on.
    let first_recipient = service
        .recipient_keys
        .first()
        .ok_or_else(|| HolderError::Protocol("peer service has no recipient key".into()))?;
    Ok(wrap_for_routing(
        packed,
        first_recipient,
        &service.routing_keys,
    )?)
}

/// [`pack_for_service`] for a service with one recipient key, whose crypto_box key with ours
/// is already computed (`pair`).
pub fn pack_for_pair(
    message: &Value,
    sender: &KeyPair,
    pair: &didcomm::PairKey,
    service: &DidCommService,
) -> Result<Vec<u8>, HolderError> {
    let plaintext = serde_json::to_vec(message).expect("a serde_json::Value always serialises");
    let packed = didcomm::envelope::pack_for_pair(&plaintext, sender, pair)?;
    Ok(wrap_for_routing(
        packed,
        &pair.theirs(),
        &service.routing_keys,
    )?)
}
