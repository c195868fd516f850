#!/usr/bin/env bash
# Provision what the Docker tests need on a fresh Debian machine (shared/DESIGN.md §5). Idempotent:
# every step checks first and does nothing when its result is already there.
#
#   1. packages: docker.io (engine), debootstrap (base image), docker-registry (local push target)
#   2. a Docker engine: `dockerd --bridge=none --iptables=false` in the background unless one answers
#   3. the base image mcpgen-test-base:bookworm (debootstrap + docker import; no registry pulls here)
#   4. a local registry on 127.0.0.1:${MCPGEN_TEST_REGISTRY_PORT:-5000}
#
# Needs root (apt-get, dockerd). Prints one line per step; the engine log is /var/log/mcpgen-dockerd.log.
set -euo pipefail

BASE_IMAGE="${MCPGEN_TEST_BASE_IMAGE:-mcpgen-test-base:bookworm}"
REGISTRY_PORT="${MCPGEN_TEST_REGISTRY_PORT:-5000}"
STATE_DIR="${MCPGEN_PROVISION_DIR:-/var/lib/mcpgen-provision}"
mkdir -p "$STATE_DIR"

say() { echo "==> provision: $*"; }

# The engine's own client: /usr/bin/docker from docker.io (another docker on PATH may be newer or older).
docker_cli() {
  if [ -x /usr/bin/docker ]; then /usr/bin/docker "$@"; else docker "$@"; fi
}

# 1. packages --------------------------------------------------------------------------------------------
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
if [ "${#need[@]}" -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # --no-install-recommends keeps the registry package from pulling in a service we do not use.
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The Debian package may start its own registry service on 0.0.0.0:5000; we run ours on 127.0.0.1.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
    systemctl stop docker-registry || true
  fi
else
  say "packages present"
fi

# 2. engine ----------------------------------------------------------------------------------------------
if docker_cli info >/dev/null 2>&1; then
  say "docker engine answers"
else
  say "starting dockerd --bridge=none --iptables=false"
  nohup dockerd --bridge=none --iptables=false >/var/log/mcpgen-dockerd.log 2>&1 &
  echo $! >"$STATE_DIR/dockerd.pid"
  for _ in $(seq 1 60); do
    docker_cli info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker_cli info >/dev/null 2>&1; then
    echo "dockerd did not answer within 60 s; last log lines:" >&2
    tail -n 20 /var/log/mcpgen-dockerd.log >&2 || true
    exit 1
  fi
  say "docker engine up"
fi

# 3. base image ------------------------------------------------------------------------------------------
if docker_cli image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  say "base image $BASE_IMAGE present"
else
  say "building base image $BASE_IMAGE with debootstrap (about a minute)"
  root="$STATE_DIR/rootfs"
  rm -rf "$root"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root" \
    >"$STATE_DIR/debootstrap.log" 2>&1 || { tail -n 20 "$STATE_DIR/debootstrap.log" >&2; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker_cli import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
  say "base image $BASE_IMAGE imported"
fi

# 4. local registry --------------------------------------------------------------------------------------
registry_up() { python3 - "$REGISTRY_PORT" <<'EOF'
import sys, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/v2/", timeout=2)
except Exception:
    sys.exit(1)
EOF
}
if registry_up; then
  say "registry answers on 127.0.0.1:$REGISTRY_PORT"
else
  say "starting docker-registry on 127.0.0.1:$REGISTRY_PORT"
  mkdir -p "$STATE_DIR/registry"
  cat >"$STATE_DIR/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE_DIR/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
EOF
  nohup /usr/bin/docker-registry serve "$STATE_DIR/registry.yml" >/var/log/mcpgen-registry.log 2>&1 &
  echo $! >"$STATE_DIR/registry.pid"
  for _ in $(seq 1 30); do
    registry_up && break
    sleep 0.5
  done
  registry_up || { echo "registry did not answer; see /var/log/mcpgen-registry.log" >&2; exit 1; }
  say "registry up"
fi
