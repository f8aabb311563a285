#!/usr/bin/env bash
# A day's feed into a store that already holds a million rows
# (BENCHMARKS.md, "Incremental ingest"): the peers' 1 M-row URLhaus file is
# ingested once, then a day-2 file of 100,000 of its rows (seed 7, new
# dates, every tenth URL and host new) is ingested RUNS times, each into a
# fresh copy of the 1 M-row store.
#
#   scripts/bench-incremental.sh [WORK_DIR] [PELITA_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/pelita-bench-incremental}
bin=${2:-}
data=${PEERS_DATA:-$HOME/.cache/pelita-peers/data}
if [ -z "$bin" ]; then
  cargo build --release -q -p pelita-cli
  bin=$PWD/target/release/pelita
fi
[ -f "$data/urlhaus_1m.csv" ] || { echo "no $data/urlhaus_1m.csv: run ../shared/peers/gen_workload.py --out $data" >&2; exit 1; }
mkdir -p "$work"
if [ ! -f "$work/base/pelita.db" ]; then
  rm -rf "$work/base"
  /usr/bin/time -f "1 M rows into an empty store: wall %es, peak %M KB" \
    "$bin" ingest --data-dir "$work/base" --source bench --format csv:urlhaus "$data/urlhaus_1m.csv" | tail -1
fi
if [ ! -f "$work/day2.csv" ]; then
  python3 - "$data/urlhaus_1m.csv" "$work/day2.csv" <<'PY'
import random, sys
rows = [l for l in open(sys.argv[1], encoding="utf-8") if l.strip() and not l.startswith("#")]
random.seed(7)
day = random.sample(rows, 100_000)
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write("# Dateadded (UTC),URL,URL_status,Threat,Host,IPaddress,ASnumber,Country\n")
    for n, line in enumerate(day):
        f = line.rstrip("\n").split(",")
        f[0] = f"2026-12-0{1 + n % 5} {f[0][11:]}"
        if n % 10 == 0:
            f[1] = f[1].replace("://", f"://n{n}.", 1)
            f[4] = f"n{n}.{f[4]}"
        out.write(",".join(f) + "\n")
PY
fi
for r in $(seq "${RUNS:-3}"); do
  rm -rf "$work/run"
  cp -r "$work/base" "$work/run"
  sync
  /usr/bin/time -f "day 2, run $r: wall %es, user %Us, sys %Ss, peak %M KB" \
    "$bin" ingest --data-dir "$work/run" --source bench --format csv:urlhaus "$work/day2.csv" | tail -1
done
