#!/usr/bin/env bash
# Builds the real Dockerfile with buildah and runs the image with podman as the Helm chart runs it
# (uid 65532, read-only root, no capabilities, /tmp and /data as scratch volumes): `version`, then
# `once` against a Prometheus holding known data into a mounted directory bucket, then `verify`;
# the promtool dump of the shipped blocks must equal the source's. No container daemon and no
# registry but npm's: the base image is a stand-in built with mmdebstrap from the official Node 22
# binary (see docs in /work/shared/docs/environment.md, "Container images without a daemon").
# Prints a SKIP line where the machine cannot run containers (not root, unshare refused), and ends
# with `image: N passed, N failed`; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
IMAGE=localhost/promship:ci
BASE=docker.io/library/node:22-bookworm-slim

if [ "${1:-}" != --inside ]; then
  skip() {
    echo "SKIP image test: $1; the image was NOT built or run"
    echo "image: 0 passed, 0 failed (skipped)"
    exit 0
  }
  [ "$(id -u)" -eq 0 ] || skip "needs root (buildah/podman with overlay storage), running as uid $(id -u)"
  unshare --mount --propagation private -- true 2>/dev/null || skip "unshare --mount is refused here"
  missing=""
  for tool in buildah podman mmdebstrap crun promtool prometheus; do command -v "$tool" >/dev/null || missing="$missing $tool"; done
  if [ -n "$missing" ]; then
    echo "not ok - tools missing:$missing (scripts/test-all.sh installs them)"
    echo "image: 0 passed, 1 failed"
    exit 1
  fi
  node22=$(scripts/node22.sh)
  work=$(mktemp -d /tmp/promship-image.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  status=0
  NODE22="$node22" WORK="$work" unshare --mount --propagation private -- bash "$0" --inside || status=$?
  exit "$status"
fi

# --- Inside a private mount namespace from here on. ---
work=$WORK
passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
notok() { echo "not ok - $1"; failed=$((failed + 1)); }
finish() {
  echo "image: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# crun refuses this kind of machine's hybrid cgroup layout; nothing here needs cgroups.
umount /sys/fs/cgroup/unified 2>/dev/null || true
mkdir -p "$work/graph" "$work/run" "$work/conf"
mount -t tmpfs tmpfs "$work/run"
cat >"$work/conf/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$work/graph"
runroot = "$work/run"
CONF
cat >"$work/conf/containers.conf" <<'CONF'
[containers]
cgroups = "disabled"
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
runtime = "crun"
CONF
export CONTAINERS_STORAGE_CONF="$work/conf/storage.conf" CONTAINERS_CONF="$work/conf/containers.conf"

# The stand-in for node:22-bookworm-slim: Debian bookworm minbase, the official Node 22 binary and
# npm, a `node` user, and (where HTTPS goes through an inspecting proxy) that proxy's CA for npm.
(cd "$work" && npm pack --silent npm@10 >/dev/null && mv npm-*.tgz npm.tgz)
cp "$NODE22" "$work/node"
ca_hook=true
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  cp "$NODE_EXTRA_CA_CERTS" "$work/extra-ca.pem"
  ca_hook="mkdir -p \"\$1/usr/local/etc\" && cp $work/extra-ca.pem \"\$1/usr/local/etc/extra-ca.pem\" && echo cafile=/usr/local/etc/extra-ca.pem >\"\$1/usr/local/etc/npmrc\""
fi
started=$(date +%s)
if ! mmdebstrap --quiet --variant=minbase bookworm "$work/base.tar" /etc/apt/sources.list.d/debian.sources \
  --customize-hook="install -m 0755 $work/node \"\$1/usr/local/bin/node\"" \
  --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf $work/npm.tgz --strip-components=1 -C \"\$1/usr/local/lib/node_modules/npm\" && ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\" && ln -s ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\"" \
  --customize-hook="echo node:x:1000:1000::/home/node:/bin/sh >>\"\$1/etc/passwd\" && echo node:x:1000: >>\"\$1/etc/group\" && mkdir -p \"\$1/home/node\" && chown 1000:1000 \"\$1/home/node\"" \
  --customize-hook="$ca_hook" >"$work/mmdebstrap.log" 2>&1; then
  tail -20 "$work/mmdebstrap.log"
  notok "stand-in base image (mmdebstrap)"
  finish
  exit 1
fi
podman import --quiet --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["node"]' \
  "$work/base.tar" "$BASE" >/dev/null
echo "# stand-in base image built in $(($(date +%s) - started)) s"

started=$(date +%s)
if buildah build --quiet --pull=never --isolation chroot --network host --layers=false -t "$IMAGE" "$root" >"$work/build.log" 2>&1; then
  ok "the Dockerfile builds ($(($(date +%s) - started)) s)"
else
  tail -30 "$work/build.log"
  notok "the Dockerfile builds"
  finish
  exit 1
fi
size=$(podman image inspect "$IMAGE" --format '{{.Size}}')
echo "# image size: $size bytes ($((size / 1000000)) MB, of which the stand-in base $(($(podman image inspect "$BASE" --format '{{.Size}}') / 1000000)) MB)"

# As the chart runs it: its securityContext and its volumes (data dir and /tmp as emptyDirs).
bucket="$work/bucket"
mkdir -p "$bucket"
chown 65532:65532 "$bucket"
# /tmp outlives one process, as the chart's emptyDir does for the pod: Node's compile cache lands there.
mkdir -p "$work/tmp"
chmod 1777 "$work/tmp"
run() {
  podman run --rm --network host --read-only --user 65532:65532 --cap-drop=ALL --security-opt no-new-privileges \
    -v "$work/tmp:/tmp" --tmpfs /data:rw,mode=1777 -v "$bucket:/bucket" \
    -e PROMSHIP_PROMETHEUS_URL="http://127.0.0.1:$port" -e PROMSHIP_BUCKET=file:///bucket -e PROMSHIP_DATA_DIR=/data \
    -e PROMSHIP_MAX_BACKFILL=1d "$IMAGE" "$@"
}

# Known data: two series every 15 s over 4 h, ending at the last 2h boundary but one (so every
# window is complete and past the ship delay), as Prometheus' own blocks.
now=$(date +%s)
end=$(((now / 7200 - 1) * 7200))
begin=$((end - 4 * 3600))
{
  echo '# TYPE image_test_value gauge'
  for ((ts = begin; ts < end; ts += 15)); do
    echo "image_test_value{series=\"a\"} $(((ts / 15) % 1000)) $ts"
    echo "image_test_value{series=\"b\"} $(((ts / 15) % 7)).5 $ts"
  done
  echo '# EOF'
} >"$work/source.om"
promtool tsdb create-blocks-from openmetrics "$work/source.om" "$work/source" >/dev/null
mkdir -p "$work/source/wal"
promtool tsdb dump "$work/source" >"$work/source.dump" 2>/dev/null
cat >"$work/prometheus.yml" <<'CONF'
global:
  external_labels: { cluster_id: image-test }
CONF
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/source" --web.listen-address="127.0.0.1:$port" \
  --storage.tsdb.retention.time=30d >"$work/prometheus.log" 2>&1 &
prom=$!
trap 'kill "$prom" 2>/dev/null || true' EXIT
node -e 'const until = Date.now() + 60000; (async function poll() {
  const ok = await fetch(process.argv[1]).then((r) => r.ok, () => false);
  if (!ok && Date.now() < until) setTimeout(poll, 500);
})()' "http://127.0.0.1:$port/-/ready"

version=$(run version 2>&1) || true
want=$(node -p 'require("./package.json").version')
if [ "$version" = "$want" ]; then ok "version says $want"; else notok "version: got '$version', want '$want'"; fi

identity=$(podman run --rm --read-only --user 65532:65532 --cap-drop=ALL --security-opt no-new-privileges --entrypoint sh "$IMAGE" \
  -c 'echo "$(id -u) $(grep CapEff /proc/self/status | cut -f2) $(touch /app/x 2>/dev/null && echo writable || echo read-only)"' 2>&1) || true
if [ "$identity" = "65532 0000000000000000 read-only" ]; then ok "runs as uid 65532, no capabilities, read-only root"; else notok "posture: $identity"; fi

if run once >"$work/once.log" 2>&1; then
  ok "once ships ($(grep -c '"shipped block"' "$work/once.log") blocks)"
else
  tail -20 "$work/once.log"
  notok "once exited non-zero"
fi
cached=$(find "$work/tmp/node-compile-cache" -type f 2>/dev/null | wc -l)
if [ "$cached" -gt 0 ]; then ok "Node keeps its compile cache in /tmp ($cached files)"; else notok "no compile cache in /tmp after once"; fi
if run verify >"$work/verify.log" 2>&1; then ok "verify finds the bucket sound"; else
  tail -20 "$work/verify.log"
  notok "verify exited non-zero"
fi

mkdir -p "$work/shipped/wal"
find "$bucket" -name meta.json -printf '%h\n' | while read -r block; do cp -r "$block" "$work/shipped/"; done
blocks=$(find "$work/shipped" -name meta.json | wc -l)
promtool tsdb dump "$work/shipped" >"$work/shipped.dump" 2>/dev/null || true
lines=$(wc -l <"$work/source.dump")
if [ "$lines" -gt 0 ] && cmp -s "$work/source.dump" "$work/shipped.dump"; then
  ok "the dump of the $blocks shipped blocks equals the source ($lines samples)"
else
  diff "$work/source.dump" "$work/shipped.dump" | head -5 || true
  notok "the dump of the $blocks shipped blocks differs from the source ($lines samples there, $(wc -l <"$work/shipped.dump") shipped)"
fi
finish
