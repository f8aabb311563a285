#!/usr/bin/env bash
# The floors under the performance goals Pelita does not meet
# (BENCHMARKS.md, "Floors"): the least part of each job done by the fastest
# tools at hand, on this machine, with everything else left out.
#
#   scripts/floors.sh [WORK_DIR]
#
# - JSON and CSV: reading the peers' files, serde_json validating them with
#   nothing kept, simd-json building its tape, the csv crate splitting rows
#   (issue: ingest parsers, "parse within 3x of reading the file");
# - SQLite: the rows of the 1 M-row URLhaus store copied into an empty store
#   with the journal off and no syncs, then its deferred indexes built
#   (issue: fusion store, ">= 200 k rows/s");
# - writing: 4 GiB through the page cache, and with fdatasync (issue:
#   reports, "all country reports for 10 M indicators in under 10 s").
#
# Needs the peers' workload ($PEERS_DATA) and builds scripts/floors, a
# crate outside the workspace (it depends on simd-json, which Pelita does
# not use).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/pelita-floors}
data=${PEERS_DATA:-$HOME/.cache/pelita-peers/data}
for f in misp_event_100k.json stix_bundle_100k.json urlhaus_1m.csv; do
  [ -f "$data/$f" ] || { echo "no $data/$f: run ../shared/peers/gen_workload.py --out $data" >&2; exit 1; }
done
cargo build --release -q --manifest-path scripts/floors/Cargo.toml
floors=scripts/floors/target/release/pelita-floors
mkdir -p "$work"

echo "== parsing (page cache warm, median of 5 [fastest])"
"$floors" json "$data/misp_event_100k.json" "$data/stix_bundle_100k.json"
"$floors" csv "$data/urlhaus_1m.csv"

echo "== SQLite's part of a bulk load"
if [ ! -f "$work/urlhaus/pelita.db" ]; then
  cargo build --release -q -p pelita-cli
  rm -rf "$work/urlhaus"
  /usr/bin/time -f "(the source store: 1 M URLhaus rows ingested in %es)" \
    target/release/pelita ingest --data-dir "$work/urlhaus" --source bench \
    --format csv:urlhaus "$data/urlhaus_1m.csv" | tail -1
fi
"$floors" sqlite "$work/urlhaus/pelita.db" "$work/copy.db"
rm -f "$work/copy.db"*

echo "== writing 4 GiB under $work"
sync
dd if=/dev/zero of="$work/write.tmp" bs=1M count=4096 conv=fdatasync 2>&1 | tail -1 | sed 's/^/  with fdatasync: /'
rm -f "$work/write.tmp"; sync
dd if=/dev/zero of="$work/write.tmp" bs=1M count=4096 2>&1 | tail -1 | sed 's/^/  page cache:     /'
rm -f "$work/write.tmp"
echo "  (dirty_ratio $(cat /proc/sys/vm/dirty_ratio) % of $(free -g | awk '/^Mem:/ {print $2}') GiB: writes past it wait for the disk)"
