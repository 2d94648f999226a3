"""Read akrida's AnonCreds protocol messages with ACA-Py 0.12.8's own message classes.

Reads {"messages": [{"name", "kind", "message"}]} on stdin, where kind is one of the keys of
KINDS below, and prints {"results": [{"name", "ok", "error", "thid", "payload"}]}: whether
ACA-Py's marshmallow schema accepted the message (for 2.0 messages that includes the format's
own schema, e.g. IndyCredRequestSchema with unknown fields refused), the thread it answers, and
the AnonCreds payload as ACA-Py's accessor decodes it (None when ACA-Py does not recognise the
format). Driven by crates/holder/tests/anoncreds_offline.rs.
"""

import json
import sys

from aries_cloudagent.protocols.issue_credential.v1_0.messages.credential_ack import CredentialAck
from aries_cloudagent.protocols.issue_credential.v1_0.messages.credential_request import (
    CredentialRequest,
)
from aries_cloudagent.protocols.issue_credential.v2_0.messages.cred_ack import V20CredAck
from aries_cloudagent.protocols.issue_credential.v2_0.messages.cred_request import V20CredRequest
from aries_cloudagent.protocols.present_proof.v1_0.messages.presentation import Presentation
from aries_cloudagent.protocols.present_proof.v2_0.messages.pres import V20Pres

KINDS = {
    "issue-credential/1.0/request-credential": (CredentialRequest, lambda m: m.indy_cred_req(0)),
    "issue-credential/1.0/ack": (CredentialAck, lambda m: m.status),
    "present-proof/1.0/presentation": (Presentation, lambda m: m.indy_proof(0)),
    "issue-credential/2.0/request-credential": (V20CredRequest, lambda m: m.attachment()),
    "issue-credential/2.0/ack": (V20CredAck, lambda m: m.status),
    "present-proof/2.0/presentation": (V20Pres, lambda m: m.attachment()),
}


def read(kind: str, message: dict) -> dict:
    cls, payload = KINDS[kind]
    try:
        parsed = cls.deserialize(message)
    except Exception as err:  # marshmallow's ValidationError and friends: report, never crash
        return {"ok": False, "error": f"{type(err).__name__}: {err}"}
    return {"ok": True, "thid": parsed._thread_id, "payload": payload(parsed)}


def main() -> None:
    request = json.load(sys.stdin)
    results = []
    for item in request["messages"]:
        result = read(item["kind"], item["message"])
        result["name"] = item["name"]
        results.append(result)
    json.dump({"results": results}, sys.stdout)


main()
