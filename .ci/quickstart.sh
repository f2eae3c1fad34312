#!/usr/bin/env bash
# Runs the README's quick start (the bash block after <!-- quickstart -->)
# against a freshly built server, so the README cannot drift from the code.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq jq >/dev/null; }
command -v aws >/dev/null || { echo "quickstart: the aws CLI is missing" >&2; exit 1; }

work=$(mktemp -d)
go build -o "$work/openchime" ./cmd/openchime
"$work/openchime" serve --db "$work/qs.db" --addr 127.0.0.1:4580 --log-level warn 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:4580/_openchime/health >/dev/null && break; sleep 0.1; done

awk '/<!-- quickstart -->/{f=1; next} f && /^```bash/{in_=1; next} in_ && /^```/{exit} in_{print}' README.md > "$work/qs.sh"
[ -s "$work/qs.sh" ] || { echo "quickstart: no block found in README.md" >&2; exit 1; }
bash -euo pipefail "$work/qs.sh" | tee "$work/out.txt"

# The quick start must have done what it says.
grep -q "ana@example.com	Registered" "$work/out.txt"
grep -q "ben@example.com	Registered" "$work/out.txt"
grep -q '"ErrorCode": "NotFound"' "$work/out.txt"
grep -qx "Suspended" "$work/out.txt"
grep -q "failed as expected" "$work/out.txt"
echo "quickstart: OK"
