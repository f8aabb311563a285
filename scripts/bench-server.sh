#!/usr/bin/env bash
# Load benchmark of `pelita serve` on loopback: indicator look-ups by an
# analyst token against the `pelita demo --scale 100` store (1.1 million
# indicators), driven by wrk (Debian's package) with a Lua script that
# looks up a different stored value on every request (a fixed, shuffled
# sample of the store, defanged and plain as stored).
#
#   scripts/bench-server.sh [WORKDIR] [CONNECTIONS...]
#   RUNS=5 SECS=10 scripts/bench-server.sh ...
#
# WORKDIR (default /tmp/pelita-bench-server) keeps the demo store between
# runs (building it takes a few minutes). For each connection count it
# starts a fresh server RUNS times (default 5), each with an empty audit
# log (a run appends a few hundred thousand entries, and the previous
# run's write-back would otherwise land in the next), warms it up for 4 s,
# measures SECS seconds, and prints one line per run and the medians.
# Both the server and wrk run on this machine: on 2 cores they share them,
# and single runs vary by 10 % and more (p99 most), hence the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/pelita-bench-server}
shift || true
conns=("${@:-8 16 32}")
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
bin=
. scripts/demo-store.sh
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
runs=${RUNS:-5}
trap 'kill "${server:-}" 2>/dev/null || true' EXIT
secs=${SECS:-10}
for c in ${conns[@]}; do
  : > "runs-$c.txt"
  for r in $(seq "$runs"); do
    rm -f demo/data/pelita.audit.db demo/data/pelita.audit.db-wal demo/data/pelita.audit.db-shm
    sync
    sleep 3
    "$bin" serve --db "$db" --listen 127.0.0.1:8751 --rate 100000000 > serve.log 2>&1 &
    server=$!
    for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:8751/ && break; sleep 0.2; done
    wrk -t1 -c"$c" -d4s -s lookup.lua http://127.0.0.1:8751 >/dev/null 2>&1   # warm up
    wrk -t1 -c"$c" -d"${secs}s" --latency -s lookup.lua http://127.0.0.1:8751 > wrk.out
    kill "$server"
    wait "$server" 2>/dev/null || true
    rps=$(awk '/Requests\/sec/ {print $2}' wrk.out)
    p50=$(awk '$1 == "50%" {print $2}' wrk.out)
    p99=$(awk '$1 == "99%" {print $2}' wrk.out)
    echo "$c connections, run $r: $rps requests/s, p50 $p50, p99 $p99" | tee -a "runs-$c.txt"
  done
  python3 - "runs-$c.txt" <<'PY'
import re, statistics, sys
def ms(v):
    n = float(re.match(r"[0-9.]+", v).group())
    return n / 1000 if v.endswith("us") else n * 1000 if v.endswith("s") and not v.endswith("ms") else n
rows = [re.search(r"(\d+) connections, run \d+: ([0-9.]+) requests/s, p50 (\S+), p99 (\S+)", l).groups() for l in open(sys.argv[1])]
rps = statistics.median(float(r[1]) for r in rows)
p50 = statistics.median(ms(r[2]) for r in rows)
p99 = statistics.median(ms(r[3]) for r in rows)
ok = sum(1 for r in rows if float(r[1]) >= 20000 and ms(r[3]) < 2)
print(f"== {rows[0][0]} connections, median of {len(rows)}: {rps:,.0f} requests/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms; runs with >= 20k/s and p99 < 2 ms: {ok}/{len(rows)}")
PY
done
