//! The region: the eight demo countries, the 23 partner organisations, and
//! the enrichment overlay that places the reserved ranges in the countries.
//!
//! Address plan (country index `i` in [`COUNTRIES`] order):
//!
//! - IPv4 at scale ≤ [`BENCHMARK_MAX_SCALE`]: `198.18.0.0/15` (RFC 2544) in
//!   eight `/18` blocks, `198.18.0.0/18 + i·16384`; each `/18` in two `/19`
//!   halves, one per hosting network.
//! - IPv4 at larger scales: `240.0.0.0/4` (reserved) in eight `/7` blocks,
//!   `240+2i.0.0.0/7`, each in two `/8` halves.
//! - IPv6: `2001:db8:<i+1>::/48` (RFC 3849), on the first hosting network.
//! - ASNs: `64496+2i` and `64497+2i` (RFC 5398 documentation ASNs).
//! - Domains: `<cc>.test`, `com.<cc>.test`, `gov.<cc>.test`, `edu.<cc>.test`.
//! - Phones: one 1000-number Ofcom drama block per country.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

/// One demo country.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Country {
    /// ISO 3166 alpha-2 code, upper case.
    pub code: &'static str,
    /// English short name.
    pub name: &'static str,
    /// Longitude of the capital, degrees east.
    pub lon: f64,
    /// Latitude of the capital, degrees north.
    pub lat: f64,
}

/// The eight demo countries, in index order (the address plan follows it).
pub const COUNTRIES: [Country; 8] = [
    Country {
        code: "SG",
        name: "Singapore",
        lon: 103.82,
        lat: 1.35,
    },
    Country {
        code: "MY",
        name: "Malaysia",
        lon: 101.69,
        lat: 3.139,
    },
    Country {
        code: "ID",
        name: "Indonesia",
        lon: 106.85,
        lat: -6.21,
    },
    Country {
        code: "TH",
        name: "Thailand",
        lon: 100.50,
        lat: 13.76,
    },
    Country {
        code: "PH",
        name: "Philippines",
        lon: 120.98,
        lat: 14.60,
    },
    Country {
        code: "VN",
        name: "Vietnam",
        lon: 105.85,
        lat: 21.03,
    },
    Country {
        code: "KH",
        name: "Cambodia",
        lon: 104.92,
        lat: 11.56,
    },
    Country {
        code: "LA",
        name: "Laos",
        lon: 102.63,
        lat: 17.98,
    },
];

/// The largest scale whose IPv4 addresses are in `198.18.0.0/15`; larger
/// scenarios use `240.0.0.0/4`.
pub const BENCHMARK_MAX_SCALE: u32 = 5;

/// The Ofcom drama-number blocks (E.164 prefixes of 1000 numbers each), one
/// per country in index order. These are the blocks `pelita_model` flags as
/// fictitious.
pub(crate) const PHONE_BLOCKS: [&str; 8] = [
    "+442079460",
    "+441134960",
    "+441144960",
    "+441154960",
    "+441174960",
    "+441184960",
    "+441214960",
    "+441314960",
];

/// What kind of organisation a partner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrgKind {
    /// A national CERT/CSIRT.
    Cert,
    /// A police cyber-crime unit.
    Police,
    /// A private security firm.
    Firm,
}

/// One partner organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// Short name, used as the source name (`cert-sg`, `police-sg`, `firm-alpha`).
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// Kind.
    pub kind: OrgKind,
    /// Country code, `None` for firms (they work across the region).
    pub country: Option<String>,
}

/// The seven firms: short name and display name.
pub(crate) const FIRMS: [(&str, &str); 7] = [
    ("firm-alpha", "Firm Alpha Security (synthetic)"),
    ("firm-bravo", "Firm Bravo Threat Labs (synthetic)"),
    ("firm-charlie", "Firm Charlie Web Defence (synthetic)"),
    ("firm-delta", "Firm Delta Sinkhole Services (synthetic)"),
    ("firm-echo", "Firm Echo Intelligence (synthetic)"),
    ("firm-foxtrot", "Firm Foxtrot Response (synthetic)"),
    ("firm-golf", "Firm Golf Blocklists (synthetic)"),
];

/// Every partner: per country its CERT and its police unit, then the firms (23 in all).
pub fn organisations() -> Vec<Org> {
    let mut out = Vec::with_capacity(23);
    for c in &COUNTRIES {
        let lc = c.code.to_ascii_lowercase();
        out.push(Org {
            name: format!("cert-{lc}"),
            display_name: format!("CERT {} (synthetic)", c.name),
            kind: OrgKind::Cert,
            country: Some(c.code.to_owned()),
        });
        out.push(Org {
            name: format!("police-{lc}"),
            display_name: format!("{} Police Cyber Unit (synthetic)", c.name),
            kind: OrgKind::Police,
            country: Some(c.code.to_owned()),
        });
    }
    for (name, display) in FIRMS {
        out.push(Org {
            name: name.to_owned(),
            display_name: display.to_owned(),
            kind: OrgKind::Firm,
            country: None,
        });
    }
    out
}

/// A domain suffix placed in a country by the overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainOverlay {
    /// The suffix (`gov.sg.test`), to be treated as a public suffix.
    pub suffix: String,
    /// Country code.
    pub country: String,
    /// `"government"`, `"education"` or `"military"`, if the suffix is sectoral.
    pub sector: Option<&'static str>,
}

/// The domain overlay: `<cc>.test`, `com.<cc>.test`, `gov.<cc>.test` and
/// `edu.<cc>.test` for each country. Treated as public suffixes, they make
/// `moh.gov.sg.test` the registrable domain of `www.moh.gov.sg.test`.
pub fn domain_overlay() -> Vec<DomainOverlay> {
    let mut out = Vec::with_capacity(32);
    for c in &COUNTRIES {
        let cc = c.code.to_ascii_lowercase();
        for (prefix, sector) in [
            ("", None),
            ("com.", None),
            ("gov.", Some("government")),
            ("edu.", Some("education")),
        ] {
            out.push(DomainOverlay {
                suffix: format!("{prefix}{cc}.test"),
                country: c.code.to_owned(),
                sector,
            });
        }
    }
    out
}

/// The phone overlay: the E.164 prefix of each country's drama-number block.
pub fn phone_overlay() -> Vec<(String, String)> {
    PHONE_BLOCKS
        .iter()
        .zip(COUNTRIES.iter())
        .map(|(p, c)| ((*p).to_owned(), c.code.to_owned()))
        .collect()
}

/// The documentation ASN of a country's hosting network (`half` 0 or 1).
pub(crate) fn asn(country: usize, half: usize) -> u32 {
    64496 + 2 * u32::try_from(country).unwrap_or(0) + u32::try_from(half).unwrap_or(0)
}

/// The AS name of a country's hosting network.
pub(crate) fn as_name(country: usize, half: usize) -> String {
    format!("Demo Hosting {}-{} (synthetic)", code(country), half + 1)
}

/// The code of country `i` (`"??"` out of range, which never happens).
pub(crate) fn code(i: usize) -> &'static str {
    COUNTRIES.get(i).map_or("??", |c| c.code)
}

/// The lower-case code of country `i`.
pub(crate) fn lc(i: usize) -> String {
    code(i).to_ascii_lowercase()
}

/// The first address of a hosting network (`half` 0 or 1) under a scheme.
fn network_base(country: usize, half: usize, benchmark: bool) -> u32 {
    let c = u32::try_from(country).unwrap_or(0);
    let h = u32::try_from(half).unwrap_or(0);
    if benchmark {
        u32::from(Ipv4Addr::new(198, 18, 0, 0)) + c * (1 << 14) + h * (1 << 13)
    } else {
        u32::from(Ipv4Addr::new(240, 0, 0, 0)) + c * (1 << 25) + h * (1 << 24)
    }
}

/// Usable host slots per hosting network: `.1` to `.254` of every `/24`.
pub(crate) fn slots_per_network(benchmark: bool) -> u64 {
    if benchmark { 32 * 254 } else { 65536 * 254 }
}

/// The address of host slot `p` of a hosting network.
pub(crate) fn host(country: usize, half: usize, p: u64, benchmark: bool) -> Ipv4Addr {
    let p = u32::try_from(p).unwrap_or(0);
    Ipv4Addr::from(network_base(country, half, benchmark) + (p / 254) * 256 + p % 254 + 1)
}

/// The IPv6 address `n` (from 1) of a country's documentation `/48`.
pub(crate) fn host6(country: usize, n: u64) -> Ipv6Addr {
    let c = u16::try_from(country + 1).unwrap_or(0);
    let hi = u16::try_from((n >> 16) & 0xffff).unwrap_or(0);
    let lo = u16::try_from(n & 0xffff).unwrap_or(0);
    Ipv6Addr::new(0x2001, 0x0db8, c, 0, 0, 0, hi, lo)
}

/// The IP overlay as CSV (`network,country,asn,as name`, the format of
/// `pelita_enrich`'s CSV overrides): both hosting networks of every country
/// in both IPv4 schemes, and each country's IPv6 `/48`.
pub fn ip_overlay_csv() -> String {
    let mut s = String::from(
        "network,country,asn,as name\n# Pelita demo overlay (synthetic): reserved ranges placed in the demo countries.\n",
    );
    for (benchmark, len) in [(true, 19), (false, 8)] {
        for (i, c) in COUNTRIES.iter().enumerate() {
            for half in 0..2 {
                let net = Ipv4Addr::from(network_base(i, half, benchmark));
                let _ = writeln!(
                    s,
                    "{net}/{len},{},{},{}",
                    c.code,
                    asn(i, half),
                    as_name(i, half)
                );
            }
        }
    }
    for (i, c) in COUNTRIES.iter().enumerate() {
        let _ = writeln!(
            s,
            "2001:db8:{:x}::/48,{},{},{}",
            i + 1,
            c.code,
            asn(i, 0),
            as_name(i, 0)
        );
    }
    s
}

/// The domain and phone overlays together as CSV (`kind,value,country,sector`,
/// the format of `pelita_enrich::NameOverlay::from_csv`).
pub fn name_overlay_csv() -> String {
    let mut s = String::from(
        "kind,value,country,sector\n# Pelita demo overlay (synthetic): .test suffixes and drama-number blocks placed in the demo countries.\n",
    );
    for d in domain_overlay() {
        let _ = writeln!(
            s,
            "suffix,{},{},{}",
            d.suffix,
            d.country,
            d.sector.unwrap_or("")
        );
    }
    for (prefix, country) in phone_overlay() {
        let _ = writeln!(s, "phone,{prefix},{country},");
    }
    s
}
