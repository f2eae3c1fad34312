#!/usr/bin/env bash
# Security checks with real clients: builds the server, starts it with
# --auth sigv4 on a free port with a temporary credentials file (and a second
# one in --iam soft mode), then drives boto3, the AWS CLI v1 and curl against
# them: SigV4, AllowedOperations, IAM policies (.ci/iam_checks.py), the
# control-plane token. One PASS/FAIL line per check;
# exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
. .ci/lib.sh

use_work_dir
build_openchime || exit 1
cat > "$work/credentials.json" <<JSON
{"Credentials":[
  {"AccessKeyId":"AKIDCIALPHA","SecretAccessKey":"ci-secret-alpha","AwsAccountId":"111122223333"},
  {"AccessKeyId":"AKIDCIREAD","SecretAccessKey":"ci-secret-read","AwsAccountId":"111122223333","AllowedOperations":["ListAccounts"]},
  {"AccessKeyId":"AKIDCIPOLICY","SecretAccessKey":"ci-secret-akidcipolicy","AwsAccountId":"111122223333","Policies":[
    {"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Action":["chime:List*","chime:get*"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}},
      {"Effect":"Allow","Action":["chime:CreateAccount","chime:DeleteAccount"],"Resource":"*"},
      {"Effect":"Allow","Action":"chime:UpdateAccount","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]},
    {"Version":"2012-10-17","Statement":{"Sid":"NoDeletes","Effect":"Deny","Action":"chime:Delete*","Resource":"*"}}]},
  {"AccessKeyId":"AKIDCIDATE","SecretAccessKey":"ci-secret-akidcidate","AwsAccountId":"111122223333","Policies":[
    {"Statement":{"Effect":"Allow","Action":"chime:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2099-01-01T00:00:00Z"}}}}]},
  {"AccessKeyId":"AKIDCIOFFICE","SecretAccessKey":"ci-secret-akidcioffice","AwsAccountId":"111122223333","Policies":[
    {"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
      {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}]}
]}
JSON
token="ci-admin-token"
start_openchime server "$(free_port)" --db :memory: --auth sigv4 \
  --credentials "$work/credentials.json" --admin-token "$token"

# The same credentials with IAM in soft mode (the first server enforces: the
# default when an entry has Policies).
enforce_endpoint=$endpoint
start_openchime soft "$(free_port)" --db :memory: --auth sigv4 \
  --credentials "$work/credentials.json" --admin-token "$token" --iam soft
soft_endpoint=$endpoint
endpoint=$enforce_endpoint

fail=0
report() { # report NAME OK(0/1) DETAIL
  if [ "$2" = 0 ]; then echo "PASS $1 ($3)"; else echo "FAIL $1 ($3)"; fail=1; fi
}

python3 .ci/security_checks.py "$endpoint" || fail=1

export AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1
out=$(AWS_ACCESS_KEY_ID=AKIDCIALPHA AWS_SECRET_ACCESS_KEY=ci-secret-alpha aws chime list-accounts --endpoint-url "$endpoint" 2>&1)
report "aws-cli right credentials: list-accounts" $? "$(echo "$out" | tr -d '\n' | cut -c1-80)"
out=$(AWS_ACCESS_KEY_ID=AKIDCIALPHA AWS_SECRET_ACCESS_KEY=wrong aws chime list-accounts --endpoint-url "$endpoint" 2>&1)
echo "$out" | grep -q InvalidSignatureException
report "aws-cli wrong secret -> InvalidSignatureException" $? "$(echo "$out" | tr -d '\n' | cut -c1-80)"
out=$(AWS_ACCESS_KEY_ID=AKIDNOBODY AWS_SECRET_ACCESS_KEY=x aws chime list-accounts --endpoint-url "$endpoint" 2>&1)
echo "$out" | grep -q UnrecognizedClientException
report "aws-cli unknown key -> UnrecognizedClientException" $? "$(echo "$out" | tr -d '\n' | cut -c1-80)"
out=$(AWS_ACCESS_KEY_ID=AKIDCIREAD AWS_SECRET_ACCESS_KEY=ci-secret-read aws chime create-account --name x --endpoint-url "$endpoint" 2>&1)
echo "$out" | grep -q AccessDeniedException
report "aws-cli operation not allowed -> AccessDeniedException" $? "$(echo "$out" | tr -d '\n' | cut -c1-80)"

python3 .ci/iam_checks.py "$enforce_endpoint" "$soft_endpoint" "$work/soft.log" "$token" || fail=1
policy_cli() { AWS_ACCESS_KEY_ID=AKIDCIPOLICY AWS_SECRET_ACCESS_KEY=ci-secret-akidcipolicy aws chime "$@" 2>&1; }
out=$(policy_cli list-accounts --endpoint-url "$endpoint")
report "aws-cli iam: allowed list-accounts" $? "$(echo "$out" | tr -d '\n' | cut -c1-80)"
acct=$(policy_cli create-account --name ci-iam-cli --endpoint-url "$endpoint" --query Account.AccountId --output text)
out=$(policy_cli delete-account --account-id "$acct" --endpoint-url "$endpoint")
echo "$out" | grep -q "AccessDeniedException.*User: arn:aws:iam::111122223333:user/AKIDCIPOLICY is not authorized to perform: chime:DeleteAccount on resource: \* with an explicit deny in an identity-based policy"
report "aws-cli iam: explicit deny delete-account -> AccessDeniedException" $? "$(echo "$out" | tr -d '\n' | cut -c1-120)"
out=$(policy_cli batch-suspend-user --account-id "$acct" --user-id-list u1 --endpoint-url "$endpoint")
echo "$out" | grep -q "because no identity-based policy allows the chime:BatchSuspendUser action"
report "aws-cli iam: implicit deny batch-suspend-user" $? "$(echo "$out" | tr -d '\n' | cut -c1-120)"
acct=$(policy_cli create-account --name ci-iam-cli --endpoint-url "$soft_endpoint" --query Account.AccountId --output text)
out=$(policy_cli delete-account --account-id "$acct" --endpoint-url "$soft_endpoint")
report "aws-cli iam: soft mode serves delete-account" $? "$(echo "$out" | tr -d '\n' | cut -c1-80)"
grep -q '"msg":"iam","mode":"enforce"' "$work/server.log"
report "enforce mode printed at start" $? "$(grep -m1 '"msg":"iam"' "$work/server.log" | cut -c1-120)"

code=$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/_openchime/accounts")
[ "$code" = 401 ]; report "control plane without token -> 401" $? "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer nope" "$endpoint/_openchime/accounts")
[ "$code" = 403 ]; report "control plane wrong token -> 403" $? "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$endpoint/_openchime/accounts")
[ "$code" = 200 ]; report "control plane right token -> 200" $? "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/accounts")
[ "$code" = 403 ]; report "unsigned API request -> 403" $? "$code"

# Bad input, with curl: a body that is not UTF-8, a path ServeMux would
# redirect, headers over --max-header-bytes (64 KiB).
got=$(printf '{"Name":"bad\xff"}' | curl -s -D - -o /dev/null -H "Authorization: Bearer $token" --data-binary @- "$endpoint/_openchime/accounts" | tr -d '\r' | grep -Ei '^(HTTP|x-amzn-ErrorType)' | tr '\n' ' ')
echo "$got" | grep -q '400.*BadRequestException'; report "non-UTF-8 JSON body -> 400 BadRequestException" $? "$got"
got=$(curl -s --path-as-is -D - -o /dev/null -X POST -H "Authorization: Bearer $token" "$endpoint/_openchime/./reset" | tr -d '\r' | grep -Ei '^(HTTP|x-amzn-ErrorType|Location)' | tr '\n' ' ')
echo "$got" | grep -q '404.*UnknownOperationException' && ! echo "$got" | grep -qi location; report "/_openchime/./reset -> 404, no redirect" $? "$got"
got=$(curl -s -D - -o /dev/null -H "X-Filler: $(head -c 70000 /dev/zero | tr '\0' a)" "$endpoint/accounts" | tr -d '\r' | grep -Ei '^(HTTP|x-amzn-ErrorType)' | tr '\n' ' ')
echo "$got" | grep -q '400.*BadRequestException'; report "headers over the limit -> 400 BadRequestException" $? "$got"

"$work/openchime" serve --db :memory: --addr "0.0.0.0:0" >"$work/refuse.log" 2>&1
[ $? != 0 ] && grep -q -- "--credentials" "$work/refuse.log"
report "refuses a non-loopback --addr without credentials" $? "$(head -c 80 "$work/refuse.log")"

if [ "$fail" != 0 ]; then
  echo "security checks FAILED; server log:"; tail -20 "$work/server.log"
  exit 1
fi
echo "security checks passed"
