#!/usr/bin/env bash
# Lints the package as npm would publish it: packs the built dist/ into a temporary folder, then runs publint and
# are-the-types-wrong on that tarball. Run `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f dist/index.js ]; then echo "no dist/: run npm run build first" >&2; exit 1; fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
tarball="$dir/$(npm pack --silent --pack-destination "$dir" | tail -1)"
tar -tzf "$tarball" | sed 's|^package/||' | sort
npx publint run --strict "$tarball"
# node16 profile: the package needs Node 20, so the obsolete node10 resolution (no subpath exports) is not checked.
npx attw --profile node16 "$tarball"
