"""The mediator cluster (`up --agents mediator-cluster`).

N ACA-Py mediator instances of one release sharing one askar wallet (same wallet name and key,
one database on the testbed's PostgreSQL), behind their own nginx: one public endpoint, HTTP
and WebSocket, round robin over the instances. Every instance advertises nginx's endpoint, so
invitations, mediation grants and DID documents all name it. All clients come from 127.0.0.1,
so ip_hash would pin every holder to one instance: plain round robin, per request (HTTP) and
per connection (WebSocket). The instances are agents in state['agents'] (`<cluster>-<i>`, with
`cluster` and `instance` fields); the cluster itself (nginx, fronts, invitation) is
state['clusters'][<cluster>].

Making, starting and stopping a cluster and its instances; the kill/stop/start/restart commands
on a cluster are in commands.py. No argument parsing here.
"""

import subprocess
import time
from pathlib import Path

from .config import (
    ACAPY_RELEASES, CLUSTERS, CLUSTER_PG_POOL, CLUSTER_ROLE, CLUSTER_SIZE, DEFAULT_RELEASE, Fail, HOST,
    PG_POOL_DEFAULT, Release, STOP_TIMEOUT,
)
from .state import free_ports, inner, save_state, state_dir, taken_ports
from .procs import proc_is_ours, reap
from .groups import kill_groups
from .postgres import check_pg_capacity, ensure_postgres
from .tls import TLS_HOST, ensure_certs
from .nginx import need_nginx, nginx_conf_text, nginx_dir, nginx_is_ours, nginx_listens, nginx_log_tail, stop_nginx
from .agents import create_invitation, start_agents


CLUSTER_FRONTS = ("http", "ws", "https", "wss")
# A dead instance is left out for this long after one failed connection, then tried again:
# short, so a restarted instance gets holders back soon.
CLUSTER_FAIL_TIMEOUT = "3s"
# What each instance logs besides warnings, to tell what it did (root stays at --log-level
# warning): message handlers at INFO ("Forwarding message to connection: …" for every forward
# it handled), the inbound transport manager at DEBUG ("Returned message to socket …" for every
# message it pushed to a live session, "Sending previously undelivered message via inbound
# session" for every one it took from its queue). Queued messages are the conductor's warning
# "Cannot queue message for delivery, no supported transport" (a holder without an endpoint).
CLUSTER_LOG_CONFIG = """\
# Written by scripts/testbed: what a cluster instance logs (see scripts/akrida_testbed/cluster.py)
[loggers]
keys=root,handlers,inbound

[handlers]
keys=stream_handler

[formatters]
keys=formatter

[logger_root]
level=WARNING
handlers=stream_handler

[logger_handlers]
level=INFO
handlers=
qualname=@PKG@.messaging.base_handler

[logger_inbound]
level=DEBUG
handlers=
qualname=@PKG@.transport.inbound.manager

[handler_stream_handler]
class=StreamHandler
level=DEBUG
formatter=formatter
args=(sys.stderr,)

[formatter_formatter]
format=%(asctime)s %(name)s %(levelname)s %(message)s
"""


def cluster_release(cname) -> Release:
    """The release a cluster runs, from its name (`mediator-cluster-1.7` -> 1.7.0)."""
    for r in ACAPY_RELEASES.values():
        if r.name(CLUSTER_ROLE) == cname:
            return r
    raise Fail(f"unknown cluster {cname!r}; known: {','.join(CLUSTERS)}")


def cluster_dir(cname) -> Path:
    return nginx_dir() / cname


def instance_names(cluster) -> list:
    return [f"{cluster['name']}-{i}" for i in range(1, cluster["size"] + 1)]


def new_cluster(state, cname, size, tls) -> dict:
    """State entries for a cluster of `size` instances and its nginx (nothing started yet)."""
    r = cluster_release(cname)
    ports = iter(free_ports(len(CLUSTER_FRONTS) + 3 * size, taken_ports(state)))
    d = cluster_dir(cname)
    fronts = {}
    for kind in CLUSTER_FRONTS:
        port = next(ports)
        host = TLS_HOST if kind in ("https", "wss") else HOST
        fronts[kind] = {"url": f"{kind}://{host}:{port}", "port": port}
    public = (fronts["https"], fronts["wss"]) if tls else (fronts["http"], fronts["ws"])
    certs = ensure_certs()
    cluster = {
        "name": cname,
        "acapy_version": r.version,
        "size": size,
        "tls": tls,
        "http_url": public[0]["url"],  # what every instance advertises (-e)
        "ws_url": public[1]["url"],
        "fronts": fronts,
        "invitation_url": None,
        "wallet_name": cname,
        "ca_cert": str(certs["ca_cert"]),
        "nginx_pid": None,
        "nginx_prefix": str(d),
        "nginx_conf": str(d / "nginx.conf"),
        "access_log": str(d / "access.log"),
        "error_log": str(d / "error.log"),
        "log_config": str(d / "logging.ini"),
        "instances": [],
    }
    for i in range(1, size + 1):
        name = f"{cname}-{i}"
        ph, pw, pa = next(ports), next(ports), next(ports)
        state["agents"][name] = {
            "pid": None,
            "acapy_version": r.version,
            "cluster": cname,
            "instance": i,
            "http_url": cluster["http_url"],
            "ws_url": cluster["ws_url"],
            "admin_url": f"http://{HOST}:{pa}",
            "backend_http_url": f"http://{HOST}:{ph}",
            "backend_ws_url": f"ws://{HOST}:{pw}",
            "label": f"TB-Mediator-Cluster{r.suffix}",
            "log": str(state_dir() / "logs" / f"{name}.log"),
            "home": str(state_dir() / "home" / name),
            "admin_api_key": None,
            "trace_target": None,
            "wallet_storage": "postgres",
            "wallet_name": cname,
            "pg_max_connections": CLUSTER_PG_POOL,
            "log_config": cluster["log_config"],
            "ssl_cert_file": cluster["ca_cert"] if tls else None,
        }
        cluster["instances"].append(name)
    state.setdefault("clusters", {})[cname] = cluster
    return cluster


def cluster_nginx_conf(state, cluster) -> str:
    """nginx.conf of a cluster: one upstream group per kind (http, ws) over every instance, round
    robin (the default: no ip_hash, every client is 127.0.0.1), and the four fronts."""
    agents = [state["agents"][n] for n in cluster["instances"]]
    c = cluster["name"].replace("-", "_").replace(".", "_")

    def group(kind, key, extra):
        members = "".join(f"        server {inner(a, key).split('://', 1)[1]} max_fails=1 "
                          f"fail_timeout={CLUSTER_FAIL_TIMEOUT};  # {a['instance']}\n" for a in agents)  # fmt: skip
        return f"    upstream {c}_{kind} {{\n{members}{extra}    }}\n"

    upstreams = group("http", "http_url", "        keepalive 32;\n") + group("ws", "ws_url", "")
    servers = []
    certs = ensure_certs()
    for kind, f in cluster["fronts"].items():
        ws = kind in ("ws", "wss")
        headers = ("            proxy_set_header Host $http_host;\n"
                   "            proxy_set_header X-Forwarded-For $remote_addr;\n"
                   f"            proxy_set_header X-Forwarded-Proto {'https' if kind in ('https', 'wss') else 'http'};\n")  # fmt: skip
        if ws:
            proxy = (f"            proxy_pass http://{c}_ws;\n" + headers +
                     "            proxy_set_header Upgrade $http_upgrade;\n"
                     "            proxy_set_header Connection $connection_upgrade;\n"
                     "            proxy_read_timeout 3600s;\n"
                     "            proxy_send_timeout 3600s;\n")  # fmt: skip
        else:
            proxy = (f"            proxy_pass http://{c}_http;\n" + headers +
                     '            proxy_set_header Connection "";\n'
                     "            proxy_read_timeout 300s;\n"
                     "            proxy_send_timeout 300s;\n")  # fmt: skip
        tls = kind in ("https", "wss")
        servers.append(
            f"    server {{  # {cluster['name']} {kind}\n"
            f"        listen {HOST}:{f['port']}{' ssl' if tls else ''};\n"
            + (f"        server_name {TLS_HOST};\n        ssl_certificate {certs['server'][0]};\n"
               f"        ssl_certificate_key {certs['server'][1]};\n" if tls else "")
            + "        location / {\n" + proxy + "        }\n    }\n"
        )
    return nginx_conf_text(f"the {cluster['name']} balancer", cluster["nginx_prefix"], cluster["error_log"],
                           cluster["access_log"], str(certs["session_ticket_key"]), upstreams, "".join(servers))  # fmt: skip


def start_cluster_nginx(state, cluster) -> None:
    """Write the cluster's nginx.conf and start its nginx; wait until it listens on every front."""
    nginx = need_nginx()
    d = Path(cluster["nginx_prefix"])
    (d / "tmp").mkdir(parents=True, exist_ok=True)
    Path(cluster["nginx_conf"]).write_text(cluster_nginx_conf(state, cluster))
    log = Path(cluster["error_log"])
    offset = log.stat().st_size if log.exists() else 0
    with open(log, "ab") as f:
        p = subprocess.Popen([str(nginx), "-p", str(d), "-c", cluster["nginx_conf"], "-e", cluster["error_log"]],
                             stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT, cwd=d,
                             start_new_session=True)  # fmt: skip
    cluster["nginx_pid"] = p.pid
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and p.poll() is None:
        if nginx_listens(cluster):
            return
        time.sleep(0.02)
    stop_nginx(cluster, quiet=True)
    raise Fail(f"{cluster['name']}'s nginx did not listen on its {len(cluster['fronts'])} ports; {cluster['error_log']}:\n"
               + nginx_log_tail(log, offset))  # fmt: skip


def ensure_cluster(state, cname, size, tls) -> dict:
    """The cluster running: its nginx and every instance (dead ones started again on the same
    ports). A new cluster's first instance starts alone (it makes the shared wallet), the others
    then in parallel; a known cluster's dead instances start in parallel."""
    cluster = (state.get("clusters") or {}).get(cname)
    if cluster and size and size != cluster["size"]:
        raise Fail(f"{cname} runs {cluster['size']} instances, not {size}: `scripts/testbed down` first")
    if cluster and tls != cluster["tls"] and tls:
        raise Fail(f"{cname} advertises plain http/ws; `scripts/testbed down` first to make it advertise https/wss")
    fresh = cluster is None
    if fresh:
        cluster = new_cluster(state, cname, size or CLUSTER_SIZE, tls)
    Path(cluster["nginx_prefix"]).mkdir(parents=True, exist_ok=True)
    # The release's Python package: aries-cloudagent -> aries_cloudagent, acapy-agent -> acapy_agent.
    package = cluster_release(cname).package.replace("-", "_")
    Path(cluster["log_config"]).write_text(CLUSTER_LOG_CONFIG.replace("@PKG@", package))
    if not (nginx_is_ours(cluster) and nginx_listens(cluster)):
        stop_nginx(cluster, quiet=True)
        start_cluster_nginx(state, cluster)
    save_state(state)
    names = [n for n in cluster["instances"] if not proc_is_ours(state["agents"][n].get("pid"), state["agents"][n])]
    if names:
        check_pg_capacity(state, {n: CLUSTER_PG_POOL for n in names})
    if fresh and names:
        start_agents(state, names[:1], fixed_ports=True)
        names = names[1:]
    if names:
        start_agents(state, names, fixed_ports=True)
    if not cluster["invitation_url"]:
        cluster["invitation_url"] = create_invitation(state["agents"][cluster["instances"][0]])["invitation_url"]
    save_state(state)
    return cluster


def cluster_from_state(state, cname) -> dict:
    if cname not in CLUSTERS:
        raise Fail(f"unknown cluster {cname!r}; known: {','.join(CLUSTERS)}")
    cluster = ((state or {}).get("clusters") or {}).get(cname)
    if not cluster:
        acapy = "" if cluster_release(cname) is DEFAULT_RELEASE else f"--acapy {cluster_release(cname).version} "
        raise Fail(f"{cname} is not part of the testbed in {state_dir()}: run scripts/testbed up {acapy}--agents {CLUSTER_ROLE}")
    return cluster


def pick_instances(cluster, which, allow_all=True) -> list:
    """Instance names for `which`: a number 1..N, or `all`."""
    if which in (None, "all") and allow_all:
        return list(cluster["instances"])
    try:
        i = int(which)
    except (TypeError, ValueError):
        i = 0
    if not 1 <= i <= cluster["size"]:
        what = "an instance number" + (" or all" if allow_all else "")
        raise Fail(f"{cluster['name']} has instances 1..{cluster['size']}: {which!r} is not {what}")
    return [cluster["instances"][i - 1]]


def kill_instance(state, name) -> int:
    """SIGKILL one instance's process group (a crash: no shutdown, sockets reset); wait until gone."""
    a = state["agents"][name]
    if not proc_is_ours(a.get("pid"), a):
        raise Fail(f"{name} is not running")
    pid = a["pid"]
    still_alive = kill_groups([pid], STOP_TIMEOUT)
    reap(pid)
    if still_alive:
        raise Fail(f"{name} (pid {pid}) still alive {STOP_TIMEOUT:.0f} s after SIGKILL")
    return pid


def start_instances(state, names, t0=None) -> None:
    """Start stopped instances in parallel on their ports and wait until each is usable; prints
    each one's readiness with the time it took (since t0: a restart counts its stop too)."""
    for n in names:
        a = state["agents"][n]
        if proc_is_ours(a.get("pid"), a):
            raise Fail(f"{n} is already running (pid {a['pid']}); use restart")
    ensure_postgres(state, PG_POOL_DEFAULT)
    check_pg_capacity(state, {n: CLUSTER_PG_POOL for n in names})
    t0 = t0 or time.monotonic()
    start_agents(state, names, fixed_ports=True)
    save_state(state)
    for n in names:
        print(f"{n} ready in {time.monotonic() - t0:.1f} s (pid {state['agents'][n]['pid']}, "
              f"admin {state['agents'][n]['admin_url']})")  # fmt: skip
