#!/usr/bin/env bash
# Vendors the browser assets the repository carries, at the exact versions
# of scripts/vendor/package-lock.json (npm checks their integrity):
#   swagger-ui-dist → functions/api/web/docs/vendor/ (the API explorer at
#                     /docs, embedded in the API function)
#   axe-core        → test/browser/testdata/ (injected into pages by the
#                     browser tests only)
# Each with its licence. Run it after changing a version in
# scripts/vendor/package.json (then `npm install` there to update the lock).
set -euo pipefail
cd "$(dirname "$0")/vendor"
npm ci --ignore-scripts --no-audit --no-fund
ui=node_modules/swagger-ui-dist
docs=../../functions/api/web/docs/vendor
rm -rf "$docs" && mkdir -p "$docs"
cp "$ui/swagger-ui-bundle.js" "$ui/swagger-ui-bundle.js.LICENSE.txt" "$ui/swagger-ui.css" "$ui/LICENSE" "$ui/NOTICE" "$docs/"
# The bundle names a source map that is not vendored.
sed -i '/^\/\/# sourceMappingURL=/d' "$docs/swagger-ui-bundle.js"
sed -i '/^\/\*# sourceMappingURL=/d' "$docs/swagger-ui.css"
echo "swagger-ui-dist $(node -p "require('./$ui/package.json').version")" > "$docs/VERSION"
axe=node_modules/axe-core
out=../../test/browser/testdata
mkdir -p "$out"
cp "$axe/axe.min.js" "$out/axe.min.js"
cp "$axe/LICENSE" "$out/axe-core.LICENSE"
echo "axe-core $(node -p "require('./$axe/package.json').version")" > "$out/axe-core.VERSION"
rm -rf node_modules
