#!/usr/bin/env bash
# Install redis-server for the rate-limit tests on a fresh Debian machine. Idempotent and fast when the
# binary is already there. The tests start and stop their own throwaway server on 127.0.0.1
# (tests/redis_support.py): nothing is started here, and the package's own service is left alone.
#
# Needs root (apt-get). Prints one line.
set -euo pipefail

say() { echo "==> provision: $*"; }

if command -v redis-server >/dev/null; then
  say "redis-server present ($(redis-server --version | awk '{print $3}'))"
  exit 0
fi
say "installing redis-server"
export DEBIAN_FRONTEND=noninteractive
# `apt-get install` first (the package lists may be fresh enough); on failure refresh them once.
if ! apt-get install -y -qq --no-install-recommends redis-server >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
command -v redis-server >/dev/null || { echo "redis-server installed but not on PATH" >&2; exit 1; }
say "redis-server installed"
