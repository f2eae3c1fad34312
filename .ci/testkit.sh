#!/usr/bin/env bash
# The test kit: chimetest must be race-clean, and a module outside ours must
# be able to test its own code with it (examples/usermodule).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
export GOFLAGS="${GOFLAGS:-} -mod=mod"
. .ci/lib.sh

echo "== chimetest under the race detector"
go test -race -count=1 ./chimetest/
echo "== a user's module tested with chimetest"
(cd examples/usermodule && go vet ./... && go test -count=1 ./...)

echo "== the README's testing block against a seeded, frozen server"
need_jq
use_work_dir
build_openchime
start_openchime server "$(free_port)" --db :memory: --log-level warn \
  --seed examples/fixture.json --id-seed 42 --clock 2030-01-02T03:04:05Z
readme_block testkit "$work/block.sh"
OC="$endpoint" bash -euo pipefail "$work/block.sh" | tee "$work/out.txt"
grep -q "bob@acme.example.com	Registered" "$work/out.txt"
grep -q '{"Created":0,"Unchanged":8}' "$work/out.txt"
grep -q '"Time":"2030-01-03T15:04:05.000Z","Frozen":true' "$work/out.txt"
grep -q '"Accounts":2,' "$work/out.txt"
echo "testkit: OK"
