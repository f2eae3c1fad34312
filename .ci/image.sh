#!/usr/bin/env bash
# Builds the container image of the root Dockerfile and runs the README's
# quick start against the image's own entrypoint and configuration.
#
# This machine cannot pull base images (golang) nor run containers, so:
#   - the binary is built here as the Dockerfile's first stage builds it
#     (CGO_ENABLED=0, -trimpath), and checked to be static;
#   - the Dockerfile's final stage (everything after its last FROM) is built
#     by buildah, FROM scratch, with COPY --from=build read from a local
#     folder holding that binary and an empty data folder: the ENV, USER,
#     VOLUME, WORKDIR, EXPOSE, HEALTHCHECK, ENTRYPOINT and CMD are the
#     Dockerfile's own;
#   - the image's filesystem is exported (buildah mount), and its
#     entrypoint + cmd run chrooted into it, as the image's user, in its
#     working directory, with its environment: only the port of
#     OPENCHIME_ADDR is changed to a free one (what docker run -p does on the
#     host side); the image's HEALTHCHECK command is run the same way.
# Not exercised: the golang build stage itself, a container runtime
# (namespaces, the volume mount, docker's health state machine).
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh
need_jq
need_aws
command -v buildah >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah >/dev/null; }

use_work_dir
# buildah keeps its images in a store of its own under $work, with the vfs
# driver (no overlay mounts in this sandbox) and chroot isolation (no runc).
bh() { buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs "$@"; }
export BUILDAH_ISOLATION=chroot
at_exit 'bh rm -a >/dev/null 2>&1; bh rmi -a -f >/dev/null 2>&1'

# The build stage, here: its go build line, and the data folder it makes.
grep -q 'CGO_ENABLED=0 go build -trimpath' Dockerfile || { echo "image: the Dockerfile's build stage changed; update this script" >&2; exit 1; }
mkdir -p "$work/ctx/out/data"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.Version=ci-image" -o "$work/ctx/out/openchime" ./cmd/openchime
go version -m "$work/ctx/out/openchime" | grep -q 'CGO_ENABLED=0' || { echo "image: the binary was not built with CGO_ENABLED=0" >&2; exit 1; }
# A static ELF has no PT_INTERP (dynamic loader) program header.
python3 - "$work/ctx/out/openchime" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:4] == b"\x7fELF" and b[4] == 2, "not a 64-bit ELF"
phoff, = struct.unpack_from("<Q", b, 0x20)
phentsize, phnum = struct.unpack_from("<HH", b, 0x36)
types = [struct.unpack_from("<I", b, phoff + i * phentsize)[0] for i in range(phnum)]
sys.exit("image: the binary is dynamically linked (PT_INTERP)" if 3 in types else 0)
EOF

# The final stage, verbatim but for its base and where COPY --from=build reads.
awk '/^FROM /{n=NR} {l[NR]=$0} END{for(i=n;i<=NR;i++) print l[i]}' Dockerfile >"$work/final.Dockerfile"
grep -q '^FROM ${BASE}$' "$work/final.Dockerfile" || { echo "image: the final stage no longer starts FROM \${BASE}" >&2; exit 1; }
grep -E '^(RUN|ADD) ' "$work/final.Dockerfile" && { echo "image: the final stage must not RUN or ADD (it is built FROM scratch here)" >&2; exit 1; }
sed -i -e 's/^FROM \${BASE}$/FROM scratch/' -e 's#^COPY --from=build \(.*\)/out/#COPY \1out/#' "$work/final.Dockerfile"
if grep -q -- '--from=' "$work/final.Dockerfile"; then echo "image: a COPY --from this script cannot rewrite" >&2; exit 1; fi
bh bud --quiet --format docker --isolation chroot -f "$work/final.Dockerfile" -t openchime-ci "$work/ctx" >/dev/null

# The image's configuration.
bh inspect --type image openchime-ci >"$work/inspect.json"
cfg() { jq -r ".Docker.config | $1" "$work/inspect.json"; }
user=$(cfg .User)
[[ $user =~ ^[1-9][0-9]*(:[0-9]+)?$ ]] || { echo "image: USER $user is not a numeric non-root user" >&2; exit 1; }
[ "$(cfg '.ExposedPorts | has("4580/tcp")')" = true ] || { echo "image: port 4580 is not exposed" >&2; exit 1; }
[ "$(cfg '.Volumes | has("/data")')" = true ] || { echo "image: /data is not a volume" >&2; exit 1; }
[ "$(cfg '.Healthcheck.Test[0]')" = CMD ] || { echo "image: no HEALTHCHECK CMD" >&2; exit 1; }
mapfile -t entry < <(cfg '(.Entrypoint // []) + (.Cmd // []) | .[]')
mapfile -t health < <(cfg '.Healthcheck.Test[1:][]')
mapfile -t env < <(cfg '.Env[]')
workdir=$(cfg .WorkingDir)
# -p 4580:4580 reaches only a server listening on the container's every
# interface, not its loopback.
addr=$(printf '%s\n' "${env[@]}" | sed -n 's/^OPENCHIME_ADDR=//p')
case $addr in 0.0.0.0:4580 | :4580 | "[::]:4580") ;; *) echo "image: OPENCHIME_ADDR=$addr; -p 4580:4580 needs 0.0.0.0:4580" >&2; exit 1 ;; esac
echo "image: user $user, workdir $workdir, entrypoint ${entry[*]}, healthcheck ${health[*]}, env ${env[*]}"

# The image's filesystem.
ctr=$(bh from openchime-ci)
mnt=$(bh mount "$ctr")
cp -a "$mnt" "$work/rootfs"
bh umount "$ctr" >/dev/null
[ "$(stat -c %u "$work/rootfs/data")" = "${user%%:*}" ] || { echo "image: /data does not belong to user $user" >&2; exit 1; }
ls -la "$work/rootfs" "$work/rootfs/data"

# Run the image's entrypoint from it, as its user, with its environment and
# the port of OPENCHIME_ADDR changed to a free one.
port=$(free_port)
run_env=()
for kv in "${env[@]}"; do
	case $kv in OPENCHIME_ADDR=*) kv="${kv%:*}:$port" ;; esac
	run_env+=("$kv")
done
# env -i: the server sees the image's environment only.
chroot_bin=$(command -v chroot)
in_image() { (cd "$work/rootfs$workdir" && exec env -i "${run_env[@]}" "$chroot_bin" --userspec="$user" "$work/rootfs" "$@"); }
log="$work/server.log"
# Not through in_image: a function in the background is a subshell of its
# own, whose pid $! would be, while the server it starts outlived the kill.
(cd "$work/rootfs$workdir" && exec env -i "${run_env[@]}" "$chroot_bin" --userspec="$user" "$work/rootfs" "${entry[@]}") >"$log" 2>&1 &
server_pid=$!
at_exit "kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null"
deadline=$((SECONDS + 20))
until in_image "${health[@]}" >"$work/health.txt" 2>&1; do
	if ! kill -0 "$server_pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
		echo "image: the image's server did not pass its HEALTHCHECK on port $port:" >&2
		cat "$work/health.txt" "$log" >&2
		exit 1
	fi
	sleep 0.2
done
cat "$work/health.txt"
# The server is the image's: its first log line names the store under /data.
grep -q '"msg":"store","store":"log","path":"/data/openchime-data"' "$log" ||
	{ echo "image: the server does not use the log store under /data:" >&2; head -3 "$log" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$port/_openchime/info" | jq -e '.Version == "ci-image" and .Store == "log" and .Auth == "none"' >/dev/null ||
	{ echo "image: /_openchime/info is not the image's server" >&2; exit 1; }

run_quickstart "$port"
[ -f "$work/rootfs/data/openchime-data/LOCK" ] || { echo "image: no log store in the image's /data" >&2; exit 1; }
[ "$(stat -c %u "$work/rootfs/data/openchime-data")" = "${user%%:*}" ] || { echo "image: the store was not written by user $user" >&2; exit 1; }
echo "image: OK"
