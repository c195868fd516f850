#!/usr/bin/env bash
# Install PostgreSQL for the connector tests on a fresh Debian machine. Idempotent and fast when the
# server binaries are already there (one `ls`). The tests start and stop their own throwaway cluster
# (tests/postgres_support.py): nothing is started here, and the package's own cluster is left alone.
#
# Needs root (apt-get). Prints one line.
set -euo pipefail

say() { echo "==> provision: $*"; }

found() { compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null && compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }

if found; then
  say "postgresql present ($(ls -d /usr/lib/postgresql/*/ | xargs -n1 basename | sort -V | tail -n1))"
  exit 0
fi
say "installing postgresql"
export DEBIAN_FRONTEND=noninteractive
# `apt-get install` first (the package lists may be fresh enough); on failure refresh them once.
if ! apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
found || { echo "postgresql installed but no /usr/lib/postgresql/*/bin/pg_ctl" >&2; exit 1; }
say "postgresql installed"
