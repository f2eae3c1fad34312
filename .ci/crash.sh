#!/usr/bin/env bash
# Crash test of the log store, repeated: each run kills the server with
# SIGKILL at a random moment of a batch workload (half the runs with frequent
# checkpoints), restarts it and checks that every acknowledged batch survived
# and no batch was half applied. CRASH_COUNT sets the number of kill points.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== crash test: kill -9 during batches, ${CRASH_COUNT:-5} kill points"
go test -run 'TestCrash' -count="${CRASH_COUNT:-5}" -v ./cmd/openchime | grep -E '^(=== RUN|--- |    (outbox_)?crash_test|PASS|FAIL|ok)'
