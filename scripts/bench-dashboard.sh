#!/usr/bin/env bash
# The counts pages on the `pelita demo --scale 100` store (BENCHMARKS.md,
# "Sharing server: dashboard and stats"): `pelita stats`, then a server's
# `GET /api/v1/stats` with an analyst token and the web dashboard (`/ui/`)
# signed in as a person of the same organisation, RUNS times each.
#
#   scripts/bench-dashboard.sh [WORK_DIR] [PELITA_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/pelita-bench-taxii}
bin=${2:-}
. scripts/demo-store.sh
if ! "$bin" user list --db "$db" | grep -q '^bench-ana'; then
  printf 'correct horse battery staple\n' | "$bin" user add bench-ana --org bench --db "$db" >/dev/null
fi
runs=${RUNS:-3}
for _ in $(seq "$runs"); do
  /usr/bin/time -f "pelita stats: %es" "$bin" stats --db "$db" > /dev/null
done
port=8753
"$bin" serve --db "$db" --listen 127.0.0.1:$port --rate 100000000 > "$work/serve-dashboard.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$port/ && break; sleep 0.2; done
for _ in $(seq "$runs"); do
  curl -s -o /dev/null -w "GET /api/v1/stats: %{http_code} in %{time_total} s\n" \
    -H "Authorization: Bearer $token" http://127.0.0.1:$port/api/v1/stats
done
jar=$work/cookies.txt
rm -f "$jar"
csrf=$(curl -s -c "$jar" -b "$jar" http://127.0.0.1:$port/ui/login |
  grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//;s/"$//')
curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode name=bench-ana \
  --data-urlencode "password=correct horse battery staple" --data-urlencode "csrf=$csrf" \
  http://127.0.0.1:$port/ui/login
for _ in $(seq "$runs"); do
  curl -s -b "$jar" -o "$work/dashboard.html" -w "GET /ui/ (dashboard): %{http_code} in %{time_total} s\n" \
    http://127.0.0.1:$port/ui/
done
