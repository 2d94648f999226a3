"""The testbed's state dir and its state.json: where they are, loading (with the check of the
file's version), atomic saving, the lock that serialises commands, and the ports a state uses.

It starts no process and talks to no server.
"""

import fcntl
import json
import os
import socket
import sys
import tempfile
import urllib.parse
from pathlib import Path

from .config import Fail, HOST, REPO, URL_KEYS
from .ledger import indy_ledger


def state_dir() -> Path:
    d = os.environ.get("AKRIDA_TESTBED_DIR")
    return Path(d).resolve() if d else REPO / ".testbed"


def state_path() -> Path:
    return state_dir() / "state.json"


# The layout of state.json this package writes and reads: its top-level "version". The Rust
# crate crates/testbed checks the same number (STATE_VERSION in crates/testbed/src/lib.rs):
# change both together, with the fixture crates/testbed/tests/fixtures/state.json that both
# sides' tests read. A state.json without "version" was written by a testbed from before
# versions, whose layout is version 1's: it is read as version 1 (and saved with the field).
STATE_VERSION = 1
REDO = "run `scripts/testbed down` (it stops what that state records) and `scripts/testbed up` again"


def new_state() -> dict:
    """The state of a testbed that runs nothing yet."""
    return {"version": STATE_VERSION, "dir": str(state_dir()), "agents": {}}


def check_version(state, path) -> dict:
    """The state, if this package knows its version (none: the old layout, version 1); else Fail
    with what to do."""
    if not isinstance(state, dict) or not isinstance(state.get("agents"), dict):
        raise Fail(f"{path} is not a testbed state (no agents): {REDO}")
    version = state.setdefault("version", 1)  # before versions: the layout of version 1
    if version != STATE_VERSION:
        raise Fail(f"{path} has state version {version!r}, and this scripts/testbed reads version "
                   f"{STATE_VERSION} only (it was written by another checkout of akrida): {REDO}")  # fmt: skip
    return state


def load_state(any_version=False):
    """state.json, or None when there is none. `any_version`: for `down`, which stops what a state
    of another version records as well as it can, rather than leave it running."""
    try:
        state = json.loads(state_path().read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise Fail(f"cannot read {state_path()}: {e}")
    if any_version and isinstance(state, dict) and state.get("version", 1) != STATE_VERSION:
        print(f"testbed: {state_path()} has state version {state.get('version')!r} (this scripts/testbed "
              f"reads {STATE_VERSION}): stopping what it records as well as it can", file=sys.stderr)  # fmt: skip
        return state
    return check_version(state, state_path())


def save_state(state) -> None:
    """Atomic write: readers without the lock (status, invite) never see half a file. The version
    goes first."""
    p = state_path()
    state["version"] = STATE_VERSION
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".state.")
    with os.fdopen(fd, "w") as f:
        json.dump({"version": STATE_VERSION, **state}, f, indent=2)
        f.write("\n")
    os.replace(tmp, p)


class Lock:
    """Exclusive flock on <dir>/lock for the whole command (released when the process exits)."""

    def __enter__(self):
        state_dir().mkdir(parents=True, exist_ok=True)
        self.f = open(state_dir() / "lock", "a+")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def port_of(url: str) -> int:
    return urllib.parse.urlsplit(url).port


def inner(agent, key) -> str:
    """Where the agent itself listens for `key` (one of URL_KEYS): the plain 127.0.0.1 backend
    for the TLS agents (whose http_url/ws_url/admin_url are nginx's fronts), else the URL itself."""
    return agent.get("backend_" + key) or agent[key]


def taken_ports(state) -> set:
    """Every port the state already uses: agents (fronts and backends), nginx's fronts and the
    backend ports reserved for TLS agents, PostgreSQL."""
    taken = {port_of(a[k]) for a in state["agents"].values() for k in URL_KEYS}
    taken |= {port_of(inner(a, k)) for a in state["agents"].values() for k in URL_KEYS}
    for f in ((state.get("tls") or {}).get("fronts") or {}).values():
        taken |= {f["port"], port_of(f["upstream"])}
    for c in (state.get("clusters") or {}).values():
        taken |= {f["port"] for f in c["fronts"].values()}
    if (state.get("postgres") or {}).get("port"):
        taken.add(state["postgres"]["port"])
    if state.get("ledger"):
        taken |= indy_ledger.ports_of(state["ledger"])
    return taken


def free_ports(n: int, avoid=()) -> list:
    """Ask the kernel for n distinct free loopback ports (all held open until all are chosen)."""
    socks, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
            p = s.getsockname()[1]
            if p not in avoid and p not in ports:
                ports.append(p)
    finally:
        for s in socks:
            s.close()
    return ports
