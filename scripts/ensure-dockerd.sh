#!/usr/bin/env bash
# Makes sure a Docker Engine answers on /var/run/docker.sock, installing Debian's docker.io and starting
# dockerd if needed. A quick no-op when dockerd already answers.
#
#   scripts/ensure-dockerd.sh          # run it
#   source scripts/ensure-dockerd.sh   # from scripts/up.sh and .ci/run: defines ensure_dockerd and the
#                                      # apt/node helpers below without running anything
#
# Environment: DOCKER_SOCK (default /var/run/docker.sock), DOCKERD_LOG (default /var/log/dockerd.log),
# DOCKERD_WAIT_SECONDS (default 60).
#
# Starting: with systemd as init, `systemctl start docker`; otherwise dockerd runs detached (setsid,
# nohup) with its log in $DOCKERD_LOG. Package installs deny service starts through policy-rc.d, so
# that a postinst cannot fail on a machine without an init system; this script starts dockerd itself.
set -euo pipefail

DOCKER_SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
DOCKERD_WAIT_SECONDS=${DOCKERD_WAIT_SECONDS:-60}
# Node.js version docker-cri needs (package.json "engines").
NODE_MIN_VERSION=20.19.0

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() {
  [[ $EUID -eq 0 ]] || die "cannot $1: run as root"
}

# --- apt ---------------------------------------------------------------------------------------------

apt_update_once() {
  [[ -n ${DOCKER_CRI_APT_UPDATED:-} ]] && return 0
  need_root "run apt-get update"
  log "apt-get update"
  apt-get -q -o DPkg::Lock::Timeout=300 update
  export DOCKER_CRI_APT_UPDATED=1
}

# Installs packages (after one apt-get update per run) with service starts denied, see the header.
apt_install() {
  (($# > 0)) || return 0
  need_root "install $*"
  apt_update_once
  log "apt-get install $*"
  local policy=/usr/sbin/policy-rc.d added=""
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    added=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 install --no-install-recommends "$@" || rc=$?
  [[ -z $added ]] || rm -f "$policy"
  ((rc == 0)) || die "apt-get install $* failed (exit $rc)"
}

pkg_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

# Prints, one a line, the packages dockerd needs when it is not installed: docker.io and those of its
# Recommends that matter for running containers (not git or needrestart). Prints nothing when any
# dockerd is present, so a docker-ce installation is left alone.
dockerd_packages() {
  command -v dockerd >/dev/null 2>&1 || printf '%s\n' docker.io apparmor cgroupfs-mount ca-certificates
}

# Prints, one a line, the missing packages the test images need: a static busybox, and gcc with static
# glibc. test_image_packages gcc|build-essential: what to install for a missing gcc (build-essential is
# what scripts/up.sh offers a developer machine; CI takes just gcc and libc6-dev).
test_image_packages() {
  pkg_installed busybox-static || echo busybox-static
  if ! command -v gcc >/dev/null 2>&1; then
    if [[ $1 == build-essential ]]; then echo build-essential; else printf '%s\n' gcc libc6-dev; fi
  elif [[ "$(gcc -print-file-name=libc.a)" != /* ]]; then
    echo libc6-dev
  fi
}

# Prints, one a line, the missing packages the image tests need: a local registry (Debian's
# docker-registry) to push to and pull from, and htpasswd (apache2-utils) for its bcrypt password file.
registry_test_packages() {
  pkg_installed docker-registry || echo docker-registry
  command -v htpasswd >/dev/null 2>&1 || echo apache2-utils
}

# Prints, one a line, the missing packages pod networking needs: Debian's CNI plugins (bridge, host-local,
# loopback, portmap, firewall in /usr/lib/cni) for --network-plugin=cni/kubenet and the network tests,
# iproute2 (ip netns) and iptables (kubenet's masquerade and forward rules).
network_packages() {
  pkg_installed containernetworking-plugins || echo containernetworking-plugins
  command -v ip >/dev/null 2>&1 || echo iproute2
  command -v iptables >/dev/null 2>&1 || echo iptables
}

# --- node --------------------------------------------------------------------------------------------

version_at_least() { # version_at_least HAVE WANT
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

# Makes sure node ≥ NODE_MIN_VERSION and npm exist. Installs nodejs/npm with apt only when node is
# missing and the apt candidate is new enough: Debian 12's own nodejs is 18.
ensure_node() {
  if ! command -v node >/dev/null 2>&1; then
    apt_update_once
    local candidate
    candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ { print $2 }')
    candidate=${candidate#*:}
    if [[ -n $candidate && $candidate != "(none)" ]] && version_at_least "${candidate%%[-+~]*}" "$NODE_MIN_VERSION"; then
      local pkgs=(nodejs)
      # NodeSource's nodejs bundles npm; Debian's does not.
      apt-cache show "nodejs=$candidate" 2>/dev/null | grep -q '^Provides:.*\bnpm\b' || pkgs+=(npm)
      apt_install "${pkgs[@]}"
    else
      die "Node.js is not installed, and apt offers nodejs ${candidate:-none} (Debian 12 ships 18); docker-cri needs Node.js >= $NODE_MIN_VERSION.
  Install Node.js 20 or 22 (https://nodejs.org/en/download, or NodeSource's Debian repository), then run this again."
    fi
  fi
  local have
  have=$(node -p 'process.versions.node')
  version_at_least "$have" "$NODE_MIN_VERSION" ||
    die "node $(command -v node) is v$have; docker-cri needs Node.js >= $NODE_MIN_VERSION (Debian 12's nodejs package is 18).
  Install Node.js 20 or 22 (https://nodejs.org/en/download, or NodeSource's Debian repository) ahead of it in PATH, then run this again."
  command -v npm >/dev/null 2>&1 || apt_install npm
}

# --- dockerd -----------------------------------------------------------------------------------------

docker_answers() {
  [[ -S $DOCKER_SOCK ]] || return 1
  if command -v curl >/dev/null 2>&1; then
    [[ "$(curl -s --max-time 5 --unix-socket "$DOCKER_SOCK" http://localhost/_ping 2>/dev/null || true)" == OK ]]
  elif command -v docker >/dev/null 2>&1; then
    timeout 10 docker -H "unix://$DOCKER_SOCK" version >/dev/null 2>&1
  else
    return 1
  fi
}

# wait_for_docker [PID]: waits up to DOCKERD_WAIT_SECONDS; fails early if PID (the dockerd we started) dies.
wait_for_docker() {
  local pid=${1:-} deadline=$((SECONDS + DOCKERD_WAIT_SECONDS))
  while ((SECONDS < deadline)); do
    docker_answers && return 0
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      log "dockerd (pid $pid) exited"
      return 1
    fi
    sleep 0.5
  done
  log "dockerd did not answer on $DOCKER_SOCK within $DOCKERD_WAIT_SECONDS s"
  return 1
}

print_log_tail() {
  [[ -f $1 ]] || return 0
  log "last lines of $1:"
  tail -n "${2:-40}" "$1" >&2 || true
}

start_dockerd_detached() {
  local pidfile=/var/run/docker.pid
  if [[ -f $pidfile ]]; then
    local old
    old=$(cat "$pidfile" 2>/dev/null || true)
    if [[ -n $old ]] && kill -0 "$old" 2>/dev/null; then
      log "dockerd (pid $old) is running but not answering yet; waiting for it"
      wait_for_docker "$old" && return 0
      print_log_tail "$DOCKERD_LOG"
      die "dockerd (pid $old) does not answer on $DOCKER_SOCK"
    fi
    rm -f "$pidfile" # stale: dockerd refuses to start while it exists
  fi
  # Without systemd nobody mounts the cgroup v1 hierarchies; Debian's init script runs this too.
  if command -v cgroupfs-mount >/dev/null 2>&1 && ! mountpoint -q /sys/fs/cgroup; then
    cgroupfs-mount || log "cgroupfs-mount failed; starting dockerd anyway"
  fi
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  printf '\n=== dockerd started by %s at %s\n' "$0" "$(date -Is)" >>"$DOCKERD_LOG"
  log "starting dockerd in the background, log in $DOCKERD_LOG"
  local launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  nohup "${launcher[@]}" dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  local pid=$!
  if ! wait_for_docker "$pid"; then
    print_log_tail "$DOCKERD_LOG"
    die "could not start dockerd"
  fi
  log "dockerd (pid $pid) answers on $DOCKER_SOCK"
}

ensure_dockerd() {
  if docker_answers; then
    log "dockerd answers on $DOCKER_SOCK"
    return 0
  fi
  # shellcheck disable=SC2046 # word splitting of the package list is intended
  apt_install $(dockerd_packages)
  docker_answers && return 0
  need_root "start dockerd"
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    log "starting docker with systemctl"
    systemctl start docker || log "systemctl start docker failed"
    if ! wait_for_docker; then
      journalctl -u docker -n 40 --no-pager >&2 || true
      die "could not start docker.service"
    fi
    log "dockerd answers on $DOCKER_SOCK"
  else
    start_dockerd_detached
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  ensure_dockerd
fi
