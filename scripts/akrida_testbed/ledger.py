"""The testbed's handle on the Indy ledger: scripts/ledger/indy_testbed.py (the 4-node pool, the
tails server, the issuer's ENDORSER NYM), imported as `indy_ledger`, plus what the ledger-backed
issuer writes at its first start (schema, credential definition tag, revocation registry size).

The ledger code itself stays in scripts/ledger/ (with pool.py, vdr.py and tails_server.py, which
run as separate processes on other interpreters): this module only makes it importable. It must
not read or write state.json (its callers pass what the ledger needs).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ledger"))
import indy_testbed as indy_ledger  # noqa: E402,F401  (re-exported; scripts/ledger/indy_testbed.py: the Indy pool, tails server, NYM)


# What the ledger-backed issuer gets at its first start: Akrida's schema ("prefs", attribute
# `score`) plus a numeric attribute for predicates, and one revocable credential definition
# that every test reuses (creating one costs 15-25 s on this machine).
INDY_SCHEMA = {"schema_name": "akrida-prefs", "schema_version": "1.0", "attributes": ["score", "level"]}
INDY_CRED_DEF_TAG = "akrida"
INDY_REV_REG_SIZE = 1000
