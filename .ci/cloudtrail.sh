#!/usr/bin/env bash
# CloudTrail checks with real clients: builds the server, starts it with
# --auth sigv4 and two tenants' keys on a free port, runs a scripted Chime
# session and reads the trail back with boto3 (cloudtrail_checks.py), then
# with `aws cloudtrail lookup-events`. One PASS/FAIL line per check; exits
# non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
. .ci/lib.sh

need_aws
need_jq
use_work_dir
build_openchime || exit 1
cat > "$work/credentials.json" <<JSON
{"Credentials":[
  {"AccessKeyId":"AKIDCITENANTA","SecretAccessKey":"ci-secret-a","AwsAccountId":"111122223333"},
  {"AccessKeyId":"AKIDCIREAD","SecretAccessKey":"ci-secret-read","AwsAccountId":"111122223333","AllowedOperations":["ListAccounts"]},
  {"AccessKeyId":"ASIACISESSION","SecretAccessKey":"ci-secret-s","AwsAccountId":"111122223333","SessionToken":"ci-session-token"},
  {"AccessKeyId":"AKIDCITENANTB","SecretAccessKey":"ci-secret-b","AwsAccountId":"444455556666"}
]}
JSON
token="ci-admin-token"
start_openchime server "$(free_port)" --db :memory: --auth sigv4 \
  --credentials "$work/credentials.json" --admin-token "$token" --trail-max-events 1000

fail=0
report() { # report NAME OK(0/1) DETAIL
  if [ "$2" = 0 ]; then echo "PASS $1 ($3)"; else echo "FAIL $1 ($3)"; fail=1; fi
}

python3 .ci/cloudtrail_checks.py "$endpoint" "$token" "$work/requests" || fail=1

export AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1
a() { AWS_ACCESS_KEY_ID=AKIDCITENANTA AWS_SECRET_ACCESS_KEY=ci-secret-a aws "$@" --endpoint-url "$endpoint"; }
b() { AWS_ACCESS_KEY_ID=AKIDCITENANTB AWS_SECRET_ACCESS_KEY=ci-secret-b aws "$@" --endpoint-url "$endpoint"; }

# The CLI pages through every event itself (--page-size 3 asks 3 a call).
out=$(a cloudtrail lookup-events --page-size 3 --output json 2>&1)
got=$(echo "$out" | jq -r '.Events[].CloudTrailEvent | fromjson | .requestID' 2>/dev/null | tac)
[ -s "$work/requests" ] && [ "$got" = "$(cat "$work/requests")" ]
report "aws-cli lookup-events: every call of the session, newest first" $? "$(echo "$out" | jq -c '[.Events[].EventName]' 2>/dev/null || echo "$out" | head -c 200)"
out=$(a cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=BatchSuspendUser --output json 2>&1)
echo "$out" | jq -e '.Events | length == 1 and (.[0].CloudTrailEvent | fromjson | .requestParameters.userIdList | length == 2)' >/dev/null
report "aws-cli --lookup-attributes EventName" $? "$(echo "$out" | head -c 200)"
out=$(a cloudtrail lookup-events --lookup-attributes AttributeKey=ReadOnly,AttributeValue=true --max-items 2 --output json 2>&1)
echo "$out" | jq -e '(.Events | length == 2) and (.NextToken | length > 0) and all(.Events[]; .ReadOnly == "true")' >/dev/null
report "aws-cli --max-items 2 with ReadOnly=true" $? "$(echo "$out" | head -c 200)"
out=$(a cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=GetUser --output json 2>&1)
echo "$out" | jq -e '.Events[0].CloudTrailEvent | fromjson | .errorCode == "NotFoundException" and (.errorMessage | length > 0)' >/dev/null
report "aws-cli failed call has errorCode/errorMessage" $? "$(echo "$out" | head -c 200)"
out=$(b cloudtrail lookup-events --output json 2>&1)
echo "$out" | jq -e '[.Events[].EventName] == ["ListAccounts"] and all(.Events[]; (.CloudTrailEvent | fromjson | .recipientAccountId) == "444455556666")' >/dev/null
report "aws-cli other tenant sees only its own call" $? "$(echo "$out" | head -c 200)"
out=$(a cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=A AttributeKey=Username,AttributeValue=B 2>&1)
echo "$out" | grep -q InvalidLookupAttributesException
report "aws-cli two attributes -> InvalidLookupAttributesException" $? "$(echo "$out" | tr -d '\n' | cut -c1-120)"
out=$(AWS_ACCESS_KEY_ID=AKIDCITENANTA AWS_SECRET_ACCESS_KEY=ci-secret-a aws cloudtrail lookup-events --endpoint-url "http://127.0.0.1:$(free_port)" 2>&1)
[ $? != 0 ]
report "the checks talk to the server started here (another port fails)" $? "$(echo "$out" | tr -d '\n' | cut -c1-80)"

if [ "$fail" != 0 ]; then
  echo "cloudtrail checks FAILED; server log:"; tail -20 "$work/server.log"
  exit 1
fi
echo "cloudtrail checks passed"
