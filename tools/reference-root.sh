#!/usr/bin/env bash
# The reference root: a Debian 13 (trixie) system in a cache folder, with libtorch 2.6,
# PyTorch 2.6, ONNX Runtime 1.21, OpenBLAS and what .NET needs, for building and testing the
# engine against a current libtorch and benchmarking against a current PyTorch. Debian 12 cannot
# install trixie's packages (their C++ runtime needs glibc 2.38); a root made by mmdebstrap can.
#
#   tools/reference-root.sh build          make the root (idempotent: nothing to do when it is current)
#   tools/reference-root.sh run CMD ...    run CMD inside it, in this repository's folder
#   tools/reference-root.sh shell          an interactive shell inside it
#   tools/reference-root.sh test [--filter F]  the engine's and host's tests on libtorch 2.6 (a copy
#                                          of the working tree, built inside the root; see below)
#   tools/reference-root.sh path           print the root's folder
#
# Where: $REPLAB_REFERENCE_ROOT, else ${XDG_CACHE_HOME:-~/.cache}/replab/trixie-root. The Debian
# mirror: $REPLAB_DEBIAN_MIRROR, else the first one this machine's apt sources name.
# `run` binds in the repository (at its own path), the .NET SDK and NuGet's package folders, the
# Fashion-MNIST files, /proc, /dev and /sys, in a private mount namespace: nothing stays mounted
# after the command, whatever way it ends. Needs root (mounts, chroot).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$(realpath -m -- "${REPLAB_REFERENCE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/replab/trixie-root}")"
case "$cache" in /|"$repo"|"$repo"/*) echo "reference-root: REPLAB_REFERENCE_ROOT cannot be $cache" >&2; exit 2 ;; esac
rootfs="$cache/rootfs"
suite=trixie
# libtorch-dev pulls libtorch2.6; without libopenblas0-pthread apt would pick the reference BLAS.
# libicu76 and libssl3t64: what the .NET runtime loads. libpng16-16t64 and libturbojpeg0: the
# image readers. libgloo-dev: the c10d headers. python3-torch and python3-onnxruntime: the peers;
# python3-onnx: the export tests' checker (with python3-torch: the exports against PyTorch 2.6).
# git, procps and mount: what the tests call (the file-system fault tests make bind mounts).
packages=(libtorch-dev libopenblas0-pthread python3-torch python3-onnxruntime python3-onnx g++ cmake make
  libgloo-dev libicu76 libssl3t64 libpng16-16t64 libturbojpeg0 ca-certificates git procps mount)

log() { printf '\033[2m[reference-root] %s\033[0m\n' "$*" >&2; }
die() { printf 'reference-root: %s\n' "$1" >&2; exit "${2:-1}"; }

mirror() {
  if [ -n "${REPLAB_DEBIAN_MIRROR:-}" ]; then echo "$REPLAB_DEBIAN_MIRROR"; return; fi
  local m
  m="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -nE 's/^URIs:[[:space:]]*([^[:space:]]+).*/\1/p' | grep -v security | head -1)"
  [ -n "$m" ] || m="$(sed -nE 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+[a-z]+[[:space:]].*/\2/p' /etc/apt/sources.list 2>/dev/null | grep -v security | head -1)"
  echo "${m:-http://deb.debian.org/debian}"
}

# What the root was made from: a change to the package list (or the suite) rebuilds it.
recipe() { printf '%s\n' "$suite" "${packages[@]}" | sha256sum | cut -c1-16; }

need_root() { [ "$(id -u)" -eq 0 ] || die "needs root (it mounts and chroots); run it with sudo" 2; }

# One user of the cache at a time (a build must not replace a root another command is inside). The
# lock is this script's own: the commands it starts get no copy of it (9>&- below), so a process
# they leave behind cannot hold it.
lock() { mkdir -p "$cache"; exec 9>"$cache/lock"; flock 9; }

build() {
  local want; want="$(recipe)"
  if [ -f "$cache/recipe" ] && [ "$(cat "$cache/recipe")" = "$want" ] && [ -x "$rootfs/usr/bin/python3" ]; then
    return 0
  fi
  local m why; m="$(mirror)"
  # A clear word when the mirror is out of reach, before mmdebstrap's own pages of apt errors.
  why="$(python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=20).read(1)' \
      "$m/dists/$suite/Release" 2>&1 | tail -n 1)" ||
    die "the Debian mirror $m cannot be reached (tried $m/dists/$suite/Release: ${why:-no answer}); set REPLAB_DEBIAN_MIRROR to one that serves $suite" 1
  need_root
  command -v mmdebstrap >/dev/null || {
    log "installing mmdebstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
  }
  log "making a Debian $suite root in $cache from $m (about 1.9 GB, a minute or two)"
  lock
  rm -rf --one-file-system "$cache/rootfs.partial"
  local started=$SECONDS
  # Into a side folder, renamed when complete: an interrupted build never looks like a root.
  if ! mmdebstrap --quiet --variant=apt --include="$(IFS=,; echo "${packages[*]}")" \
      "$suite" "$cache/rootfs.partial" "$m" >"$cache/build.log" 2>&1 9>&-; then
    tail -n 20 "$cache/build.log" >&2
    die "mmdebstrap failed (the whole log: $cache/build.log)"
  fi
  rm -rf --one-file-system "$rootfs"
  mv "$cache/rootfs.partial" "$rootfs"
  echo "$want" >"$cache/recipe"
  log "root made in $((SECONDS - started)) s: $(du -sh "$rootfs" | cut -f1)"
}

# Bind a host path at the same path inside the root (read-only with "ro").
bind() { # path [ro]
  [ -e "$1" ] || return 0
  if [ -d "$1" ]; then mkdir -p "$rootfs$1"; else mkdir -p "$(dirname "$rootfs$1")"; touch "$rootfs$1"; fi
  mount --bind "$1" "$rootfs$1"
  [ "${2:-}" = ro ] && mount -o remount,bind,ro "$rootfs$1"
  return 0
}

# Run a command inside the root, in folder $1, in a private mount namespace (the mounts end with it).
enter() { # dir cmd...
  need_root
  [ -x "$rootfs/usr/bin/python3" ] || die "no root at $rootfs yet: tools/reference-root.sh build makes it" 2
  local dir="$1"; shift
  [ "$dir" != / ] || die "run it from a folder other than / (that folder is bound into the root)" 2
  local dotnet_dir=""
  if command -v dotnet >/dev/null; then dotnet_dir="$(dirname "$(readlink -f "$(command -v dotnet)")")"; fi
  REF_ROOTFS="$rootfs" REF_DIR="$dir" REF_DOTNET="$dotnet_dir" REF_REPO="$repo" REF_CACHE="$cache" \
    unshare --mount --propagation private -- bash -c '
    set -euo pipefail
    source "$REF_REPO/tools/reference-root.sh" --functions
    rootfs="$REF_ROOTFS"
    mount -t proc proc "$rootfs/proc"          # PyTorch reads the CPU from /proc
    mount --rbind /dev "$rootfs/dev"
    mount --rbind /sys "$rootfs/sys"
    mount -t tmpfs tmpfs "$rootfs/tmp"
    mount -t tmpfs tmpfs "$rootfs/dev/shm"
    cp --remove-destination /etc/resolv.conf "$rootfs/etc/resolv.conf" 2>/dev/null || true
    bind "$REF_REPO"
    [ "$REF_DIR" = "$REF_REPO" ] || bind "$REF_DIR"
    [ -z "$REF_DOTNET" ] || bind "$REF_DOTNET" ro
    bind "$HOME/.nuget"
    bind /opt/nuget ro
    bind /usr/share/datasets ro
    exec chroot "$rootfs" /usr/bin/env -i HOME="$HOME" TERM="${TERM:-dumb}" LANG=C.UTF-8 \
      PATH="${REF_DOTNET:+$REF_DOTNET:}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      ${REF_DOTNET:+DOTNET_ROOT="$REF_DOTNET"} DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
      DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 NUGET_CERT_REVOCATION_MODE=offline CI="${CI:-}" \
      PYTHONDONTWRITEBYTECODE=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false \
      REPLAB_IN_REFERENCE_ROOT="debian-13" \
      ${OMP_NUM_THREADS:+OMP_NUM_THREADS="$OMP_NUM_THREADS"} \
      bash -c "cd \"\$0\" && exec \"\$@\"" "$REF_DIR" "$@"
  ' -- "$@" 9>&-
}

# The working tree (tracked and untracked files git does not ignore) copied to the cache, so the
# root's build (libtorch 2.6's shim, its own bin and obj folders) never touches this checkout's
# Debian 12 build. Files removed from the tree are removed from the copy; build outputs stay, so
# a second run builds incrementally.
sync_copy() {
  local dest="$1"
  mkdir -p "$dest"
  local list; list="$(mktemp)"
  # Tracked and untracked files that are there (a tracked file deleted from the tree is left out).
  (cd "$repo" && git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
    if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi; done) >"$list"
  (cd "$dest" && find . -path ./.git -prune -o \( -name bin -o -name obj -o -name build -o -name TestResults \) -prune -o \( -type f -o -type l \) -printf '%P\0') |
    sort -z | comm -z -23 - <(sort -z "$list") | (cd "$dest" && xargs -0 -r rm -f)
  (cd "$repo" && tar --null -T "$list" -cf -) | (cd "$dest" && tar -xf -)
  rm -f "$list"
  # A git repository at the same commit: runs record their source commit (mlflow.source.git.commit).
  rm -rf "$dest/.git" "$cache/git.partial"
  git clone -q --no-checkout "$repo" "$cache/git.partial"
  git -C "$cache/git.partial" update-ref --no-deref HEAD "$(git -C "$repo" rev-parse HEAD)"
  mv "$cache/git.partial/.git" "$dest/.git"
  git -C "$dest" read-tree HEAD
  rm -rf "$cache/git.partial"
}

# The Debian 12 stage keeps what needs this machine's services: the real Slurm cluster and the
# real MLflow server are started there (tests/slurm, ../shared/mlflow-server).
test_in_root() {
  build
  lock
  local copy="$cache/src"
  sync_copy "$copy"
  local filter="FullyQualifiedName!~.Executors.Slurm.&DisplayName!~executor/slurm&Category!=RealMlflow&Category!=Templates"
  # test --filter F: F within that selection.
  if [ "${1:-}" = --filter ] && [ $# -ge 2 ]; then filter="($filter)&($2)"; shift 2; fi
  log "building a copy of the working tree in $copy"
  enter "$copy" ./replab build
  # Which libtorch the shim the tests load was linked against (its CMake cache and the loader's word).
  enter "$copy" bash -c 'echo "shim: $(sed -nE "s/^Torch_DIR:PATH=//p" engine/native/build/CMakeCache.txt), $(ldd engine/native/build/libreplab_torch.so | grep -oE "libtorch_cpu[^ ]* => [^ ]*")"' |
    sed 's/^/[reference-root] /' >&2
  enter "$copy" ./replab test --filter "$filter" "$@"
}

[ "${1:-}" = "--functions" ] && return 0

case "${1:-}" in
  build) build ;;
  run) shift; [ $# -gt 0 ] || die "run: which command?" 2; build; enter "$PWD" "$@" ;;
  shell) build; enter "$PWD" bash ;;
  test) shift; test_in_root "$@" ;;
  path) echo "$rootfs" ;;
  *) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
