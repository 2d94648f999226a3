"""Starting agents: the aca-py and Credo argv of each role, a new agent's state entry (ports, URLs,
wallet), launching it in its own session with its log, waiting until it is usable (ready, its
sockets its own, its invitation made), invitations, and the ledger-backed issuer's schema and
credential definition.

It does not decide which agents to start (commands.py) and does not start PostgreSQL, nginx or
the ledger: callers do that first.
"""

import json
import os
import subprocess
import threading
import time
from pathlib import Path

from .config import (
    CREDO_DIR, CREDO_PG_POOL, CREDO_SRC, CREDO_STRATEGIES, CREDO_VERSION, DIDCOMM, Fail, HOST, JWT_SECRET,
    LABELS, LEDGER_AGENTS, MEDIATORS, MEDIATOR_ROLES, PG_POOL_DEFAULT, PG_STORED, PICKUP_DIR, START_TIMEOUT,
    TLS_AGENTS, URL_KEYS, agent_release, is_credo, release_of, role,
)
from .ledger import INDY_CRED_DEF_TAG, INDY_REV_REG_SIZE, INDY_SCHEMA
from .registries import ensure_spare_registry
from .state import free_ports, inner, port_of, save_state, state_dir, taken_ports
from .procs import admin_call, home_variable, http, is_ready, log_tail, log_text, owns_ports, pid_alive, stop_pids
from .tls import move_tls_backends, tls_agent_urls


def credo_argv(name, agent, pg=None) -> list:
    """The Credo mediator's command line (scripts/credo-mediator/mediator.js; all sockets on
    127.0.0.1). It advertises http_url then ws_url (nginx's https/wss fronts for credo-tls)."""
    ph, pw, pa = (port_of(inner(agent, k)) for k in URL_KEYS)
    argv = ["node", str(CREDO_SRC / "mediator.js"), "--modules", str(CREDO_DIR / "node_modules"),
            "--http-port", str(ph), "--ws-port", str(pw), "--admin-port", str(pa),
            "--endpoints", f"{agent['http_url']},{agent['ws_url']}", "--strategy", agent["strategy"],
            "--label", agent["label"], "--store-id", name, "--store-path", agent["home"]]  # fmt: skip
    if agent.get("wallet_storage") == "postgres":  # database `<name>`, as for the ACA-Py mediators
        argv += ["--postgres", f"{HOST}:{pg['port']}", "--pg-account", pg["role"], "--pg-password", pg["password"],
                 "--pg-max-connections", str(agent.get("pg_max_connections") or CREDO_PG_POOL)]  # fmt: skip
    return argv


def agent_argv(name, agent, pg=None) -> list:
    """The aca-py command line for one agent (all sockets on 127.0.0.1); pg: state['postgres'].
    It advertises (-e) http_url and ws_url: nginx's https/wss fronts for the TLS agents."""
    ph, pw, pa = (port_of(inner(agent, k)) for k in URL_KEYS)
    argv = [str(agent_release(agent).venv / "bin" / "aca-py"), "start", "--label", agent["label"],
            "-it", "http", HOST, str(ph), "-it", "ws", HOST, str(pw), "-ot", "http", "-ot", "ws",
            "-e", agent["http_url"], agent["ws_url"], "--admin", HOST, str(pa),
            *(agent_ledger_flags(agent) if name in LEDGER_AGENTS else ["--no-ledger"]),
            "--wallet-type", "askar", "--wallet-name", agent.get("wallet_name") or name,
            "--wallet-key", f"{agent.get('wallet_name') or name}-key", "--auto-provision", "--log-level", "warning"]  # fmt: skip
    if agent.get("log_config"):  # cluster instances: the few log lines that tell what each instance did
        argv += ["--log-config", agent["log_config"]]
    if agent.get("wallet_storage") == "postgres":
        # askar on the testbed's PostgreSQL, database `<name>`; ACA-Py 0.12.8 (askar/store.py get_uri)
        # turns max_connections / min_idle_count / connection_timeout into askar's pool options.
        # The password shows in ps: a loopback-only test secret.
        config = {"url": f"{HOST}:{pg['port']}", "wallet_scheme": "DatabasePerWallet",
                  "max_connections": agent.get("pg_max_connections") or PG_POOL_DEFAULT}  # fmt: skip
        creds = {"account": pg["role"], "password": pg["password"],
                 "admin_account": pg["role"], "admin_password": pg["password"]}  # fmt: skip
        argv += ["--wallet-storage-type", "postgres_storage", "--wallet-storage-config", json.dumps(config),
                 "--wallet-storage-creds", json.dumps(creds)]  # fmt: skip
    key = agent.get("admin_api_key")
    argv += ["--admin-api-key", key] if key else ["--admin-insecure-mode"]
    if role(name) in MEDIATOR_ROLES or agent.get("cluster"):
        # No --auto-ping-connection: the mediator would ping every new holder, one more
        # message per onboarding that a holder without an endpoint cannot take at that moment.
        argv += ["--open-mediation", "--enable-undelivered-queue", "--auto-accept-requests"]
        if role(name) == "pickup":
            argv += ["--plugin", "acapy_plugin_pickup"]
    elif role(name) in ("issuer", "issuer-tls", "issuer-indy"):
        argv += ["--auto-accept-requests", "--auto-ping-connection",
                 "--auto-respond-credential-request", "--auto-verify-presentation",
                 "--preserve-exchange-records"]  # fmt: skip
    elif role(name) == "multitenant":
        argv += ["--multitenant", "--multitenant-admin", "--jwt-secret", agent["jwt_secret"],
                 "--auto-accept-invites", "--auto-accept-requests", "--auto-ping-connection"]  # fmt: skip
    if agent.get("trace_target"):
        argv += ["--trace", "--trace-target", agent["trace_target"], "--trace-label", agent["label"]]
    return argv


def agent_ledger_flags(agent) -> list:
    """aca-py's ledger flags for a ledger-backed agent (recorded in its state entry)."""
    return ["--genesis-file", agent["genesis_file"], "--ledger-pool-name", agent["ledger_pool_name"],
            "--seed", agent["seed"], "--tails-server-base-url", agent["tails_server_url"]]  # fmt: skip


def plain_urls(ports) -> dict:
    """URL_KEYS -> plain 127.0.0.1 URLs for (http, ws, admin) ports."""
    ph, pw, pa = ports
    return {"http_url": f"http://{HOST}:{ph}", "ws_url": f"ws://{HOST}:{pw}", "admin_url": f"http://{HOST}:{pa}"}


def new_agent(name, ports, admin_api_key, trace_target, pg_pool=None, tls=None, ledger=None) -> dict:
    """A state entry. ports: (http, ws, admin) where it listens. A TLS agent (tls: state['tls'])
    takes its three backend ports from nginx's fronts instead and is reached through them."""
    d = state_dir()
    if is_credo(name):
        a = {"pid": None, "server": "credo", "credo_version": CREDO_VERSION, "strategy": CREDO_STRATEGIES[name]}
    else:
        a = {"pid": None, "acapy_version": release_of(name).version}
    if name in TLS_AGENTS:
        a.update(tls_agent_urls(tls, name))
        a["ssl_cert_file"] = tls["ca_cert"]
    else:
        a.update(plain_urls(ports))
    a.update({
        "label": LABELS[name],
        "log": str(d / "logs" / f"{name}.log"),
        "home": str(d / "home" / name),
        "admin_api_key": admin_api_key if name == "issuer" else None,
        "trace_target": trace_target,
    })  # fmt: skip
    if name in MEDIATORS:
        a["invitation_url"] = None
    # Kept for the agent's life in this state: an agent recorded without it (older state) stays on sqlite.
    a["wallet_storage"] = "postgres" if name in PG_STORED else "sqlite"
    if name in PG_STORED:
        a["pg_max_connections"] = CREDO_PG_POOL if is_credo(name) else pg_pool or PG_POOL_DEFAULT
    if role(name) == "multitenant":
        a["jwt_secret"] = JWT_SECRET
    if name in LEDGER_AGENTS:  # ledger: state['ledger']; schema and cred def are made at its first start
        a.update(genesis_file=ledger["genesis_file"], ledger_pool_name=ledger["pool_name"], seed=ledger["issuer_seed"],
                 public_did=ledger["issuer_did"], tails_server_url=ledger["tails_server"]["url"],
                 schema_id=None, cred_def_id=None)  # fmt: skip
    return a


def ensure_indy_cred_def(name, agent, save) -> None:
    """The schema and the revocable credential definition of a ledger-backed issuer, made once
    (POST /schemas, POST /credential-definitions, which returns when both revocation registries
    are active), then checked once for both registries (registries.py). `save` keeps the state
    between the two steps."""
    admin = inner(agent, "admin_url")
    if agent.get("cred_def_id"):
        # Made by an earlier `up` whose registry check failed: check (and repair) again.
        if "registries_made" not in agent:
            ensure_spare_registry(name, agent, admin, INDY_REV_REG_SIZE, log_since=0)
        return
    reply = admin_call("POST", f"{admin}/schemas", INDY_SCHEMA, needs="schema_id", timeout=60)
    agent["schema_id"] = reply["schema_id"]
    body = {"schema_id": agent["schema_id"], "tag": INDY_CRED_DEF_TAG, "support_revocation": True,
            "revocation_registry_size": INDY_REV_REG_SIZE}  # fmt: skip
    log_since = os.path.getsize(agent["log"]) if os.path.exists(agent["log"]) else 0
    t0 = time.monotonic()
    reply = admin_call("POST", f"{admin}/credential-definitions", body,
                       needs="credential_definition_id", timeout=180)  # fmt: skip
    agent["cred_def_id"] = reply["credential_definition_id"]
    agent["cred_def_seconds"] = round(time.monotonic() - t0, 1)
    save()  # the definition is on the ledger: a later `up` must not ask for its tag again
    ensure_spare_registry(name, agent, admin, INDY_REV_REG_SIZE, log_since)


def create_credo_invitation(agent, multi_use=True, legacy=False, handshakes=None, peer_did=None, ws_first=False) -> dict:
    """POST /invitations on a Credo mediator's admin API (scripts/credo-mediator/mediator.js)."""
    if legacy:
        raise Fail("the Credo mediators make out-of-band invitations only (no --legacy)")
    if peer_did == "2":
        raise Fail("Credo puts a DID in an invitation only as did:peer:4 (--peer-did 4)")
    body = {"multi_use": multi_use, "did_peer_4": peer_did == "4", "ws_first": ws_first}
    if handshakes:
        body["handshake"] = [h.removeprefix(DIDCOMM) for h in handshakes]
    return admin_call("POST", f"{inner(agent, 'admin_url')}/invitations", body, needs="invitation_url")


def create_invitation(agent, multi_use=True, legacy=False, handshakes=None, peer_did=None, ws_first=False) -> dict:
    """POST the admin call that makes an invitation; returns the admin reply (with invitation_url)."""
    if agent.get("server") == "credo":
        return create_credo_invitation(agent, multi_use, legacy, handshakes, peer_did, ws_first)
    if ws_first:
        raise Fail("--ws-first applies to the Credo mediators (ACA-Py advertises one service)")
    q = f"multi_use={'true' if multi_use else 'false'}&auto_accept=true"
    # ACA-Py 1.x removed connections/1.0 (RFC 0160): no legacy invitation, and DID Exchange only.
    has_rfc0160 = agent_release(agent).version.startswith("0.")
    if legacy and not has_rfc0160:
        raise Fail(f"ACA-Py {agent_release(agent).version} has no connections/1.0 (removed in 1.x): no --legacy invitation")
    if legacy:
        url, body = f"{inner(agent, 'admin_url')}/connections/create-invitation?{q}", {}
    else:
        hs = handshakes or (
            ["didexchange/1.1"] if peer_did == "4"
            else ["didexchange/1.0", "connections/1.0"] if has_rfc0160 else ["didexchange/1.0"]
        )
        body = {"handshake_protocols": [h if h.startswith("http") else DIDCOMM + h for h in hs]}
        if peer_did:
            body["use_did_method"] = f"did:peer:{peer_did}"
        url = f"{inner(agent, 'admin_url')}/out-of-band/create-invitation?{q}"
    try:
        return admin_call("POST", url, body, needs="invitation_url", api_key=agent.get("admin_api_key"))
    except OSError as e:  # refused, reset, or no answer within http()'s timeout (a busy agent)
        raise Fail(f"POST {url}: {e or type(e).__name__} (is the agent overloaded? `scripts/testbed status`)")


def launch(name, agent, pg=None) -> int:
    """Start one aca-py in its own session (pid == pgid == sid); returns the log offset of this start."""
    home, log = Path(agent["home"]), Path(agent["log"])
    home.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, **{home_variable(agent): str(home)})
    if role(name) == "pickup":
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PICKUP_DIR), env.get("PYTHONPATH")]))
    if name in LEDGER_AGENTS:  # local tails files would go to ~/.indy_client/tails
        env["EXTERNAL_STORAGE"] = str(home / "external")
    if agent.get("ssl_cert_file"):  # the TLS agents: their aiohttp outbound (http and ws) trusts the testbed CA
        env["SSL_CERT_FILE"] = agent["ssl_cert_file"]
        env["NODE_EXTRA_CA_CERTS"] = agent["ssl_cert_file"]  # and credo-tls's (Node's https and ws)
    with open(log, "ab") as f:
        offset = f.tell()
        f.write(f"==== testbed: starting {name} at {time.strftime('%F %T')}\n".encode())
        f.flush()
        argv = credo_argv(name, agent, pg) if is_credo(name) else agent_argv(name, agent, pg)
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f,
                             stderr=subprocess.STDOUT, env=env, cwd=home, start_new_session=True)  # fmt: skip
    agent["pid"] = p.pid
    return offset


def wait_usable(name, agent, offset) -> None:
    """Ready != usable: wait for /status/ready, then one real admin call (mediators: the invitation)."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        # Only liveness here: until the child has exec'd, its /proc cmdline is still ours
        # (python3 scripts/testbed), so the "is it our aca-py" check would say no.
        if not pid_alive(agent["pid"]):
            raise Fail(f"{name} (pid {agent['pid']}) exited while starting; {agent['log']}:\n"
                       + log_tail(agent["log"], offset))  # fmt: skip
        if time.monotonic() > deadline:
            raise Fail(f"{name} not usable after {START_TIMEOUT:.0f} s; {agent['log']}:\n"
                       + log_tail(agent["log"], offset))  # fmt: skip
        if "address already in use" in log_text(agent["log"], offset).lower():
            raise Fail(f"{name}: a port was taken (address already in use); {agent['log']}:\n"
                       + log_tail(agent["log"], offset, 4))  # fmt: skip
        if is_ready(agent) and owns_ports(agent):
            try:
                # The release that answers is the one that was asked for (not another venv's aca-py).
                st, body = http("GET", inner(agent, "admin_url") + "/status", api_key=agent.get("admin_api_key"))
                if st != 200 or not isinstance(body, dict):
                    raise Fail(f"{name}: GET /status -> HTTP {st}: {str(body)[:200]}")
                if agent.get("server") == "credo":
                    if body.get("credo_version") != agent["credo_version"]:
                        raise Fail(f"{name}: /status reports Credo {body.get('credo_version')!r}, not {agent['credo_version']}")
                elif body.get("version") != agent_release(agent).version:
                    raise Fail(f"{name}: /status reports ACA-Py {body.get('version')!r}, not the "
                               f"{agent_release(agent).version} it was started as ({agent_release(agent).venv})")  # fmt: skip
                if name in MEDIATORS:
                    agent["invitation_url"] = create_invitation(agent)["invitation_url"]
                return
            except OSError:
                pass
        time.sleep(0.2)


def start_agents(state, names, fixed_ports=False) -> None:
    """Start `names` in parallel (their entries are already in state) and wait until each is usable.
    If a port was taken meanwhile and fixed_ports is False, retry that agent on fresh ports."""
    errors = {}

    def one(name):
        for attempt in range(3):
            agent = state["agents"][name]
            try:
                offset = launch(name, agent, state.get("postgres"))
            except OSError as e:
                errors[name] = f"cannot start {name}: {e}"
                return
            try:
                wait_usable(name, agent, offset)
                return
            except Fail as e:
                stop_pids([(name, agent)], quiet=True)
                in_use = "address already in use" in log_text(agent["log"], offset).lower()
                if not in_use or fixed_ports or attempt == 2:
                    errors[name] = str(e)
                    return
                fresh = plain_urls(free_ports(3, taken_ports(state)))
                if name in TLS_AGENTS:  # nginx's fronts keep their ports; they proxy to the new ones
                    move_tls_backends(state, name, fresh)
                else:
                    agent.update(fresh)

    threads = [threading.Thread(target=one, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        save_state(state)  # keep what did start (the others are stopped)
        raise Fail("; ".join(errors[n] for n in names if n in errors))
