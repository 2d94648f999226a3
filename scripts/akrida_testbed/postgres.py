"""The testbed's own PostgreSQL cluster (pg/ in the state dir), where the mediators keep their askar
wallets: finding the binaries, initdb, starting and stopping it (as the `postgres` system user
when we are root), its readiness and its max_connections against the agents' pools.

It starts no agent; it records its own entry in the state (state['postgres']) and nothing else.
"""

import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .config import (
    CLUSTERS, CLUSTER_PG_POOL, CLUSTER_SIZE, CREDO_PG_POOL, Fail, HOST, PG_PASSWORD, PG_POOL_DEFAULT, PG_ROLE,
    PG_STORED, is_credo,
)
from .state import free_ports, state_dir, taken_ports
from .procs import log_tail, log_text, pid_alive, proc_is_ours, reap


def pg_bindir():
    """Directory of the PostgreSQL server programs (Debian: /usr/lib/postgresql/<major>/bin), or None."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl") if (p.parent / "initdb").exists()]
    if found:
        return max(found, key=lambda b: int(b.parent.name) if b.parent.name.isdigit() else 0)
    w = shutil.which("pg_ctl")
    return Path(w).resolve().parent if w and (Path(w).resolve().parent / "initdb").exists() else None


def need_pg() -> Path:
    b = pg_bindir()
    if not b:
        raise Fail("PostgreSQL server programs (initdb, pg_ctl) not found: run scripts/testbed install")
    return b


def pg_version(bindir) -> str:
    r = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True)
    return r.stdout.strip().replace("postgres (PostgreSQL) ", "") or "?"


def pg_owner():
    """(uid, gid, argv prefix) to run PostgreSQL programs with: as root, the `postgres` system user
    the Debian package creates (PostgreSQL refuses to run as root); otherwise ourselves."""
    if os.geteuid() != 0:
        return os.geteuid(), os.getegid(), []
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        raise Fail("we run as root but there is no `postgres` system user to run PostgreSQL: "
                   "run scripts/testbed install (apt-get install postgresql creates it)")  # fmt: skip
    return pw.pw_uid, pw.pw_gid, ["runuser", "-u", "postgres", "--"]


def pg_run(pg, prog, *args, timeout=90):
    """Run one PostgreSQL program (from pg['bin']) as the cluster's owner; returns CompletedProcess."""
    _, _, prefix = pg_owner()
    try:
        return subprocess.run(prefix + [str(Path(pg["bin"]) / prog), *args], capture_output=True, text=True,
                              cwd=pg["dir"], stdin=subprocess.DEVNULL, timeout=timeout)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise Fail(f"{prog} {' '.join(args[:3])} did not finish in {timeout} s; {pg['log']}:\n" + log_tail(pg["log"]))


def pg_pid_file(data):
    """(pid, data dir) from <data>/postmaster.pid, or None."""
    try:
        lines = (Path(data) / "postmaster.pid").read_text().splitlines()
        return int(lines[0]), lines[1]
    except (OSError, ValueError, IndexError):
        return None


def pg_alive(pg) -> bool:
    """pg['pid'] is alive, is a postgres, and is the postmaster of pg['data']."""
    pid = pg.get("pid") if pg else None
    if not pid or not pid_alive(pid):
        return False
    try:
        with open(f"/proc/{pid}/comm") as f:
            if f.read().strip() != "postgres":
                return False
    except OSError:
        return False
    return pg_pid_file(pg["data"]) == (pid, pg["data"])


def pg_ready(pg) -> bool:
    """The server accepts connections on its TCP port (pg_isready; no login)."""
    if not pg_alive(pg):
        return False
    r = subprocess.run([str(Path(pg["bin"]) / "pg_isready"), "-q", "-h", HOST, "-p", str(pg["port"]), "-t", "3"],
                       capture_output=True)  # fmt: skip
    return r.returncode == 0


def pg_pools(state, extra=None) -> int:
    """Sum of the askar pools of the postgres-stored agents that run (plus `extra`: name -> pool)."""
    pools = {n: a.get("pg_max_connections") or PG_POOL_DEFAULT for n, a in state["agents"].items()
             if a.get("wallet_storage") == "postgres" and proc_is_ours(a.get("pid"), a)}  # fmt: skip
    pools.update(extra or {})
    return sum(pools.values())


def ensure_postgres(state, pool) -> dict:
    """Start the testbed's own PostgreSQL cluster (initdb on first use) unless it runs; returns state['postgres'].
    `pool` sizes a new server: max_connections covers the pools of all mediators (also mediator-tls,
    which `up --tls` may add later to a running testbed) and some slack."""
    bindir = need_pg()
    d = state_dir() / "pg"
    pg = state.get("postgres") or {}
    if pg_alive(pg):
        return pg
    uid, gid, _ = pg_owner()
    pg = {
        "pid": None,
        "port": pg.get("port"),
        "dir": str(d),
        "data": str(d / "data"),
        "socket_dir": str(d / "run"),
        "log": str(state_dir() / "logs" / "postgres.log"),
        "bin": str(bindir),
        "version": pg_version(bindir),
        "role": PG_ROLE,
        "password": PG_PASSWORD,
        "max_connections": max(pg.get("max_connections") or 0, 300,
                               sum(CREDO_PG_POOL if is_credo(n) else pool for n in PG_STORED)
                               + len(CLUSTERS) * CLUSTER_SIZE * CLUSTER_PG_POOL + 50),
    }
    stale = pg_pid_file(pg["data"])  # a postmaster of this dir that the state lost (e.g. state.json removed)
    if stale and pg_alive(dict(pg, pid=stale[0])):
        pg_run(pg, "pg_ctl", "-D", pg["data"], "-m", "fast", "-w", "-t", "30", "stop")
    for sub in (d, d / "run"):
        sub.mkdir(parents=True, exist_ok=True)
        os.chown(sub, uid, gid)
        os.chmod(sub, 0o700)
    log = Path(pg["log"])
    log.parent.mkdir(parents=True, exist_ok=True)
    log.touch()
    os.chown(log, uid, gid)
    probe = subprocess.run(pg_owner()[2] + ["test", "-w", str(d)], capture_output=True)
    if probe.returncode != 0:
        raise Fail(f"the `postgres` user cannot write {d} (a parent directory is closed to it): "
                   "put AKRIDA_TESTBED_DIR in a directory every user can enter")  # fmt: skip

    if not (Path(pg["data"]) / "PG_VERSION").exists():
        shutil.rmtree(pg["data"], ignore_errors=True)  # a half-made cluster from an interrupted initdb
        # Local (unix socket) logins are trusted: the socket lives in pg/run, mode 0700, owner only.
        # TCP logins (the agents) need the password.
        r = pg_run(pg, "initdb", "-D", pg["data"], "-U", "postgres", "-E", "UTF8", "--locale=C",
                   "--auth-local=trust", "--auth-host=scram-sha-256", "--no-instructions")  # fmt: skip
        if r.returncode != 0:
            raise Fail(f"initdb {pg['data']} failed: {(r.stderr.strip() or r.stdout.strip())[-300:]}")
        with open(Path(pg["data"]) / "postgresql.conf", "a") as f:
            f.write("\n# scripts/testbed: port, sockets and limits are set per start in this file\n"
                    "include_if_exists = 'testbed.conf'\n")  # fmt: skip

    taken = taken_ports(state)
    pinned = any(a.get("wallet_storage") == "postgres" and proc_is_ours(a.get("pid"), a)
                 for a in state["agents"].values())  # running agents know the port: keep it  # fmt: skip
    for attempt in range(3):
        if not pg["port"]:
            pg["port"] = free_ports(1, taken)[0]
        conf = Path(pg["data"]) / "testbed.conf"
        conf.write_text(
            f"listen_addresses = '{HOST}'\n"  # TCP on loopback only
            f"port = {pg['port']}\n"
            f"unix_socket_directories = '{pg['socket_dir']}'\n"
            "unix_socket_permissions = 0700\n"
            f"max_connections = {pg['max_connections']}\n"
            # A throw-away test server: no crash safety needed, so skip the disk flushes.
            # Never copy these three into a real deployment (a crash can corrupt the data).
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "shared_buffers = 64MB\n"
        )
        os.chown(conf, uid, gid)
        offset = log.stat().st_size
        with open(log, "a") as f:
            f.write(f"==== testbed: starting postgres at {time.strftime('%F %T')}\n")
        r = pg_run(pg, "pg_ctl", "-D", pg["data"], "-l", pg["log"], "-w", "-t", "60", "-s", "start")
        if r.returncode == 0:
            break
        in_use = "address already in use" in log_text(pg["log"], offset).lower()
        if not in_use or pinned or attempt == 2:
            raise Fail(f"PostgreSQL did not start ({(r.stderr.strip() or r.stdout.strip())[-200:]}); {pg['log']}:\n"
                       + log_tail(pg["log"], offset))  # fmt: skip
        taken.add(pg["port"])
        pg["port"] = None
    pg["pid"] = (pg_pid_file(pg["data"]) or (None,))[0]
    if not pg_alive(pg):
        raise Fail(f"PostgreSQL started but {pg['data']}/postmaster.pid names no live postmaster; {pg['log']}:\n"
                   + log_tail(pg["log"], offset))  # fmt: skip

    # The agents' role, then one real password login over TCP, the way the agents connect.
    sql = (f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PG_ROLE}') THEN "
           f"CREATE ROLE {PG_ROLE} LOGIN CREATEDB PASSWORD '{PG_PASSWORD}'; END IF; END $$;")  # fmt: skip
    r = pg_run(pg, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", pg["socket_dir"], "-p", str(pg["port"]),
               "-U", "postgres", "-d", "postgres", "-c", sql)  # fmt: skip
    if r.returncode != 0:
        raise Fail(f"cannot create the role {PG_ROLE}: {r.stderr.strip()[-300:]}")
    login = f"host={HOST} port={pg['port']} user={PG_ROLE} password={PG_PASSWORD} dbname=postgres connect_timeout=10"
    r = pg_run(pg, "psql", "-X", "-qAt", login, "-c", "SELECT 1")
    if r.returncode != 0 or r.stdout.strip() != "1":
        raise Fail(f"PostgreSQL on {HOST}:{pg['port']} refused the {PG_ROLE} login: {r.stderr.strip()[-300:]}")
    state["postgres"] = pg
    return pg


def stop_postgres(pg, quiet=False) -> None:
    """pg_ctl stop -m fast (as the cluster's owner); -m immediate if that does not finish."""
    if not pg_alive(pg):
        return
    r = pg_run(pg, "pg_ctl", "-D", pg["data"], "-m", "fast", "-w", "-t", "20", "stop")
    if r.returncode != 0 and pg_alive(pg):
        if not quiet:
            print(f"testbed: postgres (pid {pg['pid']}) did not stop fast; immediate", file=sys.stderr)
        pg_run(pg, "pg_ctl", "-D", pg["data"], "-m", "immediate", "-w", "-t", "20", "stop")
    reap(pg["pid"])


def check_pg_capacity(state, extra) -> None:
    pg = state["postgres"]
    want = pg_pools(state, extra) + 10
    if want > pg["max_connections"]:
        raise Fail(f"the mediators' askar pools would need {want} PostgreSQL connections but the testbed's "
                   f"server allows {pg['max_connections']}: `scripts/testbed down` first, then "
                   "`up --pg-max-connections N` sizes a new server")  # fmt: skip
