"""A minimal SCIM 2.0 server that records the wire, and a webhook sink.

Used by .ci/outbox.sh: python3 .ci/outbox_servers.py SCIM_PORT SINK_PORT
SECRET FAIL_FIRST. The SCIM server (base /scim/v2, bearer token "tok")
answers 503 to its first FAIL_FIRST requests; GET /_state lists its users,
GET /_wire the requests it saw. The sink checks X-OpenChime-Signature with
SECRET and GET /_deliveries lists what it received (bad signatures are
answered 400 and counted in GET /_bad).
"""
import hashlib
import hmac
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

scim_port, sink_port, secret, fail_first = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
lock = threading.Lock()
users, wire, deliveries, bad = {}, [], [], []
seen = [0]
CHIME = "urn:openchime:params:scim:schemas:extension:chime:2.0:User"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=None, ctype="application/scim+json"):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""


class SCIM(Handler):
    def handle_one(self, method):
        raw = self.body()
        url = urlparse(self.path)
        if url.path == "/_state":
            with lock:
                return self.answer(200, list(users.values()), "application/json")
        if url.path == "/_wire":
            with lock:
                return self.answer(200, wire, "application/json")
        with lock:
            wire.append({"method": method, "path": self.path, "body": json.loads(raw) if raw else None,
                         "contentType": self.headers.get("Content-Type"), "auth": self.headers.get("Authorization")})
            seen[0] += 1
            if seen[0] <= fail_first:
                return self.answer(503, {"detail": "warming up"})
            if self.headers.get("Authorization") != "Bearer tok":
                return self.answer(401, {"detail": "bad token"})
            if raw and self.headers.get("Content-Type") != "application/scim+json":
                return self.answer(415, {"detail": "want application/scim+json"})
            if not url.path.startswith("/scim/v2/Users"):
                return self.answer(404)
            uid = url.path[len("/scim/v2/Users/"):] if url.path.startswith("/scim/v2/Users/") else ""
            if method == "GET" and not uid:
                want = parse_qs(url.query).get("filter", [""])[0]
                res = [u for u in users.values() if not want or want == 'userName eq "%s"' % u["userName"]]
                return self.answer(200, {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                                         "totalResults": len(res), "startIndex": 1, "itemsPerPage": len(res), "Resources": res})
            if method == "POST" and not uid:
                u = json.loads(raw)
                if any(o["userName"] == u.get("userName") for o in users.values()):
                    return self.answer(409, {"detail": "exists"})
                u["id"] = "u%d" % (len(users) + 1000 + len(wire))
                users[u["id"]] = u
                return self.answer(201, u)
            u = users.get(uid)
            if u is None:
                return self.answer(404, {"detail": "no such user"})
            if method == "PATCH":
                for op in json.loads(raw)["Operations"]:
                    path = op["path"]
                    if path.startswith(CHIME + ":"):
                        u.setdefault(CHIME, {})[path[len(CHIME) + 1:]] = op["value"]
                    else:
                        u[path] = op["value"]
                return self.answer(200, u)
            if method == "DELETE":
                del users[uid]
                return self.answer(204)
            if method == "GET":
                return self.answer(200, u)
            return self.answer(405)

    def do_GET(self): self.handle_one("GET")
    def do_POST(self): self.handle_one("POST")
    def do_PATCH(self): self.handle_one("PATCH")
    def do_DELETE(self): self.handle_one("DELETE")


class Sink(Handler):
    def do_GET(self):
        with lock:
            self.answer(200, deliveries if self.path == "/_deliveries" else bad, "application/json")

    def do_POST(self):
        raw = self.body()
        want = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        with lock:
            if not hmac.compare_digest(want, self.headers.get("X-OpenChime-Signature", "")):
                bad.append(self.headers.get("X-OpenChime-Event-Id"))
                return self.answer(400, {"error": "bad signature"}, "application/json")
            deliveries.append({"eventId": self.headers.get("X-OpenChime-Event-Id"), "event": json.loads(raw)})
        self.answer(200)


for port, handler in ((scim_port, SCIM), (sink_port, Sink)):
    threading.Thread(target=ThreadingHTTPServer(("127.0.0.1", port), handler).serve_forever, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
