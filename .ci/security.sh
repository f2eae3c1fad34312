#!/usr/bin/env bash
# Security checks with real clients: builds the server, starts it with
# --auth sigv4 on a free port with a temporary credentials file, then drives
# boto3, the AWS CLI v1 and curl against it. One PASS/FAIL line per check;
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
  {"AccessKeyId":"AKIDCIREAD","SecretAccessKey":"ci-secret-read","AwsAccountId":"111122223333","AllowedOperations":["ListAccounts"]}
]}
JSON
token="ci-admin-token"
start_openchime server "$(free_port)" --db :memory: --auth sigv4 \
  --credentials "$work/credentials.json" --admin-token "$token"

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

code=$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/_openchime/accounts")
[ "$code" = 401 ]; report "control plane without token -> 401" $? "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer nope" "$endpoint/_openchime/accounts")
[ "$code" = 403 ]; report "control plane wrong token -> 403" $? "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$endpoint/_openchime/accounts")
[ "$code" = 200 ]; report "control plane right token -> 200" $? "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/accounts")
[ "$code" = 403 ]; report "unsigned API request -> 403" $? "$code"

"$work/openchime" serve --db :memory: --addr "0.0.0.0:0" >"$work/refuse.log" 2>&1
[ $? != 0 ] && grep -q -- "--credentials" "$work/refuse.log"
report "refuses a non-loopback --addr without credentials" $? "$(head -c 80 "$work/refuse.log")"

if [ "$fail" != 0 ]; then
  echo "security checks FAILED; server log:"; tail -20 "$work/server.log"
  exit 1
fi
echo "security checks passed"
