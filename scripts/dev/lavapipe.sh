#!/usr/bin/env bash
# Mesa's software Vulkan driver (lavapipe, Mesa >= 25 from Debian bookworm-backports), unpacked
# privately into the cache, so WebGPU code paths (Dawn in onnxruntime-node and the `webgpu`
# package) can be tested on machines without a GPU. Debian 12's own Mesa 22 is rejected by Dawn.
# Nothing is installed system-wide. Prints KEY=VALUE lines to eval:
#   eval "$(scripts/dev/lavapipe.sh)"
set -euo pipefail
cache="${BEAMLINE_CACHE:-$HOME/.cache/beamline}/lavapipe"
root="$cache/root"
icd="$cache/lvp_icd.json"
if [ ! -f "$cache/.complete" ]; then
  command -v apt-get >/dev/null || { echo "lavapipe: needs a Debian/Ubuntu machine (apt-get)" >&2; exit 1; }
  command -v dpkg-deb >/dev/null || { echo "lavapipe: needs dpkg-deb" >&2; exit 1; }
  . /etc/os-release
  [ "${VERSION_CODENAME:-}" = "bookworm" ] || echo "lavapipe: written for Debian bookworm; this is ${VERSION_CODENAME:-unknown}" >&2
  rm -rf "$cache" && mkdir -p "$cache/debs" "$root"
  list="$cache/backports.list"
  # Reuse the machine's own Debian mirror lines, plus bookworm-backports from the same mirror.
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
    | grep -E '^(URIs:|deb )' | grep -oE 'https?://[^ ]+' | grep -v security | head -1 || true)
  mirror="${mirror%/}"
  [ -n "$mirror" ] || { echo "lavapipe: no Debian mirror found in /etc/apt" >&2; exit 1; }
  printf 'deb %s bookworm main\ndeb %s bookworm-backports main\n' "$mirror" "$mirror" > "$list"
  apt_opts=(-o "Dir::Etc::sourcelist=$list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$cache/lists" -o "Dir::Cache=$cache/apt-cache")
  mkdir -p "$cache/lists/partial" "$cache/apt-cache/archives/partial"
  apt-get "${apt_opts[@]}" update -qq >&2
  # The driver, the Vulkan loader, and the libdrm it needs (newer than bookworm's).
  pkgs=(mesa-vulkan-drivers/bookworm-backports libdrm2/bookworm-backports libdrm-amdgpu1/bookworm-backports
    libdrm-common/bookworm-backports libvulkan1)
  # Its other dependencies, only where the machine lacks them.
  for p in libllvm15 libelf1 libexpat1 libwayland-client0 libx11-xcb1 libx11-6 libxau6 libxdmcp6 libbsd0 libmd0 \
    libxcb-dri3-0 libxcb-present0 libxcb-randr0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxcb1 libxshmfence1 libzstd1 \
    libffi8 libedit2 libtinfo6 libxml2 libicu72 liblzma5 libz3-4; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || pkgs+=("$p")
  done
  (cd "$cache/debs" && apt-get "${apt_opts[@]}" download "${pkgs[@]}" >&2 2>/dev/null) || {
    # Some names exist in only one suite; fetch what resolves.
    for p in "${pkgs[@]}"; do (cd "$cache/debs" && apt-get "${apt_opts[@]}" download "$p" >/dev/null 2>&1) || true; done
  }
  ls "$cache"/debs/mesa-vulkan-drivers_*.deb >/dev/null 2>&1 || { echo "lavapipe: could not download mesa-vulkan-drivers from bookworm-backports" >&2; exit 1; }
  for d in "$cache"/debs/*.deb; do dpkg-deb -x "$d" "$root"; done
  src_icd=$(ls "$root"/usr/share/vulkan/icd.d/lvp_icd*.json | head -1)
  # Point the ICD at the private library by absolute path.
  sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so\"#" "$src_icd" > "$icd"
  date -u +%FT%TZ > "$cache/.complete"
fi
echo "VK_DRIVER_FILES=$icd"
echo "VK_ICD_FILENAMES=$icd"
echo "LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
