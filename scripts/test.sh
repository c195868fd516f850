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
echo "==> pytest"
exec pytest "$@"
