#!/usr/bin/env bash
# One command on a fresh Debian machine: system packages, npm packages, native addon, TypeScript.
# Idempotent and quick when everything is in place (each step checks before it acts).
#
#   bash scripts/setup.sh            (npm run setup; npm run demo runs it first)
#
# Environment:
#   LOOM_SKIP_APT=1        do not check or install Debian packages (e.g. with LOOM_LIBTORCH set)
#   LOOM_LIBTORCH, LOOM_CXX11_ABI, LOOM_CUDA   passed on to the native build (scripts/build-native.mjs)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# ---- Debian packages -------------------------------------------------------------------------
# libtorch-dev: the tensor engine (skipped when LOOM_LIBTORCH names another libtorch);
# dataset-fashion-mnist: the demo's data; g++ builds the addon (make and python3 let npm build
# better-sqlite3 from source); libopenblas0-openmp replaces the
# reference BLAS that libtorch-dev pulls in by default (several times faster for linear layers and
# 1x1 convolutions; the same libblas.so.3 alternative, so nothing is rebuilt).
need_pkgs=()
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

if [[ "${LOOM_SKIP_APT:-0}" != "1" ]]; then
  if command -v dpkg-query >/dev/null 2>&1; then
    wanted=(dataset-fashion-mnist g++ make python3 libopenblas0-openmp)
    [[ -z "${LOOM_LIBTORCH:-}" ]] && wanted+=(libtorch-dev)
    for p in "${wanted[@]}"; do
      pkg_installed "$p" || need_pkgs+=("$p")
    done
    if ((${#need_pkgs[@]})); then
      if [[ $(id -u) -eq 0 ]]; then
        sudo=()
      elif command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
      else
        die "need root or sudo to install: ${need_pkgs[*]} (or install them yourself: apt-get install ${need_pkgs[*]})"
      fi
      say "installing Debian packages: ${need_pkgs[*]}"
      export DEBIAN_FRONTEND=noninteractive
      "${sudo[@]}" apt-get update -qq
      "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}"
    fi
  else
    say "not a Debian system (no dpkg-query): make sure libtorch (or LOOM_LIBTORCH) and a C++17 compiler are available"
  fi
fi

# ---- Node.js -----------------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "Node.js 20 or newer is needed (apt-get install nodejs npm)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "Node.js 20 or newer is needed; this is $(node --version)"
command -v npm >/dev/null 2>&1 || die "npm is needed (apt-get install npm)"

# ---- npm packages ------------------------------------------------------------------------------
# (Re)install when node_modules is missing or older than package.json / package-lock.json.
stamp=node_modules/.loom-installed
stale_modules() {
  [[ -d node_modules ]] || return 0
  [[ -f $stamp ]] || return 0
  [[ package.json -nt $stamp ]] && return 0
  [[ -f package-lock.json && package-lock.json -nt $stamp ]] && return 0
  return 1
}
if stale_modules; then
  if [[ -f package-lock.json ]]; then
    say "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error >&2
  else
    say "installing npm packages (npm install)"
    npm install --no-audit --no-fund --loglevel=error >&2
  fi
  touch "$stamp"
fi

# ---- build (skipped when nothing changed since the last one; the native build is incremental) ---
built=dist/.loom-built
build_env="LOOM_LIBTORCH=${LOOM_LIBTORCH:-} LOOM_CXX11_ABI=${LOOM_CXX11_ABI:-} LOOM_CUDA=${LOOM_CUDA:-} CXX=${CXX:-}"
up_to_date() {
  [[ -f $built && -f native/build/loom.node ]] || return 1
  [[ $(<"$built") == "$build_env" ]] || return 1
  [[ -z $(find src test bench native/src scripts/build-native.mjs tsconfig.json package.json -newer "$built" -print -quit 2>/dev/null) ]]
}
if up_to_date; then
  say "build is up to date"
else
  say "building (native addon and TypeScript)"
  npm run --silent build >&2
  printf '%s' "$build_env" >"$built"
fi
say "ready: node dist/src/cli/main.js --help"
