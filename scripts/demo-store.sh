# Sourced by the server benchmarks: the `pelita demo --scale 100` store in
# $work (made once: a minute or so) and an analyst token for it.
# In: work, bin (empty: build the release binary). Out: bin, db, token.
if [ -z "${bin:-}" ]; then
  cargo build --release -q -p pelita-cli
  bin=$PWD/target/release/pelita
fi
mkdir -p "$work"
db=$work/demo/data/pelita.db
if [ ! -f "$db" ]; then
  "$bin" demo --out "$work/demo" --scale 100 --format json --now 2026-11-30T00:00:00Z
fi
if [ ! -f "$work/token.txt" ]; then
  "$bin" org add bench --role analyst --db "$db" >/dev/null
  "$bin" token create --org bench --name bench --db "$db" | sed -n 1p > "$work/token.txt"
fi
token=$(cat "$work/token.txt")
