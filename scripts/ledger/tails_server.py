"""scripts/ledger/tails_server.py: a small stand-in for indy-tails-server (not on PyPI).

    tails_server.py HOST PORT DIR

ACA-Py uploads each revocation registry's tails file with a multipart PUT to
`<base>/<rev_reg_id>` (field `tails`, plus `genesis`) and writes `<base>/<rev_reg_id>` into the
registry definition on the ledger; holders download it from there with GET. That is all this
server does. Unlike the real server it does not check the file against the ledger's registry
definition (a holder checks the tails hash itself). A second PUT of the same id is refused
(409), as the real server refuses to replace a tails file.

`GET /_stats` answers {rev_reg_id: {"bytes", "uploads", "downloads"}}: tests count there how
often holders fetched each file. Stdlib only; loopback only.
"""

import hashlib
import json
import sys
import threading
import urllib.parse
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MAX_UPLOAD = 64 * 1024 * 1024  # a registry of 32,768 credentials has a tails file of ~8 MB


class Files:
    """The stored tails files and their counters, shared by the handler threads."""

    def __init__(self, root: Path):
        self.root = root
        self.lock = threading.Lock()
        self.stats = {}

    def path(self, rev_reg_id: str) -> Path:
        return self.root / hashlib.sha256(rev_reg_id.encode()).hexdigest()

    def put(self, rev_reg_id: str, data: bytes) -> bool:
        with self.lock:
            if self.path(rev_reg_id).exists():
                return False
            self.path(rev_reg_id).write_bytes(data)
            self.stats[rev_reg_id] = {"bytes": len(data), "uploads": 1, "downloads": 0}
            return True

    def get(self, rev_reg_id: str):
        with self.lock:
            try:
                data = self.path(rev_reg_id).read_bytes()
            except FileNotFoundError:
                return None
            entry = self.stats.setdefault(rev_reg_id, {"bytes": len(data), "uploads": 0, "downloads": 0})
            entry["downloads"] += 1
            return data


def tails_part(content_type: str, body: bytes):
    """The `tails` field of a multipart/form-data body, or None."""
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    if not message.is_multipart():
        return None
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "tails":
            return part.get_payload(decode=True)
    return None


class Handler(BaseHTTPRequestHandler):
    files: Files = None  # set in main()

    def answer(self, status: int, body: bytes, content_type="text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def rev_reg_id(self) -> str:
        return urllib.parse.unquote(urllib.parse.urlsplit(self.path).path.lstrip("/"))

    def do_GET(self):  # noqa: N802 (http.server's naming)
        name = self.rev_reg_id()
        if name == "_stats":
            with self.files.lock:
                return self.answer(200, json.dumps(self.files.stats).encode(), "application/json")
        data = self.files.get(name) if name else None
        if data is None:
            return self.answer(404, f"no tails file for {name!r}\n".encode())
        self.answer(200, data, "application/octet-stream")

    def do_PUT(self):  # noqa: N802
        name = self.rev_reg_id()
        length = int(self.headers.get("Content-Length") or 0)
        if not name or length <= 0 or length > MAX_UPLOAD:
            return self.answer(400, b"expected a multipart PUT to /<rev_reg_id> with a tails field\n")
        data = tails_part(self.headers.get("Content-Type", ""), self.rfile.read(length))
        if not data:
            return self.answer(400, b"no tails field in the multipart body\n")
        if not self.files.put(name, data):
            return self.answer(409, b"a tails file for this registry is already stored\n")
        self.answer(200, name.encode())

    def log_message(self, fmt, *args):  # one line per request on stderr (the testbed's log file)
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))
        sys.stderr.flush()


def main(argv) -> int:
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    host, port, root = argv[0], int(argv[1]), Path(argv[2])
    root.mkdir(parents=True, exist_ok=True)
    Handler.files = Files(root)
    server = ThreadingHTTPServer((host, port), Handler)
    print(f"tails server on http://{host}:{port}/ storing in {root}", file=sys.stderr, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
