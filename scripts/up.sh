#!/usr/bin/env bash
# Quick start on a Debian 12 machine, as root: installs what is missing, makes sure dockerd runs, builds
# docker-cri and starts it in the background.
#
#   scripts/up.sh [docker-cri flags...]     e.g. scripts/up.sh --log-level=debug
#
# Without a --network-plugin flag it adds --network-plugin= (Docker's bridge networking), so the node is
# network-ready without a CNI configuration.
# Installs with apt only what is missing: docker.io (unless some dockerd exists), busybox-static and a C
# toolchain (for the test images), containernetworking-plugins (CNI/kubenet and the network tests),
# nodejs/npm only when node is missing and apt offers ≥ 20.19.
# Then: npm ci (skipped when node_modules is already current) and npm run build; stops the docker-cri
# this script started before (pid file), starts the new one with nohup and waits until its socket
# accepts connections. Re-running it is harmless: it replaces the running docker-cri.
#
# Environment: DOCKER_CRI_LOG (default /var/log/docker-cri.log), DOCKER_CRI_PIDFILE (default
# /run/docker-cri.pid), DOCKER_CRI_WAIT_SECONDS (default 30), plus those of scripts/ensure-dockerd.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=ensure-dockerd.sh source-path=SCRIPTDIR
source "$ROOT/scripts/ensure-dockerd.sh"

CRI_LOG=${DOCKER_CRI_LOG:-/var/log/docker-cri.log}
CRI_PIDFILE=${DOCKER_CRI_PIDFILE:-/run/docker-cri.pid}
CRI_WAIT_SECONDS=${DOCKER_CRI_WAIT_SECONDS:-30}
CRI_MAIN=dist/src/main.js
LOCAL_PAUSE_IMAGE=docker-cri/pause:local

# True when GET $1 on the Docker API answers 2xx.
docker_api_ok() {
  node -e '
    const req = require("node:http").get({ socketPath: "/var/run/docker.sock", path: process.argv[1] }, (res) => {
      res.resume();
      process.exit(res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1);
    });
    req.on("error", () => process.exit(1));
  ' "$1" 2>/dev/null
}

# The socket docker-cri will serve: its --container-runtime-endpoint flag if given, else the default.
cri_socket() {
  local endpoint=unix:///run/docker-cri.sock
  while (($# > 0)); do
    case $1 in
      --container-runtime-endpoint=*) endpoint=${1#*=} ;;
      --container-runtime-endpoint) endpoint=${2:-}; shift ;;
    esac
    shift
  done
  case $endpoint in
    fd://*) echo "" ;; # socket activation: no path of ours to wait for
    unix://*) echo "${endpoint#unix://}" ;;
    *) echo "$endpoint" ;;
  esac
}

# True when something accepts connections on the unix socket $1 (a leftover socket file does not).
socket_answers() {
  [[ -S $1 ]] || return 1
  node -e '
    const s = require("node:net").connect(process.argv[1]);
    s.on("connect", () => { s.destroy(); process.exit(0); });
    s.on("error", () => process.exit(1));
  ' "$1" 2>/dev/null
}

# True while process $1 exists and is not a zombie (an orphan may wait a while for init to reap it).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# Stops the docker-cri recorded in the pid file, if it is still that process.
stop_previous() {
  [[ -f $CRI_PIDFILE ]] || return 0
  local pid
  pid=$(cat "$CRI_PIDFILE" 2>/dev/null || true)
  # Guard against a recycled pid: only signal a node process running our entry point.
  if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$CRI_MAIN"; then
    log "stopping the previous docker-cri (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 150; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      log "docker-cri (pid $pid) did not stop within 15 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
  fi
  rm -f "$CRI_PIDFILE"
}

main() {
  need_root "run $0 (it installs packages, and writes $CRI_LOG and $CRI_PIDFILE)"
  cd "$ROOT"

  local pkgs=()
  mapfile -t pkgs < <(dockerd_packages; test_image_packages build-essential; registry_test_packages; network_packages)
  ((${#pkgs[@]} == 0)) || apt_install "${pkgs[@]}"
  ensure_node
  ensure_dockerd

  if [[ -f package-lock.json ]]; then
    # npm keeps node_modules/.package-lock.json current; when it is newer than both manifests, npm ci
    # would reinstall the same tree.
    if [[ node_modules/.package-lock.json -nt package-lock.json && node_modules/.package-lock.json -nt package.json ]]; then
      log "node_modules is up to date; skipping npm ci"
    else
      log "npm ci"
      npm ci --no-audit --no-fund
    fi
  else
    log "npm install (no package-lock.json)"
    npm install --no-audit --no-fund
  fi
  log "npm run build"
  npm run build
  [[ -f $CRI_MAIN ]] || die "the build did not produce $CRI_MAIN"

  # Docker's own bridge networking unless the caller picks a plugin: a fresh node has no CNI config, and
  # docker-cri's default (cni, as cri-dockerd's) would report the network not ready.
  local args=("$@") arg plugin_given=""
  for arg in "$@"; do
    [[ $arg == --network-plugin || $arg == --network-plugin=* ]] && plugin_given=1
  done
  [[ -n $plugin_given ]] || args+=(--network-plugin=)

  # The pause image: these machines cannot reach registry.k8s.io, so unless the caller names a pause
  # image, or the default one is already in Docker, build a local one (test/kit/pause/pause.c: static,
  # exits on SIGTERM, reaps children) and use it.
  local infra_given=""
  for arg in "$@"; do
    [[ $arg == --pod-infra-container-image || $arg == --pod-infra-container-image=* ]] && infra_given=1
  done
  if [[ -z $infra_given ]] && ! docker_api_ok "/images/registry.k8s.io/pause:3.10/json"; then
    log "registry.k8s.io/pause:3.10 is not in Docker; building the local pause image $LOCAL_PAUSE_IMAGE"
    node --import tsx -e "import('./test/kit/images.ts').then((m) => m.ensureTestImages({ refs: { pause: '$LOCAL_PAUSE_IMAGE' } }))" ||
      die "could not build the local pause image"
    args+=(--pod-infra-container-image="$LOCAL_PAUSE_IMAGE")
  fi
  set -- "${args[@]}"

  stop_previous
  local sock
  sock=$(cri_socket "$@")
  if [[ -n $sock ]] && socket_answers "$sock"; then
    die "something else already serves $sock (not the docker-cri of $CRI_PIDFILE); stop it first"
  fi

  mkdir -p "$(dirname "$CRI_LOG")" "$(dirname "$CRI_PIDFILE")"
  touch "$CRI_LOG"
  local offset
  offset=$(stat -c %s "$CRI_LOG")
  printf '\n=== docker-cri started by %s at %s: node %s %s\n' "$0" "$(date -Is)" "$CRI_MAIN" "$*" >>"$CRI_LOG"
  log "starting docker-cri, log in $CRI_LOG"
  # The heap setting of packaging/systemd/docker-cri.service (docs/operations.md, "Heap"; figures in bench/results.md).
  nohup node --enable-source-maps --max-semi-space-size=1 "$CRI_MAIN" "$@" >>"$CRI_LOG" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$CRI_PIDFILE"

  local deadline=$((SECONDS + CRI_WAIT_SECONDS))
  while :; do
    if ! alive "$pid"; then
      rm -f "$CRI_PIDFILE"
      log "docker-cri (pid $pid) exited; its log since start:"
      tail -c +"$((offset + 1))" "$CRI_LOG" | tail -n 40 >&2
      die "docker-cri did not start"
    fi
    if [[ -z $sock ]]; then
      # Socket activation: no path to probe; being alive after a moment is all we can check.
      sleep 2
      alive "$pid" && break
      continue
    fi
    socket_answers "$sock" && break
    if ((SECONDS >= deadline)); then
      log "docker-cri (pid $pid) does not answer on $sock after $CRI_WAIT_SECONDS s; its log since start:"
      tail -c +"$((offset + 1))" "$CRI_LOG" | tail -n 40 >&2
      die "docker-cri did not start (still running as pid $pid; stop it with: kill $pid)"
    fi
    sleep 0.2
  done
  log "docker-cri (pid $pid) is up${sock:+ on unix://$sock}; log in $CRI_LOG, pid in $CRI_PIDFILE"
}

main "$@"
