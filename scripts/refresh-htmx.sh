#!/usr/bin/env bash
# Refreshes the htmx file that `pelita serve` embeds for its web interface
# (crates/pelita-server/assets/htmx/).
#
#   scripts/refresh-htmx.sh            # the version pinned below
#   scripts/refresh-htmx.sh 2.0.12     # another 2.x version of htmx.org
#
# Source: npm package htmx.org (Zero-Clause BSD, Big Sky Software), via
# `npm pack`, so only the npm registry is needed. dist/htmx.min.js and the
# licence are copied unmodified; the README beside them is rewritten with the
# version, the package's integrity hash and each file's SHA-256. Afterwards run
# `cargo test -p pelita-server --test web`.
set -euo pipefail

VERSION="${1:-2.0.11}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/crates/pelita-server/assets/htmx"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "htmx.org@$VERSION" >/dev/null)
tarball="$work/htmx.org-$VERSION.tgz"
[[ -f "$tarball" ]] || { echo "npm pack did not produce $tarball" >&2; exit 1; }
integrity="$(npm view "htmx.org@$VERSION" dist.integrity)"
tar -xzf "$tarball" -C "$work"

mkdir -p "$dest"
cp "$work/package/dist/htmx.min.js" "$dest/htmx.min.js"
cp "$work/package/LICENSE" "$dest/LICENSE"

{
  cat <<EOF
# htmx (vendored)

The web interface of \`pelita serve\` (\`/ui/\`) uses htmx for partial page updates. The file is
embedded in the binary (\`include_bytes!\` in \`src/web/assets.rs\`) and served from the same origin, so
no page loads anything from another host.

- Source: the npm package \`htmx.org\`, version **$VERSION**
  (\`npm pack htmx.org@$VERSION\`, file \`dist/htmx.min.js\`, integrity \`$integrity\`).
- Licence: Zero-Clause BSD (see \`LICENSE\`, copied from the package).
- The files are unmodified.
- To refresh: \`scripts/refresh-htmx.sh [VERSION]\` (rewrites this file too).

| file | SHA-256 |
| --- | --- |
EOF
  for f in htmx.min.js LICENSE; do
    printf '| `%s` | `%s` |\n' "$f" "$(sha256sum "$dest/$f" | cut -d' ' -f1)"
  done
} >"$dest/README.md"

echo "htmx.org@$VERSION → $dest"
