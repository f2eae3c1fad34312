#!/usr/bin/env bash
# Failover test: a primary and a synchronous streaming-replication standby,
# both throwaway clusters in a temporary directory on 127.0.0.1 (free ports,
# trust authentication), stopped and deleted on exit. TestFailover then runs
# openchime nodes on the multi-host URL, kills the primary with SIGKILL,
# promotes the standby and checks that no acknowledged write was lost.
#
#   bash .ci/postgres-ha.sh                 go test -run TestFailover ./postgres
#   bash .ci/postgres-ha.sh CMD ARGS...     runs CMD instead, with the same environment
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
. .ci/lib.sh

need_postgres

start=$SECONDS
dir="$(mktemp -d /tmp/openchime-pg-ha.XXXXXX)"
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
cleanup() {
    local d
    for d in primary standby; do
        "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/$d" -m immediate stop >/dev/null 2>&1 || true
    done
    rm -rf "$dir"
}
at_exit cleanup

fail() {
    echo "$ci_name: $1; the server logs:" >&2
    tail -n 40 "$dir"/*.log >&2 || true
    exit 1
}

p1="$(free_port)"
p2="$(free_port)"
while [ "$p2" = "$p1" ]; do p2="$(free_port)"; done

"${as_pg[@]}" "$bindir/initdb" -D "$dir/primary" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    fail "initdb failed"
# initdb's pg_hba.conf already trusts replication from 127.0.0.1 with
# --auth=trust; the line says so explicitly.
echo "host replication all 127.0.0.1/32 trust" >>"$dir/primary/pg_hba.conf"
# The standby's application_name is the one synchronous_standby_names lists:
# a commit is acknowledged only once the standby has flushed its WAL.
# fsync off: the test kills processes, not the machine, so the operating
# system keeps every write; durability against power loss buys nothing here.
cat >>"$dir/primary/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $p1
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 5
synchronous_standby_names = 'standby1'
synchronous_commit = on
fsync = off
max_connections = 200
EOF
"${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w -t 60 start >/dev/null ||
    fail "the primary did not start"

"${as_pg[@]}" "$bindir/pg_basebackup" -h 127.0.0.1 -p "$p1" -U postgres -D "$dir/standby" -R -X stream >"$dir/basebackup.log" 2>&1 ||
    fail "pg_basebackup failed"
# -R wrote standby.signal and a primary_conninfo; this one (later in the
# file, so it wins) adds the application_name. The base backup copied
# synchronous_standby_names too: once promoted, the standby would wait for a
# standby of its own that does not exist, and every commit would hang. A
# failover tool clears it or names a new standby; here it is cleared.
cat >>"$dir/standby/postgresql.auto.conf" <<EOF
primary_conninfo = 'host=127.0.0.1 port=$p1 user=postgres application_name=standby1'
port = $p2
synchronous_standby_names = ''
EOF
"${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/standby" -l "$dir/standby.log" -w -t 60 start >/dev/null ||
    fail "the standby did not start"

psql_primary() { "$bindir/psql" -X -At -h 127.0.0.1 -p "$p1" -U postgres -d postgres -c "$1"; }
deadline=$((SECONDS + 30))
until [ "$(psql_primary "SELECT state || ' ' || sync_state FROM pg_stat_replication WHERE application_name = 'standby1'" 2>/dev/null)" = "streaming sync" ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "the standby is not streaming synchronously: $(psql_primary 'SELECT * FROM pg_stat_replication' 2>&1)"
    sleep 0.2
done
[ "$("$bindir/psql" -X -At -h 127.0.0.1 -p "$p2" -U postgres -d postgres -c 'SELECT pg_is_in_recovery()')" = t ] ||
    fail "the standby is not in recovery"
echo "== primary 127.0.0.1:$p1, synchronous standby 127.0.0.1:$p2 streaming (PostgreSQL $("$bindir/postgres" --version | awk '{print $3}'), set up in $((SECONDS - start))s)"

export OPENCHIME_TEST_POSTGRES_HA_URL="postgres://postgres@127.0.0.1:$p1,127.0.0.1:$p2/postgres?sslmode=disable&target_session_attrs=read-write"
export OPENCHIME_TEST_POSTGRES_HA_PRIMARY_DATA="$dir/primary"
# What promotes the standby: pg_ctl as the clusters' owner.
export OPENCHIME_TEST_POSTGRES_HA_PROMOTE="${as_pg[*]} $bindir/pg_ctl -D $dir/standby -w -t 30 promote"
if [ $# -gt 0 ]; then
    "$@"
else
    go test -count=1 -run '^TestFailover$' -v ./postgres || fail "TestFailover failed"
fi
echo "== postgres-ha: done in $((SECONDS - start))s"
