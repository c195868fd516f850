#!/usr/bin/env bash
# Create bench/.venv: the peer servers (the newest FastMCP this machine can install, which
# pulls its own `mcp`) plus this repo's mcpgen (editable, with the Node extra for the TS/JS
# bench), isolated from the project's .venv.
#
#   bash bench/setup.sh            # idempotent; re-run after changing pins
#
# Also installs `wrk` (the load generator) from Debian when it is missing.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
PY="${PYTHON:-python3.11}"

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq wrk
  else
    echo "warning: wrk not found; install it (apt-get install wrk) or run.py falls back to its Python client" >&2
  fi
fi

if [ ! -x "$HERE/.venv/bin/python" ]; then
  "$PY" -m venv "$HERE/.venv"
fi
# (pip's "Location ... is ignored" lines come from this machine's extra index config: noise)
quiet() { "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
quiet "$HERE/.venv/bin/python" -m pip install -q --upgrade pip
# FastMCP: the newest release that installs here (FASTMCP=... to pin another); mcpgen editable
# with [cli,node,otlp] (mcpgen serve; bench/node_vs_python.py runs TS/JS tools; the --observed row exports
# traces) so the same `mcp` serves every server.
FASTMCP="${FASTMCP:-fastmcp==4.2.3}"
quiet "$HERE/.venv/bin/python" -m pip install -q "$FASTMCP" -e "$REPO[cli,node,otlp]"
"$HERE/.venv/bin/python" -m pip check || {
  echo "warning: pip check reports conflicts (see above); bench/RESULTS.md records the versions used" >&2
}
"$HERE/.venv/bin/python" - <<'PY'
from importlib.metadata import version
for dist in ("fastmcp", "mcp", "mcpgen", "starlette", "uvicorn", "pydantic"):
    print(f"{dist:10} {version(dist)}")
PY
