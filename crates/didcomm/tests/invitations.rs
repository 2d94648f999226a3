//! Invitation and did:peer parsing against real shapes.
//!
//! Fixtures under `fixtures/invitations/`:
//! - `acapy_*` were produced by ACA-Py 0.12.8's own message classes and the `did-peer-2` /
//!   `did-peer-4` libraries it uses (`scripts/interop/gen_peer_dids.py`), with the recipient key
//!   from seed `[1; 32]` and the mediator (routing) key from seed `[2; 32]`;
//! - `credo_*` come from the owl-akrida seed documents: a real `c_i` URL, and the out-of-band
//!   invitation Credo (AFJ) turned it into.

use didcomm::did_peer::{self, PeerDidError, DIDCOMM_V1, DIDCOMM_V2};
use didcomm::invitation::{HandshakeProtocol, InlineService, InvitationKind};
use didcomm::{b64, parse_invitation, InvitationError, KeyError, KeyPair, Service, VerKey};
use proptest::prelude::*;
use serde_json::json;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/invitations/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

fn recipient() -> VerKey {
    KeyPair::from_seed(&[1; 32]).verkey()
}

fn mediator() -> VerKey {
    KeyPair::from_seed(&[2; 32]).verkey()
}

/// An `?oob=` URL around `value`, encoded as ACA-Py does (urlsafe, padded).
fn oob_url(value: &serde_json::Value) -> String {
    format!(
        "http://127.0.0.1:4000?oob={}",
        b64::encode_url_padded(value.to_string())
    )
}

fn oob_json() -> serde_json::Value {
    json!({
        "@type": "https://didcomm.org/out-of-band/1.1/invitation",
        "@id": "0b1c",
        "handshake_protocols": ["https://didcomm.org/didexchange/1.0"],
        "services": [{
            "id": "#inline",
            "type": "did-communication",
            "recipientKeys": [recipient().to_did_key_with_fragment()],
            "serviceEndpoint": "http://127.0.0.1:4000"
        }]
    })
}

// ---------------------------------------------------------------------------------------------
// ACA-Py fixtures

#[test]
fn acapy_oob_with_did_key_fragments() {
    let invitation = parse_invitation(&fixture("acapy_oob11_didkey.url")).unwrap();
    assert_eq!(invitation.id, "c709a1c4-5f5e-4d2b-9a53-7f0d4e0f6a01");
    assert_eq!(invitation.kind, InvitationKind::OutOfBand { minor: 1 });
    assert_eq!(invitation.label.as_deref(), Some("TB-Mediator"));
    assert_eq!(
        invitation.handshake_protocols,
        [
            HandshakeProtocol::DidExchange10,
            HandshakeProtocol::Connections10
        ]
    );
    let expected = InlineService {
        recipient_keys: vec![recipient()],
        routing_keys: vec![mediator()],
        endpoint: "http://127.0.0.1:4000".into(),
    };
    assert_eq!(invitation.services, [Service::Inline(expected.clone())]);
    assert_eq!(invitation.inline_or_peer_service().unwrap(), expected);
    // The inviter prefers didexchange/1.0; a holder speaking only connections still gets in.
    assert_eq!(
        invitation.choose_handshake(&[
            HandshakeProtocol::Connections10,
            HandshakeProtocol::DidExchange10
        ]),
        Ok(HandshakeProtocol::DidExchange10)
    );
    assert_eq!(
        invitation.choose_handshake(&[HandshakeProtocol::Connections10]),
        Ok(HandshakeProtocol::Connections10)
    );
    assert_eq!(invitation.raw["services"][0]["id"], "#inline");
}

#[test]
fn percent_encoded_query_value() {
    let plain = parse_invitation(&fixture("acapy_oob11_didkey.url")).unwrap();
    let encoded = fixture("acapy_oob11_didkey_percent.url");
    assert!(encoded.contains("%3D"));
    assert_eq!(parse_invitation(&encoded).unwrap(), plain);
}

#[test]
fn whole_url_percent_encoded_and_surrounded_by_whitespace() {
    let plain = parse_invitation(&fixture("acapy_oob11_didkey.url")).unwrap();
    let url = fixture("acapy_oob11_didkey.url");
    let encoded = url
        .trim()
        .replace(':', "%3A")
        .replace('/', "%2F")
        .replace('?', "%3F")
        .replace('=', "%3D");
    assert_eq!(
        parse_invitation(&format!(" \n{encoded}\t\n")).unwrap(),
        plain
    );
}

#[test]
fn any_base64_alphabet_and_padding() {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    use base64::Engine;
    // Make the JSON long and varied enough that both alphabets' special characters appear.
    let mut value = oob_json();
    value["label"] = json!("ÿ>>>???~~~ÿ>?");
    let text = value.to_string();
    for encoded in [
        STANDARD.encode(&text),
        STANDARD_NO_PAD.encode(&text),
        URL_SAFE_NO_PAD.encode(&text),
    ] {
        let url = format!("didcomm://invite?oob={encoded}");
        let invitation = parse_invitation(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(invitation.label.as_deref(), Some("ÿ>>>???~~~ÿ>?"));
    }
}

#[test]
fn acapy_oob_with_did_peer_2() {
    let invitation = parse_invitation(&fixture("acapy_oob11_peer2.url")).unwrap();
    let did = fixture("acapy_peer2.did").trim().to_string();
    assert_eq!(invitation.services, [Service::Did(did.clone())]);
    assert_eq!(
        invitation.handshake_protocols,
        [HandshakeProtocol::DidExchange11]
    );
    let service = invitation.inline_or_peer_service().unwrap();
    assert_eq!(service.recipient_keys, [recipient()]);
    assert_eq!(service.routing_keys, [mediator()]);
    assert_eq!(service.endpoint, "http://127.0.0.1:4000");

    let doc = did_peer::parse(&did).unwrap();
    assert_eq!(doc.authentication, [recipient()]);
    assert!(
        doc.key_agreement.is_empty(),
        "ACA-Py 0.12 writes only a V key"
    );
    assert_eq!(doc.services[0].id, "#didcomm-0");
    assert_eq!(doc.services[0].service_type, DIDCOMM_V1);
    assert_eq!(
        doc.services[0].routing_keys,
        [mediator().to_did_key_with_fragment()]
    );
}

#[test]
fn acapy_oob_with_did_peer_4() {
    let invitation = parse_invitation(&fixture("acapy_oob11_peer4.url")).unwrap();
    let did = fixture("acapy_peer4.did").trim().to_string();
    assert_eq!(invitation.services, [Service::Did(did.clone())]);
    let service = invitation.inline_or_peer_service().unwrap();
    assert_eq!(service.recipient_keys, [recipient()]);
    assert!(service.routing_keys.is_empty());
    assert_eq!(service.endpoint, "http://127.0.0.1:4000");

    let doc = did_peer::parse(&did).unwrap();
    assert_eq!(doc.authentication, [recipient()]);
    // ACA-Py lists its Ed25519 key under keyAgreement; we give its X25519 form.
    assert_eq!(doc.key_agreement, [*recipient().to_x25519().as_bytes()]);
    let short = did_peer::peer4_short_form(&did).unwrap();
    assert!(short.starts_with("did:peer:4zQm"), "{short}");
    assert_eq!(short.matches(':').count(), 2, "{short}");
}

#[test]
fn acapy_legacy_connections_invitation_with_raw_base58() {
    let invitation = parse_invitation(&fixture("acapy_connections_sov.url")).unwrap();
    assert_eq!(invitation.kind, InvitationKind::Connections);
    assert_eq!(invitation.id, "1e0c9a7b-3d2f-4e5a-8b6c-7d8e9f0a1b04");
    assert_eq!(invitation.label.as_deref(), Some("TB-Issuer"));
    assert_eq!(
        invitation.handshake_protocols,
        [HandshakeProtocol::Connections10]
    );
    assert_eq!(
        invitation.inline_or_peer_service().unwrap(),
        InlineService {
            recipient_keys: vec![recipient()],
            routing_keys: vec![],
            endpoint: "http://127.0.0.1:4000".into(),
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Credo / owl-akrida seed fixtures

#[test]
fn credo_connections_url_with_routing_keys() {
    let invitation = parse_invitation(&fixture("credo_seed_connections.url")).unwrap();
    assert_eq!(invitation.kind, InvitationKind::Connections);
    assert_eq!(invitation.id, "dddcc856-e591-4737-b27b-bad79bdd1f32");
    assert_eq!(invitation.label.as_deref(), Some("Bob"));
    let service = invitation.inline_or_peer_service().unwrap();
    assert_eq!(
        service.recipient_keys,
        [VerKey::parse("6v9mKHLFH7CmR8jnpUvFcNNqLrnvbcHPk6o4kZLqRt3k").unwrap()]
    );
    assert_eq!(service.routing_keys.len(), 2);
    assert_eq!(
        service.endpoint,
        "https://ys40cgl5r2.execute-api.us-east-1.amazonaws.com/Prod/message"
    );
}

#[test]
fn credo_oob_json_names_the_same_mediator_keys_as_did_keys() {
    // The seed shows Credo's record of an out-of-band invitation next to the c_i URL above. It is
    // another invitation of the same inviter (its @id differs), behind the same mediator: the raw
    // base58 routing keys of the URL appear here as did:key (no fragment) and must read the same.
    let from_url = parse_invitation(&fixture("credo_seed_connections.url"))
        .unwrap()
        .inline_or_peer_service()
        .unwrap();
    let invitation = parse_invitation(&fixture("credo_oob11_routing.json")).unwrap();
    assert_eq!(invitation.id, "9337c8c3-bf14-4073-9d55-4398ba8456cd");
    assert_eq!(invitation.kind, InvitationKind::OutOfBand { minor: 1 });
    assert_eq!(
        invitation.handshake_protocols,
        [HandshakeProtocol::Connections10]
    );
    assert_eq!(invitation.raw["accept"][1], "didcomm/aip2;env=rfc19");
    let service = invitation.inline_or_peer_service().unwrap();
    assert_eq!(service.routing_keys, from_url.routing_keys);
    assert_eq!(service.endpoint, from_url.endpoint);
    // Credo's connection record lists the recipient key by its fingerprint.
    assert_eq!(
        didcomm::did_key::fingerprint(&service.recipient_keys[0]),
        "z6Mktevz4sdGgHwTBGXQwmYSis9B4rNhP5Bcuqf1nuYLVthm"
    );
}

// ---------------------------------------------------------------------------------------------
// did:peer

#[test]
fn peer2_with_key_agreement_first_and_a_didcomm_v2_endpoint_object() {
    let did = fixture("e_then_v_dm_peer2.did").trim().to_string();
    let doc = did_peer::parse(&did).unwrap();
    assert_eq!(doc.authentication, [recipient()]);
    assert_eq!(doc.key_agreement, [*recipient().to_x25519().as_bytes()]);
    let service = &doc.services[0];
    assert_eq!(service.id, "#service");
    assert_eq!(service.service_type, DIDCOMM_V2);
    assert_eq!(service.endpoint, "ws://127.0.0.1:4001");
    assert_eq!(service.accept, ["didcomm/aip2;env=rfc19"]);
    // No recipientKeys in a v2 service: the Ed25519 authentication key is the one.
    assert_eq!(service.recipient_keys, [recipient()]);
    assert_eq!(service.resolve_routing_keys().unwrap(), [mediator()]);

    let mut value = oob_json();
    value["services"] = json!([did]);
    let service = parse_invitation(&oob_url(&value))
        .unwrap()
        .inline_or_peer_service()
        .unwrap();
    assert_eq!(service.endpoint, "ws://127.0.0.1:4001");
}

#[test]
fn created_peer2_round_trips_with_fragmented_routing_keys() {
    let me = KeyPair::from_seed(&[3; 32]).verkey();
    let routing = [
        mediator().to_did_key_with_fragment(),
        mediator().to_did_key(),
        mediator().to_base58(),
    ];
    let did = did_peer::create_peer2(&me, "http://127.0.0.1:9000", &routing);
    let doc = did_peer::parse(&did).unwrap();
    assert_eq!(doc.authentication, [me]);
    assert_eq!(doc.key_agreement, [*me.to_x25519().as_bytes()]);
    let service = doc.didcomm_v1_service().unwrap();
    assert_eq!(service.recipient_keys, [me]);
    assert!(service
        .routing_keys
        .iter()
        .all(|k| k == &mediator().to_did_key_with_fragment()));
}

#[test]
fn peer4_hash_mismatch_is_reported() {
    let did = fixture("acapy_peer4.did").trim().to_string();
    // Change one character of the encoded document (keeping it valid base58).
    let (head, last) = did.split_at(did.len() - 1);
    let tampered = format!("{head}{}", if last == "a" { "b" } else { "a" });
    assert!(matches!(
        did_peer::parse(&tampered),
        Err(PeerDidError::Peer4HashMismatch { .. })
    ));
}

#[test]
fn peer4_short_form_cannot_be_resolved_offline() {
    let did = fixture("acapy_peer4.did");
    let short = did_peer::peer4_short_form(did.trim()).unwrap();
    let err = did_peer::parse(short).unwrap_err();
    assert!(matches!(err, PeerDidError::Peer4ShortForm { .. }));
    assert!(err.to_string().contains("offline"), "{err}");

    let mut value = oob_json();
    value["services"] = json!([short]);
    let invitation = parse_invitation(&oob_url(&value)).unwrap();
    assert!(matches!(
        invitation.inline_or_peer_service(),
        Err(InvitationError::PeerDid(
            PeerDidError::Peer4ShortForm { .. }
        ))
    ));
}

#[test]
fn malformed_peer2_elements() {
    let fp = didcomm::did_key::fingerprint(&recipient());
    assert!(matches!(
        did_peer::parse(&format!("did:peer:2.Q{fp}")),
        Err(PeerDidError::BadElement { .. })
    ));
    assert!(matches!(
        did_peer::parse("did:peer:2.Vz6Mk0OIl"),
        Err(PeerDidError::BadKey { .. })
    ));
    assert!(matches!(
        did_peer::parse(&format!("did:peer:2.V{fp}.S!!!")),
        Err(PeerDidError::BadElement { .. })
    ));
    let service = b64::encode_url(r##"{"t":"dm","s":"http://x","recipientKeys":["#key-9"]}"##);
    assert!(matches!(
        did_peer::parse(&format!("did:peer:2.V{fp}.S{service}")),
        Err(PeerDidError::UnknownKeyRef { .. })
    ));
    let service = b64::encode_url(r##"{"t":"did-communication","recipientKeys":["#key-1"]}"##);
    assert!(matches!(
        did_peer::parse(&format!("did:peer:2.V{fp}.S{service}")),
        Err(PeerDidError::BadService { .. })
    ));
}

#[test]
fn legacy_fingerprint_key_references_resolve() {
    // Older writers name keys `#6Mk…` (the multibase value without its `z`).
    let fp = didcomm::did_key::fingerprint(&recipient());
    let service = b64::encode_url(format!(
        r##"{{"t":"did-communication","s":"http://x","recipientKeys":["#{}"]}}"##,
        &fp[1..]
    ));
    let doc = did_peer::parse(&format!("did:peer:2.V{fp}.S{service}")).unwrap();
    assert_eq!(doc.services[0].recipient_keys, [recipient()]);
}

#[test]
fn routing_key_that_is_not_a_key() {
    let fp = didcomm::did_key::fingerprint(&recipient());
    let service = b64::encode_url(
        r##"{"t":"did-communication","s":"http://x","r":["did:peer:2.Ez6LS#key-1"]}"##,
    );
    let did = format!("did:peer:2.V{fp}.S{service}");
    let doc = did_peer::parse(&did).unwrap();
    assert!(matches!(
        doc.services[0].resolve_routing_keys(),
        Err(PeerDidError::RoutingKey { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Other accepted forms

#[test]
fn raw_json_and_old_prefix() {
    let mut value = oob_json();
    value["@type"] = json!("did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/out-of-band/1.0/invitation");
    let invitation = parse_invitation(&format!("\n  {value}  \n")).unwrap();
    assert_eq!(invitation.kind, InvitationKind::OutOfBand { minor: 0 });
}

#[test]
fn endpoint_object_in_an_inline_service() {
    let mut value = oob_json();
    value["services"][0]["serviceEndpoint"] = json!({
        "uri": "wss://m.example/ws",
        "routingKeys": [mediator().to_did_key()]
    });
    let service = parse_invitation(&oob_url(&value))
        .unwrap()
        .inline_or_peer_service()
        .unwrap();
    assert_eq!(service.endpoint, "wss://m.example/ws");
    assert_eq!(service.routing_keys, [mediator()]);
}

#[test]
fn d_m_carrying_an_invitation() {
    let url = format!(
        "https://example.org/?d_m={}",
        b64::encode_url(oob_json().to_string())
    );
    assert_eq!(parse_invitation(&url).unwrap().id, "0b1c");
}

#[test]
fn parameter_in_the_fragment_of_a_web_wallet_link() {
    let url = format!(
        "https://wallet.example/#/invite?oob={}",
        b64::encode_url_padded(oob_json().to_string())
    );
    assert_eq!(parse_invitation(&url).unwrap().id, "0b1c");
}

#[test]
fn deeply_percent_encoded_text_is_decoded_once_only() {
    // Each decoding of "%25…" leaves another "%25…": must neither recurse nor loop.
    let text = format!("%{}", "25".repeat(100_000));
    assert!(matches!(
        parse_invitation(&text),
        Err(InvitationError::NotUrlNorJson { .. })
    ));
}

#[test]
fn connections_invitation_with_a_public_did() {
    let value = json!({
        "@type": "https://didcomm.org/connections/1.0/invitation",
        "@id": "1",
        "label": "issuer",
        "did": "did:sov:WgWxqztrNooG92RXvxSTWv"
    });
    let invitation = parse_invitation(&value.to_string()).unwrap();
    assert_eq!(
        invitation.services,
        [Service::Did("did:sov:WgWxqztrNooG92RXvxSTWv".into())]
    );
    let err = invitation.inline_or_peer_service().unwrap_err();
    assert_eq!(
        err,
        InvitationError::UnresolvableDid {
            did: "did:sov:WgWxqztrNooG92RXvxSTWv".into()
        }
    );
    assert!(err.to_string().contains("did:sov:WgWxqztrNooG92RXvxSTWv"));
}

#[test]
fn first_usable_service_wins() {
    let mut value = oob_json();
    let inline = value["services"][0].clone();
    value["services"] = json!(["did:sov:WgWxqztrNooG92RXvxSTWv", inline]);
    let service = parse_invitation(&oob_url(&value))
        .unwrap()
        .inline_or_peer_service()
        .unwrap();
    assert_eq!(service.recipient_keys, [recipient()]);
}

// ---------------------------------------------------------------------------------------------
// Every malformed kind has its own error

#[test]
fn not_an_url_nor_json() {
    assert!(matches!(
        parse_invitation("hello there"),
        Err(InvitationError::NotUrlNorJson { .. })
    ));
    assert!(matches!(
        parse_invitation("   "),
        Err(InvitationError::NotUrlNorJson { .. })
    ));
}

#[test]
fn url_without_an_invitation_parameter() {
    let err = parse_invitation("https://example.org/invite?_oobid=abc").unwrap_err();
    assert!(matches!(err, InvitationError::NoInvitationParameter { .. }));
    assert!(
        err.to_string().contains("https://example.org/invite"),
        "{err}"
    );
}

#[test]
fn bad_base64_names_the_parameter() {
    let err = parse_invitation("https://example.org/?c_i=@@@@").unwrap_err();
    assert!(matches!(&err, InvitationError::BadBase64 { param, .. } if param == "c_i"));
}

#[test]
fn decoded_value_not_json() {
    let url = format!("https://example.org/?oob={}", b64::encode_url("not json"));
    assert!(matches!(
        parse_invitation(&url),
        Err(InvitationError::NotJson { origin, .. }) if origin.contains("oob")
    ));
    let url = format!("https://example.org/?oob={}", b64::encode_url("[1, 2]"));
    assert!(matches!(
        parse_invitation(&url),
        Err(InvitationError::NotJson { .. })
    ));
    assert!(matches!(
        parse_invitation("{\"@type\": "),
        Err(InvitationError::NotJson { .. })
    ));
}

#[test]
fn missing_or_unknown_type() {
    let mut value = oob_json();
    value.as_object_mut().unwrap().remove("@type");
    assert_eq!(
        parse_invitation(&oob_url(&value)),
        Err(InvitationError::MissingType)
    );

    value["@type"] = json!("https://didcomm.org/present-proof/2.0/request-presentation");
    let err = parse_invitation(&oob_url(&value)).unwrap_err();
    assert_eq!(
        err,
        InvitationError::UnknownType(
            "https://didcomm.org/present-proof/2.0/request-presentation".into()
        )
    );
    assert!(err
        .to_string()
        .contains("\"https://didcomm.org/present-proof/2.0/request-presentation\""));
}

#[test]
fn missing_id() {
    let mut value = oob_json();
    value.as_object_mut().unwrap().remove("@id");
    assert_eq!(
        parse_invitation(&oob_url(&value)),
        Err(InvitationError::MissingId)
    );
}

#[test]
fn no_services() {
    let mut value = oob_json();
    value["services"] = json!([]);
    assert_eq!(
        parse_invitation(&oob_url(&value)),
        Err(InvitationError::NoServices)
    );
    value.as_object_mut().unwrap().remove("services");
    assert_eq!(
        parse_invitation(&oob_url(&value)),
        Err(InvitationError::NoServices)
    );
}

#[test]
fn service_without_recipient_keys() {
    let mut value = oob_json();
    value["services"][0]["recipientKeys"] = json!([]);
    assert_eq!(
        parse_invitation(&oob_url(&value)),
        Err(InvitationError::NoRecipientKeys {
            service: "services[0]".into()
        })
    );
    let legacy = json!({
        "@type": "https://didcomm.org/connections/1.0/invitation",
        "@id": "1",
        "serviceEndpoint": "http://x"
    });
    assert!(matches!(
        parse_invitation(&legacy.to_string()),
        Err(InvitationError::NoRecipientKeys { .. })
    ));
}

#[test]
fn bad_key_names_the_key_and_its_place() {
    let mut value = oob_json();
    value["services"][0]["routingKeys"] = json!([mediator().to_base58(), "3yZe7d"]);
    let err = parse_invitation(&oob_url(&value)).unwrap_err();
    assert_eq!(
        err,
        InvitationError::BadKey {
            field: "services[0].routingKeys[1]".into(),
            source: KeyError::WrongLength {
                key: "3yZe7d".into(),
                len: 4
            }
        }
    );
    assert!(err.to_string().contains("3yZe7d"), "{err}");
    value["services"][0]["recipientKeys"] = json!(["did:key:z0OIl"]);
    assert!(matches!(
        parse_invitation(&oob_url(&value)),
        Err(InvitationError::BadKey { field, source: KeyError::DidKey(_) })
            if field == "services[0].recipientKeys[0]"
    ));
}

#[test]
fn no_endpoint() {
    let mut value = oob_json();
    value["services"][0]
        .as_object_mut()
        .unwrap()
        .remove("serviceEndpoint");
    assert_eq!(
        parse_invitation(&oob_url(&value)),
        Err(InvitationError::NoEndpoint {
            service: "services[0]".into()
        })
    );
    value["services"][0]["serviceEndpoint"] = json!({"accept": []});
    assert!(matches!(
        parse_invitation(&oob_url(&value)),
        Err(InvitationError::NoEndpoint { .. })
    ));
}

#[test]
fn wrong_shapes() {
    let mut value = oob_json();
    value["services"][0]["recipientKeys"] = json!("not-a-list");
    assert!(matches!(
        parse_invitation(&oob_url(&value)),
        Err(InvitationError::WrongShape { field, .. }) if field == "services[0].recipientKeys"
    ));
    let mut value = oob_json();
    value["services"] = json!([42]);
    assert!(matches!(
        parse_invitation(&oob_url(&value)),
        Err(InvitationError::WrongShape { .. })
    ));
}

#[test]
fn unknown_handshake_protocols_parse_but_cannot_be_chosen() {
    let mut value = oob_json();
    value["handshake_protocols"] = json!(["https://didcomm.org/didexchange/9.0"]);
    let invitation = parse_invitation(&oob_url(&value)).unwrap();
    assert_eq!(
        invitation.handshake_protocols,
        [HandshakeProtocol::Other(
            "https://didcomm.org/didexchange/9.0".into()
        )]
    );
    let err = invitation
        .choose_handshake(&[
            HandshakeProtocol::DidExchange10,
            HandshakeProtocol::Connections10,
        ])
        .unwrap_err();
    assert!(matches!(err, InvitationError::NoCommonHandshake { .. }));
    assert!(err.to_string().contains("didexchange/9.0"), "{err}");

    // A connectionless invitation (no handshake_protocols) offers none at all.
    value.as_object_mut().unwrap().remove("handshake_protocols");
    let invitation = parse_invitation(&oob_url(&value)).unwrap();
    assert!(invitation.handshake_protocols.is_empty());
    assert!(invitation
        .choose_handshake(&[HandshakeProtocol::DidExchange10])
        .is_err());
}

// ---------------------------------------------------------------------------------------------
// Never panics

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = parse_invitation(&text);
    }

    #[test]
    fn arbitrary_oob_payloads_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..400)) {
        let url = format!("https://x.example/?oob={}", b64::encode_url(&payload));
        if let Ok(invitation) = parse_invitation(&url) {
            let _ = invitation.inline_or_peer_service();
        }
    }

    #[test]
    fn json_like_oob_payloads_never_panic(
        ty in prop_oneof![
            Just("https://didcomm.org/out-of-band/1.1/invitation".to_string()),
            Just("https://didcomm.org/connections/1.0/invitation".to_string()),
            ".{0,20}",
        ],
        service in prop_oneof![
            ".{0,60}".prop_map(serde_json::Value::String),
            Just(json!({"recipientKeys": ["did:key:z6Mk"], "serviceEndpoint": 1})),
            Just(json!("did:peer:2.Vz6Mk.Sabc")),
            Just(json!("did:peer:4zQm:z")),
            Just(json!(null)),
        ],
    ) {
        let value = json!({"@type": ty, "@id": "1", "services": [service], "recipientKeys": [], "did": 5});
        if let Ok(invitation) = parse_invitation(&oob_url(&value)) {
            let _ = invitation.inline_or_peer_service();
        }
    }

    #[test]
    fn arbitrary_peer_dids_never_panic(tail in "[.:A-Za-z0-9_-]{0,200}", n in prop_oneof![Just('2'), Just('4')]) {
        let _ = did_peer::parse(&format!("did:peer:{n}{tail}"));
    }
}
