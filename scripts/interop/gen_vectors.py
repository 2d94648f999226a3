#!/usr/bin/env python3
"""Writes crates/didcomm/tests/vectors/libsodium.json: RFC 0019 envelopes packed by libsodium
(PyNaCl), which akrida's Rust `unpack` must open (tests/libsodium_vectors.rs).

Run with the testbed venv:  .venv/acapy/bin/python scripts/interop/gen_vectors.py
Seeds are fixed; nonces and ephemeral keys are random, so each run writes different (equally
valid) envelopes. Every envelope is checked here with the Python unpack before it is written.
"""

import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import didcomm_nacl as dn  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/didcomm/tests/vectors/libsodium.json"

SENDER = dn.Identity(bytes([1]) * 32)
RECIPIENTS = [dn.Identity(bytes([i]) * 32) for i in (2, 3, 4)]
STRANGER = dn.Identity(bytes([9]) * 32)

PING = json.dumps({"@type": "https://didcomm.org/trust_ping/1.0/ping",
                   "@id": "5a7f5e3c-0000-4000-8000-000000000001",
                   "response_requested": True}).encode("utf-8")
# Multi-byte UTF-8 (2, 3 and 4-byte sequences), ~40 KB: many cipher blocks, a large JSON string.
UNICODE = json.dumps({"@type": "https://didcomm.org/basicmessage/1.0/message",
                      "content": ("héllo wörld — 你好 — 🦗🔐 " * 1000)},
                     ensure_ascii=False).encode("utf-8")


def case(name, message, recipients, sender=None, **options):
    envelope = dn.pack(message, [r.verkey for r in recipients], sender, **options)
    for r in recipients:  # self-check with libsodium before committing
        opened, kid, sender_vk = dn.unpack(envelope, [r])
        assert opened == message and kid == r.verkey
        assert sender_vk == (sender.verkey if sender else None)
    return {
        "name": name,
        "envelope": envelope,
        "recipient_seeds": [r.seed.hex() for r in recipients],
        "recipient_verkeys": [r.verkey for r in recipients],
        "sender_verkey": sender.verkey if sender else None,
        "message_utf8": message.decode("utf-8"),
    }


def main():
    one, three = RECIPIENTS[:1], RECIPIENTS
    vectors = [
        case("authcrypt_1_xchacha", PING, one, SENDER),
        case("authcrypt_3_xchacha", PING, three, SENDER),
        case("anoncrypt_1_xchacha", PING, one),
        case("anoncrypt_3_xchacha", PING, three),
        case("authcrypt_1_chacha_ietf", PING, one, SENDER, enc="chacha20poly1305_ietf"),
        case("anoncrypt_3_chacha_ietf", PING, three, enc="chacha20poly1305_ietf"),
        # What Askar (ACA-Py, Credo) and ACA-Py's legacy indy wallet write: labelled xchacha,
        # encrypted with 12-byte-nonce ChaCha20-Poly1305-IETF. akrida's default.
        case("authcrypt_1_askar_form", PING, one, SENDER, nonce_len=12),
        case("anoncrypt_3_askar_form", PING, three, nonce_len=12),
        case("authcrypt_3_unicode_large", UNICODE, three, SENDER),
        case("anoncrypt_1_unicode_large", UNICODE, one),
        case("authcrypt_3_padded_base64", PING, three, SENDER, padded=True),
        case("anoncrypt_1_empty_message", b"", one),
    ]
    document = {
        "comment": "RFC 0019 envelopes packed with libsodium (PyNaCl "
                   f"{__import__('nacl').__version__}) by scripts/interop/gen_vectors.py",
        "sender_seed": SENDER.seed.hex(),
        "sender_verkey": SENDER.verkey,
        "stranger_seed": STRANGER.seed.hex(),
        "vectors": vectors,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
