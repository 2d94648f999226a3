"""The subcommands (`cmd_*`: install, up, down, stop, start, restart, kill, status, pid, invite) and
their helpers: which agents `up` starts, the summary it prints, the ledger's start.

Each command takes the parsed arguments and returns its exit code, or raises Fail; no argparse
parser here (cli.py builds it).
"""

import argparse
import json
import shutil
import sys
import time
import urllib.parse
from pathlib import Path

from .config import (
    ACAPY_RELEASES, ACAPY_VENV, CLUSTERS, CLUSTER_ROLE, CREDO_AGENTS, DEFAULT_RELEASE, Fail, HOST, KNOWN_AGENTS,
    LEDGER_AGENTS, LOCUST_SPEC, LOCUST_VENV, MEDIATORS, PG_POOL_DEFAULT, PG_STORED, PICKUP_DIR, TLS_AGENTS,
    VENVS, agent_release, is_credo, release_of, role,
)
from .ledger import indy_ledger
from .state import Lock, free_ports, inner, load_state, new_state, save_state, state_dir, state_path, taken_ports
from .procs import is_ready, owns_ports, proc_is_ours, raise_fd_limit, stop_pids
from .install import (
    ensure_acapy, ensure_credo, ensure_old_locust, ensure_pickup_plugin, ensure_venv, install_system_packages,
    need_venv, releases_arg,
)
from .postgres import (
    check_pg_capacity, ensure_postgres, need_pg, pg_alive, pg_bindir, pg_pid_file, pg_ready, pg_version,
    stop_postgres,
)
from .tls import TLS_HOST, ensure_certs, https_ready, need_openssl, openssl, openssl_version, tls_dir
from .nginx import (
    ensure_nginx, need_nginx, nginx_dir, nginx_is_ours, nginx_listens, nginx_log_tail, nginx_version,
    stale_nginx, start_nginx, stop_nginx,
)
from .agents import create_invitation, ensure_indy_cred_def, new_agent, start_agents
from .cluster import cluster_dir, cluster_from_state, ensure_cluster, kill_instance, pick_instances, start_instances


def system_packages_report() -> list:
    """One line per system program the testbed runs: PostgreSQL's server, nginx, openssl."""
    b = need_pg()
    nginx, openssl = need_nginx(), need_openssl()
    return [f"postgresql: {pg_version(b)} ({b})", f"nginx: {nginx_version(nginx)} ({nginx})",
            f"openssl: {openssl_version(openssl)} ({openssl})"]  # fmt: skip


def cmd_install(args) -> int:
    VENVS.mkdir(exist_ok=True)
    # The testbed's own PostgreSQL and nginx use only the packages' programs, never their services.
    # g++ and libsodium: the Indy pool; nodejs (with npm), make and g++: the Credo mediator's ffi addons.
    install_system_packages("postgresql", "nginx", "openssl", "g++", "libsodium", "nodejs", "make")
    for line in system_packages_report():
        print(line, flush=True)
    releases = releases_arg(args.acapy) if args.acapy else list(ACAPY_RELEASES.values())
    for r in releases:
        print(ensure_acapy(r))
    print(ensure_venv(LOCUST_VENV, [LOCUST_SPEC], lambda v: (v["locust"] or "").startswith("2.47.")))
    print(ensure_old_locust())
    if DEFAULT_RELEASE in releases:  # the plugin runs on 0.12.8 only (it imports aries_cloudagent)
        print(ensure_pickup_plugin())
    print(indy_ledger.install(), flush=True)  # .venv/indy-pool: Python 3.8, indy-node (the ledger's nodes)
    print(ensure_credo(), flush=True)  # .venv/credo-mediator: Credo 0.6 from npm, askar from PyPI
    return 0


def cmd_kill(args) -> int:
    with Lock():
        state = load_state()
        cluster = cluster_from_state(state, args.cluster)
        name = pick_instances(cluster, args.instance, allow_all=False)[0]
        pid = kill_instance(state, name)
        print(f"{name} killed (SIGKILL, pid {pid})")
    return 0


def cmd_cluster(args, action) -> int:
    """stop / start / restart CLUSTER [I|all]: restart is rolling, one at a time, each ready
    before the next goes down."""
    raise_fd_limit()
    with Lock():
        state = load_state()
        cluster = cluster_from_state(state, args.agent)
        names = pick_instances(cluster, args.instance)
        if action == "stop":
            stop_pids([(n, state["agents"][n]) for n in names])
            print(f"{', '.join(names)} stopped")
        elif action == "start":
            if args.instance in (None, "all"):  # every instance that is down
                names = [n for n in names if not proc_is_ours(state["agents"][n].get("pid"), state["agents"][n])]
                if not names:
                    raise Fail(f"every instance of {cluster['name']} is already running")
            start_instances(state, names)
        else:
            for n in names:  # rolling: the next goes down only once this one is ready again
                t0 = time.monotonic()
                stop_pids([(n, state["agents"][n])])
                start_instances(state, [n], t0)
        if not (nginx_is_ours(cluster) and nginx_listens(cluster)):
            raise Fail(f"{cluster['name']}'s nginx (pid {cluster['nginx_pid']}) is not running: scripts/testbed up --agents {CLUSTER_ROLE}")
    return 0


def parse_agents(s) -> list:
    names = [n.strip() for n in s.split(",") if n.strip()]
    bad = [n for n in names if n not in KNOWN_AGENTS + CLUSTERS]
    if bad or not names:
        raise Fail(f"unknown agent(s) {bad or s!r}; known: {','.join(KNOWN_AGENTS + CLUSTERS)}")
    return names


def positive_int(s) -> int:
    try:
        n = int(s)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"not a positive integer: {s!r}")
    return n


def check_trace_target(url) -> None:
    if url in (None, "log", "message"):
        return
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("http", "https") or u.hostname not in ("127.0.0.1", "localhost"):
        raise Fail(f"--trace-target must be log, message or an http URL on 127.0.0.1, not {url!r}")


def print_state(state, as_json) -> None:
    if as_json:
        print(json.dumps(state, indent=2))
        return
    print(f"testbed in {state['dir']}")
    for n, a in state["agents"].items():
        key = "  (admin API key set)" if a.get("admin_api_key") else ""
        behind = f"  (listens on {inner(a, 'http_url')} {inner(a, 'ws_url')}, admin {inner(a, 'admin_url')})" \
            if a.get("backend_http_url") else ""  # fmt: skip
        server = (f"Credo {a['credo_version']:<8}" if a.get("server") == "credo"
                  else f"ACA-Py {agent_release(a).version:<7}")  # fmt: skip
        strategy = f"  ({a['strategy']})" if a.get("strategy") else ""
        print(f"  {n:<16} {server} pid {a['pid']!s:<7} admin {a['admin_url']}  "
              f"didcomm {a['http_url']} {a['ws_url']}{key}{behind}{strategy}")  # fmt: skip
    tls = state.get("tls")
    if tls:
        print(f"  {'nginx':<12} pid {tls['nginx_pid']!s:<7} nginx {tls['nginx_version']}, TLS fronts on {TLS_HOST} "
              f"(CA {tls['ca_cert']}; logs {tls['access_log']}, {tls['error_log']}):")  # fmt: skip
        for name, f in tls["fronts"].items():
            print(f"      {name:<20} {f['url']:<24} -> {f['upstream']}")
    for c in (state.get("clusters") or {}).values():
        print(f"  {c['name']:<16} ACA-Py {c['acapy_version']:<7} {c['size']} instances behind nginx pid {c['nginx_pid']}: "
              f"{c['http_url']} {c['ws_url']} (also {', '.join(f['url'] for k, f in c['fronts'].items() if f['url'] not in (c['http_url'], c['ws_url']))}; "
              f"access log {c['access_log']})")  # fmt: skip
        print(f"{c['name']} invitation: {c['invitation_url']}")
    led = state.get("ledger")
    if led:
        nodes = ", ".join(f"{n} {v['node_port']}/{v['client_port']}" for n, v in led["nodes"].items())
        print(f"  {'ledger':<12} Indy pool {led['pool_name']} ({nodes}); genesis {led['genesis_file']}; "
              f"tails server {led['tails_server']['url']}; issuer DID {led['issuer_did']} (ENDORSER)")  # fmt: skip
    pg = state.get("postgres")
    if pg:
        users = [f"{n} (pool {a.get('pg_max_connections')})" for n, a in state["agents"].items()
                 if a.get("wallet_storage") == "postgres"]  # fmt: skip
        print(f"  {'postgres':<12} pid {pg['pid']!s:<7} {HOST}:{pg['port']}  PostgreSQL {pg['version']}, "
              f"max_connections {pg['max_connections']}; askar wallets of {', '.join(users) or 'none'}")  # fmt: skip
    for n in MEDIATORS:
        if state["agents"].get(n, {}).get("invitation_url"):
            print(f"{n} invitation: {state['agents'][n]['invitation_url']}")


def up_names(args) -> list:
    """The agents `up` starts. --acapy picks the releases (default 0.12.8) and maps --agents' role
    names onto them (`--acapy 1.7.0 --agents mediator` -> mediator-1.7); without --agents, each
    release's agents (plus the TLS agents with --tls), and with the default release the Credo
    mediators."""
    releases = releases_arg(args.acapy) if args.acapy else [DEFAULT_RELEASE]
    if not args.agents:
        names = [n for r in releases for n in r.agents()] + list(TLS_AGENTS if args.tls else ())
        if DEFAULT_RELEASE in releases:
            names += CREDO_AGENTS
        return parse_agents(",".join(names))
    names = []
    for n in parse_agents(args.agents):
        if not args.acapy or n in TLS_AGENTS or is_credo(n) or (release_of(n) is not DEFAULT_RELEASE and n not in CLUSTERS):
            names.append(n)  # named with its release already
            continue
        for r in releases:
            if n == CLUSTER_ROLE:
                names.append(r.name(CLUSTER_ROLE))
                continue
            if role(n) not in r.roles:
                raise Fail(f"ACA-Py {r.version} has no {role(n)} agent in the testbed (it has {','.join(r.agents())})")
            names.append(r.name(role(n)))
    return list(dict.fromkeys(names))


def cmd_up(args) -> int:
    names = up_names(args)
    clusters = [n for n in names if n in CLUSTERS]
    names = [n for n in names if n not in CLUSTERS]
    want_tls = args.tls or any(n in TLS_AGENTS for n in names)  # the TLS agents live behind nginx
    check_trace_target(args.trace_target)
    need_venv(names + clusters)
    if args.cluster_size and not clusters:
        raise Fail(f"--cluster-size applies to a cluster: add --agents {CLUSTER_ROLE}")
    if want_tls or clusters:
        need_nginx()
        need_openssl()
    if "pickup" in names and not (PICKUP_DIR / "acapy_plugin_pickup").is_dir():
        raise Fail(f"{PICKUP_DIR} is missing: run scripts/testbed install")
    raise_fd_limit()
    with Lock():
        state = load_state() or new_state()
        state["dir"] = str(state_dir())
        agents = state["agents"]
        pool = args.pg_max_connections
        # The mediators' database first (also when it died under running mediators: same port again).
        on_pg = [n for n in names if (agents[n].get("wallet_storage") == "postgres" if n in agents else n in PG_STORED)]
        if on_pg or clusters:
            ensure_postgres(state, pool or PG_POOL_DEFAULT)
        if want_tls:  # before the TLS agents: their endpoints answer as soon as they do
            ensure_nginx(state)
            save_state(state)
        if any(n in LEDGER_AGENTS for n in names):  # the pool, tails server and issuer NYM first
            ensure_ledger(state)
        todo = []
        for n in names:
            a = agents.get(n)
            want_key = args.issuer_admin_key if n == "issuer" else None
            if a and proc_is_ours(a.get("pid"), a):
                # Alive and ours. One that lost a listening port is broken: replace it. One that
                # is slow to say ready is busy (another test is loading it): never kill it under
                # that test's feet; reuse it and say so.
                if not owns_ports(a):
                    print(f"testbed: {n} (pid {a['pid']}) no longer listens on its ports; replacing it",
                          file=sys.stderr)
                    stop_pids([(n, a)])
                elif not is_ready(a, patience=10):
                    print(f"testbed: {n} (pid {a['pid']}) is busy (not ready within 10 s); reusing it",
                          file=sys.stderr)
            if a and proc_is_ours(a.get("pid"), a):
                if a.get("admin_api_key") != want_key:
                    raise Fail(f"{n} is running with {'an admin API key' if a.get('admin_api_key') else 'no admin API key'}, "
                               f"not what was asked; use `scripts/testbed restart {n} --issuer-admin-key KEY|''` "
                               "or another AKRIDA_TESTBED_DIR")  # fmt: skip
                if args.trace_target and not is_credo(n) and a.get("trace_target") != args.trace_target:
                    raise Fail(f"{n} is running with trace target {a.get('trace_target')!r}; change it with "
                               f"`scripts/testbed restart {n} --trace-target URL` (while URL answers; '' = off)")  # fmt: skip
                if pool and not is_credo(n) and a.get("wallet_storage") == "postgres" and a.get("pg_max_connections") != pool:
                    raise Fail(f"{n} is running with an askar pool of {a.get('pg_max_connections')}; "
                               f"use `scripts/testbed restart {n} --pg-max-connections {pool}`")  # fmt: skip
                continue
            if a:  # recorded but dead: same ports and wallet again (retry picks new ports if taken)
                a.update(admin_api_key=want_key, trace_target=args.trace_target or a.get("trace_target"))
                if pool and not is_credo(n) and a.get("wallet_storage") == "postgres":
                    a["pg_max_connections"] = pool
            else:
                ports = None if n in TLS_AGENTS else free_ports(3, taken_ports(state))
                agents[n] = new_agent(n, ports, want_key, args.trace_target, pool, state.get("tls"), state.get("ledger"))
            todo.append(n)
        if todo:
            pools = {n: agents[n]["pg_max_connections"] for n in todo if agents[n].get("wallet_storage") == "postgres"}
            if pools:
                check_pg_capacity(state, pools)
            save_state(state)  # the postgres entry, even if an agent then fails to start
            start_agents(state, todo)
            save_state(state)
        elif on_pg:
            save_state(state)  # postgres may have been (re)started
        for n in names:
            if n in LEDGER_AGENTS and "registries_made" not in agents[n]:
                ensure_indy_cred_def(n, agents[n], save=lambda: save_state(state))
                save_state(state)
        if want_tls:
            tls = state["tls"]
            if tls.get("conf_outdated"):  # a TLS agent moved to other ports
                stop_nginx(tls)
                start_nginx(state, pinned=True)
                save_state(state)
            for n in todo:  # once through nginx, trusting only the testbed CA
                if n in TLS_AGENTS and not https_ready(tls, agents[n]):
                    raise Fail(f"{n} is ready on {inner(agents[n], 'admin_url')} but not through nginx at "
                               f"{agents[n]['admin_url']}/status/ready; {tls['error_log']}:\n" + nginx_log_tail(tls["error_log"], 0))  # fmt: skip
        for c in clusters:
            ensure_cluster(state, c, args.cluster_size, args.tls)
        print_state(state, args.json)
    return 0


def ensure_ledger(state) -> None:
    """The Indy pool, its tails server and the ledger-backed issuer's NYM (scripts/ledger/indy_testbed.py)."""
    try:
        indy_ledger.ensure(state, state_dir(), taken_ports(state), free_ports, ACAPY_VENV / "bin" / "python")
    except indy_ledger.LedgerError as e:
        save_state(state)  # what did start, so that `down` stops it
        raise Fail(str(e))
    save_state(state)


def cmd_down(args) -> int:
    with Lock():
        state = load_state(any_version=True)
        # First the ingress (also one that the state lost but that runs with our nginx.conf).
        tls = (state or {}).get("tls")
        for ingress in (tls, stale_nginx(tls)):
            if ingress:
                stop_nginx(ingress)
        for cluster in ((state or {}).get("clusters") or {}).values():
            stop_nginx(cluster)
        if state:
            stop_pids(list(state["agents"].items()))
            indy_ledger.stop(state.get("ledger"))  # after its issuer
        # After the agents: the mediators' database. Also one that the state lost but that runs on our data dir.
        pg = (state or {}).get("postgres") or {}
        data = pg.get("data") or str(state_dir() / "pg" / "data")
        stale = pg_pid_file(data)
        if stale and stale[0] != pg.get("pid") and pg_bindir():
            cand = {"pid": stale[0], "data": data, "dir": str(Path(data).parent), "bin": str(pg_bindir()),
                    "log": str(state_dir() / "logs" / "postgres.log")}  # fmt: skip
            if pg_alive(cand):
                pg = cand
        if pg:
            stop_postgres(pg)
        if state:
            state_path().unlink()
        # The CA, the certificates and the ticket key go; nginx's logs stay (like logs/).
        shutil.rmtree(tls_dir(), ignore_errors=True)
        for d in [nginx_dir()] + [cluster_dir(c) for c in CLUSTERS]:
            for f in ("nginx.conf", "nginx.pid", "logging.ini"):
                (d / f).unlink(missing_ok=True)
            shutil.rmtree(d / "tmp", ignore_errors=True)
        if not args.keep_wallets:  # the ledger goes with the wallets: the issuer's cred defs live in both
            shutil.rmtree(state_dir() / "home", ignore_errors=True)
            shutil.rmtree(state_dir() / "pg", ignore_errors=True)
            indy_ledger.remove(state_dir())
        print("testbed stopped" if state else "testbed was not up")
    return 0


def agent_from_state(state, name) -> dict:
    if name not in KNOWN_AGENTS:
        raise Fail(f"unknown agent {name!r}; known: {','.join(KNOWN_AGENTS)}")
    if not state or name not in state["agents"]:
        tls = "--tls " if name in TLS_AGENTS else ""
        raise Fail(f"{name} is not part of the testbed in {state_dir()}: run scripts/testbed up {tls}--agents {name}")
    return state["agents"][name]


def tls_from_state(state) -> dict:
    if not state or not state.get("tls"):
        raise Fail(f"nginx is not part of the testbed in {state_dir()}: run scripts/testbed up --tls")
    return state["tls"]


def cmd_stop(args) -> int:
    if args.agent in CLUSTERS:
        return cmd_cluster(args, "stop")
    if args.instance is not None:
        raise Fail(f"an instance number applies to a cluster ({','.join(CLUSTERS)}), not {args.agent}")
    with Lock():
        state = load_state()
        if args.agent == "nginx":
            stop_nginx(tls_from_state(state))
        else:
            a = agent_from_state(state, args.agent)
            stop_pids([(args.agent, a)])
        print(f"{args.agent} stopped")
    return 0


def cmd_start_nginx(args, restart) -> int:
    """A real restart: a new master and worker that read nginx.conf, the certificates and the
    ticket key again, on the same ports (tickets issued before stay valid)."""
    if args.issuer_admin_key is not None or args.trace_target is not None or args.pg_max_connections is not None:
        raise Fail("--issuer-admin-key, --trace-target and --pg-max-connections apply to agents, not nginx")
    raise_fd_limit()
    with Lock():
        state = load_state()
        tls = tls_from_state(state)
        t0 = time.monotonic()
        if restart:
            stop_nginx(tls)
        elif nginx_is_ours(tls):
            raise Fail(f"nginx is already running (pid {tls['nginx_pid']}); use restart")
        ensure_certs()  # the same files; made again only if someone removed them
        start_nginx(state, pinned=True)
        save_state(state)
        print(f"nginx {'restarted' if restart else 'started'} in {time.monotonic() - t0:.2f} s "
              f"(pid {tls['nginx_pid']}, {len(tls['fronts'])} fronts)")  # fmt: skip
    return 0


def cmd_start(args, restart=False) -> int:
    if args.agent in CLUSTERS:
        if args.issuer_admin_key is not None or args.trace_target is not None or args.pg_max_connections is not None:
            raise Fail("--issuer-admin-key, --trace-target and --pg-max-connections do not apply to a cluster")
        return cmd_cluster(args, "restart" if restart else "start")
    if args.instance is not None:
        raise Fail(f"an instance number applies to a cluster ({','.join(CLUSTERS)}), not {args.agent}")
    if args.agent == "nginx":
        return cmd_start_nginx(args, restart)
    need_venv([args.agent])
    raise_fd_limit()
    with Lock():
        state = load_state()
        a = agent_from_state(state, args.agent)
        if args.issuer_admin_key is not None:
            if args.agent != "issuer":
                raise Fail("--issuer-admin-key only applies to the issuer")
            a["admin_api_key"] = args.issuer_admin_key or None
        if args.trace_target is not None:  # '' clears it
            check_trace_target(args.trace_target or None)
            a["trace_target"] = args.trace_target or None
        on_pg = a.get("wallet_storage") == "postgres"
        if args.pg_max_connections is not None and not on_pg:
            raise Fail(f"--pg-max-connections only applies to agents with a PostgreSQL wallet ({','.join(PG_STORED)})")
        t0 = time.monotonic()
        if restart:
            stop_pids([(args.agent, a)])
        elif proc_is_ours(a.get("pid"), a):
            raise Fail(f"{args.agent} is already running (pid {a['pid']}); use restart")
        if on_pg:  # the wallet stays in the database: connections survive a restart
            if args.pg_max_connections:
                a["pg_max_connections"] = args.pg_max_connections
            ensure_postgres(state, a.get("pg_max_connections") or PG_POOL_DEFAULT)
            check_pg_capacity(state, {args.agent: a.get("pg_max_connections") or PG_POOL_DEFAULT})
        if args.agent in LEDGER_AGENTS:  # its pool (restarted on the same ledger if it stopped)
            ensure_ledger(state)
        start_agents(state, [args.agent], fixed_ports=True)
        save_state(state)
        print(f"{args.agent} {'restarted' if restart else 'started'} in {time.monotonic() - t0:.1f} s "
              f"(pid {a['pid']}, admin {a['admin_url']})")  # fmt: skip
    return 0


def cmd_status(args) -> int:
    state = load_state()
    if not state:
        raise Fail(f"testbed is not up (no {state_path()})")
    rows, ok = {}, True
    for n, a in state["agents"].items():
        alive = proc_is_ours(a.get("pid"), a)
        ready = alive and owns_ports(a) and is_ready(a)
        ok &= ready
        rows[n] = {"pid": a.get("pid"), "alive": alive, "ready": ready, "admin_url": a["admin_url"]}
    pg = state.get("postgres")
    if pg:  # ready = accepts connections on its port (pg_isready)
        alive = pg_alive(pg)
        ready = alive and pg_ready(pg)
        ok &= ready
        rows["postgres"] = {"pid": pg.get("pid"), "alive": alive, "ready": ready,
                            "url": f"postgres://{HOST}:{pg['port']}", "data": pg["data"]}  # fmt: skip
    if state.get("ledger"):  # ready = each node takes client connections; the tails server answers
        for n, r in indy_ledger.status_rows(state["ledger"]).items():
            ok &= r["ready"]
            rows[n] = r
    tls = state.get("tls")
    if tls:  # ready = the master listens on every front
        alive = nginx_is_ours(tls)
        ready = alive and nginx_listens(tls)
        ok &= ready
        rows["nginx"] = {"pid": tls.get("nginx_pid"), "alive": alive, "ready": ready,
                         "url": f"https://{TLS_HOST} ({len(tls['fronts'])} fronts, {tls['nginx_conf']})"}  # fmt: skip
    for c in (state.get("clusters") or {}).values():  # ready = its nginx listens on every front
        alive = nginx_is_ours(c)
        ready = alive and nginx_listens(c)
        ok &= ready
        rows[f"{c['name']}-nginx"] = {"pid": c.get("nginx_pid"), "alive": alive, "ready": ready, "url": c["http_url"]}
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for n, r in rows.items():
            print(f"{n:<16} pid {r['pid']!s:<7} alive {'yes' if r['alive'] else 'NO ':<3}  "
                  f"ready {'yes' if r['ready'] else 'NO ':<3}  {r.get('admin_url') or r['url']}")  # fmt: skip
    return 0 if ok else 1


def cmd_pid(args) -> int:
    """Print a running agent's pid (for `akrida run --server NAME=PID`)."""
    a = agent_from_state(load_state(), args.agent)
    if not proc_is_ours(a.get("pid"), a):
        raise Fail(f"{args.agent} is not running: scripts/testbed start {args.agent}")
    print(a["pid"])
    return 0


def cmd_invite(args) -> int:
    state = load_state()
    a = agent_from_state(state, args.agent)
    if not proc_is_ours(a.get("pid"), a):
        raise Fail(f"{args.agent} is not running: scripts/testbed start {args.agent}")
    if args.legacy and (args.handshake or args.peer_did):
        raise Fail("--legacy (connections 1.0 c_i) takes no --handshake/--peer-did")
    multi = args.multi_use if args.multi_use is not None else args.agent in MEDIATORS
    hs = [h.strip() for h in args.handshake.split(",") if h.strip()] if args.handshake else None
    reply = create_invitation(a, multi_use=multi, legacy=args.legacy, handshakes=hs, peer_did=args.peer_did,
                              ws_first=args.ws_first)  # fmt: skip
    print(json.dumps(reply, indent=2) if args.json else reply["invitation_url"])
    return 0
