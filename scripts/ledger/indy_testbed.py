"""scripts/ledger/indy_testbed.py: the testbed's Indy ledger, as scripts/testbed orchestrates it.

What runs (all on 127.0.0.1, free ports, everything under <state dir>/ledger/):
  a 4-node indy-node pool    scripts/ledger/pool.py in the pool's venv (.venv/indy-pool, Python
                             3.8 from pyenv), one process per node in its own session; genesis
                             and keys made at the first start, the ledger kept across restarts
  a tails server             scripts/ledger/tails_server.py (stdlib, this Python)
  the issuer's NYM           role ENDORSER, written by the pool's trustee with indy-vdr
                             (scripts/ledger/vdr.py in the ACA-Py venv) before the ledger-backed
                             issuer starts: ACA-Py writes its endpoint ATTRIB at start

state.json's `ledger` entry (the Rust helper crates/testbed reads it):
  genesis_file, pool_name, pool_dir, nodes {NodeN: {pid, node_port, client_port, log}},
  tails_server {pid, url, port, dir, log}, trustee_did, issuer_did, issuer_verkey, issuer_seed

Stdlib only, plus the testbed package's process groups (scripts/testbed imports this module,
through scripts/akrida_testbed/ledger.py); errors are
LedgerError with one sentence.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# Process groups, shared with the testbed package (which imports this module: scripts/ is on
# sys.path). `running` is its pid_alive: the pid exists and is not a zombie.
from akrida_testbed.groups import pid_alive as running, stop_groups

HOST = "127.0.0.1"
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
POOL_VENV = REPO / ".venv" / "indy-pool"
POOL_PYTHON_VERSION = "3.8"
# indy-plenum's declared dependencies minus the three that cannot be used here (python-rocksdb
# and python-ursa have stand-ins in shims/, sha3 must never be imported), plus pyzmq, which
# plenum uses without declaring it, and indy-bls behind the ursa stand-in.
POOL_SPECS_NO_DEPS = ["indy-plenum==1.13.1", "indy-node==1.13.2"]
POOL_SPECS = [
    "base58", "importlib-metadata==3.10.1", "ioflo", "jsonpickle", "leveldb", "libnacl==1.6.1",
    "msgpack-python", "orderedset", "packaging", "portalocker==2.7.0", "prompt-toolkit>=3.0.18",
    "psutil", "pympler==0.8", "python-dateutil", "rlp==0.6.0", "semver==2.13.0", "six",
    "sortedcontainers==1.5.7", "ujson==1.33", "timeout-decorator", "distro==1.7.0",
    "pyzmq==22.3.0", "indy-bls==0.1.0",
]  # fmt: skip
NODES = ("Node1", "Node2", "Node3", "Node4")
POOL_NAME = "akrida-testbed"
GENESIS_NAME = "pool_transactions_genesis"
# Seeds of indy-node's own test network (and von-network): well known, loopback only.
TRUSTEE_SEED = "000000000000000000000000Trustee1"
TRUSTEE_DID = "V4SGRU86Z58d6TV7PBUe6f"
# The ledger-backed issuer's DID comes from this seed (exactly 32 characters, as ACA-Py wants).
ISSUER_SEED = "akrida-testbed-issuer-indy-seed1"
POOL_START_TIMEOUT = 120.0
STOP_TIMEOUT = 10.0


class LedgerError(Exception):
    """One sentence for stderr (scripts/testbed prints it as `testbed: <cause>`)."""


# ---------------------------------------------------------------- install


def pool_python_candidates():
    """python3.8 on PATH, then pyenv's 3.8.x, newest first (a shim on PATH may not resolve)."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    patch = lambda p: [int(x) for x in p.parts[-3].split(".") if x.isdigit()]  # noqa: E731
    found = sorted(root.glob(f"{POOL_PYTHON_VERSION}.*/bin/python{POOL_PYTHON_VERSION}"), key=patch, reverse=True)
    return [shutil.which(f"python{POOL_PYTHON_VERSION}"), *map(str, found)]


def find_pool_python() -> str:
    for python in pool_python_candidates():
        if python and subprocess.run([python, "-c", "import venv, ssl"], capture_output=True).returncode == 0:
            return python
    raise LedgerError(
        f"Python {POOL_PYTHON_VERSION} is missing (indy-node 1.13 needs it for the testbed's ledger): "
        f"put python{POOL_PYTHON_VERSION} on PATH or `pyenv install {POOL_PYTHON_VERSION}`"
    )


def pool_venv_ok() -> bool:
    """The venv imports what a node needs (through the stand-ins)."""
    py = POOL_VENV / "bin" / "python"
    if not py.exists():
        return False
    code = (f"import sys; sys.path.insert(0, {str(HERE / 'shims')!r}); "
            "import indy_node, plenum, leveldb, zmq, ursa.bls, rocksdb, ujson")  # fmt: skip
    return subprocess.run([str(py), "-c", code], capture_output=True).returncode == 0


def pip(*args) -> None:
    r = subprocess.run([str(POOL_VENV / "bin" / "python"), "-m", "pip", *args], capture_output=True, text=True)
    if r.returncode != 0:
        last = (r.stderr.strip() or r.stdout.strip()).splitlines()[-1:] or ["?"]
        raise LedgerError(f"pip {' '.join(args[:3])} … failed in {POOL_VENV}: {last[0]}")


def install() -> str:
    """Create .venv/indy-pool (Python 3.8) and install indy-node into it; quick when present."""
    if pool_venv_ok():
        return f"{POOL_VENV.name}: present (indy-node 1.13.2, indy-plenum 1.13.1)"
    t0 = time.monotonic()
    python = find_pool_python()
    shutil.rmtree(POOL_VENV, ignore_errors=True)
    r = subprocess.run([python, "-m", "venv", str(POOL_VENV)], capture_output=True, text=True)
    if r.returncode != 0:
        raise LedgerError(f"{python} -m venv {POOL_VENV} failed: {r.stderr.strip()[-200:]}")
    # --no-deps: indy-plenum declares python-rocksdb, python-ursa and sha3 (see POOL_SPECS).
    pip("install", "--quiet", "--no-deps", *POOL_SPECS_NO_DEPS)
    pip("install", "--quiet", *POOL_SPECS)
    if not pool_venv_ok():
        raise LedgerError(f"{POOL_VENV} cannot import indy_node after pip install")
    return f"{POOL_VENV.name}: installed in {time.monotonic() - t0:.0f} s (indy-node 1.13.2 on {python})"


# ---------------------------------------------------------------- processes


def ledger_dir(state_dir: Path) -> Path:
    return state_dir / "ledger"


def cmdline(pid) -> list:
    """argv of a running pid; [] when it is gone or a zombie."""
    if not running(pid):
        return []
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace").split("\0")
    except OSError:
        return []


def is_ours(pid, script: str, marker: str) -> bool:
    """pid runs scripts/ledger/<script> with `marker` (its node name or directory) in its argv."""
    argv = cmdline(pid) if pid else []
    return any(a.endswith(f"ledger/{script}") for a in argv) and marker in argv


def node_alive(ledger, name) -> bool:
    return is_ours(ledger["nodes"][name].get("pid"), "pool.py", name) and \
        is_ours(ledger["nodes"][name].get("pid"), "pool.py", ledger["pool_dir"])  # fmt: skip


def tails_alive(ledger) -> bool:
    t = ledger.get("tails_server") or {}
    return is_ours(t.get("pid"), "tails_server.py", t.get("dir", "?"))


def spawn(argv, log: Path, cwd: Path) -> int:
    """Start argv in its own session (pid == pgid), output appended to log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as f:
        f.write(f"==== testbed: starting at {time.strftime('%F %T')}: {' '.join(argv[1:])}\n".encode())
        f.flush()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT, cwd=cwd,
                             start_new_session=True)  # fmt: skip
    return p.pid


def log_tail(path, lines=8) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return "    (no log)"
    tail = [ln for ln in text.splitlines() if ln.strip()][-lines:]
    return "\n".join("    " + ln for ln in tail)


def listens(port) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------- the pool, tails server and NYM


def new_ledger(state_dir: Path, ports) -> dict:
    """A state entry for a ledger not yet created; ports: 9 free ports (8 for nodes, 1 tails)."""
    d = ledger_dir(state_dir)
    nodes = {n: {"pid": None, "node_port": ports[2 * i], "client_port": ports[2 * i + 1],
                 "log": str(state_dir / "logs" / f"ledger-{n}.log")} for i, n in enumerate(NODES)}  # fmt: skip
    return {
        "pool_name": POOL_NAME,
        "pool_dir": str(d / "pool"),
        "genesis_file": str(d / GENESIS_NAME),
        "nodes": nodes,
        "tails_server": {"pid": None, "port": ports[8], "url": f"http://{HOST}:{ports[8]}",
                         "dir": str(d / "tails"), "log": str(state_dir / "logs" / "tails-server.log")},  # fmt: skip
        "trustee_did": TRUSTEE_DID,
        "issuer_seed": ISSUER_SEED,
        "issuer_did": None,
        "issuer_verkey": None,
    }


def ports_of(ledger) -> set:
    """Every port the ledger entry uses."""
    ports = {ledger["tails_server"]["port"]}
    for n in ledger["nodes"].values():
        ports |= {n["node_port"], n["client_port"]}
    return ports


def init_pool(ledger, state_dir: Path) -> None:
    """Genesis files and node keys (first start only), then the genesis copied where clients read it."""
    pool_dir = Path(ledger["pool_dir"])
    made = pool_dir / "genesis" / "akrida" / GENESIS_NAME
    if not made.exists():
        ports = {n: [v["node_port"], v["client_port"]] for n, v in ledger["nodes"].items()}
        log = state_dir / "logs" / "ledger-init.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as f:
            r = subprocess.run([str(POOL_VENV / "bin" / "python"), str(HERE / "pool.py"), "init", str(pool_dir),
                                json.dumps(ports)], stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # fmt: skip
        if r.returncode != 0 or not made.exists():
            raise LedgerError(f"the pool's genesis could not be made; {log}:\n" + log_tail(log))
    shutil.copyfile(made, ledger["genesis_file"])


def start_nodes(ledger, state_dir: Path) -> None:
    for name, node in ledger["nodes"].items():
        if node_alive(ledger, name):
            continue
        argv = [str(POOL_VENV / "bin" / "python"), str(HERE / "pool.py"), "node", ledger["pool_dir"], name,
                str(node["node_port"]), str(node["client_port"])]  # fmt: skip
        node["pid"] = spawn(argv, Path(node["log"]), Path(ledger["pool_dir"]))


def start_tails_server(ledger) -> None:
    t = ledger["tails_server"]
    if tails_alive(ledger):
        return
    argv = [sys.executable, str(HERE / "tails_server.py"), HOST, str(t["port"]), t["dir"]]
    t["pid"] = spawn(argv, Path(t["log"]), Path(t["dir"]).parent)
    deadline = time.monotonic() + 10
    while not listens(t["port"]):
        # Only liveness here, not tails_alive: right after spawn the child may still be inside
        # execve, where /proc/PID/cmdline reads empty (about 1 start in 200 on 2 cores).
        if not running(t["pid"]) or time.monotonic() > deadline:
            raise LedgerError(f"the tails server did not start on {t['url']}; {t['log']}:\n" + log_tail(t["log"]))
        time.sleep(0.1)


def register_issuer(ledger, acapy_python: Path) -> None:
    """The issuer's NYM (ENDORSER) through the trustee; waits for a fresh pool to order it.
    Each attempt is a new process: indy-vdr can panic while nodes start, and its state stays
    broken in that process afterwards."""
    deadline = time.monotonic() + POOL_START_TIMEOUT
    while not all(listens(n["client_port"]) for n in ledger["nodes"].values()) and time.monotonic() < deadline:
        time.sleep(0.5)
    while True:
        left = max(5.0, deadline - time.monotonic())
        argv = [str(acapy_python), str(HERE / "vdr.py"), "nym", ledger["genesis_file"], TRUSTEE_SEED,
                ledger["issuer_seed"], "ENDORSER", "--wait", f"{min(left, 30.0):.0f}"]  # fmt: skip
        r = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if r.returncode == 0 or time.monotonic() >= deadline:
            break
        time.sleep(1.0)
    if r.returncode != 0:
        dead = [n for n in ledger["nodes"] if not node_alive(ledger, n)]
        logs = "\n".join(f"  {n} ({ledger['nodes'][n]['log']}):\n{log_tail(ledger['nodes'][n]['log'])}" for n in dead)
        raise LedgerError(f"{r.stderr.strip() or 'vdr.py nym failed'}" + (f"; nodes that exited: {', '.join(dead)}\n{logs}" if dead else ""))
    out = json.loads(r.stdout)
    ledger["issuer_did"], ledger["issuer_verkey"] = out["did"], out["verkey"]
    ledger["nym_seconds"] = out["seconds"]


def ensure(state, state_dir: Path, taken: set, free_ports, acapy_python: Path) -> dict:
    """Start (or reuse) the pool, the tails server and the issuer's NYM; returns state['ledger'].
    taken: ports the rest of the testbed uses; free_ports(n, avoid) picks new ones."""
    if not pool_venv_ok():
        raise LedgerError(f"{POOL_VENV} is missing or broken: run scripts/testbed install")
    ledger = state.get("ledger")
    if not ledger:
        ledger = new_ledger(state_dir, free_ports(9, taken))
        state["ledger"] = ledger
    Path(ledger["pool_dir"]).mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    init_pool(ledger, state_dir)
    fresh = not all(node_alive(ledger, n) for n in NODES)
    start_nodes(ledger, state_dir)
    start_tails_server(ledger)
    if fresh or not ledger.get("issuer_did"):  # a pool that kept running still has the NYM
        register_issuer(ledger, acapy_python)
    if fresh:
        ledger["started_in_seconds"] = round(time.monotonic() - t0, 1)
    return ledger


def stop(ledger) -> None:
    """Stop the nodes and the tails server (only processes that still are ours)."""
    if not ledger:
        return
    pids = [ledger["nodes"][n]["pid"] for n in ledger["nodes"] if node_alive(ledger, n)]
    if tails_alive(ledger):
        pids.append(ledger["tails_server"]["pid"])
    stop_groups(pids, running, STOP_TIMEOUT, poll=0.1)


def remove(state_dir: Path) -> None:
    """The ledger's data, keys and tails files (after stop)."""
    shutil.rmtree(ledger_dir(state_dir), ignore_errors=True)


def status_rows(ledger) -> dict:
    """name -> {pid, alive, ready, url} for `scripts/testbed status`."""
    rows = {}
    for n, node in ledger["nodes"].items():
        alive = node_alive(ledger, n)
        rows[f"ledger-{n}"] = {"pid": node["pid"], "alive": alive,
                               "ready": alive and listens(node["client_port"]),
                               "url": f"tcp://{HOST}:{node['client_port']} (node {node['node_port']})"}  # fmt: skip
    t = ledger["tails_server"]
    alive = tails_alive(ledger)
    rows["tails-server"] = {"pid": t["pid"], "alive": alive, "ready": alive and listens(t["port"]), "url": t["url"]}
    return rows


def acapy_flags(ledger) -> list:
    """What the ledger-backed issuer passes to aca-py instead of --no-ledger."""
    return ["--genesis-file", ledger["genesis_file"], "--ledger-pool-name", ledger["pool_name"],
            "--seed", ledger["issuer_seed"], "--tails-server-base-url", ledger["tails_server"]["url"]]  # fmt: skip


def tails_stats(ledger) -> dict:
    with urllib.request.urlopen(ledger["tails_server"]["url"] + "/_stats", timeout=5) as r:
        return json.loads(r.read())
