"""An HTTPS bot endpoint that passes OpenChime's HTTPSEndpointVerification
(D44) and accepts every event, for clients' PutEventsConfiguration scenarios.
Usage: challenge_echo.py CERT KEY PORTFILE; writes its port to PORTFILE."""
import json, ssl, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

cert, key, portfile = sys.argv[1:4]


class Echo(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        raw = json.dumps({"Challenge": body.get("Challenge", "")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(portfile, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
