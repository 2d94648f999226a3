"""An independent RFC 0019 (DIDComm v1 envelope) pack/unpack on libsodium via PyNaCl.

Shared by gen_vectors.py and unpack_with_libsodium.py. It uses only nacl.bindings (libsodium)
for cryptography and follows ACA-Py's wire format (acapy_agent/wallet/crypto.py and
askar/didcomm/v1.py), written from the RFC rather than from akrida's Rust code, so that
agreement between the two is evidence rather than an echo.
"""

import base64
import json
import os

from nacl import bindings as sodium

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rem = divmod(number, 58)
        out = B58_ALPHABET[rem] + out
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + out


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + B58_ALPHABET.index(char)
    pad = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * pad + body


def b64url(data: bytes, pad: bool = False) -> str:
    text = base64.urlsafe_b64encode(data).decode("ascii")
    return text if pad else text.rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Identity:
    """An Ed25519 identity from a 32-byte seed, with its X25519 forms (libsodium conversions)."""

    def __init__(self, seed: bytes):
        self.seed = seed
        self.ed_pk, self.ed_sk = sodium.crypto_sign_seed_keypair(seed)
        self.x_pk = sodium.crypto_sign_ed25519_pk_to_curve25519(self.ed_pk)
        self.x_sk = sodium.crypto_sign_ed25519_sk_to_curve25519(self.ed_sk)
        self.verkey = b58encode(self.ed_pk)


def pack(message: bytes, recipients, sender=None, enc="xchacha20poly1305_ietf",
         nonce_len=None, padded=False) -> str:
    """Packs like ACA-Py. `enc` is the label written; `nonce_len` picks the cipher actually
    used (24 = XChaCha20-Poly1305, 12 = ChaCha20-Poly1305-IETF), so that ACA-Py's legacy quirk
    (label xchacha, 12-byte nonce) can be reproduced."""
    if nonce_len is None:
        nonce_len = 24 if enc == "xchacha20poly1305_ietf" else 12
    cek = os.urandom(32)
    entries = []
    for verkey in recipients:
        target_x = sodium.crypto_sign_ed25519_pk_to_curve25519(b58decode(verkey))
        if sender is not None:
            sealed_sender = sodium.crypto_box_seal(sender.verkey.encode("utf-8"), target_x)
            nonce = os.urandom(sodium.crypto_box_NONCEBYTES)
            # crypto_box = crypto_box_easy: MAC first, then ciphertext.
            enc_cek = sodium.crypto_box(cek, nonce, target_x, sender.x_sk)
            header = {"kid": verkey, "sender": b64url(sealed_sender, padded),
                      "iv": b64url(nonce, padded)}
        else:
            enc_cek = sodium.crypto_box_seal(cek, target_x)
            header = {"kid": verkey}
        entries.append({"encrypted_key": b64url(enc_cek, padded), "header": header})
    protected = {"enc": enc, "typ": "JWM/1.0",
                 "alg": "Authcrypt" if sender is not None else "Anoncrypt",
                 "recipients": entries}
    protected_b64 = b64url(json.dumps(protected).encode("utf-8"), padded)
    aad = protected_b64.encode("ascii")
    iv = os.urandom(nonce_len)
    if nonce_len == 24:
        out = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, aad, iv, cek)
    else:
        out = sodium.crypto_aead_chacha20poly1305_ietf_encrypt(message, aad, iv, cek)
    ciphertext, tag = out[:-16], out[-16:]
    return json.dumps({"protected": protected_b64, "iv": b64url(iv, padded),
                       "ciphertext": b64url(ciphertext, padded), "tag": b64url(tag, padded)})


def unpack(envelope: str, identities):
    """Opens an envelope with whichever identity it is for. Returns
    (message bytes, recipient verkey, sender verkey or None); raises on any failure."""
    outer = json.loads(envelope)
    protected_b64 = outer["protected"]
    protected = json.loads(unb64url(protected_b64))
    alg = protected["alg"]
    if alg not in ("Authcrypt", "Anoncrypt"):
        raise ValueError(f"unknown alg {alg}")
    by_verkey = {i.verkey: i for i in identities}
    for entry in protected["recipients"]:
        kid = entry["header"]["kid"]
        ours = by_verkey.get(kid)
        if ours is None:
            continue
        enc_cek = unb64url(entry["encrypted_key"])
        if "sender" in entry["header"]:
            sender_vk = sodium.crypto_box_seal_open(
                unb64url(entry["header"]["sender"]), ours.x_pk, ours.x_sk).decode("utf-8")
            sender_x = sodium.crypto_sign_ed25519_pk_to_curve25519(b58decode(sender_vk))
            cek = sodium.crypto_box_open(enc_cek, unb64url(entry["header"]["iv"]), sender_x,
                                         ours.x_sk)
        else:
            if alg == "Authcrypt":
                raise ValueError("Authcrypt without sender")
            sender_vk = None
            cek = sodium.crypto_box_seal_open(enc_cek, ours.x_pk, ours.x_sk)
        iv = unb64url(outer["iv"])
        data = unb64url(outer["ciphertext"]) + unb64url(outer["tag"])
        aad = protected_b64.encode("ascii")
        if len(iv) == 24:
            message = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(data, aad, iv, cek)
        elif len(iv) == 12:
            message = sodium.crypto_aead_chacha20poly1305_ietf_decrypt(data, aad, iv, cek)
        else:
            raise ValueError(f"iv of {len(iv)} bytes")
        return message, kid, sender_vk
    raise ValueError("no recipient key we hold")
