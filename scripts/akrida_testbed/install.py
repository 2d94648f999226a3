"""`scripts/testbed install`'s work: the project-local venvs (ACA-Py releases, Locust, the old
Locust, the Pickup plugin), pyenv's interpreters, the Credo mediator's npm install with askar's
library from the PyPI wheel, and the Debian packages through scripts/install-system-packages;
need_venv tells the other commands what is missing.

It starts no server and does not touch the state dir.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from .config import (
    ACAPY_RELEASES, ACAPY_VENV, ALL_AGENTS, CREDO_ASKAR_LIB, CREDO_ASKAR_SPEC, CREDO_DIR, CREDO_FFI_ADDONS,
    CREDO_SRC, CREDO_VERSION, DEFAULT_RELEASE, Fail, LOCUST_OLD_PYTHON, LOCUST_OLD_SPECS, LOCUST_OLD_VENV,
    LOCUST_OLD_VERSION, NODE_MIN, PICKUP_DIR, PICKUP_SPEC, REPO, VENVS, is_credo, release_of,
)


def need_venv(names=ALL_AGENTS) -> None:
    """The venv of every release among `names` has its aca-py (the Credo mediators: their npm install)."""
    if any(is_credo(n) for n in names) and not credo_installed():
        raise Fail(f"the Credo mediator's packages ({CREDO_DIR}) are missing or stale: run scripts/testbed install")
    for r in {release_of(n).version: release_of(n) for n in names if not is_credo(n)}.values():
        if not (r.venv / "bin" / "aca-py").exists():
            how = "scripts/testbed install" + ("" if r is DEFAULT_RELEASE else f" --acapy {r.version}")
            raise Fail(f"{r.venv}/bin/aca-py (ACA-Py {r.version}) is missing: run {how}")


def venv_versions(venv: Path, names) -> dict:
    """Installed versions of `names` in `venv` via importlib.metadata (None = not installed)."""
    py = venv / "bin" / "python"
    if not py.exists():
        return {n: None for n in names}
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for n in sys.argv[1:]:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = None\n"
        "print(json.dumps(out))\n"
    )
    r = subprocess.run([str(py), "-c", code, *names], capture_output=True, text=True)
    if r.returncode != 0:
        return {n: None for n in names}
    return json.loads(r.stdout)


def pip(venv: Path, *args) -> None:
    r = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", *args], capture_output=True, text=True)
    if r.returncode != 0:
        last = (r.stderr.strip() or r.stdout.strip()).splitlines()[-1:] or ["?"]
        raise Fail(f"pip {' '.join(args)} failed in {venv}: {last[0]}")


def ensure_venv(venv: Path, specs, ok, python=sys.executable) -> str:
    """Create venv (with `python`) and pip install specs unless ok(versions) already holds."""
    acapy = {r.venv: r.package for r in ACAPY_RELEASES.values()}
    names = [acapy[venv], "aries-askar", "pynacl"] if venv in acapy else ["locust"]
    v = venv_versions(venv, names)
    if ok(v):
        return f"{venv.name}: present ({', '.join(f'{k} {x}' for k, x in v.items())})"
    if not (venv / "bin" / "python").exists():
        r = subprocess.run([python, "-m", "venv", str(venv)], capture_output=True, text=True)
        if r.returncode != 0:
            raise Fail(f"python3 -m venv {venv} failed: {r.stderr.strip()[-200:]}")
    pip(venv, "install", "--quiet", *specs)
    v = venv_versions(venv, names)
    if not ok(v):
        raise Fail(f"{venv} still does not satisfy {specs} after pip install: {v}")
    return f"{venv.name}: installed ({', '.join(f'{k} {x}' for k, x in v.items())})"


def pyenv_root() -> Path:
    """`pyenv root` when pyenv is on PATH, else $PYENV_ROOT, else ~/.pyenv."""
    if shutil.which("pyenv"):
        r = subprocess.run(["pyenv", "root"], capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip():
            return Path(r.stdout.strip())
    return Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))


def find_python(version: str, needed_for: str) -> str:
    """A working `python<version>`: on PATH (a pyenv shim there may not run it), else pyenv's newest
    under $(pyenv root)/versions/<version>.*; each candidate is run (it must be that version and make
    venvs) before it is trusted. Fails naming what to install."""
    pyenv = pyenv_root() / "versions"
    patch = lambda p: [int(x) for x in p.parts[-3].split(".") if x.isdigit()]  # noqa: E731
    installed = sorted(pyenv.glob(f"{version}.*/bin/python{version}"), key=patch, reverse=True)
    probe = f"import sys, venv; sys.exit(sys.version_info[:2] != tuple(map(int, {version!r}.split('.'))))"
    for python in [shutil.which(f"python{version}"), *map(str, installed)]:
        if python and subprocess.run([python, "-c", probe], capture_output=True).returncode == 0:
            return python
    raise Fail(f"Python {version} is missing (needed for {needed_for}): none on PATH as python{version}, none "
               f"working under {pyenv}/{version}.*; put python{version} on PATH or `pyenv install {version}`")  # fmt: skip


def ensure_acapy(r) -> str:
    """The release's venv (on the Python it needs, looked for only to make it) with its aca-py."""
    ok = lambda v: v[r.package] == r.version and v["aries-askar"] and v["pynacl"]  # noqa: E731
    present = ok(venv_versions(r.venv, [r.package, "aries-askar", "pynacl"]))
    python = sys.executable if present or not r.python else find_python(r.python, f"ACA-Py {r.version}")
    return ensure_venv(r.venv, r.specs, ok, python=python)


def releases_arg(text) -> list:
    """`--acapy 0.12.8,1.7.0` -> the releases, in that order."""
    vs = [v.strip() for v in text.split(",") if v.strip()]
    bad = [v for v in vs if v not in ACAPY_RELEASES]
    if bad or not vs:
        raise Fail(f"unknown ACA-Py release(s) {bad or text!r}; known: {','.join(ACAPY_RELEASES)}")
    return [ACAPY_RELEASES[v] for v in vs]


def ensure_old_locust() -> str:
    """The oldest supported Locust in its own venv; Python 3.10 is looked for only to make it."""
    ok = lambda v: v["locust"] == LOCUST_OLD_VERSION  # noqa: E731
    present = ok(venv_versions(LOCUST_OLD_VENV, ["locust"]))
    python = sys.executable if present else find_python(LOCUST_OLD_PYTHON, LOCUST_OLD_VENV.name)
    return ensure_venv(LOCUST_OLD_VENV, LOCUST_OLD_SPECS, ok, python=python)


def ensure_pickup_plugin() -> str:
    """pip download the plugin wheel (no deps: it pins ACA-Py 0.8.2) and unzip it for PYTHONPATH."""
    marker = PICKUP_DIR / "acapy_plugin_pickup" / "__init__.py"
    if not marker.exists():
        with tempfile.TemporaryDirectory() as dl:
            pip(ACAPY_VENV, "download", "--quiet", "--no-deps", "-d", dl, PICKUP_SPEC)
            wheels = list(Path(dl).glob("*.whl"))
            if not wheels:
                raise Fail(f"pip download {PICKUP_SPEC} gave no wheel")
            tmp = Path(tempfile.mkdtemp(dir=VENVS, prefix=".pickup."))
            with zipfile.ZipFile(wheels[0]) as z:
                z.extractall(tmp)
            shutil.rmtree(PICKUP_DIR, ignore_errors=True)
            tmp.rename(PICKUP_DIR)
        state = "unzipped"
    else:
        state = "present"
    if not marker.exists():
        raise Fail(f"{marker} missing after unzip")
    return f"pickup-plugin: {state} ({PICKUP_DIR})"


def node_version(node="node"):
    """(major, minor) of `node`, or None when it does not run."""
    try:
        r = subprocess.run([node, "--version"], capture_output=True, text=True)
    except OSError:
        return None
    m = re.match(r"v(\d+)\.(\d+)", r.stdout.strip())
    return (int(m.group(1)), int(m.group(2))) if r.returncode == 0 and m else None


def credo_stamp() -> str:
    """What an install of the Credo mediator is made of: the lock file's text and the askar wheel.
    Written into the install when it is complete; a different one means install again."""
    lock = (CREDO_SRC / "package-lock.json").read_text()
    return json.dumps({"lock": lock, "askar": CREDO_ASKAR_SPEC, "node": node_version()})


def credo_installed() -> bool:
    stamp = CREDO_DIR / "installed.json"
    try:
        return stamp.read_text() == credo_stamp() and CREDO_ASKAR_LIB.exists()
    except OSError:
        return False


def run_npm(*args, cwd) -> None:
    r = subprocess.run(["npm", *args], cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        last = (r.stderr.strip() or r.stdout.strip()).splitlines()[-3:] or ["?"]
        raise Fail(f"npm {' '.join(args)} failed in {cwd}: {' / '.join(last)}")


def ensure_credo() -> str:
    """The Credo mediator's packages in .venv/credo-mediator: `npm ci --ignore-scripts` from our
    package-lock.json (no package's install script runs: askar-nodejs's would download its
    library from GitHub), `npm rebuild` of the ffi addons (node-gyp: make, g++, python3), and
    libaries_askar.so out of the PyPI wheel of the version askar-nodejs names."""
    v = node_version()
    if not v or v < NODE_MIN or not shutil.which("npm"):
        raise Fail(f"Node.js >= {NODE_MIN[0]}.{NODE_MIN[1]} with npm is needed for the Credo mediator (found "
                   f"{'node ' + '.'.join(map(str, v)) if v else 'no node'}): scripts/install-system-packages nodejs")  # fmt: skip
    if credo_installed():
        return f"credo-mediator: present (Credo {CREDO_VERSION}, {CREDO_ASKAR_SPEC} library; {CREDO_DIR})"
    t0 = time.monotonic()
    CREDO_DIR.mkdir(parents=True, exist_ok=True)
    (CREDO_DIR / "installed.json").unlink(missing_ok=True)
    for f in ("package.json", "package-lock.json"):
        shutil.copyfile(CREDO_SRC / f, CREDO_DIR / f)
    run_npm("ci", "--ignore-scripts", "--no-audit", "--no-fund", cwd=CREDO_DIR)
    run_npm("rebuild", *CREDO_FFI_ADDONS, cwd=CREDO_DIR)
    with tempfile.TemporaryDirectory() as dl:
        # pip from whichever ACA-Py venv exists (install made them first); a wheel for this platform.
        venv = next((r.venv for r in ACAPY_RELEASES.values() if (r.venv / "bin" / "python").exists()), None)
        if venv is None:
            raise Fail("no ACA-Py venv to run pip download in: run scripts/testbed install")
        pip(venv, "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d", dl, CREDO_ASKAR_SPEC)
        wheels = list(Path(dl).glob("*.whl"))
        if not wheels:
            raise Fail(f"pip download {CREDO_ASKAR_SPEC} gave no wheel")
        with zipfile.ZipFile(wheels[0]) as z:
            libs = [n for n in z.namelist() if n.endswith("/libaries_askar.so")]
            if not libs:
                raise Fail(f"{wheels[0].name} holds no libaries_askar.so")
            CREDO_ASKAR_LIB.parent.mkdir(parents=True, exist_ok=True)
            CREDO_ASKAR_LIB.write_bytes(z.read(libs[0]))
    # One real load: the ffi addons and the library work together, and it is the version wanted.
    probe = ("const { askar } = require('@openwallet-foundation/askar-nodejs');"
             "process.stdout.write(askar.version())")  # fmt: skip
    r = subprocess.run(["node", "-e", probe], cwd=CREDO_DIR, capture_output=True, text=True)
    want = CREDO_ASKAR_SPEC.split("==")[1]
    if r.returncode != 0 or r.stdout.strip() != want:
        raise Fail(f"askar-nodejs does not load askar {want}: {(r.stderr.strip() or r.stdout.strip())[-300:]}")
    (CREDO_DIR / "installed.json").write_text(credo_stamp())
    return f"credo-mediator: installed in {time.monotonic() - t0:.0f} s (Credo {CREDO_VERSION}, askar {want}; {CREDO_DIR})"


def install_system_packages(*names) -> None:
    """scripts/install-system-packages NAMES: apt-get installs (as root or with sudo) the Debian
    packages that are missing, without starting their services; quick when all are present."""
    r = subprocess.run([str(REPO / "scripts" / "install-system-packages"), *names], stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise Fail(f"scripts/install-system-packages {' '.join(names)} failed (see its output above)")
