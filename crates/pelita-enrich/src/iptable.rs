//! IP → country, ASN and AS name: a compact range table and its builder.
//!
//! The tables are built from CSV files of inclusive ranges
//! (`first,last,country` and `first,last,asn,as name`, the format of the
//! ip-location-db packages; addresses written as IPv4 or IPv6 text) by
//! [`build_tables`], which returns Pelita's own binary form (gzip of the
//! layout below). [`IpTables::decode`] reads it back into sorted,
//! non-overlapping ranges that are searched by binary search
//! ([`IpTables::lookup`], well under a microsecond).
//!
//! Building resolves overlapping input rows by **longest prefix**: where two
//! rows overlap, the narrower range wins for the addresses they share, as a
//! router would decide; then adjacent ranges with identical values are merged.
//! AS names and country codes are kept once each in a string table.
//!
//! Layout (before gzip; integers are unsigned LEB128 varints, strings are a
//! varint length and UTF-8 bytes):
//!
//! ```text
//! magic "PELITA-IPDB-1\n"
//! version: string
//! strings: count, then each string           (country codes and AS names)
//! asns:    count, then each (asn, name index)
//! 4 sections: country v4, country v6, asn v4, asn v6; each:
//!   count, then each row: gap (start − previous end − 1, or start for the
//!   first row), span (end − start), value (string index / asns index)
//! ```

use std::io::{Read, Write};
use std::net::IpAddr;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use crate::top16::{Top16, TopIndex};

const MAGIC: &[u8] = b"PELITA-IPDB-1\n";

/// Why IP data could not be built or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IpDataError {
    /// Reading or writing failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A CSV row could not be read.
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    /// A CSV row has the wrong shape or a bad value.
    #[error("CSV row {row}: {why}")]
    BadRow {
        /// The 1-based row number.
        row: u64,
        /// What is wrong with it.
        why: String,
    },
    /// The binary table is damaged or of another version.
    #[error("IP table data is damaged: {0}")]
    Damaged(&'static str),
    /// A MaxMind database could not be opened.
    #[error("MaxMind database: {0}")]
    Mmdb(#[from] maxminddb::MaxMindDbError),
}

/// What the tables say about one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IpInfo<'a> {
    /// ISO 3166-1 alpha-2 country code (registration / geofeed country).
    pub country: Option<&'a str>,
    /// Autonomous system number.
    pub asn: Option<u32>,
    /// Autonomous system name.
    pub as_name: Option<&'a str>,
}

/// One family's ranges: sorted, non-overlapping, inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ranges<T> {
    starts: Vec<T>,
    ends: Vec<T>,
    values: Vec<u32>,
    /// The starts by their top 16 bits ([`TopIndex`]).
    index: TopIndex,
}

impl<T: Top16> Ranges<T> {
    /// The ranges of these sorted, non-overlapping parts, indexed.
    fn new(starts: Vec<T>, ends: Vec<T>, values: Vec<u32>) -> Self {
        Ranges {
            index: TopIndex::build(&starts),
            starts,
            ends,
            values,
        }
    }

    /// The value index of the range holding `ip`, if any.
    #[inline]
    pub fn find(&self, ip: T) -> Option<u32> {
        let i = self.index.upper(&self.starts, ip).checked_sub(1)?;
        let end = *self.ends.get(i)?;
        if ip <= end {
            self.values.get(i).copied()
        } else {
            None
        }
    }

    /// Number of ranges.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether there are no ranges.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The ranges as `(first, last, value index)`.
    pub fn iter(&self) -> impl Iterator<Item = (T, T, u32)> + '_ {
        self.starts
            .iter()
            .zip(&self.ends)
            .zip(&self.values)
            .map(|((s, e), v)| (*s, *e, *v))
    }
}

/// The decoded IP tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpTables {
    version: String,
    strings: Vec<Box<str>>,
    asns: Vec<(u32, u32)>,
    country_v4: Ranges<u32>,
    country_v6: Ranges<u128>,
    asn_v4: Ranges<u32>,
    asn_v6: Ranges<u128>,
}

/// How many ranges each table holds, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableStats {
    /// Country ranges, IPv4.
    pub country_v4: usize,
    /// Country ranges, IPv6.
    pub country_v6: usize,
    /// ASN ranges, IPv4.
    pub asn_v4: usize,
    /// ASN ranges, IPv6.
    pub asn_v6: usize,
    /// Distinct strings (country codes and AS names).
    pub strings: usize,
}

impl IpTables {
    /// Looks an address up. IPv4-mapped IPv6 addresses are looked up as IPv4.
    #[inline]
    pub fn lookup(&self, ip: IpAddr) -> IpInfo<'_> {
        let (country, asn) = match canonical_ip(ip) {
            IpAddr::V4(a) => {
                let n = u32::from(a);
                (self.country_v4.find(n), self.asn_v4.find(n))
            }
            IpAddr::V6(a) => {
                let n = u128::from(a);
                (self.country_v6.find(n), self.asn_v6.find(n))
            }
        };
        let country = country.and_then(|i| self.string(i));
        let (asn, as_name) = match asn.and_then(|i| self.asns.get(i as usize)) {
            Some((n, name)) => (Some(*n), self.string(*name).filter(|s| !s.is_empty())),
            None => (None, None),
        };
        IpInfo {
            country,
            asn,
            as_name,
        }
    }

    fn string(&self, i: u32) -> Option<&str> {
        self.strings.get(i as usize).map(|s| &**s)
    }

    /// The dataset version recorded when the tables were built.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Range counts.
    pub fn stats(&self) -> TableStats {
        TableStats {
            country_v4: self.country_v4.len(),
            country_v6: self.country_v6.len(),
            asn_v4: self.asn_v4.len(),
            asn_v6: self.asn_v6.len(),
            strings: self.strings.len(),
        }
    }

    /// Reads tables written by [`build_tables`] (gzip-compressed).
    pub fn decode(gz: &[u8]) -> Result<IpTables, IpDataError> {
        let mut raw = Vec::new();
        GzDecoder::new(gz).read_to_end(&mut raw)?;
        let mut r = Reader { buf: &raw };
        r.magic()?;
        let version = r.string()?;
        let n = r.count()?;
        let mut strings = Vec::with_capacity(n);
        for _ in 0..n {
            strings.push(r.string()?.into_boxed_str());
        }
        let n = r.count()?;
        let mut asns = Vec::with_capacity(n);
        for _ in 0..n {
            let asn = u32::try_from(r.varint()?).map_err(|_| IpDataError::Damaged("ASN"))?;
            let name = r.index(strings.len())?;
            asns.push((asn, name));
        }
        let country_v4 = r.ranges_v4(strings.len())?;
        let country_v6 = r.ranges(strings.len())?;
        let asn_v4 = r.ranges_v4(asns.len())?;
        let asn_v6 = r.ranges(asns.len())?;
        if !r.buf.is_empty() {
            return Err(IpDataError::Damaged("trailing bytes"));
        }
        Ok(IpTables {
            version,
            strings,
            asns,
            country_v4,
            country_v6,
            asn_v4,
            asn_v6,
        })
    }
}

/// An IPv4-mapped IPv6 address as IPv4; anything else unchanged.
pub(crate) fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// Starts, ends and value indexes of one table, as decoded.
type RangeParts = (Vec<u128>, Vec<u128>, Vec<u32>);

struct Reader<'a> {
    buf: &'a [u8],
}

// The errors are built lazily on purpose: an eager `ok_or(IpDataError::…)`
// builds and drops one per varint read (22 M per decode, about 0.1 s of
// every `pelita` start that enriches).
#[expect(
    clippy::unnecessary_lazy_evaluations,
    reason = "dropping an unused IpDataError is not free: it has String variants"
)]
impl Reader<'_> {
    fn magic(&mut self) -> Result<(), IpDataError> {
        match self.buf.strip_prefix(MAGIC) {
            Some(rest) => {
                self.buf = rest;
                Ok(())
            }
            None => Err(IpDataError::Damaged("not a Pelita IP table (bad magic)")),
        }
    }

    fn varint(&mut self) -> Result<u128, IpDataError> {
        let mut v: u128 = 0;
        let mut shift = 0u32;
        loop {
            let (&b, rest) = self
                .buf
                .split_first()
                .ok_or_else(|| IpDataError::Damaged("truncated"))?;
            self.buf = rest;
            if shift >= 128 {
                return Err(IpDataError::Damaged("varint too long"));
            }
            v |= u128::from(b & 0x7f)
                .checked_shl(shift)
                .ok_or_else(|| IpDataError::Damaged("varint too long"))?;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    fn count(&mut self) -> Result<usize, IpDataError> {
        let n = usize::try_from(self.varint()?).map_err(|_| IpDataError::Damaged("count"))?;
        // Every item takes at least one byte: a bigger count is damage, not a reason to allocate.
        if n > self.buf.len() {
            return Err(IpDataError::Damaged("count larger than the data"));
        }
        Ok(n)
    }

    fn index(&mut self, len: usize) -> Result<u32, IpDataError> {
        let i = self.varint()?;
        if i >= len as u128 {
            return Err(IpDataError::Damaged("index out of range"));
        }
        u32::try_from(i).map_err(|_| IpDataError::Damaged("index"))
    }

    fn string(&mut self) -> Result<String, IpDataError> {
        let n = self.count()?;
        let (s, rest) = self
            .buf
            .split_at_checked(n)
            .ok_or_else(|| IpDataError::Damaged("truncated string"))?;
        self.buf = rest;
        String::from_utf8(s.to_vec()).map_err(|_| IpDataError::Damaged("string is not UTF-8"))
    }

    fn ranges(&mut self, values: usize) -> Result<Ranges<u128>, IpDataError> {
        let (starts, ends, values) = self.range_parts(values)?;
        Ok(Ranges::new(starts, ends, values))
    }

    /// A table's starts, ends and value indexes, as stored (IPv6-wide),
    /// before they are narrowed and indexed.
    fn range_parts(&mut self, values: usize) -> Result<RangeParts, IpDataError> {
        let n = self.count()?;
        let (mut starts, mut ends, mut indexes) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let mut next: Option<u128> = Some(0);
        for _ in 0..n {
            let gap = self.varint()?;
            let span = self.varint()?;
            let value = self.index(values)?;
            let start = next
                .and_then(|p| p.checked_add(gap))
                .ok_or_else(|| IpDataError::Damaged("range past the end of the address space"))?;
            let end = start
                .checked_add(span)
                .ok_or_else(|| IpDataError::Damaged("range past the end of the address space"))?;
            starts.push(start);
            ends.push(end);
            indexes.push(value);
            next = end.checked_add(1);
        }
        Ok((starts, ends, indexes))
    }

    fn ranges_v4(&mut self, values: usize) -> Result<Ranges<u32>, IpDataError> {
        let (starts, ends, values) = self.range_parts(values)?;
        let narrow = |v: &[u128]| -> Result<Vec<u32>, IpDataError> {
            v.iter()
                .map(|x| u32::try_from(*x).map_err(|_| IpDataError::Damaged("IPv4 range")))
                .collect()
        };
        Ok(Ranges::new(narrow(&starts)?, narrow(&ends)?, values))
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u128) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u128);
    out.extend_from_slice(s.as_bytes());
}

/// One input row: an inclusive range of one family and a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    start: u128,
    end: u128,
    value: u32,
}

/// Interns strings (and ASN pairs) in first-seen order.
#[derive(Default)]
struct Interner<K> {
    index: std::collections::HashMap<K, u32>,
    items: Vec<K>,
}

impl<K: std::hash::Hash + Eq + Clone> Interner<K> {
    fn get(&mut self, k: &K) -> u32 {
        if let Some(i) = self.index.get(k) {
            return *i;
        }
        let i = u32::try_from(self.items.len()).unwrap_or(u32::MAX);
        self.items.push(k.clone());
        self.index.insert(k.clone(), i);
        i
    }
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    s.trim().parse().ok()
}

fn ip_num(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (true, u128::from(u32::from(a))),
        IpAddr::V6(a) => (false, u128::from(a)),
    }
}

/// Reads one CSV of `first,last,value…` rows, splitting by family.
fn read_csv<R: Read>(
    r: R,
    mut value: impl FnMut(&csv::StringRecord) -> Result<Option<u32>, String>,
    v4: &mut Vec<Row>,
    v6: &mut Vec<Row>,
) -> Result<(), IpDataError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(r);
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec?;
        let row = i as u64 + 1;
        let bad = |why: String| IpDataError::BadRow { row, why };
        let (Some(a), Some(b)) = (rec.get(0).and_then(parse_ip), rec.get(1).and_then(parse_ip))
        else {
            return Err(bad("the first two fields must be IP addresses".into()));
        };
        let ((a4, start), (b4, end)) = (ip_num(a), ip_num(b));
        if a4 != b4 || start > end {
            return Err(bad(format!("{a}..{b} is not a range")));
        }
        let Some(value) = value(&rec).map_err(bad)? else {
            continue;
        };
        let out = if a4 { &mut *v4 } else { &mut *v6 };
        out.push(Row { start, end, value });
    }
    Ok(())
}

/// Resolves overlaps (the narrowest range wins where ranges overlap) and
/// merges adjacent ranges with equal values. The result is sorted and
/// non-overlapping.
fn normalise(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by_key(|r| (r.start, r.end));
    let overlapping = rows
        .windows(2)
        .any(|w| matches!(w, [a, b] if b.start <= a.end));
    let segments = if overlapping { sweep(&rows) } else { rows };
    let mut out: Vec<Row> = Vec::with_capacity(segments.len());
    for r in segments {
        match out.last_mut() {
            Some(last) if last.value == r.value && last.end.checked_add(1) == Some(r.start) => {
                last.end = r.end;
            }
            _ => out.push(r),
        }
    }
    out
}

/// The sweep over overlapping ranges: at every elementary segment, the
/// active range with the smallest span (then the earliest row) wins.
fn sweep(rows: &[Row]) -> Vec<Row> {
    use std::collections::BTreeSet;
    // Events: (point, is_start, row index). Ends are at end + 1 (none past the top).
    let mut events: Vec<(u128, bool, usize)> = Vec::with_capacity(rows.len() * 2);
    for (i, r) in rows.iter().enumerate() {
        events.push((r.start, true, i));
        if let Some(after) = r.end.checked_add(1) {
            events.push((after, false, i));
        }
    }
    events.sort_unstable();
    let mut active: BTreeSet<(u128, usize)> = BTreeSet::new();
    let mut out = Vec::new();
    let mut k = 0;
    while let Some(&(point, _, _)) = events.get(k) {
        while let Some(&(p, is_start, i)) = events.get(k) {
            if p != point {
                break;
            }
            if let Some(r) = rows.get(i) {
                let key = (r.end - r.start, i);
                if is_start {
                    active.insert(key);
                } else {
                    active.remove(&key);
                }
            }
            k += 1;
        }
        let seg_end = match events.get(k) {
            Some(&(next, _, _)) => next - 1,
            None => u128::MAX,
        };
        if let Some(&(_, i)) = active.first()
            && let Some(r) = rows.get(i)
        {
            out.push(Row {
                start: point,
                end: seg_end.min(r.end),
                value: r.value,
            });
        }
    }
    out
}

/// Special-purpose IPv4 networks (RFC 6890 and its updates) that are never
/// given a country or ASN, whatever the source data says: "this network",
/// private, shared, loopback, link-local, IETF protocol assignments,
/// documentation, benchmarking, multicast and reserved.
pub const RESERVED_V4: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
];

/// Special-purpose IPv6 networks likewise: unspecified, loopback, discard,
/// benchmarking, documentation (RFC 3849, RFC 9637), unique local,
/// link-local and multicast.
pub const RESERVED_V6: &[&str] = &[
    "::/127",
    "100::/64",
    "2001:2::/48",
    "2001:db8::/32",
    "3fff::/20",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
];

/// Parses the reserved networks of one family into inclusive ranges.
fn reserved(nets: &[&str], v4: bool) -> Vec<(u128, u128)> {
    let bits: u32 = if v4 { 32 } else { 128 };
    nets.iter()
        .filter_map(|n| {
            let (a, l) = n.split_once('/')?;
            let (_, start) = ip_num(parse_ip(a)?);
            let len: u32 = l.parse().ok()?;
            let host = bits.checked_sub(len)?;
            let span = if host >= 128 {
                u128::MAX
            } else {
                (1u128 << host) - 1
            };
            Some((start, start | span))
        })
        .collect()
}

/// Removes the reserved ranges from sorted, non-overlapping rows.
fn carve(rows: Vec<Row>, reserved: &[(u128, u128)]) -> Vec<Row> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut pieces = vec![row];
        for &(a, b) in reserved {
            pieces = pieces
                .into_iter()
                .flat_map(|r| {
                    let mut keep = Vec::with_capacity(2);
                    if r.end < a || r.start > b {
                        keep.push(r);
                    } else {
                        if r.start < a {
                            keep.push(Row { end: a - 1, ..r });
                        }
                        if r.end > b {
                            keep.push(Row { start: b + 1, ..r });
                        }
                    }
                    keep
                })
                .collect();
        }
        out.extend(pieces);
    }
    out
}

fn put_rows(out: &mut Vec<u8>, rows: &[Row]) {
    put_varint(out, rows.len() as u128);
    let mut next: u128 = 0;
    for r in rows {
        put_varint(out, r.start - next);
        put_varint(out, r.end - r.start);
        put_varint(out, u128::from(r.value));
        next = r.end.saturating_add(1);
    }
}

/// Builds Pelita's compact IP tables from CSV files of inclusive ranges.
///
/// `country` files have rows `first,last,CC`; `asn` files have rows
/// `first,last,asn,as name` (the ip-location-db layout, no header; IPv4 and
/// IPv6 rows may be in the same or separate files). Country codes are upper-cased;
/// rows with an empty value or ASN 0 are skipped. Overlapping rows are
/// resolved by longest prefix (see the module documentation). Returns the
/// gzip-compressed bytes that [`IpTables::decode`] reads.
pub fn build_tables<C: Read, A: Read>(
    country: impl IntoIterator<Item = C>,
    asn: impl IntoIterator<Item = A>,
    version: &str,
) -> Result<Vec<u8>, IpDataError> {
    let mut strings: Interner<String> = Interner::default();
    let mut asns: Interner<(u32, u32)> = Interner::default();
    let (mut c4, mut c6, mut a4, mut a6) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in country {
        read_csv(
            r,
            |rec| {
                let cc = rec.get(2).unwrap_or("").trim().to_ascii_uppercase();
                if cc.is_empty() {
                    return Ok(None);
                }
                if cc.len() != 2 || !cc.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(format!("{cc:?} is not a country code"));
                }
                Ok(Some(strings.get(&cc)))
            },
            &mut c4,
            &mut c6,
        )?;
    }
    for r in asn {
        read_csv(
            r,
            |rec| {
                let n = rec.get(2).unwrap_or("").trim();
                let n = n.strip_prefix("AS").unwrap_or(n);
                let n: u32 = n.parse().map_err(|_| format!("{n:?} is not an ASN"))?;
                if n == 0 {
                    return Ok(None);
                }
                let name = rec.get(3).unwrap_or("").trim().to_string();
                let name = strings.get(&name);
                Ok(Some(asns.get(&(n, name))))
            },
            &mut a4,
            &mut a6,
        )?;
    }
    let mut raw = Vec::new();
    raw.extend_from_slice(MAGIC);
    put_str(&mut raw, version);
    put_varint(&mut raw, strings.items.len() as u128);
    for s in &strings.items {
        put_str(&mut raw, s);
    }
    put_varint(&mut raw, asns.items.len() as u128);
    for (n, name) in &asns.items {
        put_varint(&mut raw, u128::from(*n));
        put_varint(&mut raw, u128::from(*name));
    }
    let (r4, r6) = (reserved(RESERVED_V4, true), reserved(RESERVED_V6, false));
    for (rows, reserved) in [(c4, &r4), (c6, &r6), (a4, &r4), (a6, &r6)] {
        put_rows(&mut raw, &carve(normalise(rows), reserved));
    }
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(&raw)?;
    Ok(gz.finish()?)
}
