#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests and the screenshot (driven by
# playwright-core; no browser download). Idempotent and quiet: does nothing when chromium
# is already there.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing at $CHROMIUM. Install it as root: apt-get update && apt-get install -y chromium" >&2
  echo "(or run this script as root: sudo scripts/install-chromium.sh)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "installed $("$CHROMIUM" --version 2>/dev/null | tail -n 1)"
