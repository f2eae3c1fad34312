"""IAM policy checks with boto3 against the servers .ci/security.sh starts.

Usage: iam_checks.py ENFORCE_ENDPOINT SOFT_ENDPOINT SOFT_LOG ADMIN_TOKEN
The credentials file gives AKIDCIPOLICY allow and deny policies and
AKIDCIDATE an allow that starts in 2099; each case must answer as IAM would.
Prints one PASS/FAIL line per check and exits non-zero on any failure.
"""
import json
import sys
import time
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

enforce, soft, soft_log, token = sys.argv[1:5]
failures = 0
USER = "arn:aws:iam::111122223333:user/%s"


def client(endpoint, key):
    return boto3.client(
        "chime", region_name="us-east-1", endpoint_url=endpoint,
        aws_access_key_id=key, aws_secret_access_key="ci-secret-" + key.lower(),
        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def report(name, ok, got):
    global failures
    print("%s boto3 iam %s (%s)" % ("PASS" if ok else "FAIL", name, got))
    if not ok:
        failures += 1


def check(name, fn, want_message=None):
    """Runs fn: passes when it succeeds (want_message None), or is refused
    with 403 AccessDeniedException and exactly want_message."""
    try:
        out = fn()
        report(name, want_message is None, "success")
        return out
    except ClientError as e:
        err = e.response["Error"]
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        got = "%s %d: %s" % (err["Code"], status, err.get("Message", ""))
        report(name, want_message is not None and err["Code"] == "AccessDeniedException"
               and status == 403 and err.get("Message") == want_message, got)


def implicit(key, op):
    return ("User: %s is not authorized to perform: chime:%s on resource: * because no "
            "identity-based policy allows the chime:%s action") % (USER % key, op, op)


def explicit(key, op):
    return ("User: %s is not authorized to perform: chime:%s on resource: * with an explicit "
            "deny in an identity-based policy") % (USER % key, op)


def admin_get(endpoint, path):
    req = urllib.request.Request(endpoint + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req) as resp:
        return resp.read().decode()


# Enforce mode: each case as IAM would answer it.
c = client(enforce, "AKIDCIPOLICY")
acct = check("allowed CreateAccount", lambda: c.create_account(Name="ci-iam"))
acct_id = acct["Account"]["AccountId"] if acct else "00000000-0000-4000-8000-000000000000"
check("allowed ListAccounts (chime:List*, aws:PrincipalAccount)", lambda: c.list_accounts())
check("allowed GetAccount (chime:get*, any case)", lambda: c.get_account(AccountId=acct_id))
check("explicit deny DeleteAccount", lambda: c.delete_account(AccountId=acct_id), explicit("AKIDCIPOLICY", "DeleteAccount"))
check("implicit deny UpdateAccount (aws:SecureTransport over plain HTTP)",
      lambda: c.update_account(AccountId=acct_id, Name="x"), implicit("AKIDCIPOLICY", "UpdateAccount"))
check("implicit deny BatchSuspendUser (not in any Allow)",
      lambda: c.batch_suspend_user(AccountId=acct_id, UserIdList=["u1"]), implicit("AKIDCIPOLICY", "BatchSuspendUser"))
check("implicit deny before the aws:CurrentTime window", lambda: client(enforce, "AKIDCIDATE").list_accounts(),
      implicit("AKIDCIDATE", "ListAccounts"))
check("explicit deny outside aws:SourceIp", lambda: client(enforce, "AKIDCIOFFICE").list_accounts(),
      explicit("AKIDCIOFFICE", "ListAccounts"))
info = json.loads(admin_get(enforce, "/_openchime/info"))
report("info IAM enforce", info.get("IAM") == "enforce", info.get("IAM"))

# Soft mode: the same requests are served, logged and counted.
c = client(soft, "AKIDCIPOLICY")
acct = check("soft: CreateAccount", lambda: c.create_account(Name="ci-iam-soft"))
if acct:
    check("soft: DeleteAccount served despite the explicit deny", lambda: c.delete_account(AccountId=acct["Account"]["AccountId"]))
check("soft: ListAccounts served before the aws:CurrentTime window", lambda: client(soft, "AKIDCIDATE").list_accounts())
time.sleep(0.5)  # the server's log is flushed on a short timer
log = open(soft_log).read()
logged = [json.loads(l) for l in log.splitlines() if '"msg":"iam: request allowed by --iam soft' in l]
report("soft: explicit deny logged", any(l.get("decision") == "explicit_deny" and l.get("op") == "DeleteAccount"
                                         and l.get("sid") == "NoDeletes" for l in logged), "%d soft lines" % len(logged))
report("soft: implicit deny logged", any(l.get("decision") == "implicit_deny" and l.get("access_key") == "AKIDCIDATE"
                                         for l in logged), "%d soft lines" % len(logged))
metrics = admin_get(soft, "/metrics")
want = ['openchime_iam_decisions_total{mode="soft",result="explicit_deny"} 1',
        'openchime_iam_decisions_total{mode="soft",result="implicit_deny"} 1']
report("soft: counted in /metrics", all(w in metrics for w in want),
       "; ".join(l for l in metrics.splitlines() if l.startswith("openchime_iam")))
info = json.loads(admin_get(soft, "/_openchime/info"))
report("info IAM soft", info.get("IAM") == "soft", info.get("IAM"))
first = [json.loads(l) for l in log.splitlines()[:4]]
report("soft: mode in the first log lines", any(l.get("msg") == "iam" and l.get("mode") == "soft" for l in first),
       "; ".join(l.get("msg", "") for l in first))

sys.exit(1 if failures else 0)
