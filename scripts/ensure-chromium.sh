#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright cannot download its own browsers here).
# Installs it when missing; needs root, as on the CI and development machines.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "Debian chromium missing: installing it with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
