"""CloudTrail checks with boto3 against a server started by .ci/cloudtrail.sh.

Runs a scripted Chime session as tenant A (reads, writes, a failed call, a
denied call, secrets in answers), then reads the trail back with boto3's
cloudtrail client and its paginator: every call is there with the right
fields, secrets are hidden, failed calls carry errorCode/errorMessage, and
tenant B sees none of A's calls. Writes A's request ids to REQFILE for the
AWS CLI checks. One PASS/FAIL line per check; exits non-zero on any failure.
Usage: cloudtrail_checks.py ENDPOINT ADMIN_TOKEN REQFILE
"""
import json
import sys
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, token, reqfile = sys.argv[1], sys.argv[2], sys.argv[3]
failures = 0
cfg = Config(retries={"max_attempts": 1, "mode": "standard"})


def check(name, ok, detail=""):
    global failures
    print("%s %s (%s)" % ("PASS" if ok else "FAIL", name, str(detail)[:160]))
    if not ok:
        failures += 1


def client(service, key, secret, session=None):
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=session, config=cfg)


def control(path, body):
    req = urllib.request.Request(endpoint + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))


A = ("AKIDCITENANTA", "ci-secret-a")
B = ("AKIDCITENANTB", "ci-secret-b")
chime = client("chime", *A)

# The session: (operation, request id, error code or None).
calls = []


def call(op, fn):
    try:
        out = fn()
        calls.append((op, out["ResponseMetadata"]["RequestId"], None))
        return out
    except ClientError as e:
        calls.append((op, e.response["ResponseMetadata"]["RequestId"], e.response["Error"]["Code"]))
        return None


lwa = control("/_openchime/accounts", {"Name": "ci-lwa", "AccountType": "EnterpriseLWA", "AwsAccountId": "111122223333"})["Account"]["AccountId"]
uid = control("/_openchime/accounts/%s/users" % lwa, {"PrimaryEmail": "ada@example.com"})["User"]["UserId"]

call("ListAccounts", lambda: chime.list_accounts())
team = call("CreateAccount", lambda: chime.create_account(Name="ci-team"))["Account"]["AccountId"]
call("GetAccount", lambda: chime.get_account(AccountId=team))
call("BatchSuspendUser", lambda: chime.batch_suspend_user(AccountId=lwa, UserIdList=[uid, "no-such-user"]))
call("ListUsers", lambda: chime.list_users(AccountId=lwa, MaxResults=10))
pin = call("ResetPersonalPIN", lambda: chime.reset_personal_pin(AccountId=lwa, UserId=uid))["User"]["PersonalPIN"]
bot = call("CreateBot", lambda: chime.create_bot(AccountId=lwa, DisplayName="ci-bot", Domain="example.com"))["Bot"]
tok = call("RegenerateSecurityToken", lambda: chime.regenerate_security_token(AccountId=lwa, BotId=bot["BotId"]))["Bot"]["SecurityToken"]
call("GetUser", lambda: chime.get_user(AccountId=lwa, UserId="no-such-user"))
call("CreateAccount", lambda: client("chime", "AKIDCIREAD", "ci-secret-read").create_account(Name="denied"))
# Tenant B's one call.
client("chime", *B).list_accounts()
# A temporary (session) key of tenant A.
call("ListAccounts", lambda: client("chime", "ASIACISESSION", "ci-secret-s", "ci-session-token").list_accounts())

secrets = [pin, bot["SecurityToken"], tok]
check("session ran", all(s for s in secrets) and len(calls) == 11, calls)
check("failed calls failed", [c[2] for c in calls if c[2]] == ["NotFoundException", "AccessDeniedException"], calls)

trail = client("cloudtrail", *A)
pages = list(trail.get_paginator("lookup_events").paginate(PaginationConfig={"PageSize": 5}))
events = [e for p in pages for e in p["Events"]]
check("paginator read several pages", len(pages) >= 3, len(pages))
records = {}
for e in events:
    r = json.loads(e["CloudTrailEvent"])
    records[r["requestID"]] = (e, r)
check("tenant A's trail is its calls, newest first", [json.loads(e["CloudTrailEvent"])["requestID"] for e in events] == [c[1] for c in reversed(calls)],
      [e["EventName"] for e in events])
check("no secret in any record", not any(s in e["CloudTrailEvent"] for s in secrets for e in events), "")

read_only = {"ListAccounts", "GetAccount", "ListUsers", "GetUser"}
for op, rid, err in calls:
    e, r = records.get(rid, (None, None))
    if r is None:
        check("%s %s recorded" % (op, rid), False)
        continue
    ok = (r["eventName"] == op == e["EventName"] and r["eventID"] == e["EventId"] and r["eventVersion"] == "1.11"
          and r["eventSource"] == "chime.amazonaws.com" == e["EventSource"] and r["awsRegion"] == "us-east-1"
          and r["eventType"] == "AwsApiCall" and r["managementEvent"] is True and r["eventCategory"] == "Management"
          and r["recipientAccountId"] == "111122223333" and r["userIdentity"]["accountId"] == "111122223333"
          and r["userIdentity"]["accessKeyId"] == e["AccessKeyId"] and r["sourceIPAddress"] == "127.0.0.1"
          and r["userAgent"].startswith("Boto3/") and r["readOnly"] == (op in read_only) and e["ReadOnly"] == str(op in read_only).lower()
          and r.get("errorCode") == err and (err is None) == ("errorMessage" not in r)
          and (r["responseElements"] is None) == (op in read_only or err is not None))
    check("%s record fields" % op, ok, r)

_, susp = records[calls[3][1]]
check("BatchSuspendUser requestParameters", susp["requestParameters"] == {"accountId": lwa, "userIdList": [uid, "no-such-user"]}, susp["requestParameters"])
check("BatchSuspendUser responseElements", susp["responseElements"]["userErrors"][0]["userId"] == "no-such-user", susp["responseElements"])
_, pinrec = records[calls[5][1]]
check("ResetPersonalPIN hides the PIN", pinrec["responseElements"]["user"]["personalPIN"] == "HIDDEN_DUE_TO_SECURITY_REASONS", pinrec["responseElements"])
_, botrec = records[calls[6][1]]
check("CreateBot hides the token", botrec["responseElements"]["bot"]["securityToken"] == "HIDDEN_DUE_TO_SECURITY_REASONS", botrec["responseElements"])
e, sess = records[calls[10][1]]
check("session key is an assumed role", sess["userIdentity"]["type"] == "AssumedRole" and e["Username"] == "ASIACISESSION"
      and sess["userIdentity"]["sessionContext"]["sessionIssuer"]["type"] == "Role", sess["userIdentity"])
e, _ = records[calls[0][1]]
check("an IAM user's key", json.loads(e["CloudTrailEvent"])["userIdentity"]["type"] == "IAMUser" and e["Username"] == "AKIDCITENANTA", e)

by_name = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateAccount"}])["Events"]
check("EventName filter", [e["EventName"] for e in by_name] == ["CreateAccount", "CreateAccount"], by_name)
by_user = trail.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": uid}])["Events"]
check("ResourceName filter", sorted(e["EventName"] for e in by_user) == ["BatchSuspendUser", "ResetPersonalPIN"], [e["EventName"] for e in by_user])
ro = trail.lookup_events(LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}])["Events"]
check("ReadOnly filter", len(ro) == 6, [e["EventName"] for e in ro])
newest = events[0]["EventTime"]
ranged = trail.lookup_events(StartTime=newest, EndTime=newest)["Events"]
check("StartTime/EndTime (one second, both ends inclusive)", len(ranged) >= 1 and all(e["EventTime"] == newest for e in ranged), len(ranged))
check("StartTime after the newest call", trail.lookup_events(StartTime=newest.timestamp() + 1)["Events"] == [], "")

b = client("cloudtrail", *B).lookup_events()["Events"]
check("tenant B sees none of A's calls", [e["EventName"] for e in b] == ["ListAccounts"] and not set(records) & {json.loads(e["CloudTrailEvent"])["requestID"] for e in b}, [e["EventName"] for e in b])


def error_of(fn):
    try:
        fn()
        return None
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]


two = [{"AttributeKey": "EventName", "AttributeValue": "ListUsers"}, {"AttributeKey": "Username", "AttributeValue": "root"}]
check("two attributes -> InvalidLookupAttributesException", error_of(lambda: trail.lookup_events(LookupAttributes=two)) == ("InvalidLookupAttributesException", 400))
check("start after end -> InvalidTimeRangeException", error_of(lambda: trail.lookup_events(StartTime=2000000000, EndTime=1000000000)) == ("InvalidTimeRangeException", 400))
check("bad token -> InvalidNextTokenException", error_of(lambda: trail.lookup_events(NextToken="nope")) == ("InvalidNextTokenException", 400))
check("MaxResults 51 -> InvalidMaxResultsException", error_of(lambda: trail.lookup_events(MaxResults=51)) == ("InvalidMaxResultsException", 400))
check("wrong secret -> InvalidSignatureException", (error_of(lambda: client("cloudtrail", "AKIDCITENANTA", "wrong").lookup_events()) or ("",))[0] == "InvalidSignatureException")

with open(reqfile, "w") as f:
    f.write("\n".join(c[1] for c in calls) + "\n")
sys.exit(1 if failures else 0)
