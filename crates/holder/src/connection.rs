//! Making a connection as the invitee: DID Exchange 1.0 / 1.1 (RFC 0023) or connections 1.0
//! (RFC 0160), whichever the invitation offers first among those we speak.
//!
//! What each sends (which wallet each imitates, and why: the book's "Wire compatibility"):
//! - DID Exchange 1.0: a `did:peer:1` and its genesis document in a `did_doc~attach` signed by
//!   our key, as Credo wallets send it (ACA-Py 0.12.8 and 1.7.0 accept it too; Credo 0.6 refuses
//!   the unqualified DID older agents sent). The response carries the inviter's DID and either
//!   its document in a `did_doc~attach` (ACA-Py: unqualified DID, legacy document; Credo:
//!   `did:peer:1`, keys referenced as `#key-1`) or, for a DID that holds its document
//!   (did:peer:2 / did:peer:4), a `did_rotate~attach`; both signed by the invitation key.
//! - DID Exchange 1.1: a `did:peer:2` that holds our key and service, no attachment; the response
//!   names the inviter's peer DID in a `did_rotate~attach` signed by the invitation key.
//!
//! Signed attachments come in either JWS JSON serialization (Credo signs once per invitation
//! service, which gives the general one): every signature must verify, one by the invitation key.
//! - connections 1.0: DID and document inline; the response's `connection~sig` is signed by the
//!   invitation key over an 8-byte timestamp followed by the connection JSON.
//!
//! Every request carries `~thread.pthid` = the invitation's `@id` (ACA-Py finds the invitation
//! by it) and asks for a return route, so a holder without an endpoint gets the answer.
//!
//! The connection it makes ([`Connection`]) is `pairwise`'s, so that the transports below this
//! module can pack for it; this module is a protocol on top of `outbound` and `inbox`, and no
//! transport may depend on it.

use std::time::Duration;

use didcomm::attachment::{signed_attachment, verify_signed_attachment};
use didcomm::diddoc::{legacy_doc, parse_doc, unqualified_did, DidCommService};
use didcomm::invitation::HandshakeProtocol;
use didcomm::message::{new_message, set_return_route_all, set_thread, types, Message};

use didcomm::{b64, did_peer, Invitation, KeyPair, VerKey};
use serde_json::{json, Value};

use crate::error::HolderError;
use crate::inbox::Inbox;
use crate::outbound::Channel;
use crate::pairwise::pack_for_service;
pub use crate::pairwise::{Connection, OurEndpoint, PairSlot};

/// connections/1.0 has no `complete` message: the inviter makes the connection active when the
/// first message arrives on it. A trust ping that asks for no reply does that. Nothing to do
/// for DID Exchange, whose `complete` already did.
pub async fn make_active(
    connection: &Connection,
    channel: Channel<'_>,
    inbox: &Inbox,
) -> Result<(), HolderError> {
    if connection.protocol != HandshakeProtocol::Connections10 {
        return Ok(());
    }
    let ping = new_message(types::TRUST_PING, json!({"response_requested": false}));
    channel.send(connection.pack(&ping)?, inbox).await
}

/// The handshake protocol to use: the inviter lists them in its order of preference.
pub fn choose_handshake(invitation: &Invitation) -> Result<HandshakeProtocol, HolderError> {
    invitation
        .handshake_protocols
        .iter()
        .find(|p| {
            matches!(
                p,
                HandshakeProtocol::DidExchange10
                    | HandshakeProtocol::DidExchange11
                    | HandshakeProtocol::Connections10
            )
        })
        .cloned()
        .ok_or_else(|| HolderError::NoCommonHandshake {
            offered: invitation
                .handshake_protocols
                .iter()
                .map(|p| format!("{p:?}"))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Runs the handshake over `channel` and returns the connection once the inviter answered.
pub async fn connect(
    invitation: &Invitation,
    label: &str,
    ours: &OurEndpoint,
    channel: Channel<'_>,
    inbox: &Inbox,
    timeout: Duration,
) -> Result<Connection, HolderError> {
    connect_with_key(
        invitation,
        label,
        ours,
        KeyPair::generate(),
        channel,
        inbox,
        timeout,
    )
    .await
}

/// [`connect`] with a key chosen by the caller: a mediated holder registers the key with its
/// mediator (keylist-update) before the inviter may send to it, then connects with it.
pub async fn connect_with_key(
    invitation: &Invitation,
    label: &str,
    ours: &OurEndpoint,
    my_key: KeyPair,
    channel: Channel<'_>,
    inbox: &Inbox,
    timeout: Duration,
) -> Result<Connection, HolderError> {
    let protocol = choose_handshake(invitation)?;
    let inviter = invitation_service(invitation)?;
    let invitation_key = inviter.recipient_keys[0];
    if inbox.keys().find(&my_key.verkey()).is_none() {
        inbox.keys().add(my_key.clone());
    }

    let (my_did, mut request) = match protocol {
        HandshakeProtocol::DidExchange10 => {
            let (my_did, doc) =
                did_peer::create_peer1(&my_key.verkey(), &ours.endpoint, &ours.routing_keys);
            let doc_bytes =
                serde_json::to_vec(&doc).expect("a serde_json::Value always serialises");
            let request = new_message(
                types::DIDEXCHANGE_10_REQUEST,
                json!({"label": label, "did": my_did, "did_doc~attach": signed_attachment(&doc_bytes, &my_key)}),
            );
            (my_did, request)
        }
        HandshakeProtocol::DidExchange11 => {
            let routing: Vec<String> = ours.routing_keys.iter().map(VerKey::to_did_key).collect();
            let my_did = did_peer::create_peer2(&my_key.verkey(), &ours.endpoint, &routing);
            let request = new_message(
                types::DIDEXCHANGE_11_REQUEST,
                json!({"label": label, "did": my_did}),
            );
            (my_did, request)
        }
        _ => {
            let my_did = unqualified_did(&my_key.verkey());
            let doc = legacy_doc(
                &my_did,
                &my_key.verkey(),
                &ours.endpoint,
                &ours.routing_keys,
            );
            let request = new_message(
                types::CONNECTIONS_REQUEST,
                json!({"label": label, "connection": {"DID": my_did, "DIDDoc": doc}}),
            );
            (my_did, request)
        }
    };
    let request_id = request["@id"].as_str().unwrap_or_default().to_string();
    set_thread(&mut request, &request_id, Some(&invitation.id));
    set_return_route_all(&mut request);

    let reply = inbox.expect_reply(&request_id);
    let envelope = pack_for_service(&request, &my_key, &inviter)?;
    channel.send(envelope, inbox).await?;
    // ACA-Py 1.x removed connections/1.0 yet still offers it in invitations when asked to: it
    // fails to parse the request and its problem report cannot go out, so nothing answers.
    let step = match protocol {
        HandshakeProtocol::Connections10 => {
            "connection response (connections/1.0, which ACA-Py 1.x no longer answers: offer DID Exchange)"
        }
        _ => "connection response",
    };
    let response = reply.wait(step, timeout).await?;

    let (their_did, their_services) = match protocol {
        HandshakeProtocol::Connections10 => read_connections_response(&response, &invitation_key)?,
        _ => read_didexchange_response(&response, &invitation_key)?,
    };
    let connection = Connection {
        pair: PairSlot::default(),
        my_key,
        my_did,
        their_did,
        their_services,
        protocol: protocol.clone(),
    };

    if protocol != HandshakeProtocol::Connections10 {
        // `complete` ends the exchange; without it ACA-Py leaves the connection at "response".
        let complete_type = if protocol == HandshakeProtocol::DidExchange11 {
            types::DIDEXCHANGE_11_COMPLETE
        } else {
            types::DIDEXCHANGE_10_COMPLETE
        };
        let mut complete = new_message(complete_type, json!({}));
        set_thread(&mut complete, &request_id, Some(&invitation.id));
        set_return_route_all(&mut complete);
        channel.send(connection.pack(&complete)?, inbox).await?;
    }
    Ok(connection)
}

/// The inviter's service from the invitation (inline, or a peer DID resolved offline).
fn invitation_service(invitation: &Invitation) -> Result<DidCommService, HolderError> {
    let service = invitation.inline_or_peer_service()?;
    Ok(DidCommService {
        recipient_keys: service.recipient_keys,
        routing_keys: service.routing_keys,
        endpoint: service.endpoint,
    })
}

fn read_didexchange_response(
    response: &Message,
    invitation_key: &VerKey,
) -> Result<(String, Vec<DidCommService>), HolderError> {
    if !response.is("didexchange", "response") {
        return Err(HolderError::UnexpectedReply {
            step: "didexchange response",
            got: response.short_type(),
        });
    }
    let did = response.str_field("did")?.to_string();
    if let Some(attachment) = response.value.get("did_doc~attach") {
        let doc_bytes = verify_signed_attachment(attachment, Some(invitation_key))?.bytes;
        let doc: Value = serde_json::from_slice(&doc_bytes)
            .map_err(|e| HolderError::Protocol(format!("did_doc~attach is not JSON: {e}")))?;
        check_doc_names(&doc, &did)?;
        return Ok((did.clone(), parse_doc(&doc, Some(&did))?));
    }
    if let Some(attachment) = response.value.get("did_rotate~attach") {
        let signed_did = verify_signed_attachment(attachment, Some(invitation_key))?.bytes;
        if signed_did != did.as_bytes() {
            return Err(HolderError::Protocol(format!(
                "did_rotate~attach signs {:?}, response names {did:?}",
                String::from_utf8_lossy(&signed_did)
            )));
        }
    }
    // No document attached: the DID itself must carry it (did:peer:2 / did:peer:4).
    Ok((did.clone(), services_of_peer_did(&did)?))
}

/// An attached document must be the one of the DID the response names (ACA-Py qualifies an
/// unqualified DID as `did:sov:` in its document). A document without an `id` is taken as is.
fn check_doc_names(doc: &Value, did: &str) -> Result<(), HolderError> {
    let Some(id) = doc.get("id").and_then(Value::as_str) else {
        return Ok(());
    };
    let unqualified = |d: &str| d.strip_prefix("did:sov:").unwrap_or(d).to_string();
    if unqualified(id) != unqualified(did) {
        return Err(HolderError::Protocol(format!(
            "did_doc~attach is the document of {id:?}, the response names {did:?}"
        )));
    }
    Ok(())
}

fn services_of_peer_did(did: &str) -> Result<Vec<DidCommService>, HolderError> {
    let doc = did_peer::parse(did).map_err(|e| HolderError::Protocol(format!("peer DID: {e}")))?;
    let services = doc
        .services
        .iter()
        .filter(|s| s.speaks_didcomm_v1() && !s.recipient_keys.is_empty())
        .map(|s| {
            Ok(DidCommService {
                recipient_keys: s.recipient_keys.clone(),
                routing_keys: s
                    .resolve_routing_keys()
                    .map_err(|e| HolderError::Protocol(format!("peer DID: {e}")))?,
                endpoint: s.endpoint.clone(),
            })
        })
        .collect::<Result<Vec<_>, HolderError>>()?;
    if services.is_empty() {
        return Err(HolderError::Protocol(format!(
            "peer DID {did} has no DIDComm v1 service"
        )));
    }
    Ok(services)
}

fn read_connections_response(
    response: &Message,
    invitation_key: &VerKey,
) -> Result<(String, Vec<DidCommService>), HolderError> {
    if !response.is("connections", "response") {
        return Err(HolderError::UnexpectedReply {
            step: "connections response",
            got: response.short_type(),
        });
    }
    let sig = &response.value["connection~sig"];
    let field = |name: &str| {
        sig[name]
            .as_str()
            .ok_or_else(|| HolderError::Protocol(format!("connection~sig has no {name}")))
    };
    let signer = VerKey::parse(field("signer")?)
        .map_err(|e| HolderError::Protocol(format!("connection~sig signer: {e}")))?;
    if signer != *invitation_key {
        return Err(HolderError::Protocol(format!(
            "connection~sig signed by {signer}, invitation key is {invitation_key}"
        )));
    }
    let sig_data = b64::decode_any(field("sig_data")?)
        .map_err(|_| HolderError::Protocol("connection~sig sig_data is not base64".into()))?;
    let signature = b64::decode_any(field("signature")?)
        .map_err(|_| HolderError::Protocol("connection~sig signature is not base64".into()))?;
    signer
        .verify(&sig_data, &signature)
        .map_err(|_| HolderError::Protocol("connection~sig does not verify".into()))?;
    // sig_data = 8-byte big-endian timestamp ‖ JSON {"DID", "DIDDoc"}.
    let connection: Value = sig_data
        .get(8..)
        .and_then(|json| serde_json::from_slice(json).ok())
        .ok_or_else(|| HolderError::Protocol("connection~sig sig_data holds no JSON".into()))?;
    let did = connection["DID"].as_str().unwrap_or_default().to_string();
    Ok((did, parse_doc(&connection["DIDDoc"], None)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixture of the didcomm crate's Credo interop tests (see `crates/didcomm/tests/credo_interop.rs`).
    fn credo_fixture(name: &str) -> Value {
        let path = format!(
            "{}/../didcomm/tests/fixtures/credo/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    fn message(value: Value) -> Message {
        Message::from_bytes(value.to_string().as_bytes()).unwrap()
    }

    fn key(seed: u8) -> VerKey {
        KeyPair::from_seed(&[seed; 32]).verkey()
    }

    #[test]
    fn credo_did_peer1_response_with_two_signatures_is_read() {
        let response = message(credo_fixture("didexchange_response_peer1.json"));
        let (did, services) = read_didexchange_response(&response, &key(3)).unwrap();
        assert!(did.starts_with("did:peer:1zQm"), "{did}");
        let endpoints: Vec<_> = services.iter().map(|s| s.endpoint.as_str()).collect();
        assert_eq!(endpoints, ["http://127.0.0.1:3001", "ws://127.0.0.1:3002"]);
        assert_eq!(services[0].recipient_keys, vec![key(4)]);
        assert_eq!(services[0].routing_keys, vec![key(2)]);
        // Not signed by the invitation key: refused.
        assert!(matches!(
            read_didexchange_response(&response, &key(9)),
            Err(HolderError::Attachment(_))
        ));
    }

    #[test]
    fn credo_did_peer4_rotate_with_two_signatures_is_read() {
        let did = credo_fixture("did_peer4.json")["did"].clone();
        let response = json!({
            "@type": "https://didcomm.org/didexchange/1.1/response",
            "@id": "r1",
            "did": did,
            "did_rotate~attach": credo_fixture("did_rotate_general_two.json"),
        });
        let (their_did, services) = read_didexchange_response(&message(response), &key(3)).unwrap();
        assert_eq!(their_did, did.as_str().unwrap());
        assert_eq!(services.len(), 2);
        assert_eq!(services[1].endpoint, "ws://127.0.0.1:3002");

        let bad = json!({
            "@type": "https://didcomm.org/didexchange/1.1/response",
            "@id": "r2",
            "did": did,
            "did_rotate~attach": credo_fixture("did_rotate_general_second_bad.json"),
        });
        let err = read_didexchange_response(&message(bad), &key(3)).unwrap_err();
        assert!(err.to_string().contains("signature 2 of 2"), "{err}");
    }

    #[test]
    fn an_attached_document_of_another_did_is_refused() {
        let mut response = credo_fixture("didexchange_response_peer1.json");
        response["did"] = json!("did:peer:1zQmOther");
        let err = read_didexchange_response(&message(response), &key(3)).unwrap_err();
        assert!(err.to_string().contains("is the document of"), "{err}");
    }
}
