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

. .ci/lib.sh

use_work_dir
build_openchime
start_openchime server "$(free_port)" --db :memory: --log-level warn
base=$endpoint
# A second server whose control plane, console included, needs the admin token.
cat >"$work/creds.json" <<'JSON'
{"Credentials":[{"AccessKeyId":"AKIDBROWSER","SecretAccessKey":"browser-secret","AwsAccountId":"123456789012"}]}
JSON
start_openchime admin-server "$(free_port)" --db :memory: --auth sigv4 --credentials "$work/creds.json" \
  --admin-token browser-admin-token --log-level warn
export ADMIN_BASE=$endpoint ADMIN_TOKEN=browser-admin-token

export BASE=$base SHOTS="$PWD/console/e2e/screenshots" CHROMIUM="$(command -v chromium)" RESULT="$work/result.json"
(cd console/e2e && node console.test.mjs)
go run ./console/e2e/verify "$RESULT"
echo "browser tests: OK (screenshots in console/e2e/screenshots/)"
