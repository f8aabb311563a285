//! A user's own IP data, consulted before the built-in tables: a CSV of
//! networks, or a MaxMind-format `.mmdb` file.
//!
//! CSV overrides have one network per row, `network,country,asn,as name`
//! (`network` in CIDR notation or a bare address; empty fields mean "no
//! override for this field"; lines starting with `#` and a header line
//! starting with `network` are skipped). Networks may nest: the **longest
//! prefix** that holds the address wins, field by field.
//!
//! A `.mmdb` file is read with the `maxminddb` crate; the fields used are
//! GeoIP2/GeoLite2's `country.iso_code` (else `registered_country.iso_code`),
//! `autonomous_system_number` and `autonomous_system_organization`, and
//! ip-location-db's `country_code`.

use std::collections::HashMap;
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;

use serde::Deserialize;

use crate::iptable::{IpDataError, canonical_ip};

/// What an override says about a network; `None` fields say nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverrideValue {
    /// Country code.
    pub country: Option<String>,
    /// ASN.
    pub asn: Option<u32>,
    /// AS name.
    pub as_name: Option<String>,
}

/// CSV overrides: per family, per prefix length, network → value.
#[derive(Debug, Clone, Default)]
pub struct CsvOverrides {
    /// (is IPv4, prefix length) → (network bits → value); lengths kept longest first.
    by_len: Vec<((bool, u8), HashMap<u128, OverrideValue>)>,
}

fn mask(len: u8, bits: u8) -> u128 {
    let host = u32::from(bits.saturating_sub(len));
    if host >= 128 {
        0
    } else {
        let all = if bits == 32 {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        };
        all & !((1u128 << host) - 1)
    }
}

fn ip_bits(ip: IpAddr) -> (bool, u128) {
    match canonical_ip(ip) {
        IpAddr::V4(a) => (true, u128::from(u32::from(a))),
        IpAddr::V6(a) => (false, u128::from(a)),
    }
}

impl CsvOverrides {
    /// Reads overrides from CSV text.
    pub fn from_reader<R: Read>(r: R) -> Result<CsvOverrides, IpDataError> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(r);
        let mut map: HashMap<(bool, u8), HashMap<u128, OverrideValue>> = HashMap::new();
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec?;
            let row = i as u64 + 1;
            let bad = |why: String| IpDataError::BadRow { row, why };
            let net = rec.get(0).unwrap_or("");
            if i == 0 && net.eq_ignore_ascii_case("network") {
                continue;
            }
            let (addr, len) = match net.split_once('/') {
                Some((a, l)) => (a, Some(l)),
                None => (net, None),
            };
            let ip: IpAddr = addr
                .parse()
                .map_err(|_| bad(format!("{net:?} is not a network")))?;
            let (v4, n) = ip_bits(ip);
            let bits: u8 = if v4 { 32 } else { 128 };
            let mut len: u8 = match len {
                Some(l) => l
                    .parse()
                    .map_err(|_| bad(format!("{net:?}: bad prefix length")))?,
                None => bits,
            };
            if v4 && ip.is_ipv6() {
                len = len.saturating_sub(96);
            }
            if len > bits {
                return Err(bad(format!("{net:?}: prefix length over {bits}")));
            }
            let field = |k: usize| rec.get(k).map(str::trim).filter(|s| !s.is_empty());
            let asn = match field(2) {
                Some(a) => Some(
                    a.trim_start_matches("AS")
                        .parse::<u32>()
                        .map_err(|_| bad(format!("{a:?} is not an ASN")))?,
                ),
                None => None,
            };
            let value = OverrideValue {
                country: field(1).map(str::to_ascii_uppercase),
                asn,
                as_name: field(3).map(str::to_string),
            };
            map.entry((v4, len))
                .or_default()
                .insert(n & mask(len, bits), value);
        }
        let mut by_len: Vec<_> = map.into_iter().collect();
        by_len.sort_by_key(|e| std::cmp::Reverse(e.0.1));
        Ok(CsvOverrides { by_len })
    }

    /// Reads overrides from a CSV file.
    pub fn from_path(path: &Path) -> Result<CsvOverrides, IpDataError> {
        CsvOverrides::from_reader(std::fs::File::open(path)?)
    }

    /// The override for an address, field by field from the longest prefix that sets it.
    pub fn lookup(&self, ip: IpAddr) -> OverrideValue {
        let (v4, n) = ip_bits(ip);
        let bits = if v4 { 32 } else { 128 };
        let mut out = OverrideValue::default();
        for ((fam, len), nets) in &self.by_len {
            if *fam != v4 {
                continue;
            }
            if let Some(v) = nets.get(&(n & mask(*len, bits))) {
                if out.country.is_none() {
                    out.country.clone_from(&v.country);
                }
                if out.asn.is_none() {
                    out.asn = v.asn;
                    out.as_name.clone_from(&v.as_name);
                }
                if out.country.is_some() && out.asn.is_some() {
                    break;
                }
            }
        }
        out
    }

    /// Whether there are no overrides.
    pub fn is_empty(&self) -> bool {
        self.by_len.is_empty()
    }
}

#[derive(Debug, Default, Deserialize)]
struct MmCountry {
    iso_code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct MmRecord {
    #[serde(default)]
    country: Option<MmCountry>,
    #[serde(default)]
    registered_country: Option<MmCountry>,
    #[serde(default)]
    country_code: Option<String>,
    #[serde(default)]
    autonomous_system_number: Option<u32>,
    #[serde(default)]
    autonomous_system_organization: Option<String>,
}

/// A MaxMind-format database.
pub struct Mmdb {
    reader: maxminddb::Reader<Vec<u8>>,
    /// Set when a look-up found the file damaged: it then answers nothing.
    damaged: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Mmdb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mmdb")
            .field("database_type", &self.reader.metadata.database_type)
            .finish()
    }
}

/// Runs `f`, turning a panic into `None`.
///
/// Why: the `maxminddb` reader (0.26) indexes the file's search tree and
/// data section without bounds checks, so a truncated or damaged file
/// panics inside it (`tests/mmdb_damaged.rs` found dozens of such bytes).
/// Writing our own reader is not worth it for an operator's override
/// file; containing the panic keeps the rule that a bad input is an error,
/// never a crash.
fn contained<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

/// Addresses looked up once when a file is opened: across the tree of
/// both families, so most damage is found then, as an error.
const PROBES: [IpAddr; 12] = [
    IpAddr::V4(std::net::Ipv4Addr::new(0, 0, 0, 0)),
    IpAddr::V4(std::net::Ipv4Addr::new(1, 1, 1, 1)),
    IpAddr::V4(std::net::Ipv4Addr::new(8, 8, 8, 8)),
    IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)),
    IpAddr::V4(std::net::Ipv4Addr::new(63, 255, 0, 1)),
    IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1)),
    IpAddr::V4(std::net::Ipv4Addr::new(172, 16, 0, 1)),
    IpAddr::V4(std::net::Ipv4Addr::new(192, 168, 1, 1)),
    IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7)),
    IpAddr::V4(std::net::Ipv4Addr::new(255, 255, 255, 255)),
    IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
    IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
];

impl Mmdb {
    /// Opens a `.mmdb` file.
    pub fn open(path: &Path) -> Result<Mmdb, IpDataError> {
        Mmdb::from_bytes(std::fs::read(path)?)
    }

    /// Reads a `.mmdb` from bytes; a file found damaged is an error.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Mmdb, IpDataError> {
        let damaged = || IpDataError::Damaged("the MaxMind database is damaged or truncated");
        let reader = contained(|| maxminddb::Reader::from_source(bytes)).ok_or_else(damaged)??;
        let db = Mmdb {
            reader,
            damaged: std::sync::atomic::AtomicBool::new(false),
        };
        for ip in PROBES {
            contained(|| db.read(ip)).ok_or_else(damaged)?;
        }
        Ok(db)
    }

    fn read(&self, ip: IpAddr) -> MmRecord {
        self.reader.lookup(ip).ok().flatten().unwrap_or_default()
    }

    /// The database type and build time, e.g. `GeoLite2-ASN@1700000000`.
    pub fn version(&self) -> String {
        format!(
            "{}@{}",
            self.reader.metadata.database_type, self.reader.metadata.build_epoch
        )
    }

    /// What the database says about an address (a damaged record counts
    /// as nothing; a file found damaged answers nothing from then on). An
    /// IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is looked up as IPv4,
    /// as the shipped tables and the CSV overrides do.
    pub fn lookup(&self, ip: IpAddr) -> OverrideValue {
        use std::sync::atomic::Ordering;
        let ip = canonical_ip(ip);
        if self.damaged.load(Ordering::Relaxed) {
            return OverrideValue::default();
        }
        let Some(rec) = contained(|| self.read(ip)) else {
            if !self.damaged.swap(true, Ordering::Relaxed) {
                eprintln!("pelita: the MaxMind override database is damaged; it is no longer used");
            }
            return OverrideValue::default();
        };
        let country = rec
            .country
            .and_then(|c| c.iso_code)
            .or(rec.country_code)
            .or(rec.registered_country.and_then(|c| c.iso_code));
        OverrideValue {
            country: country.map(|c| c.to_ascii_uppercase()),
            asn: rec.autonomous_system_number,
            as_name: rec.autonomous_system_organization,
        }
    }
}
