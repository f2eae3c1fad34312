#!/usr/bin/env bash
# Cross-client conformance: builds openchime, serves it from memory on a free
# port, and runs the one scenario suite (conformance/SCENARIOS.md) through the
# AWS SDK for Go v2, boto3, the AWS CLI v1 and v2, and the AWS SDK for
# JavaScript v3. A second server with --auth sigv4 takes a short SigV4 pass of
# every client (the sigv4.* rows). Each client appends JSON lines to a results
# file; conformance/report.py prints the scenario x client table and fails the
# run on any failed or missing scenario.
#
# Set SKIP_APT=1 to skip installing Debian's awscli (v2) when it is present.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
. .ci/lib.sh
use_work_dir

echo "== conformance: install clients, build openchime and the Go client (${SECONDS}s)"
# Installing and building overlap: apt and npm wait on the network, Go on the CPU.
(
	if [ -z "${SKIP_APT:-}" ] || [ ! -x /usr/bin/aws ]; then
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli
	fi
	cd conformance/js && npm ci --no-audit --no-fund --loglevel=error
) >"$work/install.log" 2>&1 &
install_pid=$!
build_openchime
go test -c -o "$work/gosdk.test" ./conformance/gosdk
if ! wait "$install_pid"; then
	cat "$work/install.log"
	echo "installing the clients failed"
	exit 1
fi

# The two AWS CLIs, each by absolute path: Debian's v2 is /usr/bin/aws; the v1
# one is the pyenv (or pip) install that may shadow it on PATH.
cli_v2=/usr/bin/aws
cli_v1=""
if command -v pyenv >/dev/null 2>&1; then cli_v1=$(pyenv which aws 2>/dev/null || true); fi
if [ -z "$cli_v1" ]; then
	for c in $(type -ap aws); do
		if "$c" --version 2>&1 | grep -q '^aws-cli/1\.'; then cli_v1=$c; break; fi
	done
fi
echo "AWS CLI v1: $cli_v1, AWS CLI v2: $cli_v2 (versions: see the end)"
echo "Go SDK: $(go list -m github.com/aws/aws-sdk-go-v2/service/chime)"
echo "boto3: $(python3 -c 'import boto3, botocore; print(boto3.__version__, "botocore", botocore.__version__)')"
echo "node: $(node --version), @aws-sdk/client-chime $(node -p 'require("./conformance/js/node_modules/@aws-sdk/client-chime/package.json").version')"

echo "== conformance: start a bot endpoint, openchime --auth none and --auth sigv4 (${SECONDS}s)"
# PutEventsConfiguration verifies its endpoint (D44): a local HTTPS one echoes
# the challenge, its throwaway certificate trusted through SSL_CERT_FILE.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$work/bot.key" -out "$work/bot.pem" 2>/dev/null
python3 .ci/challenge_echo.py "$work/bot.pem" "$work/bot.key" "$work/bot.port" &
bot_pid=$!
at_exit "kill $bot_pid 2>/dev/null"
for _ in $(seq 50); do [ -s "$work/bot.port" ] && break; sleep 0.1; done
export SSL_CERT_FILE="$work/bot.pem" OPENCHIME_BOT_ENDPOINT="https://127.0.0.1:$(cat "$work/bot.port")/events"
start_openchime server "$(free_port)" --db :memory:
plain=$endpoint
# The phone scenarios of the five clients each move the shared clock 72h
# forward once; a deletion queue longer than all of them together keeps a
# deleted number restorable whatever the others do (SCENARIOS.md).
curl -fsS -X PUT "$plain/_openchime/config" -d '{"DeletionQueueRetention":"8760h"}' >/dev/null

# The SigV4 pass: a real credentials file and an admin token for the control plane.
admin_token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
sigv4_secret=$(python3 -c 'import secrets; print(secrets.token_hex(20))')
cat >"$work/credentials.json" <<JSON
{"Credentials":[{"AccessKeyId":"AKIDCONFORMANCE","SecretAccessKey":"$sigv4_secret","AwsAccountId":"123456789012"}]}
JSON
start_openchime server-sigv4 "$(free_port)" --db :memory: --auth sigv4 --credentials "$work/credentials.json" --admin-token "$admin_token"
signed=$endpoint
sigv4_env=(env OPENCHIME_ENDPOINT="$signed" OPENCHIME_PASS=sigv4 OPENCHIME_ACCESS_KEY_ID=AKIDCONFORMANCE
	OPENCHIME_SECRET_ACCESS_KEY="$sigv4_secret" OPENCHIME_ADMIN_TOKEN="$admin_token")

clients=""
at_exit 'for p in $clients; do kill "$p" 2>/dev/null || true; done'

results="$work/results.jsonl"
: >"$results"
export OPENCHIME_RESULTS="$results" OPENCHIME_ENDPOINT="$plain"
# A client that crashes is reported by the table as missing scenarios, so its
# exit status is only logged here.
run() {
	local name=$1
	shift
	echo "== conformance: $name (${SECONDS}s)"
	if ! "$@" >"$work/$name.log" 2>&1; then
		echo "($name exited non-zero; log tail:)"
		tail -n 5 "$work/$name.log"
	fi
}
# The CLIs start a process per call, so they are the slow ones: both passes of
# both run side by side, in the background, while the SDK clients run.
echo "== conformance: cli-v1 and cli-v2, both passes, started in the background (${SECONDS}s)"
python3 conformance/cli/run.py cli-v1 "$cli_v1" >"$work/cli-v1.log" 2>&1 &
clients="$clients $!"
python3 conformance/cli/run.py cli-v2 "$cli_v2" >"$work/cli-v2.log" 2>&1 &
clients="$clients $!"
"${sigv4_env[@]}" python3 conformance/cli/run.py cli-v1 "$cli_v1" >"$work/cli-v1-sigv4.log" 2>&1 &
clients="$clients $!"
"${sigv4_env[@]}" python3 conformance/cli/run.py cli-v2 "$cli_v2" >"$work/cli-v2-sigv4.log" 2>&1 &
clients="$clients $!"
run gosdk "$work/gosdk.test" -test.count=1
run boto3 python3 conformance/boto3/run.py
run js node conformance/js/run.mjs
run gosdk-sigv4 "${sigv4_env[@]}" "$work/gosdk.test" -test.count=1
run boto3-sigv4 "${sigv4_env[@]}" python3 conformance/boto3/run.py
run js-sigv4 "${sigv4_env[@]}" node conformance/js/run.mjs
echo "== conformance: waiting for cli-v1 and cli-v2 (${SECONDS}s)"
for p in $clients; do wait "$p" || true; done
clients=""

echo "== conformance: results (${SECONDS}s)"
# Each runner's first line names the client and its version.
for c in gosdk boto3 js cli-v1 cli-v2; do head -n 1 "$work/$c.log"; done
python3 conformance/report.py conformance/SCENARIOS.md "$results" gosdk boto3 cli-v1 cli-v2 js
