#!/usr/bin/env bash
# Refreshes Pelita's shipped run-time data under data/ from package registries.
#
#   scripts/refresh-data.sh            # everything
#   scripts/refresh-data.sh ip         # IP → country / ASN tables only
#   scripts/refresh-data.sh warninglists
#
# Sources (see data/README.md for licences and attribution):
#   npm  @ip-location-db/geo-whois-asn-country   (CC0-1.0)         → data/ipdb.bin.gz
#   npm  @ip-location-db/asn                      (CC BY 4.0)       → data/ipdb.bin.gz
#   PyPI pymispwarninglists (bundles MISP warninglists, CC0)        → data/warninglists/*.json.gz
# The conversion is Rust: `cargo run -p pelita-enrich --example build-ip-data`.
# Afterwards, update the versions in data/README.md and run the pelita-enrich tests.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$root/data"
what="${1:-all}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The shipped warninglists subset: small lists that matter for suppression.
WARNINGLISTS=(
  akamai amazon-aws automated-malware-analysis cloudflare common-ioc-false-positive
  eicar.com empty-hashes fastly google-gcp ipv6-linklocal microsoft-azure multicast
  public-dns-v4 public-dns-v6 rfc1918 rfc3849 rfc5735 rfc6598 rfc6761
  security-provider-blogpost sinkholes tranco10k url-shortener
)

refresh_ip() {
  local v_country v_asn
  (cd "$work" && npm pack --silent @ip-location-db/geo-whois-asn-country @ip-location-db/asn >/dev/null)
  mkdir -p "$work/country" "$work/asn" "$work/csv"
  tar xzf "$work"/ip-location-db-geo-whois-asn-country-*.tgz -C "$work/country"
  tar xzf "$work"/ip-location-db-asn-*.tgz -C "$work/asn"
  v_country="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$work/country/package/package.json")"
  v_asn="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$work/asn/package/package.json")"
  cp "$work"/country/package/geo-whois-asn-country-ipv{4,6}.csv "$work/csv/"
  cp "$work"/asn/package/asn-ipv{4,6}.csv "$work/csv/"
  (cd "$root" && cargo run --quiet --release -p pelita-enrich --example build-ip-data -- \
    "$work/csv" "$data/ipdb.bin.gz" \
    "@ip-location-db/geo-whois-asn-country@$v_country; @ip-location-db/asn@$v_asn")
  echo "IP tables: geo-whois-asn-country $v_country, asn $v_asn"
}

refresh_warninglists() {
  local whl lists
  pip download --quiet --no-deps --only-binary=:all: -d "$work/pip" pymispwarninglists
  whl="$(ls "$work"/pip/pymispwarninglists-*.whl)"
  mkdir -p "$work/whl"
  (cd "$work/whl" && python3 -m zipfile -e "$whl" .)
  lists="$work/whl/pymispwarninglists/data/misp-warninglists/lists"
  mkdir -p "$data/warninglists"
  rm -f "$data"/warninglists/*.json.gz
  for id in "${WARNINGLISTS[@]}"; do
    gzip -9n <"$lists/$id/list.json" >"$data/warninglists/$id.json.gz"
  done
  echo "warninglists: $(basename "$whl")"
}

case "$what" in
  ip) refresh_ip ;;
  warninglists) refresh_warninglists ;;
  all) refresh_ip; refresh_warninglists ;;
  *) echo "usage: $0 [all|ip|warninglists]" >&2; exit 2 ;;
esac
