#!/usr/bin/env bash
# Load benchmark of `pelita serve` on loopback: indicator look-ups by an
# analyst token against the `pelita demo --scale 100` store (1.1 million
# indicators), driven by wrk (Debian's package) with a Lua script that
# looks up a different stored value on every request (a fixed, shuffled
# sample of the store, defanged and plain as stored).
#
#   scripts/bench-server.sh [WORKDIR] [CONNECTIONS...]
#
# WORKDIR (default /tmp/pelita-bench-server) keeps the demo store between
# runs (building it takes a few minutes). Prints wrk's latency
# distribution per connection count. Both the server and wrk run on this
# machine: on 2 cores they share them.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/pelita-bench-server}
shift || true
conns=("${@:-8 16 32}")
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
cargo build --release -q -p pelita-cli
bin=$PWD/target/release/pelita
mkdir -p "$work"
db=$work/demo/data/pelita.db
if [ ! -f "$db" ]; then
  "$bin" demo --out "$work/demo" --scale 100 --format json --now 2026-11-30T00:00:00Z
fi
"$bin" org add bench --role analyst --db "$db" >/dev/null
"$bin" token create --org bench --name bench --db "$db" | sed -n 1p > "$work/token.txt"
python3 - "$db" "$work/values.txt" <<'PY'
import random, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
values = [r[0] for r in c.execute("SELECT value FROM indicators WHERE rowid % 97 = 0")]
random.seed(7)
random.shuffle(values)
open(sys.argv[2], "w").write("\n".join(values) + "\n")
print(f"{len(values)} values sampled from the store")
PY
cat > "$work/lookup.lua" <<'LUA'
local values = {}
local function enc(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
for line in io.lines("values.txt") do values[#values + 1] = enc(line) end
local token = io.open("token.txt"):read("*l")
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/indicators/" .. values[(i % #values) + 1],
    { ["Authorization"] = "Bearer " .. token })
end
LUA
cd "$work"
"$bin" serve --db "$db" --listen 127.0.0.1:8751 --rate 100000000 > serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:8751/ && break; sleep 0.2; done
for c in ${conns[@]}; do
  wrk -t1 -c"$c" -d5s -s lookup.lua http://127.0.0.1:8751 >/dev/null 2>&1   # warm up
  echo "== $c connections"
  wrk -t1 -c"$c" -d15s --latency -s lookup.lua http://127.0.0.1:8751 | grep -E "Latency Distribution|50%|75%|90%|99%|requests in|Non-2xx|Requests/sec"
done
