"""The AWS sample chat bot's flow against OpenChime, in Python with boto3: an
HTTPS bot (its own HMAC check of Chime-Signature, its own challenge echo) is
configured with put-events-configuration, invited to a room and @mentioned;
its reply, posted to the event's InboundHttpsEndpoint.Url, must appear in the
room. Usage: sample_bot.py ENDPOINT CERT KEY"""
import base64, hashlib, hmac, json, ssl, sys, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from botocore.exceptions import ClientError

endpoint, cert, key = sys.argv[1:4]
state = {"token": None, "mode": "ok", "events": [], "bad_signatures": 0}


class Bot(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        stamp = self.headers.get("Chime-Request-Timestamp", "")
        want = base64.b64encode(hmac.new(state["token"].encode(), stamp.encode() + b"|" + body, hashlib.sha256).digest()).decode()
        if not stamp or self.headers.get("Chime-Signature") != want:
            state["bad_signatures"] += 1
            self.send_response(401)
            self.end_headers()
            return
        event = json.loads(body)
        if event["EventType"] == "HTTPSEndpointVerification":
            challenge = event["Challenge"] if state["mode"] == "ok" else "wrong"
            self.reply(200, {"Challenge": challenge})
            return
        state["events"].append(event)
        if event["EventType"] == "Mention":
            req = urllib.request.Request(event["InboundHttpsEndpoint"]["Url"], method="POST",
                                         data=json.dumps({"Content": "Hello from the sample bot"}).encode(),
                                         headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=5).read()
        self.reply(200, {})

    def reply(self, status, obj):
        raw = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


server = ThreadingHTTPServer(("127.0.0.1", 0), Bot)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
bot_url = f"https://127.0.0.1:{server.server_address[1]}/events"


def cp(method, path, body=None):
    req = urllib.request.Request(endpoint + path, method=method, data=json.dumps(body).encode() if body else None)
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read() or b"{}")


def wait(what, pred):
    for _ in range(100):
        got = pred()
        if got:
            return got
        time.sleep(0.05)
    sys.exit(f"bots: timed out waiting for {what}; events: {state['events']}")


chime = boto3.client("chime", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
acct = cp("POST", "/_openchime/accounts", {"Name": "bots", "AccountType": "EnterpriseLWA"})["Account"]["AccountId"]
user = cp("POST", f"/_openchime/accounts/{acct}/users", {"PrimaryEmail": "ana@example.com", "DisplayName": "Ana"})["User"]["UserId"]
bot = chime.create_bot(AccountId=acct, DisplayName="SampleBot", Domain="example.com")["Bot"]
state["token"] = bot["SecurityToken"]

state["mode"] = "wrong"
try:
    chime.put_events_configuration(AccountId=acct, BotId=bot["BotId"], OutboundEventsHTTPSEndpoint=bot_url)
    sys.exit("bots: a wrong challenge was accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "BadRequestException", e.response
    assert "Challenge" in e.response["Error"]["Message"], e.response
state["mode"] = "ok"
chime.put_events_configuration(AccountId=acct, BotId=bot["BotId"], OutboundEventsHTTPSEndpoint=bot_url)

room = chime.create_room(AccountId=acct, Name="support")["Room"]["RoomId"]
chime.create_room_membership(AccountId=acct, RoomId=room, MemberId=user)
chime.create_room_membership(AccountId=acct, RoomId=room, MemberId=bot["BotId"])
invite = wait("Invite", lambda: [e for e in state["events"] if e["EventType"] == "Invite"])[0]
assert invite["Discussion"] == {"DiscussionId": room, "DiscussionType": "Room"}, invite
assert invite["InboundHttpsEndpoint"]["EndpointType"] == "Persistent", invite

cp("POST", f"/_openchime/accounts/{acct}/rooms/{room}/messages", {"SenderId": user, "Content": "@SampleBot what time is it?"})
mention = wait("Mention", lambda: [e for e in state["events"] if e["EventType"] == "Mention"])[0]
assert mention["Sender"] == {"SenderId": "ana@example.com", "SenderIdType": "EmailId"}, mention
assert mention["Message"] == "@SampleBot what time is it?", mention
wait("the bot's reply in the room", lambda: [m for m in cp("GET", f"/_openchime/accounts/{acct}/rooms/{room}/messages")["Messages"]
                                             if m["SenderId"] == bot["BotId"] and m["Content"] == "Hello from the sample bot"])

# A wrong token posts nothing.
url = mention["InboundHttpsEndpoint"]["Url"].split("?token=")[0] + "?token=wrong"
try:
    urllib.request.urlopen(urllib.request.Request(url, method="POST", data=b'{"Content":"spoof"}'), timeout=5)
    sys.exit("bots: a wrong token was accepted")
except urllib.error.HTTPError as e:
    assert e.code == 403 and e.headers["x-amzn-ErrorType"] == "ForbiddenException", (e.code, dict(e.headers))
msgs = cp("GET", f"/_openchime/accounts/{acct}/rooms/{room}/messages")["Messages"]
assert [m["Content"] for m in msgs] == ["@SampleBot what time is it?", "Hello from the sample bot"], msgs

deliveries = cp("GET", f"/_openchime/accounts/{acct}/bots/{bot['BotId']}/deliveries")["Deliveries"]
assert [(d["EventType"], d["Status"]) for d in deliveries] == [("Invite", "Delivered"), ("Mention", "Delivered")], deliveries
assert state["bad_signatures"] == 0, state
print("bots: OK (boto3 sample bot: verified, invited, mentioned, replied)")
