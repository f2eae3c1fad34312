#!/usr/bin/env bash
# The test kit: chimetest must be race-clean, and a module outside ours must
# be able to test its own code with it (examples/usermodule).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
export GOFLAGS="${GOFLAGS:-} -mod=mod"

echo "== chimetest under the race detector"
go test -race -count=1 ./chimetest/
echo "== a user's module tested with chimetest"
(cd examples/usermodule && go vet ./... && go test -count=1 ./...)
