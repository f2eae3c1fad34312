"""SigV4 checks with boto3 against a server started by .ci/security.sh.

Prints one PASS/FAIL line per check and exits non-zero on any failure.
Usage: security_checks.py ENDPOINT
"""
import datetime
import json
import sys
import urllib.request
import urllib.error

import boto3
import botocore.auth
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint = sys.argv[1]
failures = 0


def client(key="AKIDCIALPHA", secret="ci-secret-alpha"):
    return boto3.client(
        "chime", region_name="us-east-1", endpoint_url=endpoint,
        aws_access_key_id=key, aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def check(name, fn, want_error=None):
    """Runs fn; passes when it succeeds (want_error None) or raises a
    ClientError with that error code and HTTP 403."""
    global failures
    try:
        fn()
        ok, got = want_error is None, "success"
    except ClientError as e:
        code = e.response["Error"]["Code"]
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        got = "%s %d: %s" % (code, status, e.response["Error"].get("Message", ""))
        ok = want_error is not None and code == want_error and status == 403
    print("%s boto3 %s (%s)" % ("PASS" if ok else "FAIL", name, got))
    if not ok:
        failures += 1


def tamper(c, fn):
    """Registers fn to change the request after it is signed."""
    c.meta.events.register("before-send.chime.*", lambda request, **kw: fn(request))
    return c


check("right credentials: create-account", lambda: client().create_account(Name="ci-security"))
check("right credentials: list-accounts", lambda: client().list_accounts())
check("wrong secret", lambda: client(secret="wrong").list_accounts(), "InvalidSignatureException")
check("unknown key", lambda: client(key="AKIDNOBODY").list_accounts(), "UnrecognizedClientException")

real_now = botocore.auth.get_current_datetime
botocore.auth.get_current_datetime = lambda: real_now() - datetime.timedelta(minutes=20)
try:
    check("stale date (20 min)", lambda: client().list_accounts(), "InvalidSignatureException")
finally:
    botocore.auth.get_current_datetime = real_now


def tamper_body(r):
    r.body = r.body.replace(b"ci-tamper", b"ci-tampex")


def tamper_query(r):
    r.url = r.url.replace("max-results=5", "max-results=6")


def tamper_path(r):
    r.url = r.url.replace("/accounts/0f0e", "/accounts/1f0e")


check("tampered body", lambda: tamper(client(), tamper_body).create_account(Name="ci-tamper"), "InvalidSignatureException")
check("tampered query", lambda: tamper(client(), tamper_query).list_accounts(MaxResults=5), "InvalidSignatureException")
check("tampered path", lambda: tamper(client(), tamper_path).get_account(AccountId="0f0e0d0c-0b0a-4908-8706-050403020100"), "InvalidSignatureException")

# Presigned GET: botocore signs the URL, a plain HTTP client sends it.
url = client().generate_presigned_url("list_accounts", Params={"MaxResults": 5}, ExpiresIn=300)
try:
    with urllib.request.urlopen(url) as resp:
        body = json.load(resp)
        ok = resp.status == 200 and "Accounts" in body
        got = "%d, %d accounts" % (resp.status, len(body.get("Accounts", [])))
except urllib.error.HTTPError as e:
    ok, got = False, "%d %s" % (e.code, e.read()[:200])
print("%s boto3 presigned list_accounts via plain GET (%s)" % ("PASS" if ok else "FAIL", got))
failures += 0 if ok else 1

try:
    urllib.request.urlopen(url.replace("MaxResults", "MaxResultz").replace("max-results=5", "max-results=6"))
    ok, got = False, "success"
except urllib.error.HTTPError as e:
    ok = e.code == 403 and e.headers.get("x-amzn-ErrorType") == "InvalidSignatureException"
    got = "%d %s" % (e.code, e.headers.get("x-amzn-ErrorType"))
print("%s boto3 tampered presigned URL (%s)" % ("PASS" if ok else "FAIL", got))
failures += 0 if ok else 1

sys.exit(1 if failures else 0)
