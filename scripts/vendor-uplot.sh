#!/usr/bin/env bash
# Refresh the vendored uPlot of the web UI (ui/assets/vendor) from npm, and record its version, licence and
# checksums in ui/assets/vendor/uPlot.txt (ui's TestVendoredUPlot checks the files against them).
# Only this script needs npm; building and running git-exp does not.
#
#   scripts/vendor-uplot.sh [VERSION]     (default 1.6.32)
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-1.6.32}
dest=ui/assets/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "uplot@$version" >/dev/null)
tar -xzf "$tmp/uplot-$version.tgz" -C "$tmp"
mkdir -p "$dest"
cp "$tmp/package/dist/uPlot.iife.min.js" "$tmp/package/dist/uPlot.min.css" "$dest/"
cp "$tmp/package/LICENSE" "$dest/uPlot.LICENSE"
licence=$(sed -n 's/.*"license": *"\([^"]*\)".*/\1/p' "$tmp/package/package.json")
{
  echo "package: uplot"
  echo "version: $version"
  echo "licence: $licence (uPlot.LICENSE)"
  echo "source: npm pack uplot@$version (https://github.com/leeoniya/uPlot)"
  for f in uPlot.iife.min.js uPlot.min.css uPlot.LICENSE; do
    echo "sha256: $(sha256sum "$dest/$f" | cut -d' ' -f1)  $f"
  done
} > "$dest/uPlot.txt"
cat "$dest/uPlot.txt"
