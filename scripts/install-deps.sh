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
# OpenCV 4.6 headers and libraries for @u4/opencv4nodejs's native build (every pixel loop of the image path)
[ -f /usr/include/opencv4/opencv2/core.hpp ] || need+=(libopencv-dev)
[ -f /usr/include/opencv4/opencv2/face.hpp ] || need+=(libopencv-contrib-dev)
# DejaVu Sans for the sessions' PDF reports (Cyrillic names; the PDF built-in fonts are Latin-1 only)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)

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
# @u4/opencv4nodejs builds against Debian's OpenCV (never its auto-build, which clones OpenCV from the internet);
# node-gyp on every core: the binding is a 4-8 minute compile on one
export OPENCV4NODEJS_DISABLE_AUTOBUILD=1 JOBS=max
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
# a binding built before Debian's OpenCV was there (or against another Node) fails to load: rebuild it, and say why
if ! node -e 'require("@u4/opencv-build").Log.silence = true; require("@u4/opencv4nodejs")' >/dev/null 2>&1; then
  echo "install-deps: building the OpenCV binding (@u4/opencv4nodejs, several minutes)"
  npm rebuild @u4/opencv4nodejs --loglevel=error >/dev/null
  node -e 'require("@u4/opencv-build").Log.silence = true; require("@u4/opencv4nodejs")' || {
    echo "install-deps: @u4/opencv4nodejs does not load; needs Debian packages: libopencv-dev libopencv-contrib-dev" >&2
    exit 1
  }
fi
