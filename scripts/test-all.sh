#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine with Node 20, then runs it.
# Real Prometheus and promtool come from Debian's `prometheus` package; everything else from npm.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
prometheus --version 2>&1 | head -1
promtool --version 2>&1 | head -1

npm ci --no-fund --no-audit
npm test
