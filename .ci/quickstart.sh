#!/usr/bin/env bash
# Runs the README's quick start (the bash block after <!-- quickstart -->)
# against a freshly built server, so the README cannot drift from the code.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh
need_jq
need_aws

use_work_dir
build_openchime
# The server runs as the README's first command does, with no --db, in an
# empty directory: the default store (the log store in ./openchime-data). It
# listens on a free port, not the README's 4580, which the block below is
# rewritten to use; the LOCK file and the first log line show that the server
# answering is the one started here.
port=$(free_port)
pushd "$work" >/dev/null
start_openchime server "$port"
popd >/dev/null
head -1 "$work/server.log" | grep -q '"msg":"store","store":"log","path":"./openchime-data"' ||
	{ echo "quickstart: the first log line does not name the default store:" >&2; head -1 "$work/server.log" >&2; exit 1; }
[ -f "$work/openchime-data/LOCK" ] || { echo "quickstart: no ./openchime-data log store" >&2; exit 1; }

readme_block quickstart "$work/qs.sh"
grep -q '127.0.0.1:4580' "$work/qs.sh" || { echo "quickstart: the README's block no longer names 127.0.0.1:4580" >&2; exit 1; }
sed -i "s/127\.0\.0\.1:4580/127.0.0.1:$port/g" "$work/qs.sh"
bash -euo pipefail "$work/qs.sh" | tee "$work/out.txt"

# The quick start must have done what it says.
grep -q "ana@example.com	Registered" "$work/out.txt"
grep -q "ben@example.com	Registered" "$work/out.txt"
grep -q '"ErrorCode": "NotFound"' "$work/out.txt"
grep -qx "Suspended" "$work/out.txt"
grep -q "failed as expected" "$work/out.txt"
echo "quickstart: OK"
