"""Verify AnonCreds presentations with ACA-Py 0.12.8's own verifier (IndyCredxVerifier).

Reads {"cases": [{"name", "proof_request", "presentation", "schemas": {id: schema},
"cred_defs": {id: cred_def}}]} on stdin and prints {"results": [{"name", "verified", "msgs"}]}.
ACA-Py's verifier runs its own checks first (pre_verify: every requested referent answered,
raw values matching their encodings, predicates in range, ...) and then indy-credx's
Presentation.verify. Driven by crates/anoncreds/tests/acapy_verifier.rs; no agent.

There is no ledger: ACA-Py's check_timestamps reads each credential definition from the ledger,
so the ledger it is given here serves the case's own credential definitions and nothing else.
"""

import asyncio
import json
import sys

from aries_cloudagent.core.in_memory import InMemoryProfile
from aries_cloudagent.indy.credx.verifier import IndyCredxVerifier
from aries_cloudagent.ledger.multiple_ledger.ledger_requests_executor import (
    IndyLedgerRequestsExecutor,
)


class CaseLedger:
    """The one ledger read the verifier makes: credential definitions, from the case."""

    def __init__(self, cred_defs: dict):
        self.cred_defs = cred_defs

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    async def get_credential_definition(self, cred_def_id: str) -> dict:
        return self.cred_defs[cred_def_id]


class CaseLedgerExecutor:
    """Stands in for IndyLedgerRequestsExecutor: always the case's ledger."""

    def __init__(self):
        self.ledger = None

    async def get_ledger_for_identifier(self, identifier, txn_record_type=None):
        return (None, self.ledger)


async def main() -> None:
    request = json.load(sys.stdin)
    executor = CaseLedgerExecutor()
    profile = InMemoryProfile.test_profile(bind={IndyLedgerRequestsExecutor: executor})
    verifier = IndyCredxVerifier(profile)
    results = []
    for case in request["cases"]:
        executor.ledger = CaseLedger(case["cred_defs"])
        verified, msgs = await verifier.verify_presentation(
            case["proof_request"],
            case["presentation"],
            case["schemas"],
            case["cred_defs"],
            {},
            {},
        )
        results.append({"name": case["name"], "verified": verified, "msgs": msgs})
    json.dump({"results": results}, sys.stdout)


asyncio.run(main())
