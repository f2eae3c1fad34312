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

run_quickstart "$port"
echo "quickstart: OK"
