"""The ledger-backed issuer's revocation registries: that it holds an active one and a spare, and
making a missing spare through the admin API.

ACA-Py 0.12.8 makes both registries of a revocable credential definition inside
POST /credential-definitions, through its event bus: the first registry's handler makes the
second (the spare, a second registry in state `active`). The event bus logs an error raised in any
of those steps ("Error occurred while processing event") and swallows it, so the POST answers
200 while only one registry exists. Checking the count after the POST, the testbed says so with
the error from the issuer's log and then makes the spare as an operator would: create, set its
public tails URI, write its definition, upload its tails file, write its first entry.
"""

import re
import sys
import urllib.parse

from .config import Fail
from .procs import admin_call, log_text

REGISTRIES_WANTED = 2  # the active registry and its spare
MAX_ERROR_LINES = 40

# A log record of ACA-Py starts with its time ("2026-12-07 01:55:37,212 ..."); the lines of a
# traceback under it do not.
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
EVENT_ERROR = "Error occurred while processing event"
# Each step of making a registry writes to the ledger or makes a tails file: seconds, or more
# on a busy machine.
REGISTRY_STEP_TIMEOUT = 120


def active_registries(admin, cred_def_id) -> list:
    """The ids of the registries ACA-Py holds as `active` for cred_def_id."""
    query = urllib.parse.urlencode({"cred_def_id": cred_def_id, "state": "active"})
    url = f"{admin}/revocation/registries/created?{query}"
    return admin_call("GET", url, needs="rev_reg_ids", timeout=30)["rev_reg_ids"]


def event_errors(text) -> str:
    """The records of errors ACA-Py's event bus swallowed in a log's text, each with its
    traceback (at most MAX_ERROR_LINES lines in all); empty when there is none."""
    out, inside = [], False
    for line in text.splitlines():
        if RECORD_START.match(line) or line.startswith("===="):
            inside = EVENT_ERROR in line
        if inside:
            out.append(line)
    return "\n".join(out[-MAX_ERROR_LINES:])


def make_registry(admin, cred_def_id, tails_base_url, size) -> str:
    """One more active registry for cred_def_id, made step by step through the admin API (the
    steps ACA-Py's own handler takes); returns its id."""
    made = admin_call("POST", f"{admin}/revocation/create-registry",
                      {"credential_definition_id": cred_def_id, "max_cred_num": size},
                      timeout=REGISTRY_STEP_TIMEOUT)  # fmt: skip
    result = made.get("result")
    rev_reg_id = result.get("revoc_reg_id") if isinstance(result, dict) else None
    if not isinstance(rev_reg_id, str):
        raise Fail(f"POST {admin}/revocation/create-registry answered no registry id: {str(made)[:300]}")
    registry = f"{admin}/revocation/registry/{urllib.parse.quote(rev_reg_id, safe='')}"
    tails_uri = f"{tails_base_url.rstrip('/')}/{rev_reg_id}"
    admin_call("PATCH", registry, {"tails_public_uri": tails_uri}, timeout=REGISTRY_STEP_TIMEOUT)
    admin_call("POST", f"{registry}/definition", timeout=REGISTRY_STEP_TIMEOUT)
    admin_call("PUT", f"{registry}/tails-file", timeout=REGISTRY_STEP_TIMEOUT)
    admin_call("POST", f"{registry}/entry", timeout=REGISTRY_STEP_TIMEOUT)
    return rev_reg_id


def ensure_spare_registry(name, agent, admin, size, log_since) -> None:
    """After the POST that made agent's credential definition: both registries, or the missing
    ones made with a warning that quotes the issuer's log from log_since. Records in agent how
    many ACA-Py made itself (`registries_made`) and, when it fell short, the error it logged.
    Both are recorded only once the registries are there: a repair that fails is tried again by
    the next `up`."""
    cred_def_id = agent["cred_def_id"]
    made = active_registries(admin, cred_def_id)
    if len(made) >= REGISTRIES_WANTED:
        agent["registries_made"] = len(made)
        return
    why = event_errors(log_text(agent["log"], log_since)) or "(no error in its log)"
    print(f"testbed: {name}: ACA-Py answered POST /credential-definitions with {len(made)} active revocation "
          f"registry(ies), not {REGISTRIES_WANTED}: it makes the spare in the same request and swallows an error "
          f"there. Making the spare through the admin API. {agent['log']} said:\n{why}", file=sys.stderr)  # fmt: skip
    for _ in range(REGISTRIES_WANTED - len(made)):
        make_registry(admin, cred_def_id, agent["tails_server_url"], size)
    now = active_registries(admin, cred_def_id)
    if len(now) < REGISTRIES_WANTED:
        raise Fail(f"{name}: still {len(now)} active revocation registries after making the spare")
    agent["registries_made"] = len(made)
    agent["registry_error"] = why
