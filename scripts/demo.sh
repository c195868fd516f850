#!/usr/bin/env bash
# Set up a virtualenv with mcpgen and serve examples/demo on http://127.0.0.1:8080/mcp (reloads on change).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
echo "==> installing mcpgen[cli]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[cli]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import mcpgen" || { echo "installation failed" >&2; exit 1; }
echo "==> serving examples/demo on http://127.0.0.1:${PORT:-8080}/mcp (Ctrl+C stops)"
exec .venv/bin/mcpgen dev examples/demo --port "${PORT:-8080}"
