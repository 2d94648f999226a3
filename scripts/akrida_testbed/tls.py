"""TLS: the testbed CA and the fronts' certificates (openssl CLI, in tls/), the fronts' ports and
the TLS agents' public URLs (nginx's fronts) and backends, and the HTTPS readiness check.

It does not write nginx's config nor start nginx (nginx.py does).
"""

import json
import os
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from .config import Fail, HOST, TLS_AGENTS, URL_KEYS
from .state import free_ports, inner, port_of, state_dir, taken_ports


TLS_HOST = "localhost"  # the name the TLS agents advertise; the server certificate is for it (and 127.0.0.1)
WRONG_HOST = "wrong-host.akrida.test"  # the only name in the wrong-host front's certificate


# name -> (TLS agent, its URL key behind this front, certificate). Every front has its own port.
FRONTS = {
    "mediator-tls-https": ("mediator-tls", "http_url", "server"),
    "mediator-tls-wss": ("mediator-tls", "ws_url", "server"),
    "mediator-tls-admin": ("mediator-tls", "admin_url", "server"),
    "issuer-tls-https": ("issuer-tls", "http_url", "server"),
    "issuer-tls-wss": ("issuer-tls", "ws_url", "server"),
    "issuer-tls-admin": ("issuer-tls", "admin_url", "server"),
    "credo-tls-https": ("credo-tls", "http_url", "server"),
    "credo-tls-wss": ("credo-tls", "ws_url", "server"),
    "credo-tls-admin": ("credo-tls", "admin_url", "server"),
    "wrong-host": ("mediator-tls", "http_url", "wrong-host"),
    "expired": ("mediator-tls", "http_url", "expired"),
}
CERTS = ("server", "wrong-host", "expired")
KIND = {"http_url": "https", "ws_url": "wss", "admin_url": "admin"}  # front name: <agent>-<kind>

OPENSSL_CNF = """\
# scripts/testbed: the testbed CA (openssl req, openssl ca); paths relative to the tls/ dir
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = akrida testbed CA
[ ca ]
default_ca = testbed_ca
[ testbed_ca ]
dir = .
certificate = $dir/ca.crt
private_key = $dir/ca.key
database = $dir/ca-db/index.txt
new_certs_dir = $dir/ca-db/certs
serial = $dir/ca-db/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none
[ policy_any ]
commonName = supplied
[ ca_ext ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ leaf_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1
[ wrong_host_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:@WRONG_HOST@
"""


def tls_dir() -> Path:
    return state_dir() / "tls"


def sbin_which(prog):
    """`prog` on PATH, or in /usr/sbin (not on a normal user's PATH on Debian), or None."""
    w = shutil.which(prog) or shutil.which(prog, path="/usr/sbin:/sbin")
    return Path(w) if w else None


def need_openssl() -> Path:
    b = sbin_which("openssl")
    if not b:
        raise Fail("openssl is missing (it makes the testbed CA): run scripts/install-system-packages openssl")
    return b


def openssl_version(openssl) -> str:
    r = subprocess.run([str(openssl), "version"], capture_output=True, text=True)
    return " ".join(r.stdout.split()[1:2]) or "?"


def openssl(cwd, *args) -> None:
    r = subprocess.run([str(need_openssl()), *args], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise Fail(f"openssl {' '.join(args[:2])} failed: {(r.stderr.strip() or r.stdout.strip())[-300:]}")


def ensure_certs() -> dict:
    """The testbed CA, the three front certificates and the session-ticket key under tls/, made
    once (into a temporary dir renamed into place, so a half-made set is never used). ECDSA P-256:
    the cheapest full handshake for nginx's one worker."""
    d = tls_dir()
    files = {"ca_cert": d / "ca.crt", "ca_key": d / "ca.key", "session_ticket_key": d / "ticket.key"}
    for c in CERTS:
        files[c] = (d / f"{c}.crt", d / f"{c}.key")
    if all(p.exists() for v in files.values() for p in (v if isinstance(v, tuple) else (v,))):
        return files
    shutil.rmtree(d, ignore_errors=True)
    d.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=d.parent, prefix=".tls."))
    try:
        (tmp / "openssl.cnf").write_text(OPENSSL_CNF.replace("@WRONG_HOST@", WRONG_HOST))
        (tmp / "ca-db" / "certs").mkdir(parents=True)
        (tmp / "ca-db" / "index.txt").write_text("")
        (tmp / "ca-db" / "serial").write_text("1000\n")
        for key in ("ca", *CERTS):
            openssl(tmp, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{key}.key")
        openssl(tmp, "req", "-new", "-x509", "-config", "openssl.cnf", "-key", "ca.key", "-out", "ca.crt",
                "-days", "3650", "-extensions", "ca_ext", "-subj", "/CN=akrida testbed CA")  # fmt: skip
        now = time.time()
        stamp = lambda t: time.strftime("%Y%m%d%H%M%SZ", time.gmtime(t))  # noqa: E731
        for c, cn, ext, dates in (
            ("server", TLS_HOST, "leaf_ext", ["-days", "3650"]),
            ("wrong-host", WRONG_HOST, "wrong_host_ext", ["-days", "3650"]),
            # OpenSSL 3.0's `x509 -days` cannot end in the past; `ca -startdate/-enddate` can.
            ("expired", TLS_HOST, "leaf_ext", ["-startdate", stamp(now - 30 * 86400), "-enddate", stamp(now - 86400)]),
        ):
            openssl(tmp, "req", "-new", "-config", "openssl.cnf", "-key", f"{c}.key", "-out", f"{c}.csr", "-subj", f"/CN={cn}")
            openssl(tmp, "ca", "-batch", "-notext", "-config", "openssl.cnf", "-in", f"{c}.csr", "-out", f"{c}.crt",
                    "-extensions", ext, *dates)  # fmt: skip
        # 80 random bytes: AES-256 + HMAC-SHA256 ticket keys (nginx >= 1.11.8). The same file at
        # every start of nginx keeps the tickets it gave out valid across restarts.
        (tmp / "ticket.key").write_bytes(os.urandom(80))
        for f in tmp.iterdir():  # keys: owner only (nginx's master reads them, as us)
            if f.is_file():
                f.chmod(0o600 if f.suffix == ".key" else 0o644)
        tmp.chmod(0o755)
        tmp.rename(d)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return files


def tls_agent_urls(tls, name) -> dict:
    """URL_KEYS of a TLS agent from nginx's fronts (https/wss on localhost), and the backend_* ones
    where the agent itself listens (plain, 127.0.0.1) from the fronts' upstreams."""
    urls = {}
    for front, (agent, key, cert) in FRONTS.items():
        if agent == name and cert == "server":
            f = tls["fronts"][front]
            urls[key] = f["url"]
            up = port_of(f["upstream"])
            urls["backend_" + key] = f"ws://{HOST}:{up}" if key == "ws_url" else f"http://{HOST}:{up}"
    return urls


def move_tls_backends(state, name, fresh) -> None:
    """A TLS agent got new backend ports (its old ones were taken): point the fronts at them.
    nginx runs with the old config until it is restarted (cmd_up does, seeing `conf_outdated`)."""
    for front, (agent, key, _) in FRONTS.items():
        if agent == name:
            state["tls"]["fronts"][front]["upstream"] = f"http://{HOST}:{port_of(fresh[key])}"
    state["tls"]["conf_outdated"] = True
    state["agents"][name].update(tls_agent_urls(state["tls"], name))


def new_fronts(state, keep=None) -> dict:
    """A port on 127.0.0.1 for every front and backend ports for both TLS agents; `keep`: fronts
    whose ports stay (only the other ones move)."""
    keep = keep or {}
    taken = taken_ports(state) | {p for f in keep.values() for p in (f["port"], port_of(f["upstream"]))}
    ports = iter(free_ports(len(FRONTS) + 3 * len(TLS_AGENTS), taken))
    backends = {}
    for name in TLS_AGENTS:
        a = state["agents"].get(name)
        for key in URL_KEYS:
            old = keep.get(f"{name}-{KIND[key]}")
            backends[(name, key)] = (port_of(inner(a, key)) if a and a.get("backend_" + key)
                                     else port_of(old["upstream"]) if old else next(ports))  # fmt: skip
    fronts = {}
    certs = ensure_certs()
    for front, (agent, key, cert) in FRONTS.items():
        port = keep[front]["port"] if front in keep else next(ports)
        scheme = "wss" if key == "ws_url" else "https"
        fronts[front] = {"url": f"{scheme}://{TLS_HOST}:{port}", "port": port, "agent": agent,
                         "upstream": f"http://{HOST}:{backends[(agent, key)]}",
                         "cert": str(certs[cert][0]), "key": str(certs[cert][1])}  # fmt: skip
    return fronts


def https_ready(tls, agent) -> bool:
    """GET <admin front>/status/ready over https, trusting only the testbed CA: nginx, the
    certificate for localhost and the agent behind it all work."""
    ctx = ssl.create_default_context(cafile=tls["ca_cert"])
    req = urllib.request.Request(agent["admin_url"] + "/status/ready")
    if agent.get("admin_api_key"):
        req.add_header("X-API-Key", agent["admin_api_key"])
    try:
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            return r.status == 200 and json.loads(r.read()).get("ready") is True
    except (OSError, ValueError):
        return False
