#!/usr/bin/env bash
# Browser tests of the admin console: Debian's Chromium driven by
# playwright-core (pinned in console/e2e/package-lock.json) against a freshly
# started server; the users the page changed are then checked through the AWS
# SDK for Go. Screenshots land in console/e2e/screenshots/ (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
(cd console/e2e && npm ci --no-audit --no-fund --silent)

work=$(mktemp -d)
go build -o "$work/openchime" ./cmd/openchime
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$work/openchime" serve --db :memory: --addr 127.0.0.1:$port --log-level warn 2>"$work/server.log" &
pids=$!
# A second server whose control plane, console included, needs the admin token.
cat >"$work/creds.json" <<'JSON'
{"Credentials":[{"AccessKeyId":"AKIDBROWSER","SecretAccessKey":"browser-secret","AwsAccountId":"123456789012"}]}
JSON
aport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$work/openchime" serve --db :memory: --addr 127.0.0.1:$aport --auth sigv4 --credentials "$work/creds.json" \
  --admin-token browser-admin-token --log-level warn 2>"$work/admin-server.log" &
pids="$pids $!"
trap 'kill $pids 2>/dev/null || true; rm -rf "$work"' EXIT
for p in $port $aport; do
  for _ in $(seq 100); do curl -sf http://127.0.0.1:$p/_openchime/health >/dev/null && break; sleep 0.1; done
done
export ADMIN_BASE=http://127.0.0.1:$aport ADMIN_TOKEN=browser-admin-token

export BASE=http://127.0.0.1:$port SHOTS="$PWD/console/e2e/screenshots" CHROMIUM="$(command -v chromium)" RESULT="$work/result.json"
(cd console/e2e && node console.test.mjs)
go run ./console/e2e/verify "$RESULT"
echo "browser tests: OK (screenshots in console/e2e/screenshots/)"
