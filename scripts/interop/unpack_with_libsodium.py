#!/usr/bin/env python3
"""Opens RFC 0019 envelopes with libsodium (PyNaCl): the other half of the interop proof,
driven by crates/didcomm/tests/rust_to_libsodium.rs.

stdin:  {"items": [{"name": str, "envelope": str, "seeds": [hex seed, ...]}, ...]}
stdout: {"results": [{"name": str, "ok": true, "message_b64": str, "recipient": str,
                      "sender": str | null}
                     | {"name": str, "ok": false, "error": str}, ...]}
A failure to open is a result, not a crash: the tampered cases are expected to fail.
"""

import base64
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import didcomm_nacl as dn  # noqa: E402


def main():
    request = json.load(sys.stdin)
    results = []
    for item in request["items"]:
        identities = [dn.Identity(bytes.fromhex(s)) for s in item["seeds"]]
        try:
            message, recipient, sender = dn.unpack(item["envelope"], identities)
        except Exception as err:  # noqa: BLE001 - any libsodium/format failure is a rejection
            results.append({"name": item["name"], "ok": False,
                            "error": f"{type(err).__name__}: {err}"})
            continue
        results.append({"name": item["name"], "ok": True,
                        "message_b64": base64.b64encode(message).decode("ascii"),
                        "recipient": recipient, "sender": sender})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
