"""nginx, the TLS ingress: its config (nginx/nginx.conf, one JSON access-log line per request),
starting it in its own session (the Debian package's binary, never its service), telling that a
running nginx is ours, stopping it (also one the state lost) and waiting for its fronts.

The mediator cluster's nginx uses these pieces but its config is cluster.py's; this module
starts no agent.
"""

import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from .config import Fail, HOST, STOP_TIMEOUT, TLS_AGENTS
from .state import port_of, state_dir
from .procs import group_members, listening_ports, log_text, pid_alive, proc_is_ours
from .groups import stop_groups
from .tls import FRONTS, TLS_HOST, ensure_certs, need_openssl, new_fronts, sbin_which, tls_agent_urls


NGINX_WORKERS = 1
NGINX_CONNECTIONS = 16384  # per worker, client and upstream sockets alike: a proxied client costs 2


def nginx_dir() -> Path:
    return state_dir() / "nginx"


def need_nginx() -> Path:
    b = sbin_which("nginx")
    if not b:
        raise Fail("nginx is missing (the TLS ingress of `up --tls`): run scripts/install-system-packages nginx "
                   "(Debian package nginx, installed without starting its service)")  # fmt: skip
    return b


def nginx_version(nginx) -> str:
    r = subprocess.run([str(nginx), "-v"], capture_output=True, text=True)
    return (r.stderr.strip() or r.stdout.strip()).replace("nginx version: nginx/", "") or "?"


# One JSON object per request (a WebSocket's when it closes). `connection` is nginx's connection
# serial number, which starts again at 1 in a new nginx: (pid, connection) names one connection
# across restarts (pid = the worker's). Handshakes that fail write no line (error.log at info only).
NGINX_LOG_FORMAT = (
    '{"time":"$time_iso8601","msec":$msec,"pid":$pid,"server_port":$server_port,'
    '"remote_addr":"$remote_addr","remote_port":$remote_port,'
    '"connection":$connection,"connection_requests":$connection_requests,'
    '"ssl_protocol":"$ssl_protocol","ssl_cipher":"$ssl_cipher","ssl_session_reused":"$ssl_session_reused",'
    '"ssl_server_name":"$ssl_server_name","request_method":"$request_method","uri":"$uri",'
    '"status":"$status","http_upgrade":"$http_upgrade","request_time":$request_time,'
    '"bytes_sent":$bytes_sent,"upstream_status":"$upstream_status","upstream_addr":"$upstream_addr"}'
)


def nginx_conf(tls) -> str:
    """nginx.conf for the fronts in tls['fronts'] (all paths absolute, nothing from /etc/nginx)."""
    n = tls["nginx_prefix"]
    ups, servers = {}, []
    for front, f in tls["fronts"].items():
        key = FRONTS[front][1]
        if key != "ws_url":  # keep-alive pools toward the agents' http and admin ports
            ups.setdefault(f["upstream"], "b" + str(port_of(f["upstream"])))
    # (proxy_set_header is inherited only by a level that sets none itself: all of them here.)
    headers = ("            proxy_set_header Host $http_host;\n"
               "            proxy_set_header X-Forwarded-For $remote_addr;\n"
               "            proxy_set_header X-Forwarded-Proto https;\n")  # fmt: skip
    for front, f in tls["fronts"].items():
        key = FRONTS[front][1]
        if key == "ws_url":  # WebSocket: HTTP/1.1 upgrade, long timeouts so idle sockets stay open
            proxy = (f"            proxy_pass {f['upstream']};\n" + headers +
                     "            proxy_set_header Upgrade $http_upgrade;\n"
                     "            proxy_set_header Connection $connection_upgrade;\n"
                     "            proxy_read_timeout 3600s;\n"
                     "            proxy_send_timeout 3600s;\n")  # fmt: skip
        else:  # DIDComm POSTs and the admin API: keep-alive toward the agent
            proxy = (f"            proxy_pass http://{ups[f['upstream']]};\n" + headers +
                     '            proxy_set_header Connection "";\n'
                     "            proxy_read_timeout 300s;\n"
                     "            proxy_send_timeout 300s;\n")  # fmt: skip
        servers.append(
            f"    server {{  # {front} -> {FRONTS[front][0]} {key.replace('_url', '')} ({f['upstream']})\n"
            f"        listen {HOST}:{f['port']} ssl;\n"
            f"        server_name {TLS_HOST};\n"
            f"        ssl_certificate {f['cert']};\n"
            f"        ssl_certificate_key {f['key']};\n"
            "        location / {\n" + proxy + "        }\n    }\n"
        )
    upstreams = "".join(f"    upstream {name} {{ server {u.split('://', 1)[1]}; keepalive 32; }}\n"
                        for u, name in ups.items())  # fmt: skip
    return nginx_conf_text("the testbed's TLS ingress", n, tls["error_log"], tls["access_log"],
                           tls["session_ticket_key"], upstreams, "".join(servers))


def nginx_conf_text(what, n, error_log, access_log, ticket_key, upstreams, servers) -> str:
    """A whole nginx.conf around `upstreams` and `servers` (prefix n; all paths absolute)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    want = NGINX_CONNECTIONS + 1024
    # One descriptor per connection, plus logs and listeners. nginx inherits our limits (raised to
    # the hard limit by raise_fd_limit); the worker cannot go above the hard limit.
    nofile = want if hard == resource.RLIM_INFINITY else min(want, hard)
    return f"""# Written by scripts/testbed at each start of nginx: {what}, 127.0.0.1 only.
daemon off;  # scripts/testbed runs the master in its own session and records its pid
# One worker: the machine's cores go to the load generator and the Python agents; one worker
# terminates thousands of mostly idle TLS connections, and worker_connections is then the
# whole capacity (a proxied client takes 2: its socket and the upstream one).
worker_processes {NGINX_WORKERS};
worker_rlimit_nofile {nofile};  # worker_connections + 1024, at most the hard RLIMIT_NOFILE
worker_shutdown_timeout 10s;  # a reload (SIGHUP) does not wait an hour for old WebSockets
pid {n}/nginx.pid;
error_log {error_log} notice;

events {{
    worker_connections {NGINX_CONNECTIONS};
}}

http {{
    default_type application/octet-stream;
    client_body_temp_path {n}/tmp/client_body;
    proxy_temp_path {n}/tmp/proxy;
    fastcgi_temp_path {n}/tmp/fastcgi;
    uwsgi_temp_path {n}/tmp/uwsgi;
    scgi_temp_path {n}/tmp/scgi;

    log_format akrida_json escape=json '{NGINX_LOG_FORMAT}';
    access_log {access_log} akrida_json;

    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:20m;
    ssl_session_timeout 4h;
    ssl_session_tickets on;
    ssl_session_ticket_key {ticket_key};

    keepalive_timeout 300s;      # keep-alive to clients on; long, so idle holders keep their socket
    keepalive_requests 100000;
    client_max_body_size 16m;
    proxy_http_version 1.1;
    proxy_request_buffering off; # DIDComm POSTs go through as they arrive
    proxy_buffering off;         # and the agents' replies too
    proxy_connect_timeout 5s;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        '' close;
    }}

{upstreams}
{servers}}}
"""


def nginx_is_ours(tls) -> bool:
    """tls['nginx_pid'] is alive (not a zombie) and is an nginx master started with our config."""
    pid = (tls or {}).get("nginx_pid")
    if not pid or not pid_alive(pid):
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            title = f.read().decode(errors="replace").replace("\0", " ")
    except OSError:
        return False
    words = title.split()  # "nginx: master process /usr/sbin/nginx -p … -c <conf> …" (argv until it renames itself)
    named = title.startswith("nginx: master process") or (words and words[0].endswith("/nginx"))
    return bool(named) and tls["nginx_conf"] in words


def nginx_listens(tls) -> bool:
    """The master holds a listening socket on every front port."""
    return {f["port"] for f in tls["fronts"].values()} <= listening_ports(tls["nginx_pid"])


def stop_nginx(tls, quiet=False) -> None:
    """SIGTERM nginx's process group (master and worker: a fast shutdown that closes every
    connection), only if the pid still is our nginx; SIGKILL after STOP_TIMEOUT."""
    if not nginx_is_ours(tls):
        return
    pid = tls["nginx_pid"]
    group = group_members(pid)  # the master and its worker

    def stubborn(pid):
        if not quiet:
            print(f"testbed: nginx (pid {pid}) ignored SIGTERM for {STOP_TIMEOUT:.0f} s; SIGKILL", file=sys.stderr)

    stop_groups([pid], lambda _: nginx_is_ours(tls), STOP_TIMEOUT, stubborn, poll=0.02)
    # The master waits for its worker before it exits; make sure (zombies count as gone).
    deadline = time.monotonic() + STOP_TIMEOUT
    while any(pid_alive(p) for p in group) and time.monotonic() < deadline:
        time.sleep(0.02)


def stale_nginx(tls):
    """A live nginx master of this state dir that the state does not know (from nginx/nginx.pid)."""
    conf = str(nginx_dir() / "nginx.conf")
    try:
        pid = int((nginx_dir() / "nginx.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    cand = {"nginx_pid": pid, "nginx_conf": conf}
    if pid != (tls or {}).get("nginx_pid") and nginx_is_ours(cand):
        return cand
    return None


def start_nginx(state, pinned=True) -> None:
    """Write nginx.conf and start nginx in its own session; wait until it listens on every front.
    A front port taken meanwhile moves to a free one, unless `pinned` (running TLS agents advertise
    the fronts' ports, or the command promised the same ports): then fail."""
    tls = state["tls"]
    nginx = need_nginx()
    tls.pop("conf_outdated", None)
    n = Path(tls["nginx_prefix"])
    (n / "tmp").mkdir(parents=True, exist_ok=True)
    log = Path(tls["error_log"])
    for _ in range(3):
        Path(tls["nginx_conf"]).write_text(nginx_conf(tls))
        offset = log.stat().st_size if log.exists() else 0
        with open(log, "ab") as f:
            p = subprocess.Popen([str(nginx), "-p", str(n), "-c", tls["nginx_conf"], "-e", tls["error_log"]],
                                 stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT, cwd=n,
                                 start_new_session=True)  # fmt: skip
        tls["nginx_pid"] = p.pid
        deadline = time.monotonic() + 20  # nginx retries a taken port 5 times, 0.5 s apart
        while time.monotonic() < deadline:
            if p.poll() is not None:
                break
            if nginx_listens(tls):
                return
            time.sleep(0.02)
        else:
            stop_nginx(tls, quiet=True)
            raise Fail(f"nginx did not listen on its {len(tls['fronts'])} ports within 20 s; {tls['error_log']}:\n"
                       + nginx_log_tail(log, offset))  # fmt: skip
        text = log_text(log, offset)
        taken = {int(m) for m in re.findall(r"bind\(\) to [\d.]+:(\d+) failed \(98", text)}
        if not taken or pinned:
            why = f"port(s) {sorted(taken)} taken by another process; " if taken else ""
            raise Fail(f"nginx failed to start ({why}exit {p.returncode}); {tls['error_log']}:\n" + nginx_log_tail(log, offset))
        keep = {k: f for k, f in tls["fronts"].items() if f["port"] not in taken}
        tls["fronts"] = new_fronts(state, keep)
    raise Fail(f"nginx: no free ports after 3 tries; {tls['error_log']}:\n" + nginx_log_tail(log, offset))


def nginx_log_tail(log, offset) -> str:
    """The last lines nginx logged since offset, without the copies it also printed to stderr."""
    lines = [ln for ln in log_text(log, offset).splitlines() if ln.strip() and not ln.startswith("nginx: [")]
    return "\n".join("    " + ln for ln in lines[-4:]) or "    (log is empty)"


def ensure_nginx(state) -> dict:
    """The CA and certificates, the fronts, and nginx running with them; returns state['tls']."""
    nginx = need_nginx()
    need_openssl()
    tls = state.get("tls")
    stale = stale_nginx(tls)
    if stale:  # e.g. state.json removed under a running testbed
        stop_nginx(stale, quiet=True)
    certs = ensure_certs()
    if tls and nginx_is_ours(tls) and nginx_listens(tls):
        return tls
    n = nginx_dir()
    if not tls:
        tls = {
            "ca_cert": str(certs["ca_cert"]),
            "ca_key": str(certs["ca_key"]),
            "server_name": TLS_HOST,
            "session_ticket_key": str(certs["session_ticket_key"]),
            "nginx_pid": None,
            "nginx_bin": str(nginx),
            "nginx_version": nginx_version(nginx),
            "nginx_prefix": str(n),
            "nginx_conf": str(n / "nginx.conf"),
            "access_log": str(n / "access.log"),
            "error_log": str(n / "error.log"),
            "worker_processes": NGINX_WORKERS,
            "worker_connections": NGINX_CONNECTIONS,
            "fronts": {},
        }
        state["tls"] = tls
        tls["fronts"] = new_fronts(state)
    elif nginx_is_ours(tls):  # alive but lost a port: replace it
        print(f"testbed: nginx (pid {tls['nginx_pid']}) no longer listens on all its ports; restarting it",
              file=sys.stderr)  # fmt: skip
        stop_nginx(tls)
    pinned = any(proc_is_ours(state["agents"][a].get("pid"), state["agents"][a])
                 for a in TLS_AGENTS if a in state["agents"])  # fmt: skip
    start_nginx(state, pinned=pinned)
    for name in TLS_AGENTS:  # fronts may have moved (only while no TLS agent runs)
        if name in state["agents"]:
            state["agents"][name].update(tls_agent_urls(tls, name))
    return tls
