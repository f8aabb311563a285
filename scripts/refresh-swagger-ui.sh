#!/usr/bin/env bash
# Refreshes the Swagger UI files that `pelita serve` embeds for its API
# explorer at /api/docs (crates/pelita-server/assets/swagger-ui/).
#
#   scripts/refresh-swagger-ui.sh            # the version pinned below
#   scripts/refresh-swagger-ui.sh 5.36.0     # another version of swagger-ui-dist
#
# Source: npm package swagger-ui-dist (Apache-2.0, SmartBear Software), via
# `npm pack`, so only the npm registry is needed. The files are copied as they
# are in the package; the README beside them is rewritten with the version,
# the package's integrity hash and a SHA-256 of each file. Afterwards run
# `cargo test -p pelita-server` and look at /api/docs in a browser.
set -euo pipefail

VERSION="${1:-5.35.0}"
FILES=(swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css favicon-32x32.png LICENSE NOTICE)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/crates/pelita-server/assets/swagger-ui"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null)
tarball="$work/swagger-ui-dist-$VERSION.tgz"
[[ -f "$tarball" ]] || { echo "npm pack did not produce $tarball" >&2; exit 1; }
integrity="$(npm view "swagger-ui-dist@$VERSION" dist.integrity)"
tar -xzf "$tarball" -C "$work"

mkdir -p "$dest"
for f in "${FILES[@]}"; do
  [[ -f "$work/package/$f" ]] || { echo "swagger-ui-dist@$VERSION has no $f" >&2; exit 1; }
  cp "$work/package/$f" "$dest/$f"
done

{
  cat <<EOF
# Swagger UI (vendored)

The API explorer that \`pelita serve\` shows at \`/api/docs\` is Swagger UI, embedded in the binary
(\`include_bytes!\` in \`src/docs.rs\`), so the page loads nothing from any other origin.

- Source: the npm package \`swagger-ui-dist\`, version **$VERSION**
  (\`npm pack swagger-ui-dist@$VERSION\`, integrity \`$integrity\`).
- Licence: Apache License 2.0, © SmartBear Software (see \`LICENSE\` and \`NOTICE\`, copied from the
  package). The bundle includes third-party code under its own licences, listed in
  \`swagger-ui-bundle.js.LICENSE.txt\`.
- The files are unmodified. The page and its start-up script (\`../docs/\`) are Pelita's own.
- To refresh: \`scripts/refresh-swagger-ui.sh [VERSION]\` (rewrites this file too).

| file | SHA-256 |
| --- | --- |
EOF
  for f in "${FILES[@]}"; do
    printf '| `%s` | `%s` |\n' "$f" "$(sha256sum "$dest/$f" | cut -d' ' -f1)"
  done
} >"$dest/README.md"

echo "swagger-ui-dist@$VERSION → $dest"
