#!/bin/sh
# Install every Debian package and npm module jobctl needs (make deps).
# Idempotent and fast when everything is present: dpkg-query decides what
# is missing, and apt-get runs only for those.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
pkgs=$(grep -v '^#' "$here/debian-packages.txt" | grep -v '^$')
# node + npm: keep an existing installation (e.g. nodesource); else Debian's
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    pkgs="$pkgs nodejs npm"
fi
missing=""
for p in $pkgs; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
    esac
done
if [ -n "$missing" ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "deps: installing$missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi
# npm modules for the independent Parquet readers used by tests
if [ ! -d "$top/tests/node/node_modules/hyparquet" ] ||
   [ ! -d "$top/tests/node/node_modules/@duckdb/node-api" ]; then
    echo "deps: npm install (tests/node)"
    (cd "$top/tests/node" && npm install --no-audit --no-fund --loglevel=error)
fi
echo "deps: ok"
