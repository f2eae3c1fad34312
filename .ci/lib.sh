# shellcheck shell=bash
# What the .ci scripts share. Source it from the repository root:
#
#   cd "$(dirname "$0")/.."
#   . .ci/lib.sh
#
# Sourcing installs one EXIT trap: it runs what at_exit registered, last
# first, so servers stop before the directory their logs are in is deleted.
# A script that needs its own clean-up registers it with at_exit instead of
# setting its own EXIT trap (which would replace this one). Works with and
# without `set -euo pipefail`; needs only bash, curl and python3.

# The script's name for messages: "collab" for .ci/collab.sh.
ci_name=${0##*/}
ci_name=${ci_name%.sh}

_ci_at_exit=()

# at_exit CMD: evaluate CMD when the script exits (last registered runs first).
# Single-quote it to read variables at exit time.
at_exit() { _ci_at_exit=("$1" ${_ci_at_exit[@]+"${_ci_at_exit[@]}"}); }

_ci_on_exit() {
	local cmd
	for cmd in ${_ci_at_exit[@]+"${_ci_at_exit[@]}"}; do eval "$cmd" || true; done
}
trap _ci_on_exit EXIT

# need_jq: installs jq from Debian when it is missing.
need_jq() { command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq jq >/dev/null; }; }

# need_aws: fails when the aws CLI is missing (the CI image brings it).
need_aws() { command -v aws >/dev/null || { echo "$ci_name: the aws CLI is missing" >&2; exit 1; }; }

# free_port: prints a TCP port free on 127.0.0.1, so a server runs beside the
# others on this shared machine.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# use_work_dir: sets $work to a new temporary directory, deleted on exit.
use_work_dir() {
	work=$(mktemp -d)
	at_exit 'rm -rf "$work"'
}

# build_openchime: builds the server into $work/openchime (call use_work_dir first).
build_openchime() { go build -o "$work/openchime" ./cmd/openchime; }

# start_openchime NAME PORT ARGS...: runs `$work/openchime serve --addr
# 127.0.0.1:PORT ARGS...` in the background with its output in $work/NAME.log,
# waits until it answers /_openchime/health and sets $endpoint and $server_pid.
# It is stopped (and waited for) on exit. If it exits or does not answer within
# $CI_SERVER_TIMEOUT seconds (default 10), prints its log and exits 1.
start_openchime() {
	local name=$1 port=$2
	shift 2
	local log="$work/$name.log" deadline=$((SECONDS + ${CI_SERVER_TIMEOUT:-10}))
	"$work/openchime" serve --addr "127.0.0.1:$port" "$@" >"$log" 2>&1 &
	server_pid=$!
	at_exit "kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null"
	endpoint="http://127.0.0.1:$port"
	until curl -fsS --max-time 2 "$endpoint/_openchime/health" >/dev/null 2>&1; do
		if ! kill -0 "$server_pid" 2>/dev/null; then
			echo "$ci_name: openchime $name exited before answering $endpoint/_openchime/health; its log:" >&2
			cat "$log" >&2
			exit 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "$ci_name: openchime $name did not answer $endpoint/_openchime/health within ${CI_SERVER_TIMEOUT:-10}s; its log:" >&2
			cat "$log" >&2
			exit 1
		fi
		sleep 0.1
	done
}

# readme_block MARKER FILE [LANG]: writes the first ```bash (or ```LANG)
# block after <!-- MARKER --> in README.md to FILE; exits 1 when there is none.
readme_block() {
	awk -v m="<!-- $1 -->" -v lang="${3:-bash}" 'index($0, m){f=1; next} f && $0 == "```" lang {in_=1; next} in_ && /^```/{exit} in_{print}' README.md >"$2"
	[ -s "$2" ] || { echo "$1: no block found in README.md" >&2; exit 1; }
}

# need_postgres: installs Debian's PostgreSQL when its server binaries are
# missing, and sets bindir (where initdb, pg_ctl, postgres are) and as_pg (the
# prefix that runs a command as user postgres: the server refuses to run as
# root, and CI runs as root; empty when not root).
need_postgres() {
	if ! command -v pg_config >/dev/null || [ ! -x "$(pg_config --bindir)/initdb" ]; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
	fi
	bindir="$(pg_config --bindir)"
	[ -x "$bindir/initdb" ] || bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
	as_pg=()
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
		as_pg=(runuser -u postgres --)
	fi
}

# run_quickstart PORT: runs the README's quick start block against the server
# on 127.0.0.1:PORT (the block names 127.0.0.1:4580 and is rewritten), keeps
# its output in $work/out.txt and checks it did what it says (call
# use_work_dir, need_jq and need_aws first).
run_quickstart() {
	local port=$1
	readme_block quickstart "$work/qs.sh"
	grep -q '127.0.0.1:4580' "$work/qs.sh" || { echo "$ci_name: the README's quick start no longer names 127.0.0.1:4580" >&2; exit 1; }
	sed -i "s/127\.0\.0\.1:4580/127.0.0.1:$port/g" "$work/qs.sh"
	bash -euo pipefail "$work/qs.sh" 2>&1 | tee "$work/out.txt"
	# The README's expected output, with ids and times as placeholders.
	readme_block quickstart-output "$work/expected.txt" text
	sed -E -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<uuid>/g' \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z/<time>/g' "$work/out.txt" >"$work/out-normal.txt"
	diff -u "$work/expected.txt" "$work/out-normal.txt" ||
		{ echo "$ci_name: the quick start's output differs from README.md's expected output (<!-- quickstart-output -->)" >&2; exit 1; }
	grep -q "ana@example.com	Registered" "$work/out.txt"
	grep -q "ben@example.com	Registered" "$work/out.txt"
	grep -q '"ErrorCode": "NotFound"' "$work/out.txt"
	grep -qx "Suspended" "$work/out.txt"
	grep -q "failed as expected" "$work/out.txt"
}
