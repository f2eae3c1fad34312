#!/usr/bin/env bash
# Runs the PostgreSQL tests against a throwaway cluster: initdb in a temporary
# directory, trust authentication, 127.0.0.1 on a free port, stopped and
# deleted on exit. It never touches the machine's own cluster.
#
#   bash .ci/postgres.sh                 go test ./... with OPENCHIME_TEST_POSTGRES_URL set,
#                                        then the failover test (.ci/postgres-ha.sh)
#   bash .ci/postgres.sh CMD ARGS...     runs CMD instead (e.g. go test -run TestMultiNode ./postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
. .ci/lib.sh

need_postgres

dir="$(mktemp -d /tmp/openchime-pg.XXXXXX)"
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
cleanup() {
    "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
at_exit cleanup

port="$(free_port)"
"${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log"; exit 1; }
# fsync off: the cluster is thrown away, durability buys nothing here.
"${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null ||
    { cat "$dir/server.log"; exit 1; }

export OPENCHIME_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
echo "== go test ./... on PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
if [ $# -gt 0 ]; then
    "$@"
else
    go test ./...
    # Failover onto a synchronous standby: two more clusters of its own.
    bash .ci/postgres-ha.sh
fi
