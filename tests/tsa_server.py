"""A real RFC 3161 Time-Stamping Authority for the tests: ``openssl ts -reply`` behind a small HTTP handler.

Run as its own process on 127.0.0.1: ``python tests/tsa_server.py DIR [MODE]``; it prints its port, then
serves until killed. DIR holds ``tsa.pem``, ``tsa.key`` and ``chain.pem`` (see tests/test_anchors.py).
MODE: ``ok`` (answers the query it got), ``other`` (answers with a token over other data: a TSA, or a
machine in the middle, handing back a token for something else), ``redirect`` (302 to another URL),
``huge`` (an endless body), ``drip`` (a byte every 0.2 s).
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOME = Path(sys.argv[1])
MODE = sys.argv[2] if len(sys.argv) > 2 else "ok"
CONFIG = """[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
serial = {home}/serial
crypto_device = builtin
signer_cert = {home}/tsa.pem
certs = {home}/chain.pem
signer_key = {home}/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def reply(query: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        q, r = Path(tmp) / "q.tsq", Path(tmp) / "r.tsr"
        if MODE == "other":
            (Path(tmp) / "other").write_bytes(b"another seal altogether")
            subprocess.run(
                ["openssl", "ts", "-query", "-data", str(Path(tmp) / "other"), "-sha256", "-cert", "-out", str(q)],
                check=True,
                capture_output=True,
            )
        else:
            q.write_bytes(query)
        subprocess.run(
            ["openssl", "ts", "-reply", "-config", str(HOME / "ts.cnf"), "-queryfile", str(q), "-out", str(r)],
            check=True,
            capture_output=True,
        )
        return r.read_bytes()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if MODE == "redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.end_headers()
            return
        if MODE == "drip":  # a byte at a time, for ever
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.end_headers()
            for _ in range(10000):
                self.wfile.write(b"\0")
                self.wfile.flush()
                time.sleep(0.2)
            return
        if MODE == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b"\0" * 65536)
            return
        body = reply(query)
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    (HOME / "ts.cnf").write_text(CONFIG.format(home=HOME))
    if not (HOME / "serial").exists():
        (HOME / "serial").write_text("01\n")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
