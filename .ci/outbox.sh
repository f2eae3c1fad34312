#!/usr/bin/env bash
# Checks the outbox (README "Carrying changes to another directory") against
# a freshly built server: users created, suspended, unsuspended, relicensed
# and removed with boto3 and the AWS CLI end in the state of a SCIM 2.0
# server of our own that records the wire (.ci/outbox_servers.py) and that
# answers 503 at first; every change arrives at a webhook sink, signed.
set -euo pipefail
trap 'echo "outbox: failed at line $LINENO" >&2' ERR
cd "$(dirname "$0")/.."
. .ci/lib.sh
need_jq
need_aws

use_work_dir
build_openchime
SCIM_PORT=$(free_port)
SINK_PORT=$(free_port)
python3 .ci/outbox_servers.py "$SCIM_PORT" "$SINK_PORT" whsec 5 >"$work/servers.log" 2>&1 &
servers_pid=$!
at_exit "kill $servers_pid 2>/dev/null"
until curl -fsS "http://127.0.0.1:$SINK_PORT/_deliveries" >/dev/null 2>&1; do kill -0 $servers_pid; sleep 0.1; done
SCIM=http://127.0.0.1:$SCIM_PORT
SINK=http://127.0.0.1:$SINK_PORT
start_openchime server "$(free_port)" --db "log:$work/db" --log-level warn
U=$endpoint
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret AWS_DEFAULT_REGION=us-east-1
chime() { aws chime --endpoint-url $U --output json "$@"; }

# The webhook first, so every change after it is delivered.
curl -sf -X POST $U/_openchime/webhooks -d '{"Url":"'$SINK'/hook","Secret":"whsec"}' | jq -e '.Webhook.WebhookId and .Webhook.HasSecret' >/dev/null
A=$(curl -sf -X POST $U/_openchime/accounts -d '{"Name":"oidc","AccountType":"EnterpriseOIDC"}' | jq -r .Account.AccountId)
L=$(curl -sf -X POST $U/_openchime/accounts -d '{"Name":"lwa","AccountType":"EnterpriseLWA"}' | jq -r .Account.AccountId)
T=$(curl -sf -X POST $U/_openchime/accounts -d '{"Name":"team"}' | jq -r .Account.AccountId)
# A user that exists before the SCIM target is provisioned first.
curl -sf -X POST $U/_openchime/accounts/$A/users -d '{"PrimaryEmail":"early@example.com"}' >/dev/null
curl -sf -X PUT $U/_openchime/accounts/$A/scim -d '{"Endpoint":"'$SCIM'/scim/v2","BearerToken":"tok","OnRemove":"deactivate"}' | jq -e '.Scim.OnRemove == "deactivate"' >/dev/null
curl -sf -X PUT $U/_openchime/accounts/$L/scim -d '{"Endpoint":"'$SCIM'/scim/v2","BearerToken":"tok"}' >/dev/null
curl -sf -X PUT $U/_openchime/accounts/$T/scim -d '{"Endpoint":"'$SCIM'/scim/v2","BearerToken":"tok","OnRemove":"delete"}' >/dev/null
if curl -sf $U/_openchime/accounts/$A/scim | grep -q tok; then echo "outbox: GET scim shows the token" >&2; exit 1; fi

# A user made over the control plane after the target exists.
DAVE=$(curl -sf -X POST $U/_openchime/accounts/$L/users -d '{"PrimaryEmail":"dave@example.com"}' | jq -r .User.UserId)

# boto3: create (EnterpriseOIDC), relicense, change a user type; suspend and
# unsuspend (EnterpriseLWA); invite to the Team account.
python3 - "$U" "$A" "$L" "$T" "$DAVE" >"$work/ids.json" <<'PY'
import json, sys, boto3
url, acct, lwa, team, dave = sys.argv[1:]
c = boto3.client("chime", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
alice = c.create_user(AccountId=acct, Email="alice@example.com", Username="Alice")["User"]["UserId"]
bob = c.create_user(AccountId=acct, Email="bob@example.com", Username="Bob", UserType="PrivateUser")["User"]["UserId"]
c.update_user(AccountId=acct, UserId=alice, LicenseType="Basic")
assert not c.batch_update_user(AccountId=acct, UpdateUserRequestItems=[{"UserId": bob, "UserType": "SharedDevice"}])["UserErrors"]
assert not c.batch_suspend_user(AccountId=lwa, UserIdList=[dave])["UserErrors"]
assert not c.batch_unsuspend_user(AccountId=lwa, UserIdList=[dave])["UserErrors"]
c.invite_users(AccountId=team, UserEmailList=["carol@example.com"])
carol = [u["UserId"] for u in c.list_users(AccountId=team)["Users"] if u["PrimaryEmail"] == "carol@example.com"][0]
print(json.dumps({"alice": alice, "bob": bob, "carol": carol}))
PY
CAROL=$(jq -r .carol "$work/ids.json")
# The AWS CLI: suspend dave; remove carol from the Team account.
chime batch-suspend-user --account-id "$L" --user-id-list "$DAVE" | jq -e '.UserErrors == []' >/dev/null

# Carol is provisioned once she accepts the invitation (the control plane
# stands in for her), before she is removed (a Team removal deletes her).
sleep 0.5
curl -sf $SCIM/_wire | jq -e '[.[] | select(.method == "POST" and .body.userName == "carol@example.com")] == []' >/dev/null
curl -sf -X POST $U/_openchime/accounts/$T/users/$CAROL/register >/dev/null
for _ in $(seq 1 300); do
  [ "$(curl -sf $SCIM/_state | jq '[.[] | select(.userName == "carol@example.com")] | length')" = 1 ] && break
  sleep 0.1
done
chime batch-suspend-user --account-id "$T" --user-id-list "$CAROL" | jq -e '.UserErrors == []' >/dev/null

want='[["alice@example.com",true,"Basic","PrivateUser"],["bob@example.com",true,"Pro","SharedDevice"],["dave@example.com",false,"Pro","PrivateUser"],["early@example.com",true,"Pro","PrivateUser"]]'
state='[.[] | [.userName, .active, .["urn:openchime:params:scim:schemas:extension:chime:2.0:User"].licenseType, .["urn:openchime:params:scim:schemas:extension:chime:2.0:User"].userType]] | sort'
got=
for _ in $(seq 1 600); do
  got=$(curl -sf $SCIM/_state | jq -c "$state")
  [ "$got" = "$want" ] && break
  sleep 0.1
done
if [ "$got" != "$want" ]; then echo "outbox: SCIM state $got, want $want" >&2; curl -sf $SCIM/_wire | jq -c '.[] | [.method, .path]' >&2; exit 1; fi
# The wire: SCIM media type and bearer token on every request that has a
# body; no duplicate of a user (one POST per userName).
curl -sf $SCIM/_wire | jq -e '[.[] | select(.body != null) | .contentType == "application/scim+json" and .auth == "Bearer tok"] | all' >/dev/null
curl -sf $SCIM/_wire | jq -e '[.[] | select(.method == "POST") | .body.userName] | (length == (unique | length))' >/dev/null
curl -sf $SCIM/_wire | jq -e '[.[] | select(.method == "DELETE")] | length == 1' >/dev/null
# It answered 503 first; every delivery went through once it recovered.
for acct in $A $L $T; do
  for _ in $(seq 1 100); do
    [ "$(curl -sf $U/_openchime/accounts/$acct/scim | jq .Scim.Pending)" = 0 ] && break
    sleep 0.1
  done
  curl -sf $U/_openchime/accounts/$acct/scim | jq -e '.Scim.Pending == 0 and .Scim.Failed == 0 and .Scim.Delivered > 0' >/dev/null
done
# Nothing left to repair.
curl -sf -X POST $U/_openchime/accounts/$A/scim/reconcile | jq -e '(.Created + .Adopted + .Updated + .Removed) == []' >/dev/null

# Every audited change reached the webhook, signed, once per event id at
# least, and nothing else did.
audit=$(curl -sf "$U/_openchime/audit?max-results=1000" | jq -c '[.Events[].EventId] | sort')
for _ in $(seq 1 300); do
  got=$(curl -sf $SINK/_deliveries | jq -c '[.[].eventId] | unique | sort')
  [ "$got" = "$audit" ] && break
  sleep 0.1
done
[ "$got" = "$audit" ] || { echo "outbox: webhook got $got, audit holds $audit" >&2; exit 1; }
[ "$(curl -sf $SINK/_bad)" = "[]" ]
curl -sf $SINK/_deliveries | jq -e '[.[].event | .source == "aws.chime" and .["detail-type"] == "AWS API Call via CloudTrail" and .detail.eventSource == "chime.amazonaws.com"] | all' >/dev/null
curl -sf $SINK/_deliveries | jq -e '[.[].event.detail.eventName] | index("BatchSuspendUser") != null' >/dev/null
curl -sf $U/metrics >"$work/metrics.txt"
grep -q '^openchime_outbox_deliveries_total{result="delivered",target="scim-'"$A"'",type="scim"}' "$work/metrics.txt"
grep -q '^openchime_outbox_depth{target="scim-'"$A"'"} 0' "$work/metrics.txt"

# The README's worked example, on a fresh server and ports of its own.
start_openchime readme "$(free_port)" --db :memory: --log-level warn
readme_block outbox "$work/readme.sh"
grep -q '127.0.0.1:4580' "$work/readme.sh" || { echo "outbox: the README's block no longer names 127.0.0.1:4580" >&2; exit 1; }
p1=$(free_port); p2=$(free_port)
sed -i "s/127\.0\.0\.1:4580/${endpoint#http://}/g; s/7643/$p1/g; s/7644/$p2/g" "$work/readme.sh"
timeout 60 bash -euo pipefail "$work/readme.sh" | tee "$work/readme.txt"
grep -q '"ana@example.com",".*",false' "$work/readme.txt"
grep -q '"Failed":0' "$work/readme.txt"
grep -q '"BatchSuspendUser"' "$work/readme.txt"
echo "outbox: OK"
