#!/usr/bin/env bash
# Install promtool (Debian's `prometheus` package) for the metrics exposition tests on a fresh Debian
# machine. Idempotent and fast when promtool is already there. Nothing is started: the tests only run
# `promtool check metrics` on what /metrics answers.
#
# Needs root (apt-get). Prints one line.
set -euo pipefail

say() { echo "==> provision: $*"; }

if command -v promtool >/dev/null && command -v docker-compose >/dev/null; then
  say "promtool present ($(promtool --version 2>&1 | head -n1)), docker-compose present"
  exit 0
fi
say "installing prometheus (for promtool) and docker-compose (to check the generated compose file)"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends prometheus docker-compose >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus docker-compose >/dev/null
fi
command -v promtool >/dev/null || { echo "prometheus installed but no promtool on PATH" >&2; exit 1; }
command -v docker-compose >/dev/null || { echo "docker-compose installed but not on PATH" >&2; exit 1; }
say "promtool and docker-compose installed"
