//! Envelopes packed by akrida must open with libsodium (PyNaCl), and tampered ones must not.
//!
//! Runs `scripts/interop/unpack_with_libsodium.py` with the testbed venv's Python: `$AKRIDA_PYTHON`
//! if set, else `<repo>/.venv/acapy/bin/python`. Without it the test FAILS (it never skips): run
//! `scripts/testbed install` to create the venv with PyNaCl.

use didcomm::envelope::{pack_with, ContentEnc};
use didcomm::forward::wrap_for_routing;
use didcomm::{b64, KeyPair, VerKey};
use serde_json::{json, Value};

/// What libsodium makes of each item (see the script for the fields).
fn open_with_libsodium(items: &[Value]) -> Vec<Value> {
    // testbed::python() panics when the venv is missing: `scripts/testbed install` makes it.
    let reply = testbed::run_interop_script("unpack_with_libsodium.py", &json!({ "items": items }));
    reply["results"].as_array().unwrap().clone()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Expect {
    name: String,
    message: Option<Vec<u8>>, // None: libsodium must reject
    recipient: Option<VerKey>,
    sender: Option<VerKey>,
}

/// Alters one authenticated field of a packed envelope, keeping it well-formed (valid base64,
/// valid JSON header), so that only the cryptography can notice.
fn tamper(envelope: &[u8], field: &str) -> Vec<u8> {
    let mut outer: Value = serde_json::from_slice(envelope).unwrap();
    let mut bytes = b64::decode_any(outer[field].as_str().unwrap()).unwrap();
    if field == "protected" {
        let header = String::from_utf8(bytes)
            .unwrap()
            .replace("JWM/1.0", "JWM/1.1");
        bytes = header.into_bytes();
    } else {
        bytes[0] ^= 0x01;
    }
    outer[field] = Value::String(b64::encode_url(bytes));
    serde_json::to_vec(&outer).unwrap()
}

#[test]
#[ignore = "live"]
fn libsodium_opens_what_rust_packs() {
    let sender = KeyPair::from_seed(&[0x11; 32]);
    let recipients: Vec<KeyPair> = (0x21..0x24u8)
        .map(|b| KeyPair::from_seed(&[b; 32]))
        .collect();
    let all: Vec<VerKey> = recipients.iter().map(KeyPair::verkey).collect();
    let unicode = "ünïcødé 你好 🦗 ".repeat(2000).into_bytes();
    let ping = br#"{"@type":"https://didcomm.org/trust_ping/1.0/ping","@id":"1"}"#.to_vec();

    let mut items = Vec::new();
    let mut expects = Vec::new();
    let mut add = |name: String, envelope: Vec<u8>, opener: &KeyPair, expect: Expect| {
        items.push(json!({
            "name": name,
            "envelope": String::from_utf8(envelope).unwrap(),
            "seeds": [hex(&opener.seed())],
        }));
        expects.push(expect);
    };

    for (enc_name, enc) in [
        ("askar_form", ContentEnc::DidcommV1),
        ("xchacha", ContentEnc::XChaCha20Poly1305),
        ("chacha_ietf", ContentEnc::ChaCha20Poly1305),
    ] {
        for count in [1usize, 3] {
            for auth in [true, false] {
                let from = auth.then_some(&sender);
                let envelope = pack_with(&ping, &all[..count], from, enc).unwrap();
                // Every recipient opens it with only their own key.
                for r in &recipients[..count] {
                    let name = format!(
                        "{}_{count}_{enc_name}_for_{}",
                        if auth { "authcrypt" } else { "anoncrypt" },
                        r.verkey()
                    );
                    add(
                        name.clone(),
                        envelope.clone(),
                        r,
                        Expect {
                            name,
                            message: Some(ping.clone()),
                            recipient: Some(r.verkey()),
                            sender: from.map(KeyPair::verkey),
                        },
                    );
                }
            }
        }
    }

    let big = pack_with(&unicode, &all, Some(&sender), ContentEnc::default()).unwrap();
    add(
        "authcrypt_unicode_large".into(),
        big.clone(),
        &recipients[2],
        Expect {
            name: "authcrypt_unicode_large".into(),
            message: Some(unicode.clone()),
            recipient: Some(all[2]),
            sender: Some(sender.verkey()),
        },
    );

    // A forward layer: the mediator (libsodium) opens the anoncrypt outer envelope and finds
    // a forward message naming the recipient.
    let mediator = KeyPair::from_seed(&[0x31; 32]);
    let inner = pack_with(&ping, &all[..1], Some(&sender), ContentEnc::default()).unwrap();
    let routed = wrap_for_routing(inner, &all[0], &[mediator.verkey()]).unwrap();
    add(
        "forward_outer_layer".into(),
        routed,
        &mediator,
        Expect {
            name: "forward_outer_layer".into(),
            message: None, // checked separately below: the @id is random
            recipient: Some(mediator.verkey()),
            sender: None,
        },
    );

    // Tampering that libsodium must reject.
    for field in ["ciphertext", "tag", "iv", "protected"] {
        let name = format!("tampered_{field}");
        let bad = tamper(&big, field);
        add(
            name.clone(),
            bad,
            &recipients[0],
            Expect {
                name,
                message: None,
                recipient: None,
                sender: None,
            },
        );
    }
    // Packed for others: our key is not among the kids.
    let stranger = KeyPair::from_seed(&[0x41; 32]);
    add(
        "not_for_us".into(),
        big,
        &stranger,
        Expect {
            name: "not_for_us".into(),
            message: None,
            recipient: None,
            sender: None,
        },
    );

    let results = open_with_libsodium(&items);
    assert_eq!(results.len(), expects.len());
    for (result, expect) in results.iter().zip(&expects) {
        assert_eq!(result["name"], expect.name.as_str());
        let name = &expect.name;
        if name == "forward_outer_layer" {
            assert_eq!(result["ok"], true, "{name}: {result}");
            let message = b64::decode_any(result["message_b64"].as_str().unwrap()).unwrap();
            let forward: Value = serde_json::from_slice(&message).unwrap();
            assert_eq!(forward["@type"], "https://didcomm.org/routing/1.0/forward");
            assert_eq!(forward["to"], all[0].to_base58());
            assert!(
                forward["msg"]["protected"].is_string(),
                "{name}: msg is an object"
            );
            assert_eq!(
                result["sender"],
                Value::Null,
                "{name}: forwards are anoncrypt"
            );
            continue;
        }
        match &expect.message {
            Some(message) => {
                assert_eq!(result["ok"], true, "{name}: libsodium refused: {result}");
                let got = b64::decode_any(result["message_b64"].as_str().unwrap()).unwrap();
                assert_eq!(&got, message, "{name}: plaintext");
                assert_eq!(
                    result["recipient"],
                    expect.recipient.unwrap().to_base58().as_str(),
                    "{name}"
                );
                match expect.sender {
                    Some(s) => assert_eq!(result["sender"], s.to_base58().as_str(), "{name}"),
                    None => assert_eq!(result["sender"], Value::Null, "{name}"),
                }
            }
            None => assert_eq!(
                result["ok"], false,
                "{name}: libsodium accepted it: {result}"
            ),
        }
    }
}
