"""scripts/ledger/vdr.py: talk to the testbed's Indy pool as a client, with indy-vdr.

Runs in the ACA-Py venv (.venv/acapy: ACA-Py 0.12.8 brings indy-vdr, aries-askar and base58).
Prints one JSON object on stdout; on failure one sentence on stderr and exit 1.

  vdr.py nym GENESIS TRUSTEE_SEED SEED ROLE [--wait S]
      Writes the NYM of the DID that SEED makes (as ACA-Py derives it: the ed25519 verkey and
      its first 16 bytes in base58) with ROLE (e.g. ENDORSER), signed by the trustee. Waits up
      to S seconds (default 90) for a fresh pool to order it. A NYM already there is left as it
      is: a trustee may not rewrite the role of an existing NYM (only its owner can).
      -> {"did", "verkey", "role", "written": bool, "seconds"}
  vdr.py read GENESIS nym|schema|cred_def ID
      Reads one NYM, schema or credential definition from the ledger (not from any agent).
      -> {"seq_no", "data"} (the transaction's data as the ledger returns it)
"""

import asyncio
import json
import sys
import time

import base58
from aries_askar import Key, KeyAlg
from indy_vdr import ledger, open_pool
from indy_vdr.error import VdrError

ROLES = {"TRUSTEE": "0", "STEWARD": "2", "ENDORSER": "101", "NETWORK_MONITOR": "201"}


class Fail(Exception):
    """One sentence for stderr."""


def did_of(seed: str):
    """(did, verkey, key) for a 32-character seed, the way ACA-Py and indy-sdk derive them."""
    if len(seed.encode()) != 32:
        raise Fail(f"a seed must be exactly 32 bytes, this one has {len(seed.encode())}")
    key = Key.from_secret_bytes(KeyAlg.ED25519, seed.encode())
    verkey = key.get_public_bytes()
    return base58.b58encode(verkey[:16]).decode(), base58.b58encode(verkey).decode(), key


async def submit(pool, request):
    reply = await pool.submit_request(request)
    return reply if isinstance(reply, dict) else json.loads(reply)


async def read_nym(pool, did):
    reply = await submit(pool, ledger.build_get_nym_request(None, did))
    data = reply.get("data")
    return json.loads(data) if isinstance(data, str) else data


async def cmd_nym(genesis, trustee_seed, seed, role, wait) -> dict:
    if role not in ROLES:
        raise Fail(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    t0 = time.monotonic()
    trustee_did, _, trustee_key = did_of(trustee_seed)
    did, verkey, _ = did_of(seed)
    deadline = t0 + wait
    last = None
    while time.monotonic() < deadline:
        try:
            pool = await open_pool(transactions_path=genesis)
            try:
                found = await read_nym(pool, did)
                written = False
                if not found:
                    request = ledger.build_nym_request(trustee_did, did, verkey, role=role)
                    request.set_signature(trustee_key.sign_message(request.signature_input))
                    await submit(pool, request)
                    found = await read_nym(pool, did)
                    written = True
                if found:
                    return {"did": did, "verkey": verkey, "role": found.get("role"), "written": written,
                            "seconds": round(time.monotonic() - t0, 2)}  # fmt: skip
                last = "the NYM was not readable after writing it"
            finally:
                pool.close()
        except VdrError as e:  # a pool still electing its primary or catching up: ask again
            last = str(e)
            if "panic" in last.lower() or "poisoned" in last.lower():
                # indy-vdr's state is broken for the rest of this process: let the caller run
                # a fresh one (scripts/ledger/indy_testbed.py does).
                raise Fail(f"indy-vdr failed inside ({last}); try again in a new process")
        await asyncio.sleep(1.0)
    raise Fail(f"the pool did not take the NYM of {did} within {wait:.0f} s (last answer: {last})")


async def cmd_read(genesis, kind, object_id) -> dict:
    build = {"schema": ledger.build_get_schema_request, "cred_def": ledger.build_get_cred_def_request,
             "nym": ledger.build_get_nym_request}.get(kind)  # fmt: skip
    if not build:
        raise Fail(f"cannot read {kind!r}: nym, schema or cred_def")
    pool = await open_pool(transactions_path=genesis)
    try:
        reply = await submit(pool, build(None, object_id))
    finally:
        pool.close()
    if not reply.get("seqNo"):
        raise Fail(f"the ledger has no {kind} {object_id}")
    return {"seq_no": reply["seqNo"], "data": reply.get("data")}


def main(argv) -> int:
    try:
        if len(argv) in (5, 7) and argv[0] == "nym":
            wait = float(argv[6]) if len(argv) == 7 and argv[5] == "--wait" else 90.0
            out = asyncio.run(cmd_nym(argv[1], argv[2], argv[3], argv[4], wait))
        elif len(argv) == 4 and argv[0] == "read":
            out = asyncio.run(cmd_read(argv[1], argv[2], argv[3]))
        else:
            print(__doc__.split("\n\n")[2], file=sys.stderr)
            return 2
    except (Fail, VdrError, OSError) as e:
        print(f"vdr.py: {e}", file=sys.stderr)
        return 1
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
