#!/usr/bin/env bash
# Makes a Docker engine reachable for the Docker tests, and builds their image.
#
# Idempotent: when `docker info` already works it starts nothing; when the test
# image exists it builds nothing. Never fails the test command: when no engine can
# be started (no root, no package, no privileges) it says why and exits 0, and the
# Docker tests then skip with the reason.
#
# The engine runs with --bridge=none: containers get no private 172.17.x addresses,
# only --network host (loopback). No registry is reachable, so the image is made
# with `docker import` from a tar of the few host /usr libraries and binaries that
# the vLLM venv and its Python need; the venv, the Python install and the model are
# bind-mounted read-only when a container runs (see tests/docker/conftest.py).
set -uo pipefail
cd "$(dirname "$0")/.."

IMAGE="${VLMCONSOLE_DOCKER_IMAGE:-vlmconsole-test/vllm-cpu:0.32.0}"
CACHE="${VLMCONSOLE_CACHE:-$HOME/.cache/vlmconsole}"
VENV="$CACHE/vllm-venv"
DOCKERD_LOG="${VLMCONSOLE_DOCKERD_LOG:-$CACHE/dockerd.log}"
START_TIMEOUT_S=60

say() { printf 'setup_docker: %s\n' "$*"; }
give_up() {
  say "$*"
  say "no Docker engine: the Docker tests will skip"
  exit 0
}

engine_up() { docker info >/dev/null 2>&1; }

start_engine() {
  if [[ -n "${DOCKER_HOST:-}" && "$DOCKER_HOST" != unix:///var/run/docker.sock ]]; then
    give_up "DOCKER_HOST=$DOCKER_HOST does not answer; not starting a local engine for it"
  fi
  if [[ "$(id -u)" != 0 ]]; then
    give_up "the engine is not running and starting one needs root"
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    say "installing Debian's docker.io (dockerd is missing)"
    command -v apt-get >/dev/null 2>&1 || give_up "no dockerd and no apt-get to install it"
    local apt_log
    apt_log="$(mktemp)"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io; } >"$apt_log" 2>&1; then
      tail -n 5 "$apt_log" | sed 's/^/  apt-get: /'
      rm -f "$apt_log"
      give_up "installing docker.io failed"
    fi
    rm -f "$apt_log"
  fi
  if pgrep -x dockerd >/dev/null 2>&1; then
    say "dockerd is already starting; waiting for it"
  else
    # A pid file left by a dockerd that died would stop the new one from starting.
    for pidfile in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
      if [[ -f "$pidfile" ]] && ! kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; then
        rm -f "$pidfile"
      fi
    done
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    say "starting dockerd --bridge=none (log: $DOCKERD_LOG)"
    setsid nohup dockerd --bridge=none --iptables=false --ip-masq=false \
      >"$DOCKERD_LOG" 2>&1 </dev/null &
  fi
  local waited=0
  until engine_up; do
    if ((waited >= START_TIMEOUT_S)); then
      tail -n 5 "$DOCKERD_LOG" 2>/dev/null | sed 's/^/  dockerd: /'
      give_up "dockerd did not answer within ${START_TIMEOUT_S} s"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  say "engine up after ${waited} s"
}

# Prints the host files the image needs: the shared libraries that the Python
# install and every extension module of the vLLM venv link to (closure by ldd),
# a shell and the few tools vLLM calls (lscpu through `sh -c`), with their libraries.
image_files() {
  local python_home="$1"
  local tools=(sh bash env cat ls sleep uname nproc id lscpu ldconfig)
  local bins=()
  for tool in "${tools[@]}"; do
    local found
    found="$(PATH=/usr/bin:/usr/sbin command -v "$tool" 2>/dev/null)" && bins+=("$found")
  done
  {
    printf '%s\n' "${bins[@]}"
    {
      printf '%s\n' "${bins[@]}" "$python_home/bin/python3"
      find "$python_home/lib" "$VENV/lib" -name '*.so*' -type f 2>/dev/null
    } | xargs -r -d '\n' -n 64 ldd 2>/dev/null |
      grep -o '=> /[^ ]*\|^[[:space:]]*/[^ ]*' | sed 's/^=> //; s/^[[:space:]]*//'
  } | grep -v -e "^$python_home/" -e "^$VENV/" -e "^/root/" | sort -u |
    while read -r path; do
      # Keep both the name the loader asks for and the file it points to.
      for one in "$path" "$(readlink -f "$path")"; do
        one="${one#/}"
        [[ "$one" == usr/* ]] || one="usr/$one"
        [[ -e "/$one" ]] && printf '%s\n' "$one"
      done
    done | sort -u
}

build_image() {
  [[ -x "$VENV/bin/python" ]] || give_up "$VENV is missing: run scripts/setup_vllm_venv.sh first"
  local python_home
  python_home="$(sed -n 's/^home *= *//p' "$VENV/pyvenv.cfg")"
  python_home="${python_home%/bin}"
  [[ -d "$python_home" ]] || give_up "the venv's Python ($python_home) is missing"
  local stage
  stage="$(mktemp -d)"
  trap 'rm -rf "$stage"' RETURN
  mkdir -p "$stage"/{etc,root,tmp,proc,sys,dev,usr/bin,usr/sbin,usr/lib/x86_64-linux-gnu,usr/lib64}
  chmod 1777 "$stage/tmp"
  ln -s usr/bin "$stage/bin"
  ln -s usr/lib "$stage/lib"
  ln -s usr/lib64 "$stage/lib64"
  ln -s usr/sbin "$stage/sbin"
  echo "root:x:0:0:root:/root:/bin/bash" >"$stage/etc/passwd"
  echo "root:x:0:" >"$stage/etc/group"
  image_files "$python_home" >"$stage/.files"
  say "building $IMAGE from $(wc -l <"$stage/.files") host files under /usr"
  # python3 is the vLLM venv's, first on PATH, as in vllm/vllm-openai.
  if ! tar -c -C "$stage" bin lib lib64 sbin etc root tmp proc sys dev usr \
    -C / --files-from "$stage/.files" 2>/dev/null |
    docker import \
      --change "ENV PATH=$VENV/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
      --change "ENV HOME=/root" \
      --change 'CMD ["python3", "--version"]' \
      --message "vlmconsole test image: host /usr subset; bind-mount $VENV and $python_home" \
      - "$IMAGE" >/dev/null; then
    give_up "docker import of $IMAGE failed"
  fi
  local check
  check="$(docker run --rm --network host -v "$VENV:$VENV:ro" -v "$python_home:$python_home:ro" \
    "$IMAGE" python3 -c 'import sys; print(sys.prefix)' 2>&1)"
  if [[ "$check" != "$VENV" ]]; then
    docker image rm "$IMAGE" >/dev/null 2>&1
    give_up "python3 does not run in $IMAGE: $check"
  fi
  say "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | numfmt --to=iec))"
}

command -v docker >/dev/null 2>&1 || [[ "$(id -u)" == 0 ]] || give_up "no docker client"
if engine_up; then
  say "engine reachable"
else
  start_engine
fi
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  say "$IMAGE present"
else
  build_image
fi
exit 0
