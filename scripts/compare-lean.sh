#!/usr/bin/env bash
# compare-lean.sh: the request-path comparison of BENCHMARKS.md ("The request path").
#
#   scripts/compare-lean.sh nostore OLD_BIN NEW_BIN [ROUNDS]   lean server, then nostore on each binary, ROUNDS times
#   scripts/compare-lean.sh default BIN...                     lean server, then a fresh default store (200k users) per binary
#
# Every server is driven by the same load tool (the first binary's `openchime bench`, 16 connections); each line gives
# the bench line (calls, calls/s, p50, p99, max, errors) and the server's CPU per call from /proc/PID/stat.
# Needs the lean server built: (cd ../shared/tools/leanserver && go build -o /tmp/leanserver .)
set -euo pipefail
LEAN=${LEAN:-/tmp/leanserver}
DUR=${DUR:-8s}
USERS=${USERS:-200000}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
printf '{"Credentials":[{"AccessKeyId":"AKIDBENCHMARK","SecretAccessKey":"bench-secret-access-key","AwsAccountId":"123456789012"}]}' >"$work/creds.json"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
wait_up() { for _ in $(seq 100); do curl -s "http://127.0.0.1:$1/" >/dev/null 2>&1 && return; sleep 0.05; done; }

mode=$1; shift
tool=$1 # the load tool: the first binary's bench
lean_port=$(free_port)
"$LEAN" -addr "127.0.0.1:$lean_port" -sigv4 & lean_pid=$!
wait_up "$lean_port"

# run PORT PID [bench args]: one batch run against a running server, with its CPU per call
run() {
  local port=$1 pid=$2; shift 2
  local t0 out n
  t0=$(ticks "$pid")
  out=$("$tool" bench --endpoint "http://127.0.0.1:$port" --phases batch --baseline=false --duration "$DUR" --users "$USERS" "$@" | grep "Batch (")
  n=$(awk '{print $3}' <<<"$out")
  echo "$out | server CPU $(( ($(ticks "$pid") - t0) * 10000 / n )) µs/call"
}
lean() { echo -n "lean      "; run "$lean_port" "$lean_pid" --access-key AKIDEXAMPLE --secret-key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY; }

case $mode in
nostore)
  old=$1 new=$2 rounds=${3:-3}
  po=$(free_port); "$old" serve --addr "127.0.0.1:$po" --db "nostore:?users=$USERS" --auth sigv4 --credentials "$work/creds.json" --admin-token x 2>"$work/old.err" & old_pid=$!
  pn=$(free_port); "$new" serve --addr "127.0.0.1:$pn" --db "nostore:?users=$USERS" --auth sigv4 --credentials "$work/creds.json" --admin-token x 2>"$work/new.err" & new_pid=$!
  wait_up "$po"; wait_up "$pn"
  for _ in $(seq "$rounds"); do
    lean
    echo -n "old       "; run "$po" "$old_pid"
    echo -n "new       "; run "$pn" "$new_pid"
  done ;;
default)
  lean
  for bin in "$@"; do
    port=$(free_port); rm -rf "$work/db"
    "$bin" serve --addr "127.0.0.1:$port" --db "$work/db" --admin-token bench-admin-token --auth sigv4 --credentials "$work/creds.json" 2>"$work/d.err" & pid=$!
    wait_up "$port"
    "$tool" bench --endpoint "http://127.0.0.1:$port" --phases seed,batch --users "$USERS" --baseline=false --duration "$DUR" >"$work/d.out" & b=$!
    until grep -q "^seed:" "$work/d.out" 2>/dev/null; do sleep 0.05; done
    t0=$(ticks "$pid"); wait "$b"; t1=$(ticks "$pid")
    out=$(grep "Batch (" "$work/d.out")
    echo "$(basename "$bin") $out | server CPU $(( (t1 - t0) * 10000 / $(awk '{print $3}' <<<"$out") )) µs/call"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    lean
  done ;;
*) echo "usage: $0 nostore OLD NEW [ROUNDS] | default BIN..." >&2; exit 2 ;;
esac
