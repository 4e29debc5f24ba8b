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
# npm modules the tests use (DuckDB and hyparquet as independent Parquet
# readers, the official Databricks JS SDK): install when any is missing
cd "$top/tests/node"
if ! node -e 'const fs = require("fs");
    const d = require("./package.json").dependencies;
    for (const k of Object.keys(d))
        if (!fs.existsSync("node_modules/" + k + "/package.json")) process.exit(1);' \
    >/dev/null 2>&1; then
    echo "deps: npm install (tests/node)"
    npm install --no-audit --no-fund --loglevel=error
fi
cd "$top"
echo "deps: ok"
