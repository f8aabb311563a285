#!/usr/bin/env bash
# TAXII listing latency on the `pelita demo --scale 100` store (BENCHMARKS.md,
# "Sharing server: TAXII listings"): a first page, the page after it, a
# manifest page, a poll with nothing new, a walk of PAGES pages, then one
# submission of 2,000 new indicators and a poll for it.
#
#   scripts/bench-taxii.sh [WORK_DIR] [PELITA_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/pelita-bench-taxii}
bin=${2:-}
. scripts/demo-store.sh
port=8752
trap 'kill "${server:-}" 2>/dev/null || true' EXIT
serve() {
  "$bin" serve --db "$db" --listen 127.0.0.1:$port --rate 100000000 > "$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$port/ && break; sleep 0.2; done
}
H=(-H "Authorization: Bearer $token" -H "Accept: application/taxii+json;version=2.1")
base=http://127.0.0.1:$port/taxii2/api/collections/tlp-green
timed() { # label url
  curl -s -o "$work/answer.json" -w "$1: %{time_total} s, %{size_download} bytes\n" "${H[@]}" "$2"
}
serve
for i in 1 2 3; do timed "first page (limit 1000)" "$base/objects/?limit=1000"; done
next=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1])).get('next',''))" "$work/answer.json")
timed "the page after it" "$base/objects/?limit=1000&next=$next"
timed "a manifest page" "$base/manifest/?limit=1000"
for i in 1 2 3; do timed "poll, nothing new" "$base/objects/?added_after=2026-12-01T00:00:00Z"; done
# A walk: PAGES pages of 1,000 (default 40; PAGES=all walks the collection).
python3 - "$token" "$base" "${PAGES:-40}" <<'PY'
import json, sys, time, urllib.request
token, base, pages = sys.argv[1], sys.argv[2], sys.argv[3]
h = {"Authorization": f"Bearer {token}", "Accept": "application/taxii+json;version=2.1"}
n, objects, nxt, slowest, start = 0, 0, None, 0.0, time.time()
while True:
    url = f"{base}/objects/?limit=1000" + (f"&next={nxt}" if nxt else "")
    t = time.time()
    body = json.load(urllib.request.urlopen(urllib.request.Request(url, headers=h)))
    slowest = max(slowest, time.time() - t)
    n, objects = n + 1, objects + len(body.get("objects", []))
    nxt = body.get("next")
    if not body["more"] or (pages != "all" and n >= int(pages)):
        break
took = time.time() - start
print(f"walk: {n} pages, {objects} objects in {took:.1f} s ({took / n:.3f} s a page, slowest {slowest:.2f} s)")
PY
kill "$server"; wait "$server" 2>/dev/null || true
if [ ! -f "$work/new.txt" ]; then
  python3 -c "
for i in range(2000): print(f'203.0.113.{i % 250}' if i < 250 else f'c2-{i}.example-bad.test')
" > "$work/new.txt"
  "$bin" ingest --db "$db" --source bench --tlp green "$work/new.txt" | tail -1
fi
serve
for i in 1 2 3; do timed "poll, 2,000 new" "$base/objects/?added_after=2026-12-01T00:00:00Z"; done
