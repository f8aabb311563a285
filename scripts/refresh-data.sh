#!/usr/bin/env bash
# Refreshes Pelita's shipped run-time data under data/ from package registries.
#
#   scripts/refresh-data.sh            # everything
#   scripts/refresh-data.sh ip         # IP → country / ASN tables only
#   scripts/refresh-data.sh warninglists
#   scripts/refresh-data.sh map          # country outlines for pelita-map
#
# Sources (see data/README.md for licences and attribution):
#   npm  @ip-location-db/geo-whois-asn-country   (CC0-1.0)         → data/ipdb.bin.gz
#   npm  @ip-location-db/asn                      (CC BY 4.0)       → data/ipdb.bin.gz
#   PyPI pymispwarninglists (bundles MISP warninglists, CC0)        → data/warninglists/*.json.gz
#   npm  world-atlas (Natural Earth 1:110m + 1:50m, public domain)  → data/world-110m.txt
#   npm  i18n-iso-countries (ISO numeric → alpha-2, names; MIT)     → data/world-110m.txt
# The IP conversion is Rust: `cargo run -p pelita-enrich --example build-ip-data`; the map
# conversion is the Python 3 script in refresh_map below (TopoJSON → one text line per country).
# Afterwards, update the versions in data/README.md and run the pelita-enrich / pelita-map tests.
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

refresh_map() {
  local v_atlas v_iso
  (cd "$work" && npm pack --silent world-atlas i18n-iso-countries >/dev/null)
  mkdir -p "$work/atlas" "$work/iso"
  tar xzf "$work"/world-atlas-*.tgz -C "$work/atlas"
  tar xzf "$work"/i18n-iso-countries-*.tgz -C "$work/iso"
  v_atlas="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$work/atlas/package/package.json")"
  v_iso="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$work/iso/package/package.json")"
  python3 - "$work/atlas/package" "$work/iso/package" "$data/world-110m.txt" <<'PY'
import json
import sys

atlas_dir, iso_dir, out_path = sys.argv[1], sys.argv[2], sys.argv[3]

# ISO 3166-1 numeric -> alpha-2, and English names (first form unless overridden below).
numeric = {row[2]: row[0] for row in json.load(open(f"{iso_dir}/codes.json"))}
names = {}
for code, name in json.load(open(f"{iso_dir}/langs/en.json"))["countries"].items():
    names[code] = name[0] if isinstance(name, list) else name
names.update({
    "US": "United States", "RU": "Russia", "IR": "Iran", "CZ": "Czechia", "CN": "China",
    "TW": "Taiwan", "TZ": "Tanzania", "MK": "North Macedonia", "PS": "Palestine",
    "GM": "Gambia", "LA": "Laos", "SY": "Syria", "BN": "Brunei", "MD": "Moldova",
    "FM": "Micronesia", "VA": "Vatican City", "FK": "Falkland Islands",
    "VG": "British Virgin Islands", "VI": "U.S. Virgin Islands", "CI": "Côte d'Ivoire",
    "CD": "DR Congo", "CG": "Republic of the Congo", "BO": "Bolivia", "VE": "Venezuela",
})
# Natural Earth units without an ISO 3166-1 numeric code. Kosovo has the user-assigned XK; the
# others are merged into the ISO 3166-1 country that contains them (so the map has no holes);
# units not listed here and without a code are skipped.
BY_NAME = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}


def decode(topo):
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def ring_points(arcs, ring):
    pts = []
    for i in ring:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(arc if not pts else arc[1:])
    return unwrap(pts)


def unwrap(pts):
    """Makes a ring that crosses the antimeridian continuous (longitudes may then pass 180).

    A ring around a pole (Antarctica) cannot be unwrapped into a closed ring; it stays as it is.
    """
    out, off = [], 0.0
    for k, (x, y) in enumerate(pts):
        if k:
            dx = x - pts[k - 1][0]
            if dx > 180:
                off -= 360
            elif dx < -180:
                off += 360
        out.append((x + off, y))
    if not out or abs(out[-1][0] - out[0][0]) > 180:
        return pts
    if min(p[0] for p in out) < -180:
        out = [(x + 360, y) for x, y in out]
    return out


def polygons(arcs, geom):
    if geom["type"] == "Polygon":
        return [[ring_points(arcs, r) for r in geom["arcs"]]]
    if geom["type"] == "MultiPolygon":
        return [[ring_points(arcs, r) for r in p] for p in geom["arcs"]]
    return []


def area_centroid(ring):
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        c = x0 * y1 - x1 * y0
        a += c
        cx += (x0 + x1) * c
        cy += (y0 + y1) * c
    if abs(a) < 1e-12:
        n = len(ring)
        return 0.0, (sum(p[0] for p in ring) / n, sum(p[1] for p in ring) / n)
    return abs(a) / 2, (cx / (3 * a), cy / (3 * a))


def inside(pt, ring):
    x, y = pt
    hit = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            hit = not hit
    return hit


def label_point(poly):
    """Area-weighted centroid of the outer ring, moved inside it along its latitude if needed."""
    outer = poly[0]
    _, c = area_centroid(outer)
    if inside(c, outer):
        return c
    ys = sorted(p[1] for p in outer)
    lo, hi = ys[0], ys[-1]
    for k in range(0, 21):
        # Try the centroid's latitude first, then others spreading out from it.
        off = (k + 1) // 2 * (1 if k % 2 else -1) * (hi - lo) / 40
        y = min(max(c[1] + off, lo + 1e-9), hi - 1e-9)
        xs = []
        for (x0, y0), (x1, y1) in zip(outer, outer[1:] + outer[:1]):
            if (y0 > y) != (y1 > y):
                xs.append(x0 + (y - y0) * (x1 - x0) / (y1 - y0))
        xs.sort()
        spans = [(xs[i], xs[i + 1]) for i in range(0, len(xs) - 1, 2)]
        if spans:
            a, b = max(spans, key=lambda s: s[1] - s[0])
            return ((a + b) / 2, y)
    return c


def code_of(geom):
    gid = geom.get("id")
    if gid is not None and gid in numeric:
        return numeric[gid]
    return BY_NAME.get(geom["properties"]["name"])


def load(path):
    topo = json.load(open(path))
    arcs = decode(topo)
    out = {}
    for geom in topo["objects"]["countries"]["geometries"]:
        code = code_of(geom)
        if code is None:
            print(f"  skipped (no ISO code): {geom['properties']['name']}", file=sys.stderr)
            continue
        out.setdefault(code, {"name": geom["properties"]["name"], "polys": [], "own": []})
        polys = polygons(arcs, geom)
        out[code]["polys"].extend(polys)
        # The label goes on the unit that carries the ISO code, not on a merged one.
        if geom["properties"]["name"] not in BY_NAME or BY_NAME[geom["properties"]["name"]] == "XK":
            out[code]["own"].extend(polys)
    return out


base = load(f"{atlas_dir}/countries-110m.json")
# Small countries missing at 1:110m (Singapore, Bahrain, Malta, ...) come from the 1:50m file.
extra = load(f"{atlas_dir}/countries-50m.json")
added = sorted(set(extra) - set(base))
for code in added:
    base[code] = extra[code]
print(f"  from 1:50m: {' '.join(added)}", file=sys.stderr)


def rnd(v):
    return int(round(v * 10))


lines = []
for code in sorted(base):
    entry = base[code]
    own = entry["own"] or entry["polys"]
    biggest = max(own, key=lambda p: area_centroid(p[0])[0])
    cx, cy = label_point(biggest)
    cx = (cx + 180) % 360 - 180
    rings = []
    for poly in entry["polys"]:
        for ring in poly:
            pts = []
            for x, y in ring:
                p = (rnd(x), rnd(y))
                if not pts or pts[-1] != p:
                    pts.append(p)
            while len(pts) > 1 and pts[0] == pts[-1]:
                pts.pop()
            if len(pts) >= 3:
                rings.append(" ".join(f"{x},{y}" for x, y in pts))
    name = names.get(code, entry["name"])
    lines.append(f"{code}\t{name}\t{cx:.2f},{cy:.2f}\t{';'.join(rings)}")

with open(out_path, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
print(f"  {len(lines)} countries", file=sys.stderr)
PY
  echo "map: world-atlas $v_atlas, i18n-iso-countries $v_iso, $(wc -c <"$data/world-110m.txt") bytes"
}

case "$what" in
  ip) refresh_ip ;;
  warninglists) refresh_warninglists ;;
  map) refresh_map ;;
  all) refresh_ip; refresh_warninglists; refresh_map ;;
  *) echo "usage: $0 [all|ip|warninglists|map]" >&2; exit 2 ;;
esac
