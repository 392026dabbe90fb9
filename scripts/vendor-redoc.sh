#!/usr/bin/env bash
# Renews the ReDoc bundle served at /redoc (assets/redoc/): downloads the pinned release from the npm
# registry, checks its digest and copies the standalone script and its licence. Run it by hand when
# upgrading ReDoc (then update VERSION and SHA256 below); the build never downloads anything.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=2.5.4
SHA256=dcaf76612bc4a3fbcc923a8966dee2f6146a5f32e5ce1b6f02dd60cbbf89500b  # bundles/redoc.standalone.js
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "redoc@$VERSION" --silent >/dev/null && tar xzf "redoc-$VERSION.tgz")
echo "$SHA256  $work/package/bundles/redoc.standalone.js" | sha256sum --check --quiet
mkdir -p assets/redoc
cp "$work/package/bundles/redoc.standalone.js" assets/redoc/
cp "$work/package/LICENSE" assets/redoc/LICENSE
echo "assets/redoc: ReDoc $VERSION"
