"""Processes and their checks: is a pid alive and the one this testbed started for an agent, which
ports it listens on, is it ready (its admin API), the agents' logs, the admin HTTP calls, stopping
a list of agents (process groups, SIGTERM then SIGKILL) and the file-descriptor limit.

It does not start agents (agents.py does) nor write state.json.
"""

import json
import os
import resource
import sys
import time
import urllib.error
import urllib.request

from .config import HOST, STOP_TIMEOUT, URL_KEYS, Fail
from .state import inner, port_of
from .groups import pid_alive, reap, stop_groups  # noqa: F401  (pid_alive, reap: re-exported)


def http(method, url, body=None, api_key=None, timeout=10.0):
    """One admin call; returns (status, parsed JSON or text). Connection errors raise OSError."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if api_key:
        req.add_header("X-API-Key", api_key)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def admin_call(method, url, body=None, needs=None, api_key=None, timeout=10.0) -> dict:
    """An admin call that must answer 200 with a JSON object (holding the key `needs`, when
    given); anything else is a Fail that quotes the reply."""
    st, reply = http(method, url, body, api_key=api_key, timeout=timeout)
    if st != 200 or not isinstance(reply, dict) or (needs is not None and needs not in reply):
        raise Fail(f"{method} {url} -> HTTP {st}: {str(reply)[:300]}")
    return reply


def log_text(path, since=0) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(since)
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def log_tail(path, since=0, lines=15) -> str:
    text = log_text(path, since)
    tail = [ln for ln in text.splitlines() if ln.strip()][-lines:]
    return "\n".join("    " + ln for ln in tail) or "    (log is empty)"


def proc_is_ours(pid, agent) -> bool:
    """pid is alive (not a zombie), is an aca-py, and is the one started for this agent/dir."""
    if not pid or not pid_alive(pid):
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().decode(errors="replace").split("\0")
    except OSError:
        return False
    admin = str(port_of(inner(agent, "admin_url")))
    if agent.get("server") == "credo":  # node .../scripts/credo-mediator/mediator.js ... --admin-port N
        if not any(a.endswith("credo-mediator/mediator.js") for a in argv):
            return False
        if not any(argv[i : i + 2] == ["--admin-port", admin] for i in range(len(argv))):
            return False
    else:
        if not any("aca-py" in a for a in argv):
            return False
        if not any(argv[i : i + 3] == ["--admin", HOST, admin] for i in range(len(argv))):
            return False
    try:  # same ACAPY_HOME (CREDO_HOME) => same testbed dir (environ is readable for our own processes)
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = dict(
                kv.split("=", 1) for kv in f.read().decode(errors="replace").split("\0") if "=" in kv
            )
        return env.get(home_variable(agent)) == agent["home"]
    except OSError:
        return True


def home_variable(agent) -> str:
    """The environment variable that names an agent's home dir (how `proc_is_ours` tells testbeds apart)."""
    return "CREDO_HOME" if agent.get("server") == "credo" else "ACAPY_HOME"


def is_ready(agent, patience=0.0) -> bool:
    """GET /status/ready says true; with patience, keep asking that long (a loaded agent answers late)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            st, body = http("GET", inner(agent, "admin_url") + "/status/ready", timeout=max(3.0, patience))
            if st == 200 and isinstance(body, dict) and body.get("ready") is True:
                return True
        except OSError:
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)


def listening_ports(pid) -> set:
    """TCP ports that pid itself listens on (its socket inodes matched against /proc/net/tcp*)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    except OSError:
        return set()
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            c = row.split()
            if len(c) > 9 and c[3] == "0A" and c[9] in inodes:
                ports.add(int(c[1].rsplit(":", 1)[1], 16))
    return ports


def owns_ports(agent) -> bool:
    """ACA-Py reports ready even when an inbound transport failed to bind: check all 3 sockets are its own."""
    want = {port_of(inner(agent, k)) for k in URL_KEYS}
    return want <= listening_ports(agent["pid"])


def group_members(pgid) -> list:
    """Pids whose process group is pgid (from /proc/<pid>/stat)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[2]) == pgid:
                        out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return out


def stop_pids(items, quiet=False) -> None:
    """SIGTERM each agent's process group (only if the pid still is our aca-py), wait, then SIGKILL."""
    agents = {a["pid"]: (n, a) for n, a in items if proc_is_ours(a.get("pid"), a)}

    def stubborn(pid):
        if not quiet:
            print(f"testbed: {agents[pid][0]} (pid {pid}) ignored SIGTERM for {STOP_TIMEOUT:.0f} s; SIGKILL", file=sys.stderr)

    stop_groups(list(agents), lambda pid: proc_is_ours(pid, agents[pid][1]), STOP_TIMEOUT, stubborn, poll=0.1)


def raise_fd_limit() -> None:
    """Thousands of holders = thousands of sockets: lift the soft fd limit (inherited) to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
