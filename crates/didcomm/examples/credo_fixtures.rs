//! Writes the fixtures of `tests/credo_interop.rs` into `tests/fixtures/credo/`:
//! `cargo run -p didcomm --example credo_fixtures`.
//!
//! They are built the way Credo 0.6 builds them, step by step, without akrida's own signing or
//! DID code, so that the tests read them as a foreign peer's output:
//! - a did:peer:4 (long form) for a mediator with Credo's default invitation (one inline
//!   service per endpoint, http then ws, one key): `createPeerDidDocumentFromServices` gives
//!   `#key-1` (Ed25519, authentication) and `#key-2` (X25519, keyAgreement) embedded, services
//!   `#inline-0` / `#inline-1` with `recipientKeys: ["#key-1"]`; `didDocumentToNumAlgo4Did`
//!   drops `id` and the `#id` controllers and encodes the rest;
//! - the same document as a did:peer:1 (what Credo answers a did:peer:1 request with);
//! - `did_rotate~attach` / `did_doc~attach` as `DidExchangeProtocol.createSignedAttachment`
//!   signs them: one JWS per invitation key (so one per invitation service), each
//!   `{header: {kid: did:key}, protected: b64url({alg: EdDSA, jwk: {kty, crv, x, kid: <key-store
//!   id>}}), signature}`, the payload detached; one signature stays flattened, more become
//!   `{signatures: [...]}` (`DidCommAttachment.addJws`);
//! - a document with every key form and reference style a peer may write (not Credo's: the
//!   forms it and ACA-Py and DIDComm v2 tooling use).
//!
//! Keys: the invitation key from seed `[3; 32]`, the mediator's connection key `[4; 32]`, a
//! second signer `[5; 32]`, a routing key `[2; 32]` (the invitation tests' mediator key).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use didcomm::KeyPair;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn b58(bytes: &[u8]) -> String {
    bs58::encode(bytes).into_string()
}

fn multikey(codec: [u8; 2], key: &[u8]) -> String {
    let mut bytes = codec.to_vec();
    bytes.extend_from_slice(key);
    format!("z{}", b58(&bytes))
}

fn did_key(key: &KeyPair) -> String {
    format!(
        "did:key:{}",
        multikey([0xed, 0x01], key.verkey().as_bytes())
    )
}

fn multihash(bytes: &[u8]) -> String {
    let mut mh = vec![0x12, 0x20];
    mh.extend_from_slice(&Sha256::digest(bytes));
    format!("z{}", b58(&mh))
}

/// Credo's `createPeerDidDocumentFromServices` for one key and these endpoints (no id yet).
fn credo_document(key: &KeyPair, endpoints: &[&str], routing: &[&KeyPair]) -> Value {
    let ed = key.verkey();
    let x = ed.to_x25519();
    let services: Vec<Value> = endpoints
        .iter()
        .enumerate()
        .map(|(i, endpoint)| {
            json!({
                "id": format!("#inline-{i}"),
                "serviceEndpoint": endpoint,
                "type": "did-communication",
                "priority": i,
                "recipientKeys": ["#key-1"],
                "routingKeys": routing.iter().map(|r| {
                    let fp = multikey([0xed, 0x01], r.verkey().as_bytes());
                    format!("did:key:{fp}#{fp}")
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "service": services,
        "authentication": [{"id": "#key-1", "type": "Ed25519VerificationKey2018", "controller": "#id", "publicKeyBase58": b58(ed.as_bytes())}],
        "keyAgreement": [{"id": "#key-2", "type": "X25519KeyAgreementKey2019", "controller": "#id", "publicKeyBase58": b58(x.as_bytes())}],
    })
}

/// `didDocumentToNumAlgo4Did`: the long form.
fn credo_peer4(doc: &Value) -> String {
    let mut input = doc.clone();
    for rel in ["authentication", "keyAgreement"] {
        for vm in input[rel].as_array_mut().unwrap() {
            vm.as_object_mut().unwrap().remove("controller");
        }
    }
    let mut bytes = vec![0x80, 0x04];
    bytes.extend_from_slice(input.to_string().as_bytes());
    let encoded = format!("z{}", b58(&bytes));
    format!("did:peer:4{}:{encoded}", multihash(encoded.as_bytes()))
}

/// One JWS as `JwsService.createJws` makes it, payload detached by `addJws`.
fn credo_jws(payload: &[u8], signer: &KeyPair, key_store_id: &str) -> Value {
    let protected = json!({
        "alg": "EdDSA",
        "jwk": {"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(signer.verkey().as_bytes()), "kid": key_store_id},
    });
    let protected = URL_SAFE_NO_PAD.encode(protected.to_string());
    let input = format!("{protected}.{}", URL_SAFE_NO_PAD.encode(payload));
    json!({
        "protected": protected,
        "signature": URL_SAFE_NO_PAD.encode(signer.sign(input.as_bytes())),
        "header": {"kid": did_key(signer)},
    })
}

/// `createSignedAttachment`: a string is base64url (did_rotate), a document standard base64.
fn credo_attachment(data: &Value, signers: &[(&KeyPair, &str)], general: bool) -> Value {
    let (bytes, base64, mime) = match data {
        Value::String(did) => (
            did.as_bytes().to_vec(),
            URL_SAFE_NO_PAD.encode(did),
            Value::Null,
        ),
        doc => {
            let bytes = doc.to_string().into_bytes();
            let b64 = STANDARD.encode(&bytes);
            (bytes, b64, json!("application/json"))
        }
    };
    let mut sigs: Vec<Value> = signers
        .iter()
        .map(|(k, id)| credo_jws(&bytes, k, id))
        .collect();
    let jws = if sigs.len() == 1 && !general {
        sigs.remove(0)
    } else {
        json!({"signatures": sigs})
    };
    let mut attachment = json!({"@id": "2b9e0ca4-5c1e-4c8b-9c32-000000000001", "data": {"base64": base64, "jws": jws}});
    if !mime.is_null() {
        attachment["mime-type"] = mime;
    }
    attachment
}

fn write(name: &str, value: &Value) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/credo");
    std::fs::create_dir_all(dir).unwrap();
    let text = serde_json::to_string_pretty(value).unwrap() + "\n";
    std::fs::write(format!("{dir}/{name}"), text).unwrap();
}

fn main() {
    let invitation = KeyPair::from_seed(&[3; 32]);
    let connection = KeyPair::from_seed(&[4; 32]);
    let other = KeyPair::from_seed(&[5; 32]);
    let routing = KeyPair::from_seed(&[2; 32]);
    let store_id = "6f1f4a52-2a2f-4c56-9b1e-3c1c0f4f9a01";
    let endpoints = ["http://127.0.0.1:3001", "ws://127.0.0.1:3002"];

    // did:peer:4, signed in a did_rotate~attach.
    let doc = credo_document(&connection, &endpoints, &[]);
    let peer4 = credo_peer4(&doc);
    let did = Value::String(peer4.clone());
    write("did_peer4.json", &json!({"did": peer4}));
    write(
        "did_rotate_flattened.json",
        &credo_attachment(&did, &[(&invitation, store_id)], false),
    );
    write(
        "did_rotate_general_one.json",
        &credo_attachment(&did, &[(&invitation, store_id)], true),
    );
    write(
        "did_rotate_general_two.json",
        &credo_attachment(
            &did,
            &[(&invitation, store_id), (&invitation, store_id)],
            true,
        ),
    );
    write(
        "did_rotate_general_two_keys.json",
        &credo_attachment(
            &did,
            &[(&other, "another-key"), (&invitation, store_id)],
            true,
        ),
    );
    // The second signature is over another DID: it does not verify for this one.
    let mut second_bad = credo_attachment(
        &did,
        &[(&invitation, store_id), (&invitation, store_id)],
        true,
    );
    let wrong = credo_jws(b"did:peer:4zQmWrong", &invitation, store_id);
    second_bad["data"]["jws"]["signatures"][1]["signature"] = wrong["signature"].clone();
    write("did_rotate_general_second_bad.json", &second_bad);

    // did:peer:1 with its document in a did_doc~attach, two signatures (two services).
    let mut doc1 = credo_document(&connection, &endpoints, &[&routing]);
    let mut stored = doc1.clone();
    stored.as_object_mut().unwrap().remove("id");
    let peer1 = format!("did:peer:1{}", multihash(stored.to_string().as_bytes()));
    doc1["id"] = json!(peer1);
    write(
        "didexchange_response_peer1.json",
        &json!({
            "@type": "https://didcomm.org/didexchange/1.0/response",
            "@id": "5d0f8d2c-8b5e-4b43-a4a4-000000000002",
            "~thread": {"thid": "5d0f8d2c-8b5e-4b43-a4a4-000000000001"},
            "did": peer1,
            "did_doc~attach": credo_attachment(&doc1, &[(&invitation, store_id), (&invitation, store_id)], true),
        }),
    );

    // Every key form and reference style, in one document.
    let k = |seed: u8| KeyPair::from_seed(&[seed; 32]).verkey();
    let id = "did:example:forms";
    let forms = json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": id,
        "verificationMethod": [
            {"id": "#base58", "type": "Ed25519VerificationKey2018", "controller": id, "publicKeyBase58": b58(k(10).as_bytes())},
            {"id": format!("{id}#multibase"), "type": "Multikey", "controller": id, "publicKeyMultibase": multikey([0xed, 0x01], k(11).as_bytes())},
            {"id": "#jwk", "type": "JsonWebKey2020", "controller": id, "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(k(12).as_bytes())}},
            {"id": "#x25519-jwk", "type": "JsonWebKey2020", "controller": id, "publicKeyJwk": {"kty": "OKP", "crv": "X25519", "x": URL_SAFE_NO_PAD.encode(k(12).to_x25519().as_bytes())}},
            {"id": "#rsa", "type": "RsaVerificationKey2018", "controller": id, "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----"}
        ],
        "publicKey": [
            {"id": format!("{id}#legacy"), "type": "Ed25519VerificationKey2018", "controller": id, "publicKeyBase58": b58(k(13).as_bytes())}
        ],
        "authentication": ["#jwk"],
        "keyAgreement": ["#x25519-jwk"],
        "service": [
            {"id": "#relative-base58", "type": "did-communication", "priority": 0, "serviceEndpoint": "http://127.0.0.1:1", "recipientKeys": ["#base58"], "routingKeys": ["#multibase"]},
            {"id": "#absolute-multibase", "type": "did-communication", "priority": 1, "serviceEndpoint": "http://127.0.0.1:2", "recipientKeys": [format!("{id}#multibase")]},
            {"id": "#relative-jwk", "type": "did-communication", "priority": 2, "serviceEndpoint": "http://127.0.0.1:3", "recipientKeys": ["#jwk"]},
            {"id": "#legacy-publickey", "type": "IndyAgent", "priority": 3, "serviceEndpoint": "http://127.0.0.1:4", "recipientKeys": [format!("{id}#legacy")]},
            {"id": "#raw-and-didkey", "type": "did-communication", "priority": 4, "serviceEndpoint": "http://127.0.0.1:5", "recipientKeys": [b58(k(14).as_bytes())], "routingKeys": [did_key(&routing)]},
            {"id": "#x25519-only", "type": "did-communication", "priority": 5, "serviceEndpoint": "http://127.0.0.1:6", "recipientKeys": ["#x25519-jwk"]}
        ]
    });
    write("doc_key_forms.json", &forms);
}
