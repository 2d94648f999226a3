"""The testbed's fixed facts: where the venvs live, the ACA-Py releases and Credo versions it runs,
the agents' names, roles and labels, the cluster names, the PostgreSQL login, the timeouts, and
`Fail` (the one-line error every command ends with).

Only constants and pure functions of an agent's name: no file, process or network access, and
no import of another module of the package (every other module may import this one).
"""

import os
from pathlib import Path


HOST = "127.0.0.1"  # never anything else: the testbed is loopback only
REPO = Path(__file__).resolve().parent.parent.parent  # scripts/akrida_testbed/config.py -> the repo
VENVS = REPO / ".venv"
ACAPY_VENV = VENVS / "acapy"
LOCUST_VENV = VENVS / "locust"
PICKUP_DIR = VENVS / "pickup-plugin"
ACAPY_VERSION = "0.12.8"  # the default release (see ACAPY_RELEASES)
LOCUST_SPEC = "locust==2.47.*"
# The oldest Locust master akrida's worker supports (the first that acks client_ready), for the
# worker's compatibility tests. Its pyzmq<23 has no wheel for Python 3.11, hence Python 3.10; the
# Flask/Werkzeug of its day, as later ones dropped what it imports.
LOCUST_OLD_VENV = VENVS / "locust-2.10"
LOCUST_OLD_VERSION = "2.10.0"
LOCUST_OLD_SPECS = [f"locust=={LOCUST_OLD_VERSION}", "flask<2.3", "werkzeug<2.3"]
LOCUST_OLD_PYTHON = "3.10"
PICKUP_SPEC = "acapy-plugin-pickup==0.2.0"
# The Credo-TS mediator (scripts/credo-mediator/: our program, its package.json and lock). npm ci
# puts its packages in .venv/credo-mediator/node_modules; the askar native library comes from the
# PyPI wheel of the version askar-nodejs names (its own install script would fetch it elsewhere).
CREDO_SRC = REPO / "scripts" / "credo-mediator"
CREDO_DIR = VENVS / "credo-mediator"
CREDO_VERSION = "0.6.3"
CREDO_ASKAR_SPEC = "aries-askar==0.4.6"
CREDO_ASKAR_LIB = CREDO_DIR / "node_modules" / "@openwallet-foundation" / "askar-nodejs" / "native" / "libaries_askar.so"
CREDO_FFI_ADDONS = ("@2060.io/ffi-napi", "@2060.io/ref-napi")  # native addons askar-nodejs loads askar through
NODE_MIN = (20, 19)  # Credo 0.6's engines field


class Release:
    """One ACA-Py release the testbed runs: its venv, the pip specs that make it, the Python it
    needs (None: the python3 running this script) and the suffix of its agents' names."""

    def __init__(self, version, package, specs, python, suffix, roles):
        self.version, self.package, self.specs = version, package, specs
        self.python, self.suffix, self.roles = python, suffix, roles
        self.venv = VENVS / ("acapy" if not suffix else f"acapy-{version}")

    def name(self, role) -> str:
        return role + self.suffix

    def agents(self) -> tuple:
        return tuple(self.name(r) for r in self.roles)


# 0.12.8 stays the default: every figure and finding in the book was measured on it, and it is
# the release the TLS agents and the Pickup 2.0 mediator run (no Pickup plugin exists for 1.x).
ACAPY_RELEASES = {
    ACAPY_VERSION: Release(ACAPY_VERSION, "aries-cloudagent", [f"aries-cloudagent[askar]=={ACAPY_VERSION}", "pynacl"],
                           None, "", ("mediator", "pickup", "issuer", "multitenant")),
    # 1.5.0 and later require Python >= 3.13; askar is a plain dependency (no [askar] extra).
    "1.7.0": Release("1.7.0", "acapy-agent", ["acapy-agent==1.7.0", "pynacl"], "3.13", "-1.7",
                     ("mediator", "issuer", "multitenant")),
}  # fmt: skip
DEFAULT_RELEASE = ACAPY_RELEASES[ACAPY_VERSION]
ALL_AGENTS = DEFAULT_RELEASE.agents()  # what `up` starts by default
TLS_AGENTS = ("mediator-tls", "issuer-tls")  # behind nginx; `up --tls` adds them to the default
# On the testbed's Indy ledger (scripts/ledger/): started only when named, with the pool it needs;
# ACA-Py 0.12.8 (the default release: no suffix).
LEDGER_AGENTS = ("issuer-indy",)
# Credo-TS 0.6 mediators (scripts/credo-mediator/mediator.js), one per forwarding strategy: how a
# forwarded message reaches a holder. `credo` has Credo's default (DirectDelivery: to an open
# socket, else the holder's endpoint, else the queue); `credo-tls` has the same behind nginx.
CREDO_STRATEGIES = {
    "credo": "DirectDelivery",
    "credo-queue": "QueueOnly",
    "credo-live": "QueueAndLiveModeDelivery",
    "credo-tls": "DirectDelivery",
}
CREDO_AGENTS = ("credo", "credo-queue", "credo-live")  # what `up` starts by default beside ACA-Py's
TLS_AGENTS = TLS_AGENTS + ("credo-tls",)
CREDO_PG_POOL = 20  # askar pool (PostgreSQL connections) per Credo mediator: one Node event loop
KNOWN_AGENTS = (tuple(n for r in ACAPY_RELEASES.values() for n in r.agents()) + TLS_AGENTS + LEDGER_AGENTS
                + CREDO_AGENTS)  # fmt: skip


def is_credo(name) -> bool:
    """A Credo mediator, not an aca-py."""
    return name in CREDO_STRATEGIES


def release_of(name) -> Release:
    """The release an agent runs, from its name (`mediator-1.7` -> 1.7.0; TLS agents: the default)."""
    for r in ACAPY_RELEASES.values():
        if r.suffix and name.endswith(r.suffix):
            return r
    return DEFAULT_RELEASE


def role(name) -> str:
    """What an agent does, whatever its release: `mediator-1.7` -> `mediator`."""
    suffix = release_of(name).suffix
    return name[: -len(suffix)] if suffix else name


MEDIATOR_ROLES = ("mediator", "pickup", "mediator-tls")
MEDIATORS = tuple(n for n in KNOWN_AGENTS if role(n) in MEDIATOR_ROLES or is_credo(n))
ROLE_LABELS = {
    "mediator": "TB-Mediator",
    "pickup": "TB-PickupMediator",
    "issuer": "TB-Issuer",
    "multitenant": "TB-Multitenant",
    "mediator-tls": "TB-Mediator-TLS",
    "issuer-tls": "TB-Issuer-TLS",
    "issuer-indy": "TB-Issuer-Indy",
    "credo": "TB-Credo",
    "credo-queue": "TB-Credo-Queue",
    "credo-live": "TB-Credo-Live",
    "credo-tls": "TB-Credo-TLS",
}
LABELS = {n: ROLE_LABELS[role(n)] + release_of(n).suffix for n in KNOWN_AGENTS}


URL_KEYS = ("http_url", "ws_url", "admin_url")
JWT_SECRET = "akrida-testbed-jwt-secret"  # loopback test secret, not a real one
DIDCOMM = "https://didcomm.org/"
# askar on PostgreSQL for the mediators (issuer/multitenant stay on sqlite: a handful of
# exchanges at a time, and multitenant makes one sqlite store per tenant).
PG_STORED = MEDIATORS
PG_ROLE = "akrida"  # the agents' login role (CREATEDB: askar creates one database per wallet)
PG_PASSWORD = "akrida-testbed-pg"  # loopback test secret, not a real one
PG_POOL_DEFAULT = 200  # askar pool (max_connections) per mediator; see --pg-max-connections
START_TIMEOUT = float(os.environ.get("AKRIDA_TESTBED_TIMEOUT", "90"))
STOP_TIMEOUT = 10.0


class Fail(Exception):
    """A one-line cause for stderr; main() turns it into exit code 1."""


def agent_release(agent) -> Release:
    """The release a state entry runs (entries written before releases were recorded: the default)."""
    v = agent.get("acapy_version") or ACAPY_VERSION
    if v not in ACAPY_RELEASES:
        raise Fail(f"the state names ACA-Py {v}, which this testbed does not know ({', '.join(ACAPY_RELEASES)})")
    return ACAPY_RELEASES[v]


CLUSTER_ROLE = "mediator-cluster"
CLUSTERS = tuple(r.name(CLUSTER_ROLE) for r in ACAPY_RELEASES.values())  # mediator-cluster, mediator-cluster-1.7
CLUSTER_SIZE = 3
CLUSTER_PG_POOL = 50  # askar pool per instance: N instances share the load of one mediator
