"""Regenerate the invitation fixtures of crates/didcomm/tests/fixtures/invitations/.

The fixtures come from the code ACA-Py 0.12.8 itself runs (its message classes, and the
`did-peer-2` / `did-peer-4` libraries it depends on), so the Rust parser is tested against what a
real issuer or mediator sends, not against our own reading of the specs. Keys come from fixed seeds
so that the output is stable and the tests can name the expected keys.

Run with the ACA-Py venv:  .venv/acapy/bin/python scripts/interop/gen_peer_dids.py

With `--check DID`, it instead resolves a did:peer:2 we created (print one with
`cargo run -q -p didcomm --example print_peer2`) the way
ACA-Py 0.12.8 does when it receives it in a DID Exchange request, and prints the connection target
ACA-Py would use.
"""

import sys
import urllib.parse
from pathlib import Path

import base58
import did_peer_2
import did_peer_4
from did_peer_4.input_doc import KeySpec as KeySpec4, input_doc_from_keys_and_services
from nacl.signing import SigningKey

from aries_cloudagent.protocols.connections.v1_0.messages.connection_invitation import (
    ConnectionInvitation,
)
from aries_cloudagent.protocols.out_of_band.v1_0.messages.invitation import InvitationMessage
from aries_cloudagent.protocols.out_of_band.v1_0.messages.service import Service

OUT = Path(__file__).resolve().parents[2] / "crates/didcomm/tests/fixtures/invitations"
ENDPOINT = "http://127.0.0.1:4000"


def verkey(seed: int) -> bytes:
    """The Ed25519 public key for the seed `seed` repeated 32 times."""
    return bytes(SigningKey(bytes([seed]) * 32).verify_key)


def multikey(raw: bytes) -> str:
    return "z" + base58.b58encode(b"\xed\x01" + raw).decode()


def did_key_frag(raw: bytes) -> str:
    fp = multikey(raw)
    return f"did:key:{fp}#{fp}"


def write(name: str, text: str) -> None:
    (OUT / name).write_text(text + "\n")
    print(f"{name}: {len(text)} chars", file=sys.stderr)


def oob(services, handshake, label="TB-Mediator", ident="c709a1c4-5f5e-4d2b-9a53-7f0d4e0f6a01"):
    msg = InvitationMessage(
        _id=ident, label=label, handshake_protocols=handshake, services=services
    )
    return msg


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    recipient, mediator = verkey(1), verkey(2)

    # OOB 1.1, inline service, did:key#fragment keys: what /out-of-band/create-invitation returns.
    inline = Service(
        _id="#inline",
        _type="did-communication",
        recipient_keys=[did_key_frag(recipient)],
        routing_keys=[did_key_frag(mediator)],
        service_endpoint=ENDPOINT,
    )
    msg = oob(
        [inline],
        ["https://didcomm.org/didexchange/1.0", "https://didcomm.org/connections/1.0"],
    )
    url = msg.to_url(ENDPOINT)
    write("acapy_oob11_didkey.url", url)
    # The same, with the query value percent-encoded as some QR generators and web pages do.
    base, value = url.split("?oob=")
    write("acapy_oob11_didkey_percent.url", f"{base}?oob={urllib.parse.quote(value, safe='')}")

    # OOB 1.1 with use_did_method=did:peer:2, shaped as BaseConnectionManager.create_did_peer_2.
    service = {
        "id": "#didcomm-0",
        "type": "did-communication",
        "priority": 0,
        "recipientKeys": ["#key-1"],
        "routingKeys": [did_key_frag(mediator)],
        "serviceEndpoint": ENDPOINT,
    }
    peer2 = did_peer_2.generate([did_peer_2.KeySpec.verification(multikey(recipient))], [service])
    msg = oob([peer2], ["https://didcomm.org/didexchange/1.1"], ident="5b1f0c1e-2f7a-4d0e-8a6e-0c2f5e1d9b02")
    write("acapy_oob11_peer2.url", msg.to_url(ENDPOINT))
    write("acapy_peer2.did", peer2)

    # OOB 1.1 with use_did_method=did:peer:4, shaped as BaseConnectionManager.create_did_peer_4.
    service4 = {
        "id": "#didcomm-0",
        "type": "did-communication",
        "recipientKeys": ["#key-0"],
        "routingKeys": [],
        "serviceEndpoint": ENDPOINT,
        "priority": 0,
    }
    doc = input_doc_from_keys_and_services(
        keys=[KeySpec4(multikey=multikey(recipient), relationships=["authentication", "keyAgreement"])],
        services=[service4],
    )
    peer4 = did_peer_4.encode(doc)
    msg = oob([peer4], ["https://didcomm.org/didexchange/1.1"], ident="9e3d2f7a-6c1b-4a8e-b5d0-3f2e1c0b9a03")
    write("acapy_oob11_peer4.url", msg.to_url(ENDPOINT))
    write("acapy_peer4.did", peer4)

    # A did:peer:2 in the order other agents write (key agreement `E` first, so the Ed25519 key is
    # #key-2), with a DIDComm v2 style service whose endpoint is an object.
    x25519 = bytes(SigningKey(bytes([1]) * 32).verify_key.to_curve25519_public_key())
    x_multikey = "z" + base58.b58encode(b"\xec\x01" + x25519).decode()
    dm_service = {
        "type": "DIDCommMessaging",
        "serviceEndpoint": {
            "uri": "ws://127.0.0.1:4001",
            "accept": ["didcomm/aip2;env=rfc19"],
            "routingKeys": [did_key_frag(mediator)],
        },
    }
    write(
        "e_then_v_dm_peer2.did",
        did_peer_2.generate(
            [did_peer_2.KeySpec.key_agreement(x_multikey),
             did_peer_2.KeySpec.verification(multikey(recipient))],
            [dm_service],
        ),
    )

    # Legacy connections/1.0 invitation (raw base58 keys, did:sov prefix as ACA-Py 0.12 writes it
    # when --emit-new-didcomm-prefix is off).
    conn = ConnectionInvitation(
        _id="1e0c9a7b-3d2f-4e5a-8b6c-7d8e9f0a1b04",
        label="TB-Issuer",
        recipient_keys=[base58.b58encode(recipient).decode()],
        endpoint=ENDPOINT,
    )
    conn._message_type = "did:sov:BzCbsNYhMrjHiqZDTUASHg;spec/connections/1.0/invitation"
    write("acapy_connections_sov.url", conn.to_url())


def check(did: str) -> None:
    """Resolve `did` as ACA-Py 0.12.8's PeerDID2Resolver and BaseConnectionManager would."""
    import pydid
    from pydid.service import DIDCommService

    doc = pydid.deserialize_document(did_peer_2.resolve(did), strict=True)
    services = [s for s in doc.service if isinstance(s, DIDCommService)]
    assert services, "no DIDCommService: ACA-Py would refuse this DID"
    service = services[0]
    recipient = doc.dereference(service.recipient_keys[0])
    multikey_value = recipient.public_key_multibase
    assert multikey_value.startswith("z6Mk"), f"recipient key is not Ed25519: {multikey_value}"
    raw = base58.b58decode(multikey_value[1:])[2:]
    print("endpoint:", service.service_endpoint)
    print("recipient verkey:", base58.b58encode(raw).decode())
    print("routing keys:", [str(k) for k in service.routing_keys])
    print("keyAgreement:", [str(k) for k in (doc.key_agreement or [])])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--check"]:
        check(sys.argv[2])
    else:
        main()
