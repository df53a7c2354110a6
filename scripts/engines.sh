#!/usr/bin/env bash
# Newer Docker Engines for `npm run test:engines`, from Debian's own archive, installed nowhere:
#
#   scripts/engines.sh fetch     # download and unpack them (idempotent), print their versions
#   scripts/engines.sh versions  # print the versions already unpacked
#
# For each suite (trixie: docker.io 26.1 with containerd 1.7; sid: docker.io 28.x with containerd 2.x)
# a private apt configuration (its own sources.list, lists, cache and an empty dpkg status, so the
# host's apt state is never read or written) runs `apt-get update` and `apt-get download docker.io
# containerd`; the .debs are unpacked with `dpkg-deb -x` into
# ${DOCKER_CRI_ENGINES_DIR:-/var/cache/docker-cri/engines}/<suite>/root, and <suite>/bin gets symlinks
# to dockerd, docker-proxy, containerd, containerd-shim-runc-v2, ctr and docker-init there. Their own
# runc needs glibc 2.38 (Debian 12 has 2.36), so bin/runc points at the host's runc (Debian 12's
# runc package, which the system docker.io depends on; installed here if missing). Put bin first on
# PATH and dockerd starts its managed containerd from there (test/kit/private-dockerd.ts does).
#
# The mirror is the one the host's apt sources use for Debian (deb.debian.org if none is found).
# A suite whose unpacked versions equal the archive's candidates is left as it is; when the archive
# cannot be reached, an already unpacked suite is kept with a warning.
#
# Environment: DOCKER_CRI_ENGINES_DIR, DOCKER_CRI_ENGINE_SUITES (default "trixie sid"),
# DOCKER_CRI_ENGINES_NET_TIMEOUT (seconds per network step, default 300).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=ensure-dockerd.sh source-path=SCRIPTDIR
source "$HERE/ensure-dockerd.sh"

ENGINES_DIR=${DOCKER_CRI_ENGINES_DIR:-/var/cache/docker-cri/engines}
SUITES=${DOCKER_CRI_ENGINE_SUITES:-trixie sid}
NET_TIMEOUT=${DOCKER_CRI_ENGINES_NET_TIMEOUT:-300}
PACKAGES=(docker.io containerd)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# The Debian mirror of the host's apt sources: the URI of a deb822 stanza or a one-line entry that
# serves bookworm (not -security), else deb.debian.org.
debian_mirror() {
  local uri=""
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk '
      /^[[:space:]]*$/ { if (u != "" && s ~ /(^|[[:space:]])bookworm([[:space:]]|$)/) { print u; exit } u = ""; s = ""; next }
      /^URIs:/ { u = $2 }
      /^Suites:/ { $1 = ""; s = $0 }
      END { if (u != "" && s ~ /(^|[[:space:]])bookworm([[:space:]]|$)/) print u }
    ' "$f" | head -n1)
    [[ -z $uri ]] || break
  done
  if [[ -z $uri ]]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -f $f ]] || continue
      uri=$(sed -E 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }')
      [[ -z $uri ]] || break
    done
  fi
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# write_apt_config SUITE MIRROR: the private apt configuration of one suite, under <suite>/apt.
write_apt_config() {
  local suite=$1 mirror=$2 apt="$ENGINES_DIR/$1/apt"
  mkdir -p "$apt/etc/sources.list.d" "$apt/etc/preferences.d" "$apt/state/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
  printf 'deb [signed-by=%s] %s %s main\n' "$KEYRING" "$mirror" "$suite" >"$apt/etc/sources.list"
  : >"$apt/etc/preferences"
  [[ -f $apt/state/status ]] || : >"$apt/state/status"
  cat >"$apt/apt.conf" <<EOF
Dir::State "$apt/state";
Dir::State::status "$apt/state/status";
Dir::Cache "$apt/cache";
Dir::Etc::SourceList "$apt/etc/sources.list";
Dir::Etc::SourceParts "$apt/etc/sources.list.d";
Dir::Etc::Preferences "$apt/etc/preferences";
Dir::Etc::PreferencesParts "$apt/etc/preferences.d";
APT::Architecture "$(dpkg --print-architecture)";
APT::Sandbox::User "root";
Acquire::Languages "none";
EOF
}

# The unpacked version of a package of SUITE ("" if none), from <suite>/versions.
unpacked_version() {
  local file="$ENGINES_DIR/$1/versions"
  [[ -f $file ]] || return 0
  awk -v p="$2" '$1 == p { print $2 }' "$file"
}

fetch_suite() {
  local suite=$1 mirror=$2 dir="$ENGINES_DIR/$1"
  local apt="$dir/apt"
  write_apt_config "$suite" "$mirror"
  export APT_CONFIG="$apt/apt.conf"
  log "$suite: apt-get update ($mirror)"
  if ! timeout --kill-after=10s "$NET_TIMEOUT" apt-get -q -o DPkg::Lock::Timeout=60 update >"$apt/update.log" 2>&1; then
    unset APT_CONFIG
    if [[ -x $dir/bin/dockerd ]]; then
      log "warning: $suite: apt-get update failed (see $apt/update.log); keeping the unpacked $(unpacked_version "$suite" docker.io)"
      return 0
    fi
    cat "$apt/update.log" >&2
    die "$suite: apt-get update failed and nothing is unpacked yet"
  fi
  local pkg candidate wanted=() stale=""
  for pkg in "${PACKAGES[@]}"; do
    candidate=$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')
    [[ -n $candidate && $candidate != "(none)" ]] || die "$suite: the archive has no $pkg"
    wanted+=("$pkg=$candidate")
    [[ "$(unpacked_version "$suite" "$pkg")" == "$candidate" ]] || stale=1
  done
  if [[ -z $stale && -x $dir/bin/dockerd ]]; then
    unset APT_CONFIG
    log "$suite: ${wanted[*]} already unpacked"
    return 0
  fi
  log "$suite: apt-get download ${wanted[*]}"
  rm -f "$apt/debs/"*.deb
  (cd "$apt/debs" && timeout --kill-after=10s "$NET_TIMEOUT" apt-get -q download "${wanted[@]}") ||
    die "$suite: apt-get download ${wanted[*]} failed"
  unset APT_CONFIG
  # Unpack beside the old root and swap, so that an interrupted run leaves the previous one whole.
  rm -rf "$dir/root.new"
  mkdir -p "$dir/root.new"
  local deb
  for deb in "$apt/debs/"*.deb; do dpkg-deb -x "$deb" "$dir/root.new"; done
  rm -rf "$dir/root.old"
  [[ ! -e $dir/root ]] || mv "$dir/root" "$dir/root.old"
  mv "$dir/root.new" "$dir/root"
  rm -rf "$dir/root.old"
  make_bin "$suite"
  printf '%s\n' "${wanted[@]}" | tr '=' ' ' >"$dir/versions"
}

# <suite>/bin: the engine's binaries, and runc -> the host's runc.
make_bin() {
  local dir="$ENGINES_DIR/$1" name path
  rm -rf "$dir/bin"
  mkdir -p "$dir/bin"
  for name in dockerd docker-proxy containerd containerd-shim-runc-v2 ctr; do
    path=$(engine_binary "$dir" "$name")
    [[ -n $path ]] || die "$1: $name is not in the unpacked packages"
    ln -s "$path" "$dir/bin/$name"
  done
  # docker-init (for `--init`) is a link to tini-static of the tini package, which is not fetched:
  # the host's docker-init serves, as runc does.
  path=$(engine_binary "$dir" docker-init)
  [[ -n $path ]] || path=$(PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin command -v docker-init || true)
  [[ -z $path ]] || ln -s "$path" "$dir/bin/docker-init"
  ln -s "$(host_runc)" "$dir/bin/runc"
}

# engine_binary DIR NAME: the path of an executable NAME in DIR/root that resolves ("" if none).
engine_binary() {
  local d
  for d in usr/sbin usr/bin usr/libexec/docker; do
    [[ -x $1/root/$d/$2 ]] && { printf '%s\n' "$1/root/$d/$2"; return 0; }
  done
  return 0
}

host_runc() {
  local runc
  runc=$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v runc || true)
  [[ -n $runc ]] || die "no runc on this host"
  printf '%s\n' "$runc"
}

ensure_host_runc() {
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v runc >/dev/null 2>&1 || apt_install runc
}

print_versions() {
  local suite dir
  for suite in $SUITES; do
    dir="$ENGINES_DIR/$suite"
    if [[ ! -x $dir/bin/dockerd ]]; then
      printf '%-8s not fetched (scripts/engines.sh fetch)\n' "$suite"
      continue
    fi
    printf '%-8s %s; %s; runc %s (host)\n' "$suite" \
      "$("$dir/bin/dockerd" --version)" \
      "$("$dir/bin/containerd" --version | awk '{ print "containerd " $3 }')" \
      "$("$dir/bin/runc" --version | awk 'NR == 1 { print $3 }')"
  done
}

main() {
  case ${1:-} in
    fetch)
      need_root "fetch the engines (dpkg-deb keeps file owners)"
      ensure_host_runc
      mkdir -p "$ENGINES_DIR"
      exec 9>"$ENGINES_DIR/.lock"
      flock -w 600 9 || die "another scripts/engines.sh holds $ENGINES_DIR/.lock"
      local mirror suite
      mirror=$(debian_mirror)
      for suite in $SUITES; do fetch_suite "$suite" "$mirror"; done
      # A host runc installed or moved since the last fetch: keep the links right.
      for suite in $SUITES; do ln -sfn "$(host_runc)" "$ENGINES_DIR/$suite/bin/runc"; done
      print_versions
      ;;
    versions) print_versions ;;
    *)
      printf 'usage: %s fetch|versions\n' "$0" >&2
      exit 2
      ;;
  esac
}

main "$@"
