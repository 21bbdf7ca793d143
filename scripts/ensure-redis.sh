#!/usr/bin/env bash
# The Redis store's tests (and the federated load benchmark) start Debian's redis-server
# themselves on a loopback port. Installs it when missing; needs root, as on CI.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
echo "redis-server missing: installing it with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq redis-server >/dev/null
