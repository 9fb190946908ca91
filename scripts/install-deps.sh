#!/usr/bin/env bash
# Installs what Persona-ID needs on a Debian machine and is missing: Debian packages (as root, or tells you the
# apt-get line), then the npm workspace (npm ci) when node_modules is missing or older than the lock file.
# Idempotent and quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
if [ "${PERSONA_BROWSER_TESTS:-1}" = "1" ]; then
  command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
fi
# build tools for better-sqlite3's native build (its prebuilt download cannot work offline)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v python3 >/dev/null 2>&1 || need+=(python3)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "install-deps: installing Debian packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "install-deps: missing Debian packages: ${need[*]}" >&2
    echo "install-deps: run: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "install-deps: Node.js 20 or newer is needed (found $(node --version))" >&2
  exit 1
fi

# onnxruntime-node's postinstall would try to download a CUDA add-on: its CPU binaries ship in the tarball
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
