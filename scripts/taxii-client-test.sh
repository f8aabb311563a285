#!/usr/bin/env bash
# Runs the OASIS reference TAXII client, taxii2-client 2.3.0 (PyPI), against a
# running Pelita TAXII 2.1 server: discovery, the API root, the collections,
# paged objects and manifest, one object, adding objects and their status.
# It starts nothing itself; `tests/taxii.rs` starts a seeded server and runs
# this with PELITA_TAXII_CLIENT=1.
#
#   scripts/taxii-client-test.sh http://127.0.0.1:8080/taxii2/ pelita_<id>_<secret>
#   TAXII_TOKEN=pelita_… scripts/taxii-client-test.sh http://127.0.0.1:8080/taxii2/
#
# The token needs the read and submit scopes. The client runs in a Python venv:
# $TAXII_VENV if set (kept and reused while it holds taxii2-client 2.3.0; the
# Rust test uses target/taxii-venv), else a temporary one, removed afterwards.
# Needs python3 with the venv module (Debian: python3-venv) and PyPI.
# The last line of output is `RESULT <json>` with what the client saw.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
url="${1:?usage: $0 <discovery URL> [token]  (or the token in TAXII_TOKEN)}"
token="${2:-${TAXII_TOKEN:-}}"
[[ -n "$token" ]] || { echo "$0: no token (second argument or TAXII_TOKEN)" >&2; exit 2; }

venv="${TAXII_VENV:-}"
if [[ -z "$venv" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  venv="$work/venv"
fi
has_client() {
  "$venv/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata, sys
sys.exit(importlib.metadata.version("taxii2-client") != "2.3.0")
PY
}
if ! has_client; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "taxii2-client==2.3.0"
fi

TAXII_TOKEN="$token" exec "$venv/bin/python" "$root/crates/pelita-server/tests/taxii_client.py" "$url"
