//! Every way an envelope can be wrong gives its own `EnvelopeError` variant, naming the culprit.

use didcomm::envelope::{pack, pack_with, recipient_keys, unpack, ContentEnc, EnvelopeError};
use didcomm::{b64, KeyPair, VerKey};
use rand::rngs::OsRng;
use serde_json::{json, Value};

struct Fixture {
    sender: KeyPair,
    bob: KeyPair,
    carol: KeyPair,
}

fn fixture() -> Fixture {
    Fixture {
        sender: KeyPair::from_seed(&[1; 32]),
        bob: KeyPair::from_seed(&[2; 32]),
        carol: KeyPair::from_seed(&[3; 32]),
    }
}

/// A lookup that knows exactly the given key pairs.
fn holder(pairs: &[&KeyPair]) -> impl Fn(&VerKey) -> Option<KeyPair> {
    let pairs: Vec<KeyPair> = pairs.iter().map(|p| (*p).clone()).collect();
    move |key| pairs.iter().find(|p| p.verkey() == *key).cloned()
}

fn outer(envelope: &[u8]) -> Value {
    serde_json::from_slice(envelope).unwrap()
}

fn header(envelope: &Value) -> Value {
    serde_json::from_slice(&b64::decode_any(envelope["protected"].as_str().unwrap()).unwrap())
        .unwrap()
}

/// Rewrites the protected header (which invalidates the AAD, so only errors found before
/// content decryption are reachable) and returns the new envelope bytes.
fn with_header(envelope: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut outer = outer(envelope);
    let mut h = header(&outer);
    edit(&mut h);
    outer["protected"] = Value::String(b64::encode_url(serde_json::to_vec(&h).unwrap()));
    serde_json::to_vec(&outer).unwrap()
}

fn with_field(envelope: &[u8], field: &str, value: Value) -> Vec<u8> {
    let mut outer = outer(envelope);
    outer[field] = value;
    serde_json::to_vec(&outer).unwrap()
}

fn authcrypt(f: &Fixture) -> Vec<u8> {
    pack(b"hello", &[f.bob.verkey()], Some(&f.sender)).unwrap()
}

fn err(envelope: &[u8], f: &Fixture) -> EnvelopeError {
    unpack(envelope, holder(&[&f.bob])).unwrap_err()
}

#[test]
fn not_json_or_truncated() {
    let f = fixture();
    assert!(matches!(err(b"hello", &f), EnvelopeError::NotJson(_)));
    assert!(matches!(err(b"", &f), EnvelopeError::NotJson(_)));
    let packed = authcrypt(&f);
    assert!(matches!(
        err(&packed[..packed.len() / 2], &f),
        EnvelopeError::NotJson(_)
    ));
    assert!(matches!(
        recipient_keys(b"{"),
        Err(EnvelopeError::NotJson(_))
    ));
    assert_eq!(err(b"[1,2]", &f), EnvelopeError::NotObject);
}

#[test]
fn missing_and_mistyped_fields_are_named() {
    let f = fixture();
    let packed = authcrypt(&f);
    for field in ["protected", "iv", "ciphertext", "tag"] {
        let mut o = outer(&packed);
        o.as_object_mut().unwrap().remove(field);
        let bytes = serde_json::to_vec(&o).unwrap();
        assert_eq!(err(&bytes, &f), EnvelopeError::MissingField(field.into()));
    }
    assert_eq!(
        err(&with_field(&packed, "iv", json!(5)), &f),
        EnvelopeError::WrongType {
            field: "iv".into(),
            expected: "string"
        }
    );
    for field in ["alg", "enc", "recipients"] {
        let bytes = with_header(&packed, |h| {
            h.as_object_mut().unwrap().remove(field);
        });
        assert_eq!(
            err(&bytes, &f),
            EnvelopeError::MissingField(format!("protected.{field}"))
        );
    }
    let bytes = with_header(&packed, |h| h["recipients"] = json!({}));
    assert!(
        matches!(err(&bytes, &f), EnvelopeError::WrongType { field, .. } if field == "protected.recipients")
    );
    let bytes = with_header(&packed, |h| {
        h["recipients"][0]["header"]
            .as_object_mut()
            .unwrap()
            .remove("kid");
    });
    assert_eq!(
        err(&bytes, &f),
        EnvelopeError::MissingField("protected.recipients[0].header.kid".into())
    );
    let bytes = with_header(&packed, |h| {
        h["recipients"][0]
            .as_object_mut()
            .unwrap()
            .remove("encrypted_key");
    });
    assert_eq!(
        err(&bytes, &f),
        EnvelopeError::MissingField("protected.recipients[0].encrypted_key".into())
    );
}

#[test]
fn bad_base64_names_the_field() {
    let f = fixture();
    let packed = authcrypt(&f);
    for field in ["protected", "iv", "ciphertext", "tag"] {
        let bytes = with_field(&packed, field, json!("not base64!"));
        assert_eq!(
            err(&bytes, &f),
            EnvelopeError::BadBase64 {
                field: field.into()
            }
        );
    }
    for field in ["sender", "iv"] {
        let bytes = with_header(&packed, |h| {
            h["recipients"][0]["header"][field] = json!("%%%")
        });
        assert_eq!(
            err(&bytes, &f),
            EnvelopeError::BadBase64 {
                field: format!("protected.recipients[0].header.{field}")
            }
        );
    }
}

#[test]
fn protected_header_not_json() {
    let f = fixture();
    let bytes = with_field(&authcrypt(&f), "protected", json!(b64::encode_url("nope")));
    assert!(matches!(
        err(&bytes, &f),
        EnvelopeError::ProtectedNotJson(_)
    ));
    let bytes = with_field(&authcrypt(&f), "protected", json!(b64::encode_url("[]")));
    assert!(matches!(
        err(&bytes, &f),
        EnvelopeError::ProtectedNotJson(_)
    ));
}

#[test]
fn unknown_alg_and_enc() {
    let f = fixture();
    let packed = authcrypt(&f);
    let bytes = with_header(&packed, |h| h["alg"] = json!("ECDH-1PU+A256KW"));
    assert_eq!(
        err(&bytes, &f),
        EnvelopeError::UnknownAlg("ECDH-1PU+A256KW".into())
    );
    let bytes = with_header(&packed, |h| h["enc"] = json!("A256GCM"));
    assert_eq!(err(&bytes, &f), EnvelopeError::UnknownEnc("A256GCM".into()));
}

#[test]
fn wrong_lengths() {
    let f = fixture();
    let packed = authcrypt(&f);
    let bytes = with_field(&packed, "iv", json!(b64::encode_url([0u8; 10])));
    assert!(
        matches!(err(&bytes, &f), EnvelopeError::WrongLength { field, got: 10, .. } if field == "iv")
    );
    let bytes = with_field(&packed, "tag", json!(b64::encode_url([0u8; 15])));
    assert!(
        matches!(err(&bytes, &f), EnvelopeError::WrongLength { field, got: 15, .. } if field == "tag")
    );
    // chacha20poly1305_ietf takes a 12-byte nonce only.
    let xchacha = pack_with(
        b"hello",
        &[f.bob.verkey()],
        Some(&f.sender),
        ContentEnc::XChaCha20Poly1305,
    )
    .unwrap();
    let bytes = with_header(&xchacha, |h| h["enc"] = json!("chacha20poly1305_ietf"));
    assert!(
        matches!(err(&bytes, &f), EnvelopeError::WrongLength { field, got: 24, .. } if field == "iv")
    );
    let bytes = with_header(&packed, |h| {
        h["recipients"][0]["header"]["iv"] = json!(b64::encode_url([0u8; 12]))
    });
    assert!(matches!(
        err(&bytes, &f),
        EnvelopeError::WrongLength { field, got: 12, .. } if field == "protected.recipients[0].header.iv"
    ));
}

#[test]
fn recipient_list_problems() {
    let f = fixture();
    let packed = authcrypt(&f);
    let bytes = with_header(&packed, |h| h["recipients"] = json!([]));
    assert_eq!(err(&bytes, &f), EnvelopeError::NoRecipients);
    let bytes = with_header(&packed, |h| {
        h["recipients"][0]["header"]["kid"] = json!("0OIl")
    });
    assert!(matches!(err(&bytes, &f), EnvelopeError::BadKid { kid, .. } if kid == "0OIl"));
    let bytes = with_header(&packed, |h| {
        let first = h["recipients"][0].clone();
        h["recipients"].as_array_mut().unwrap().push(first);
    });
    assert_eq!(
        err(&bytes, &f),
        EnvelopeError::DuplicateKid(f.bob.verkey().to_base58())
    );
    let bytes = with_header(&packed, |h| {
        h["recipients"][0]["header"]
            .as_object_mut()
            .unwrap()
            .remove("iv");
    });
    assert!(matches!(
        err(&bytes, &f),
        EnvelopeError::IncompleteSenderHeader {
            present: "sender",
            missing: "iv",
            ..
        }
    ));
}

#[test]
fn no_key_we_hold_lists_the_kids() {
    let f = fixture();
    let packed = pack(b"x", &[f.bob.verkey(), f.carol.verkey()], None).unwrap();
    assert_eq!(
        unpack(&packed, holder(&[&f.sender])).unwrap_err(),
        EnvelopeError::NoKeyForRecipients {
            kids: vec![f.bob.verkey().to_base58(), f.carol.verkey().to_base58()]
        }
    );
}

#[test]
fn authcrypt_without_sender() {
    let f = fixture();
    let anon = pack(b"x", &[f.bob.verkey()], None).unwrap();
    let bytes = with_header(&anon, |h| h["alg"] = json!("Authcrypt"));
    assert_eq!(
        err(&bytes, &f),
        EnvelopeError::AuthcryptWithoutSender {
            kid: f.bob.verkey().to_base58()
        }
    );
}

#[test]
fn sealed_sender_problems() {
    let f = fixture();
    let packed = authcrypt(&f);
    let kid = f.bob.verkey().to_base58();
    // Sealed to someone else: does not decrypt with bob's key.
    let to_carol = f
        .carol
        .verkey()
        .to_x25519()
        .seal(&mut OsRng, b"whatever")
        .unwrap();
    let bytes = with_header(&packed, |h| {
        h["recipients"][0]["header"]["sender"] = json!(b64::encode_url(to_carol))
    });
    assert_eq!(
        err(&bytes, &f),
        EnvelopeError::SenderNotDecryptable { kid: kid.clone() }
    );
    // Too short to be a sealed box at all.
    let bytes = with_header(&packed, |h| {
        h["recipients"][0]["header"]["sender"] = json!(b64::encode_url([7u8; 20]))
    });
    assert_eq!(
        err(&bytes, &f),
        EnvelopeError::SenderNotDecryptable { kid: kid.clone() }
    );
    // Decrypts, but is not a verkey.
    for not_a_key in [&b"not a key"[..], &[0xff, 0xfe][..], b"3yZe7d"] {
        let sealed = f
            .bob
            .verkey()
            .to_x25519()
            .seal(&mut OsRng, not_a_key)
            .unwrap();
        let bytes = with_header(&packed, |h| {
            h["recipients"][0]["header"]["sender"] = json!(b64::encode_url(sealed))
        });
        assert!(
            matches!(err(&bytes, &f), EnvelopeError::SenderNotVerKey { kid: k, .. } if k == kid),
            "{not_a_key:?}"
        );
    }
    // Names a different (valid) sender: the content key box does not open.
    let claimed = f.carol.verkey().to_base58();
    let sealed = f
        .bob
        .verkey()
        .to_x25519()
        .seal(&mut OsRng, claimed.as_bytes())
        .unwrap();
    let bytes = with_header(&packed, |h| {
        h["recipients"][0]["header"]["sender"] = json!(b64::encode_url(sealed))
    });
    assert_eq!(err(&bytes, &f), EnvelopeError::CekNotDecryptable { kid });
}

#[test]
fn content_key_of_the_wrong_size() {
    let f = fixture();
    let anon = pack(b"x", &[f.bob.verkey()], None).unwrap();
    let short = f
        .bob
        .verkey()
        .to_x25519()
        .seal(&mut OsRng, &[0u8; 31])
        .unwrap();
    let bytes = with_header(&anon, |h| {
        h["recipients"][0]["encrypted_key"] = json!(b64::encode_url(short))
    });
    assert!(matches!(
        err(&bytes, &f),
        EnvelopeError::WrongLength { got: 31, .. }
    ));
}

#[test]
fn wrong_key_for_kid() {
    let f = fixture();
    for sender in [Some(&f.sender), None] {
        let packed = pack(b"x", &[f.bob.verkey()], sender).unwrap();
        // A lookup that returns the wrong key pair for bob's kid.
        let e = unpack(&packed, |_| Some(f.carol.clone())).unwrap_err();
        assert!(
            matches!(
                e,
                EnvelopeError::CekNotDecryptable { .. }
                    | EnvelopeError::SenderNotDecryptable { .. }
            ),
            "{e:?}"
        );
    }
}

#[test]
fn tampering_fails_authentication() {
    let f = fixture();
    for enc in [
        ContentEnc::DidcommV1,
        ContentEnc::XChaCha20Poly1305,
        ContentEnc::ChaCha20Poly1305,
    ] {
        let packed = pack_with(b"hello world", &[f.bob.verkey()], Some(&f.sender), enc).unwrap();
        for field in ["ciphertext", "tag", "iv"] {
            let mut bytes = b64::decode_any(outer(&packed)[field].as_str().unwrap()).unwrap();
            bytes[0] ^= 0x80;
            let tampered = with_field(&packed, field, json!(b64::encode_url(bytes)));
            assert_eq!(
                err(&tampered, &f),
                EnvelopeError::ContentAuthentication,
                "{field}"
            );
        }
        // The same header re-encoded (here: pretty-printed) is different AAD.
        let h = header(&outer(&packed));
        let reencoded = b64::encode_url(serde_json::to_vec_pretty(&h).unwrap());
        let tampered = with_field(&packed, "protected", json!(reencoded));
        assert_eq!(err(&tampered, &f), EnvelopeError::ContentAuthentication);
        // Truncated ciphertext.
        let ct = b64::decode_any(outer(&packed)["ciphertext"].as_str().unwrap()).unwrap();
        let tampered = with_field(
            &packed,
            "ciphertext",
            json!(b64::encode_url(&ct[..ct.len() - 1])),
        );
        assert_eq!(err(&tampered, &f), EnvelopeError::ContentAuthentication);
    }
}

#[test]
fn default_is_the_askar_form() {
    // Askar (ACA-Py, Credo) labels the content xchacha20poly1305_ietf but uses a 12-byte nonce
    // and refuses 24 bytes, so that is what we write by default.
    let f = fixture();
    let o = outer(&authcrypt(&f));
    assert_eq!(header(&o)["enc"], "xchacha20poly1305_ietf");
    assert_eq!(
        b64::decode_any(o["iv"].as_str().unwrap()).unwrap().len(),
        12
    );
}

#[test]
fn padded_and_standard_base64_are_read() {
    let f = fixture();
    let packed = authcrypt(&f);
    let mut o = outer(&packed);
    // `protected` must stay as written (it is the AAD); the others may be re-encoded.
    for field in ["iv", "ciphertext", "tag"] {
        let bytes = b64::decode_any(o[field].as_str().unwrap()).unwrap();
        o[field] = json!(b64::encode_url_padded(bytes));
    }
    let opened = unpack(&serde_json::to_vec(&o).unwrap(), holder(&[&f.bob])).unwrap();
    assert_eq!(opened.message, b"hello");
    for field in ["iv", "ciphertext", "tag"] {
        let bytes = b64::decode_any(o[field].as_str().unwrap()).unwrap();
        o[field] = json!(b64::encode_std(bytes));
    }
    assert!(unpack(&serde_json::to_vec(&o).unwrap(), holder(&[&f.bob])).is_ok());
}

#[test]
fn did_key_kids_are_understood() {
    // Not what ACA-Py writes, but cheap to accept: some peers put did:key in kid.
    let f = fixture();
    let packed = with_header(&authcrypt(&f), |h| {
        h["recipients"][0]["header"]["kid"] = json!(f.bob.verkey().to_did_key())
    });
    assert_eq!(recipient_keys(&packed).unwrap(), vec![f.bob.verkey()]);
}
