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

echo "== the README's testing block against a seeded, frozen server"
command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq jq >/dev/null; }
work=$(mktemp -d)
go build -o "$work/openchime" ./cmd/openchime
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$work/openchime" serve --db :memory: --addr "127.0.0.1:$port" --log-level warn \
  --seed examples/fixture.json --id-seed 42 --clock 2030-01-02T03:04:05Z 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/_openchime/health" >/dev/null && break; sleep 0.1; done
awk '/<!-- testkit -->/{f=1; next} f && /^```bash/{in_=1; next} in_ && /^```/{exit} in_{print}' README.md > "$work/block.sh"
[ -s "$work/block.sh" ] || { echo "testkit: no block found in README.md" >&2; exit 1; }
OC="http://127.0.0.1:$port" bash -euo pipefail "$work/block.sh" | tee "$work/out.txt"
grep -q "bob@acme.example.com	Registered" "$work/out.txt"
grep -q '{"Created":0,"Unchanged":8}' "$work/out.txt"
grep -q '"Time":"2030-01-03T15:04:05.000Z","Frozen":true' "$work/out.txt"
grep -q '"Accounts":2,' "$work/out.txt"
echo "testkit: OK"
