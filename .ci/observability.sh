#!/usr/bin/env bash
# Checks fault injection, /metrics and the audit log (README "Observability")
# against a freshly built server, with curl and the AWS CLI.
set -euo pipefail
trap 'echo "observability: failed at line $LINENO" >&2' ERR
cd "$(dirname "$0")/.."
. .ci/lib.sh
need_jq
need_aws

use_work_dir
build_openchime
start_openchime server "$(free_port)" --db :memory: --audit-file "$work/audit.jsonl" --log-level warn
U=$endpoint
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret AWS_DEFAULT_REGION=us-east-1

A=$(curl -sf -X POST $U/_openchime/accounts -d '{"Name":"ci","AccountType":"EnterpriseLWA"}' | jq -r .Account.AccountId)
mapfile -t IDS < <(curl -sf -X POST $U/_openchime/accounts/$A/users -d '{"Users":[
  {"PrimaryEmail":"a@example.com","UserRegistrationStatus":"Suspended"},
  {"PrimaryEmail":"b@example.com","UserRegistrationStatus":"Suspended"},
  {"PrimaryEmail":"c@example.com","UserRegistrationStatus":"Suspended"}]}' | jq -r '.Users[].UserId')

# One of three users fails with ServiceFailure; the other two are unsuspended.
curl -sf -X POST $U/_openchime/faults -d '{"Operation":"BatchUnsuspendUser","UserId":"'"${IDS[1]}"'","ErrorCode":"ServiceFailure"}' >/dev/null
out=$(aws chime batch-unsuspend-user --endpoint-url $U --account-id "$A" --user-id-list "${IDS[@]}" --output json)
[ "$(jq -r '.UserErrors | length' <<<"$out")" = 1 ]
[ "$(jq -r '.UserErrors[0].ErrorCode' <<<"$out")" = ServiceFailure ]
for i in 0 1 2; do
  st=$(aws chime get-user --endpoint-url $U --account-id "$A" --user-id "${IDS[$i]}" --query User.UserRegistrationStatus --output text)
  want=Registered; [ $i = 1 ] && want=Suspended
  [ "$st" = "$want" ] || { echo "observability: user $i is $st, want $want" >&2; exit 1; }
done

# A request-level exception keeps its modelled status and code.
curl -sf -X POST $U/_openchime/faults -d '{"Operation":"GetAccount","Exception":"ThrottledClientException","Count":1}' >/dev/null
[ "$(curl -s -o "$work/err.json" -w '%{http_code}' $U/accounts/$A)" = 429 ]
[ "$(jq -r .Code "$work/err.json")" = Throttled ]
curl -sf -X DELETE $U/_openchime/faults
[ "$(curl -sf $U/_openchime/faults | jq '.Faults | length')" = 0 ]

# Metrics count what happened.
curl -sf $U/metrics > "$work/metrics.txt"
grep -q '^openchime_requests_total{operation="BatchUnsuspendUser",status="200"} 1$' "$work/metrics.txt"
grep -q '^openchime_errors_total{code="Throttled",operation="GetAccount"} 1$' "$work/metrics.txt"
grep -q '^openchime_users{status="Registered"} 2$' "$work/metrics.txt"
# (Into a file first: grep -q stops reading early, and under pipefail curl's
# write error would fail the step.)
curl -sf $U/_openchime/metrics > "$work/cp-metrics.txt"
grep -q '^openchime_store_duration_seconds_count{method="update"}' "$work/cp-metrics.txt"

# The audit log holds the batch, once, with the two changed users.
ev=$(curl -sf "$U/_openchime/audit?operation=BatchUnsuspendUser&account-id=$A")
[ "$(jq '.Events | length' <<<"$ev")" = 1 ]
[ "$(jq '.Events[0].UserIds | length' <<<"$ev")" = 2 ]
rid=$(jq -r '.Events[0].RequestId' <<<"$ev")
[ "$(curl -sf "$U/_openchime/audit?request-id=$rid" | jq -r '.Events[0].Operation')" = BatchUnsuspendUser ]
grep -q "\"RequestId\":\"$rid\"" "$work/audit.jsonl"
grep -q "^{\"FormatVersion\":2," "$work/audit.jsonl"
echo "observability: OK"
