#!/usr/bin/env bash
# Set up a virtualenv with mcpgen and its dev tools, then run lint, types, architecture contracts and tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
echo "==> installing mcpgen[dev]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import mcpgen, pytest" || { echo "installation failed" >&2; exit 1; }
export PATH="$PWD/.venv/bin:$PATH"
echo "==> ruff"
ruff check src tests examples bench
ruff format --check src tests examples bench
echo "==> mypy --strict src"
mypy
# 4 workers (MCPGEN_TEST_WORKERS; 0 runs in this process): most tests wait on servers, containers and
# timeouts rather than on the CPU, so 4 beat 2 even on 2 cores. --dist loadgroup keeps the tests of one
# xdist_group (a shared server, image, suite install or PostgreSQL cluster) on one worker. Arguments
# after ours win (`bash scripts/test.sh -n 0` runs serially).
WORKERS="${MCPGEN_TEST_WORKERS:-4}"
echo "==> pytest ($WORKERS workers)"
exec pytest -n "$WORKERS" --dist loadgroup "$@"
