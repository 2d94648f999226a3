"""The command line: the argparse parser of every subcommand (their help text) and main(), which
runs one and turns a Fail into `testbed: <cause>` on stderr and exit code 1.

Nothing but parsing and dispatch: the commands are in commands.py.
"""

import argparse
import sys

from .config import (
    ACAPY_RELEASES, ACAPY_VERSION, ALL_AGENTS, CLUSTERS, CLUSTER_ROLE, CLUSTER_SIZE, CREDO_AGENTS,
    CREDO_ASKAR_SPEC, Fail, KNOWN_AGENTS, LOCUST_SPEC, PG_POOL_DEFAULT, PICKUP_SPEC,
)
from .commands import (
    cmd_down, cmd_install, cmd_invite, cmd_kill, cmd_pid, cmd_start, cmd_status, cmd_stop, cmd_up, positive_int,
)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="scripts/testbed",
        description="Local testbed of real ACA-Py agents (0.12.8 by default, 1.7.0 beside it) on 127.0.0.1 "
        "(state in $AKRIDA_TESTBED_DIR or <repo>/.testbed).",
    )
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    s = sub.add_parser("install", help="create/verify .venv/acapy, .venv/acapy-1.7.0, .venv/locust, .venv/pickup-plugin, "
                       ".venv/indy-pool, .venv/credo-mediator, "
                       "PostgreSQL, nginx",
                       description="Create the project-local venvs if missing and verify their versions "
                       f"(.venv/acapy: aries-cloudagent[askar]=={ACAPY_VERSION} + pynacl; .venv/locust: "
                       f"{LOCUST_SPEC}); pip download {PICKUP_SPEC} and unzip it into .venv/pickup-plugin; .venv/indy-pool "
                       "(pyenv's Python 3.8: indy-node 1.13.2 for the testbed's Indy pool). "
                       "Installs the Debian packages postgresql, nginx and openssl (scripts/install-system-packages: "
                       "apt-get as root or with sudo, services not started) when missing. Fast and idempotent when "
                       "everything is present. .venv/acapy-1.7.0 (acapy-agent==1.7.0 + pynacl) is made with "
                       "Python 3.13 (on PATH, or pyenv's under $(pyenv root)/versions/3.13*). .venv/credo-mediator: "
                       "npm ci --ignore-scripts of scripts/credo-mediator's lock file, npm rebuild of the ffi addons, and "
                       f"libaries_askar.so from the PyPI wheel {CREDO_ASKAR_SPEC} (Node.js >= 20.19 and npm needed).")  # fmt: skip
    s.add_argument("--acapy", metavar="VERSIONS", help=f"only these ACA-Py releases' venvs (default: all, {','.join(ACAPY_RELEASES)})")
    s.set_defaults(fn=cmd_install)

    s = sub.add_parser("up", help="start (or reuse) the agents and print their addresses",
                       description="Start the requested agents on free 127.0.0.1 ports, in parallel, and wait "
                       "until each is usable; the mediators' PostgreSQL first (initdb into pg/ on first use), then "
                       "nginx with --tls (CA and certificates into tls/ on first use). Idempotent and safe "
                       "under concurrency: agents that are already alive and ready are reused; only missing ones are "
                       "started. Writes state.json.")  # fmt: skip
    s.add_argument("--agents", help=f"comma list of {','.join(KNOWN_AGENTS)} (default: {','.join(ALL_AGENTS + CREDO_AGENTS)}; "
                   "with --tls also mediator-tls,issuer-tls,credo-tls)")  # fmt: skip
    s.add_argument("--acapy", metavar="VERSIONS", help=f"comma list of ACA-Py releases ({','.join(ACAPY_RELEASES)}; "
                   f"default {ACAPY_VERSION}): start each one's agents (1.7.0: {','.join(ACAPY_RELEASES['1.7.0'].agents())}), "
                   "or, with --agents, the named roles on each")  # fmt: skip
    s.add_argument("--tls", action="store_true", help="also the TLS ingress: the testbed CA and certificates, nginx "
                   "with its fronts, and (unless --agents says otherwise) mediator-tls and issuer-tls behind it; "
                   "naming a TLS agent in --agents implies it")  # fmt: skip
    s.add_argument("--json", action="store_true", help="print state.json instead of a summary")
    s.add_argument("--trace-target", metavar="URL", help="pass --trace --trace-target URL to new agents (127.0.0.1 only)")
    s.add_argument("--issuer-admin-key", metavar="KEY", help="start the issuer with --admin-api-key KEY "
                   "(default: --admin-insecure-mode)")  # fmt: skip
    s.add_argument("--pg-max-connections", metavar="N", type=positive_int,
                   help=f"askar PostgreSQL pool per mediator, for mediators started now (default {PG_POOL_DEFAULT})")  # fmt: skip
    s.add_argument("--cluster-size", metavar="N", type=positive_int,
                   help=f"instances of a new {CLUSTER_ROLE} (default {CLUSTER_SIZE}); named with --agents {CLUSTER_ROLE}, "
                   "which starts, per --acapy release, N mediators sharing one askar wallet on PostgreSQL behind "
                   "their own nginx (one public http/ws endpoint, round robin; also https/wss fronts, advertised "
                   "instead of http/ws when --tls is given at the cluster's first start)")  # fmt: skip
    s.set_defaults(fn=cmd_up)

    s = sub.add_parser("down", help="stop nginx and every agent of this testbed and remove state (and wallets)",
                       description="SIGTERM nginx's process group, then each agent's (after checking it still is "
                       "our nginx / aca-py), SIGKILL after 10 s; then stop the testbed's PostgreSQL (pg_ctl stop "
                       "-m fast); remove state.json, the CA and certificates (tls/), nginx's config, and the wallets "
                       "(home/, pg/) unless --keep-wallets. Logs (logs/, nginx/*.log) stay.")  # fmt: skip
    s.add_argument("--keep-wallets", action="store_true", help="keep home/<agent>/ and pg/ (wallets) for the next up")
    s.set_defaults(fn=cmd_down)

    for name, helptext, fn in (
        ("stop", "stop one agent, or nginx (its state entry, ports and wallet are kept)", cmd_stop),
        ("start", "start a stopped agent (or nginx) again on the same ports with the same wallet", cmd_start),
        ("restart", "stop and start one agent (or nginx) on the same ports with the same wallet (certificates "
         "and ticket key)", lambda a: cmd_start(a, True)),
    ):
        s = sub.add_parser(name, help=helptext, description=helptext + ". For a cluster "
                           f"({','.join(CLUSTERS)}): INSTANCE is 1..N or all (the default); start takes those that "
                           "are down, in parallel; restart is rolling, one instance at a time, each ready before the "
                           "next goes down; each prints when it is ready and how long it took.")  # fmt: skip
        s.add_argument("agent", metavar="AGENT", help=f"one of {','.join(KNOWN_AGENTS)}, nginx, or a cluster "
                       f"({','.join(CLUSTERS)})")  # fmt: skip
        s.add_argument("instance", metavar="INSTANCE", nargs="?", help="clusters only: 1..N or all (default all)")
        if name != "stop":
            s.add_argument("--issuer-admin-key", metavar="KEY", help="issuer only: new admin API key ('' = none)")
            s.add_argument("--trace-target", metavar="URL", help="new --trace-target (http URL on 127.0.0.1, log, "
                           "message; '' = no tracing); an http target must answer before the agent can start")  # fmt: skip
            s.add_argument("--pg-max-connections", metavar="N", type=positive_int,
                           help="mediators only: new askar PostgreSQL pool size (kept in the state)")  # fmt: skip
        s.set_defaults(fn=fn)

    s = sub.add_parser("kill", help="SIGKILL one instance of a cluster (a crash), e.g. kill mediator-cluster 2",
                       description="SIGKILL the process group of one cluster instance (no shutdown: its sockets "
                       "reset, its in-memory state is gone) and wait until it is gone. nginx keeps the others; "
                       "`start CLUSTER I` brings it back on the same ports and shared wallet.")  # fmt: skip
    s.add_argument("cluster", metavar="CLUSTER", help=f"one of {','.join(CLUSTERS)}")
    s.add_argument("instance", metavar="INSTANCE", help="the instance number, 1..N")
    s.set_defaults(fn=cmd_kill)

    s = sub.add_parser("status", help="print each agent's pid, alive and ready (exit 1 unless all ready)",
                       description="Print each recorded agent: alive (pid is our aca-py) and ready "
                       "(/status/ready), the testbed's PostgreSQL (pg_isready) and nginx (listens on every "
                       "front). Exit 1 unless all are ready.")  # fmt: skip
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(fn=cmd_status)

    s = sub.add_parser("pid", help="print a running agent's pid (e.g. for akrida run --server NAME=PID)",
                       description="Print the process id of AGENT (the aca-py or node it runs) if it is running; "
                       "exit 1 otherwise.")  # fmt: skip
    s.add_argument("agent", metavar="AGENT", help=f"one of {','.join(KNOWN_AGENTS)}")
    s.set_defaults(fn=cmd_pid)

    s = sub.add_parser("invite", help="create a fresh invitation on an agent and print its URL",
                       description="Create a fresh invitation on AGENT through its admin API and print the URL: "
                       "out-of-band 1.1 by default (handshake didexchange/1.0,connections/1.0), or "
                       "connections 1.0 (?c_i=) with --legacy. Multi-use by default on mediators.")  # fmt: skip
    s.add_argument("agent", metavar="AGENT", help=f"one of {','.join(KNOWN_AGENTS)}")
    s.add_argument("--legacy", action="store_true", help="connections/1.0 invitation (c_i) instead of OOB")
    s.add_argument("--handshake", metavar="LIST", help="comma list, e.g. didexchange/1.0,didexchange/1.1,connections/1.0")
    s.add_argument("--peer-did", choices=["2", "4"], help="use_did_method did:peer:2 or did:peer:4 "
                   "(4 defaults the handshake to didexchange/1.1)")  # fmt: skip
    g = s.add_mutually_exclusive_group()
    g.add_argument("--multi-use", dest="multi_use", action="store_true", default=None, help="multi-use invitation")
    g.add_argument("--single-use", dest="multi_use", action="store_false", help="single-use invitation")
    s.add_argument("--ws-first", action="store_true", help="Credo mediators: the inline services in the order "
                   "ws, http (Credo's default: http, ws)")  # fmt: skip
    s.add_argument("--json", action="store_true", help="print the whole admin reply")
    s.set_defaults(fn=cmd_invite)

    args = p.parse_args(argv)
    try:
        return args.fn(args)
    except Fail as e:
        print(f"testbed: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
