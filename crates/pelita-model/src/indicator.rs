//! The canonical indicator: one value, one form, one key.
//!
//! [`Indicator::parse`] is the single entry point from text to a canonical
//! indicator. It refangs the input ([`crate::refang`]), then either
//! validates it as the kind the caller states, or infers the kind from the
//! value's shape (see [`Indicator::parse`] for the order). Every variant
//! holds a validated value whose fields cannot be set from outside this
//! crate, so an `Indicator` is canonical by construction, and
//! [`Indicator::key`] (`kind:value`) is the deduplication key: the same
//! thing written four ways by four partners has one key.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize, Serializer};

use crate::IndicatorKind;
use crate::asn::{self, AsnError};
use crate::crypto::{self, CryptoError};
use crate::domain::{Domain, DomainError};
use crate::email::{self, EmailError};
use crate::flags::{Flag, Flags};
use crate::hash::{self, HashError};
use crate::ip::{self, Cidr, CidrOrIp, IpError};
use crate::onion::{self, OnionError};
use crate::phone::{self, PhoneError};
use crate::refang::refang;
use crate::url::{Url, UrlError};

/// The longest candidate accepted, in bytes. Longer input is rejected before any parsing.
pub const MAX_CANDIDATE_BYTES: usize = 8192;

/// Why a candidate is not an indicator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IndicatorError {
    /// Nothing but white space.
    #[error("empty value")]
    Empty,
    /// Over [`MAX_CANDIDATE_BYTES`].
    #[error("value is {0} bytes long; the limit is {MAX_CANDIDATE_BYTES}")]
    TooLong(usize),
    /// No kind matches the shape of the value.
    #[error("not recognised as any indicator kind")]
    Unrecognised,
    /// A name whose top-level domain is not on the Public Suffix List, found by inference.
    #[error(
        "{0:?} is not a domain: top-level domain {1:?} is not on the Public Suffix List (state the kind to accept it)"
    )]
    UnknownTld(String, String),
    /// The stated kind and the value disagree.
    #[error("value is a {found}, not a {expected}")]
    KindMismatch {
        /// The kind the caller stated.
        expected: IndicatorKind,
        /// The kind the value is.
        found: IndicatorKind,
    },
    /// A bad IP address or network.
    #[error("invalid IP address: {0}")]
    Ip(#[from] IpError),
    /// A bad domain name.
    #[error("invalid domain: {0}")]
    Domain(#[from] DomainError),
    /// A bad URL.
    #[error("invalid URL: {0}")]
    Url(#[from] UrlError),
    /// A bad e-mail address.
    #[error("invalid e-mail address: {0}")]
    Email(#[from] EmailError),
    /// A bad digest.
    #[error("invalid hash: {0}")]
    Hash(#[from] HashError),
    /// A bad ASN.
    #[error("invalid ASN: {0}")]
    Asn(#[from] AsnError),
    /// A bad cryptocurrency address.
    #[error("{0}")]
    Crypto(#[from] CryptoError),
    /// A bad onion address.
    #[error("invalid onion address: {0}")]
    Onion(#[from] OnionError),
    /// A bad phone number.
    #[error("invalid phone number: {0}")]
    Phone(#[from] PhoneError),
}

/// A validated string value; only this crate can make one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(Box<str>);

impl Text {
    fn new(s: impl Into<Box<str>>) -> Self {
        Text(s.into())
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IPv6 address that is not IPv4-mapped (those are [`Indicator::Ipv4`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv6(Ipv6Addr);

impl Ipv6 {
    /// The address.
    pub fn addr(self) -> Ipv6Addr {
        self.0
    }
}

/// An e-mail address: the local part as written, the domain canonical.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email {
    local: Box<str>,
    domain: Domain,
}

impl Email {
    /// The local part, as written.
    pub fn local(&self) -> &str {
        &self.local
    }

    /// The domain.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }
}

/// A canonical indicator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Indicator {
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address.
    Ipv6(Ipv6),
    /// An IP network.
    Cidr(Cidr),
    /// A domain name.
    Domain(Domain),
    /// A URL.
    Url(Url),
    /// An e-mail address.
    Email(Email),
    /// An MD5 digest (lower-case hex).
    Md5(Text),
    /// A SHA-1 digest.
    Sha1(Text),
    /// A SHA-256 digest.
    Sha256(Text),
    /// A SHA-512 digest.
    Sha512(Text),
    /// An ssdeep hash.
    Ssdeep(Text),
    /// A TLSH hash.
    Tlsh(Text),
    /// An autonomous system number.
    Asn(u32),
    /// A Bitcoin address.
    Bitcoin(Text),
    /// An Ethereum address (lower case).
    Ethereum(Text),
    /// A Monero address.
    Monero(Text),
    /// A Tor v3 onion address.
    Onion(Text),
    /// A phone number in E.164.
    Phone(Text),
}

/// Options for [`Indicator::parse`].
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Region (ISO 3166 alpha-2) for phone numbers written in national form.
    pub default_region: Option<String>,
}

/// The result of parsing: the indicator, its flags (intrinsic ones and what
/// canonicalisation did), and a port if the value carried one (`192.0.2.1:443`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    /// The canonical indicator.
    pub indicator: Indicator,
    /// Flags: intrinsic facts and notes on canonicalisation.
    pub flags: Flags,
    /// A port written with the value, which is not part of the indicator.
    pub port: Option<u16>,
}

impl Indicator {
    /// Parses a candidate value, written in any notation partners use.
    ///
    /// With `kind`, the value is validated as that kind; the IP kinds (IPv4,
    /// IPv6, CIDR) accept one another, since feeds mix them under one label,
    /// and a domain-kind value that is an IP address is taken as the IP.
    /// Without `kind`, the kind is inferred, trying in this order: URL (has
    /// `://`), e-mail (has `@`), onion (`.onion`), CIDR or scheme-less URL
    /// (has `/`), IPv4 (digits and dots), IPv6 (has `:`), ASN (`AS…`), digests
    /// by length, TLSH, Ethereum (`0x`), ssdeep, Bitcoin, phone (`+…`, or
    /// national with a default region), Monero, domain. A domain found by
    /// inference must have a known public suffix or a reserved TLD, so that
    /// file names (`invoice.pdf`) are not taken for domains.
    pub fn parse(
        input: &str,
        kind: Option<IndicatorKind>,
        options: &ParseOptions,
    ) -> Result<Canonical, IndicatorError> {
        if input.len() > MAX_CANDIDATE_BYTES {
            return Err(IndicatorError::TooLong(input.len()));
        }
        let fanged = refang(input);
        let refanged = matches!(fanged, std::borrow::Cow::Owned(_));
        let value = unwrap_value(&fanged);
        if value.is_empty() {
            return Err(IndicatorError::Empty);
        }
        let mut out = match kind {
            Some(k) => parse_as(value, k, options)?,
            None => infer(value, options)?,
        };
        if refanged {
            out.flags.insert(Flag::Refanged);
        }
        out.flags = out.flags.union(out.indicator.intrinsic_flags());
        Ok(out)
    }

    /// The kind.
    pub fn kind(&self) -> IndicatorKind {
        match self {
            Indicator::Ipv4(_) => IndicatorKind::Ipv4,
            Indicator::Ipv6(_) => IndicatorKind::Ipv6,
            Indicator::Cidr(_) => IndicatorKind::Cidr,
            Indicator::Domain(_) => IndicatorKind::Domain,
            Indicator::Url(_) => IndicatorKind::Url,
            Indicator::Email(_) => IndicatorKind::Email,
            Indicator::Md5(_) => IndicatorKind::Md5,
            Indicator::Sha1(_) => IndicatorKind::Sha1,
            Indicator::Sha256(_) => IndicatorKind::Sha256,
            Indicator::Sha512(_) => IndicatorKind::Sha512,
            Indicator::Ssdeep(_) => IndicatorKind::Ssdeep,
            Indicator::Tlsh(_) => IndicatorKind::Tlsh,
            Indicator::Asn(_) => IndicatorKind::Asn,
            Indicator::Bitcoin(_) => IndicatorKind::Bitcoin,
            Indicator::Ethereum(_) => IndicatorKind::Ethereum,
            Indicator::Monero(_) => IndicatorKind::Monero,
            Indicator::Onion(_) => IndicatorKind::Onion,
            Indicator::Phone(_) => IndicatorKind::Phone,
        }
    }

    /// The canonical value as text (`AS13335` is written `13335`).
    pub fn value(&self) -> String {
        match self.text() {
            Some(text) => text.to_owned(),
            None => self.to_string(),
        }
    }

    /// The deduplication key, `kind:value`.
    pub fn key(&self) -> String {
        match self.text() {
            Some(text) => self.key_with_value(text),
            None => format!("{}:{}", self.kind(), self),
        }
    }

    /// The deduplication key for this indicator's [`Indicator::value`],
    /// already rendered (the key without rendering the value again).
    pub fn key_with_value(&self, value: &str) -> String {
        debug_assert_eq!(value, self.to_string(), "the value of this indicator");
        let kind = self.kind().as_str();
        let mut key = String::with_capacity(kind.len() + 1 + value.len());
        key.push_str(kind);
        key.push(':');
        key.push_str(value);
        key
    }

    /// The canonical value, for the kinds that hold it as text (the rest
    /// are rendered by `Display`). Going around the formatting machinery
    /// matters: every record renders its value and key.
    fn text(&self) -> Option<&str> {
        match self {
            Indicator::Domain(d) => Some(d.as_str()),
            Indicator::Url(u) => Some(u.as_str()),
            Indicator::Md5(t)
            | Indicator::Sha1(t)
            | Indicator::Sha256(t)
            | Indicator::Sha512(t)
            | Indicator::Ssdeep(t)
            | Indicator::Tlsh(t)
            | Indicator::Bitcoin(t)
            | Indicator::Ethereum(t)
            | Indicator::Monero(t)
            | Indicator::Onion(t)
            | Indicator::Phone(t) => Some(t.as_str()),
            Indicator::Ipv4(_)
            | Indicator::Ipv6(_)
            | Indicator::Cidr(_)
            | Indicator::Email(_)
            | Indicator::Asn(_) => None,
        }
    }

    /// Flags that follow from the value alone.
    pub fn intrinsic_flags(&self) -> Flags {
        match self {
            Indicator::Ipv4(a) => ip::ip_flags(IpAddr::V4(*a)),
            Indicator::Ipv6(a) => ip::ip_flags(IpAddr::V6(a.0)),
            Indicator::Cidr(c) => c.flags(),
            Indicator::Domain(d) => d.flags(),
            Indicator::Url(u) => u.host().flags(),
            Indicator::Email(e) => e.domain.flags(),
            Indicator::Asn(n) => asn::asn_flags(*n),
            Indicator::Bitcoin(t) => {
                let s = t.as_str();
                if s.starts_with("tb1") || s.starts_with("bcrt1") || s.starts_with(['m', 'n', '2'])
                {
                    Flag::Testnet.into()
                } else {
                    Flags::empty()
                }
            }
            Indicator::Phone(t) if phone::is_fictitious(t.as_str()) => Flag::Fictitious.into(),
            Indicator::Md5(_)
            | Indicator::Sha1(_)
            | Indicator::Sha256(_)
            | Indicator::Sha512(_)
            | Indicator::Ssdeep(_)
            | Indicator::Tlsh(_)
            | Indicator::Ethereum(_)
            | Indicator::Monero(_)
            | Indicator::Onion(_)
            | Indicator::Phone(_) => Flags::empty(),
        }
    }

    /// The domain this indicator names or is hosted on, if any.
    pub fn domain(&self) -> Option<&Domain> {
        match self {
            Indicator::Domain(d) => Some(d),
            Indicator::Url(u) => match u.host() {
                crate::url::Host::Domain(d) => Some(d),
                crate::url::Host::Ip(_) => None,
            },
            Indicator::Email(e) => Some(&e.domain),
            _ => None,
        }
    }

    /// The IP address this indicator is or is hosted on, if any.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Indicator::Ipv4(a) => Some(IpAddr::V4(*a)),
            Indicator::Ipv6(a) => Some(IpAddr::V6(a.0)),
            Indicator::Url(u) => match u.host() {
                crate::url::Host::Ip(ip) => Some(*ip),
                crate::url::Host::Domain(_) => None,
            },
            _ => None,
        }
    }

    /// A defanged rendering that [`crate::refang`] turns back into this
    /// indicator: dots of hosts become `[.]`, `@` becomes `[@]`, `http`
    /// becomes `hxxp`, `ftp` becomes `fxp`. Values that nobody can click
    /// (hashes, ASNs, IPv6, wallets) are returned unchanged.
    pub fn defang(&self) -> String {
        defang_value(self.kind(), &self.value())
    }
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Indicator::Ipv4(a) => a.fmt(f),
            Indicator::Ipv6(a) => a.0.fmt(f),
            Indicator::Cidr(c) => c.fmt(f),
            Indicator::Domain(d) => d.fmt(f),
            Indicator::Url(u) => u.fmt(f),
            Indicator::Email(e) => write!(f, "{}@{}", e.local, e.domain),
            Indicator::Asn(n) => n.fmt(f),
            Indicator::Md5(t)
            | Indicator::Sha1(t)
            | Indicator::Sha256(t)
            | Indicator::Sha512(t)
            | Indicator::Ssdeep(t)
            | Indicator::Tlsh(t)
            | Indicator::Bitcoin(t)
            | Indicator::Ethereum(t)
            | Indicator::Monero(t)
            | Indicator::Onion(t)
            | Indicator::Phone(t) => f.write_str(t.as_str()),
        }
    }
}

impl Serialize for Indicator {
    /// `{"kind": "domain", "value": "example.com"}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Indicator", 2)?;
        st.serialize_field("kind", &self.kind())?;
        st.serialize_field("value", &self.to_string())?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for Indicator {
    /// Reads `{"kind", "value"}` and re-validates: stored data is untrusted too.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            kind: IndicatorKind,
            value: String,
        }
        let raw = Raw::deserialize(d)?;
        let value = if raw.kind == IndicatorKind::Asn {
            format!("AS{}", raw.value)
        } else {
            raw.value
        };
        let c = Indicator::parse(&value, Some(raw.kind), &ParseOptions::default())
            .map_err(serde::de::Error::custom)?;
        if c.indicator.kind() != raw.kind {
            return Err(serde::de::Error::custom(format!(
                "stored {} is a {}",
                raw.kind,
                c.indicator.kind()
            )));
        }
        Ok(c.indicator)
    }
}

/// Removes wrapping quotes and angle brackets (`"…"`, `'…'`, `<…>`) and surrounding white space.
fn unwrap_value(s: &str) -> &str {
    let mut t = s.trim();
    for (open, close) in [('"', '"'), ('\'', '\''), ('<', '>'), ('`', '`')] {
        if t.len() >= 2 && t.starts_with(open) && t.ends_with(close) {
            t = t.get(1..t.len() - 1).unwrap_or(t).trim();
        }
    }
    t
}

fn plain(indicator: Indicator) -> Canonical {
    Canonical {
        indicator,
        flags: Flags::empty(),
        port: None,
    }
}

fn from_ip(ip: IpAddr) -> Indicator {
    match ip {
        IpAddr::V4(a) => Indicator::Ipv4(a),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => Indicator::Ipv4(v4),
            None => Indicator::Ipv6(Ipv6(a)),
        },
    }
}

/// Any IP notation: address, network, `v4:port`, `[v6]:port`.
fn parse_ip_like(s: &str) -> Result<Canonical, IndicatorError> {
    if s.contains('/') {
        let (net, host_bits) = Cidr::parse(s)?;
        let mut c = plain(match net {
            CidrOrIp::Net(n) => Indicator::Cidr(n),
            CidrOrIp::Ip(ip) => from_ip(ip),
        });
        if host_bits {
            c.flags.insert(Flag::HostBitsSet);
        }
        return Ok(c);
    }
    // [v6]:port
    if let Some(rest) = s.strip_prefix('[')
        && let Some((addr, port)) = rest.split_once("]:")
    {
        let ip = ip::parse_ipv6(addr)?;
        return Ok(Canonical {
            port: parse_port(port),
            ..plain(from_ip(ip))
        });
    }
    if s.contains(':') && s.matches(':').count() > 1 {
        return Ok(plain(from_ip(ip::parse_ipv6(s)?)));
    }
    let (addr, port) = match s.split_once(':') {
        Some((a, p)) if parse_port(p).is_some() => (a, parse_port(p)),
        _ => (s, None),
    };
    Ok(Canonical {
        port,
        ..plain(Indicator::Ipv4(ip::parse_ipv4(addr)?))
    })
}

fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse().ok()
}

fn domain_with_port(s: &str) -> Result<Canonical, IndicatorError> {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if parse_port(p).is_some() => (h, parse_port(p)),
        _ => (s, None),
    };
    Ok(Canonical {
        port,
        ..plain(Indicator::Domain(Domain::parse(host)?))
    })
}

fn parse_as(
    s: &str,
    kind: IndicatorKind,
    options: &ParseOptions,
) -> Result<Canonical, IndicatorError> {
    let c = match kind {
        IndicatorKind::Ipv4 | IndicatorKind::Ipv6 | IndicatorKind::Cidr => parse_ip_like(s)?,
        IndicatorKind::Domain => {
            if ip::looks_like_ipv4(s) || s.contains(':') && !s.contains('.') || s.starts_with('[') {
                parse_ip_like(s)?
            } else {
                domain_with_port(s)?
            }
        }
        IndicatorKind::Url => {
            if s.contains("://") {
                plain(Indicator::Url(Url::parse(s)?))
            } else {
                let mut c = plain(Indicator::Url(Url::parse(&format!("http://{s}"))?));
                c.flags.insert(Flag::SchemeAssumed);
                c
            }
        }
        IndicatorKind::Email => {
            let (local, domain) = email::parse_email(s)?;
            plain(Indicator::Email(Email {
                local: local.into_boxed_str(),
                domain,
            }))
        }
        IndicatorKind::Md5
        | IndicatorKind::Sha1
        | IndicatorKind::Sha256
        | IndicatorKind::Sha512 => {
            let (k, hex) = hash::parse_digest(strip_hash_prefix(s), Some(kind))?;
            plain(digest(k, hex))
        }
        IndicatorKind::Ssdeep => plain(Indicator::Ssdeep(Text::new(hash::parse_ssdeep(s)?))),
        IndicatorKind::Tlsh => plain(Indicator::Tlsh(Text::new(hash::parse_tlsh(s)?))),
        IndicatorKind::Asn => plain(Indicator::Asn(asn::parse_asn(s, true)?)),
        IndicatorKind::Bitcoin => {
            let (v, flags) = crypto::parse_bitcoin(s)?;
            Canonical {
                flags,
                ..plain(Indicator::Bitcoin(Text::new(v)))
            }
        }
        IndicatorKind::Ethereum => {
            plain(Indicator::Ethereum(Text::new(crypto::parse_ethereum(s)?)))
        }
        IndicatorKind::Monero => {
            let (v, flags) = crypto::parse_monero(s)?;
            Canonical {
                flags,
                ..plain(Indicator::Monero(Text::new(v)))
            }
        }
        IndicatorKind::Onion => plain(Indicator::Onion(Text::new(onion::parse_onion(s)?))),
        IndicatorKind::Phone => {
            let (v, flags) = phone::parse_phone(s, options.default_region.as_deref())?;
            Canonical {
                flags,
                ..plain(Indicator::Phone(Text::new(v)))
            }
        }
    };
    Ok(c)
}

fn digest(kind: IndicatorKind, hex: String) -> Indicator {
    let t = Text::new(hex);
    match kind {
        IndicatorKind::Sha1 => Indicator::Sha1(t),
        IndicatorKind::Sha256 => Indicator::Sha256(t),
        IndicatorKind::Sha512 => Indicator::Sha512(t),
        _ => Indicator::Md5(t),
    }
}

/// `sha256:…`, `MD5=…` prefixes that some tools write before a digest.
fn strip_hash_prefix(s: &str) -> &str {
    for p in [
        "md5", "sha1", "sha-1", "sha256", "sha-256", "sha512", "sha-512",
    ] {
        if let Some(head) = s.get(..p.len())
            && head.eq_ignore_ascii_case(p)
            && let Some(rest) = s.get(p.len()..).and_then(|r| r.strip_prefix([':', '=']))
        {
            return rest.trim();
        }
    }
    s
}

fn is_base58(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l'))
}

fn looks_like_phone(s: &str, with_region: bool) -> bool {
    let body = s.strip_prefix("tel:").unwrap_or(s);
    let international = body.starts_with('+') || body.starts_with("00");
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    (international || with_region)
        && (6..=17).contains(&digits)
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b' ' | b'-' | b'(' | b')' | b'.'))
        && !ip::looks_like_ipv4(body)
}

fn infer(s: &str, options: &ParseOptions) -> Result<Canonical, IndicatorError> {
    use IndicatorKind as K;
    let lower_prefix = |p: &str| s.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    if s.contains("://") {
        return parse_as(s, K::Url, options);
    }
    if lower_prefix("mailto:") || (s.contains('@') && !s.contains('/')) {
        return parse_as(s, K::Email, options);
    }
    // ssdeep hashes contain `/` and `+`: recognise them before paths and CIDRs.
    if s.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && s.matches(':').count() == 2
        && hash::parse_ssdeep(s).is_ok()
    {
        return parse_as(s, K::Ssdeep, options);
    }
    // Case-insensitive tests on `s` itself: no lower-cased copy per value.
    let bare = s.trim_end_matches('.');
    let onion = bare.len().checked_sub(".onion".len());
    if onion
        .and_then(|at| bare.get(at..))
        .is_some_and(|t| t.eq_ignore_ascii_case(".onion"))
    {
        return parse_as(s, K::Onion, options);
    }
    if let Some((head, tail)) = s.split_once('/') {
        let is_prefix =
            !tail.is_empty() && tail.len() <= 3 && tail.bytes().all(|b| b.is_ascii_digit());
        if is_prefix && (head.contains(':') || ip::looks_like_ipv4(head)) {
            return parse_ip_like(s);
        }
        // host/path without a scheme: a URL, if the host is a real host.
        let host = head.split(':').next().unwrap_or(head);
        let host_ok = ip::looks_like_ipv4(host)
            || Domain::parse(host).is_ok_and(|d| !d.flags().contains(Flag::UnknownSuffix));
        if host_ok && !head.is_empty() {
            return parse_as(s, K::Url, options);
        }
        return Err(IndicatorError::Unrecognised);
    }
    let host_part = s
        .rsplit_once(':')
        .filter(|(_, p)| parse_port(p).is_some())
        .map_or(s, |(h, _)| h);
    if ip::looks_like_ipv4(host_part) {
        return parse_ip_like(s);
    }
    if s.starts_with('[')
        || (s.contains(':')
            && s.bytes()
                .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.' | b'[' | b']')))
    {
        return parse_ip_like(s);
    }
    if (lower_prefix("as")
        && s.as_bytes()
            .get(2)
            .map(u8::to_ascii_lowercase)
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'n' | b' ' | b'-')))
        && asn::parse_asn(s, false).is_ok()
    {
        return parse_as(s, K::Asn, options);
    }
    let hex_body = strip_hash_prefix(s);
    if hex_body.bytes().all(|b| b.is_ascii_hexdigit()) {
        if hash::kind_for_len(hex_body.len()).is_some() {
            let (k, hex) = hash::parse_digest(hex_body, None)?;
            return Ok(plain(digest(k, hex)));
        }
        if hex_body.len() == 70 {
            return parse_as(s, K::Tlsh, options);
        }
    }
    if s.len() == 72 && lower_prefix("t1") {
        return parse_as(s, K::Tlsh, options);
    }
    if lower_prefix("0x") && s.len() == 42 {
        return parse_as(s, K::Ethereum, options);
    }
    if lower_prefix("bc1") || lower_prefix("tb1") || lower_prefix("bcrt1") {
        return parse_as(s, K::Bitcoin, options);
    }
    if looks_like_phone(s, options.default_region.is_some()) {
        return parse_as(s, K::Phone, options);
    }
    if is_base58(s) {
        if (25..=35).contains(&s.len()) && s.starts_with(['1', '3', 'm', 'n', '2']) {
            return parse_as(s, K::Bitcoin, options);
        }
        if s.len() == 95 || s.len() == 106 {
            return parse_as(s, K::Monero, options);
        }
    }
    if s.contains('.') {
        let c = domain_with_port(s)?;
        if let Indicator::Domain(d) = &c.indicator
            && d.flags().contains(Flag::UnknownSuffix)
        {
            return Err(IndicatorError::UnknownTld(
                d.as_str().to_owned(),
                d.tld().to_owned(),
            ));
        }
        return Ok(c);
    }
    Err(IndicatorError::Unrecognised)
}

/// The defanged form of a canonical value of `kind`: what
/// [`Indicator::defang`] gives, from the canonical text alone (a store or a
/// report that holds canonical values need not parse them again). Dots of
/// IPv4 addresses and networks, domains, onion names and URL hosts become
/// `[.]`, the `@` of an e-mail address `[@]`, URL schemes `hxxp`, `hxxps`,
/// `fxp`; other kinds are unchanged.
pub fn defang_value(kind: IndicatorKind, value: &str) -> String {
    match kind {
        IndicatorKind::Ipv4 | IndicatorKind::Domain | IndicatorKind::Onion => {
            value.replace('.', "[.]")
        }
        IndicatorKind::Cidr if !value.contains(':') => value.replace('.', "[.]"),
        IndicatorKind::Email => match value.rsplit_once('@') {
            Some((local, domain)) => format!("{local}[@]{}", domain.replace('.', "[.]")),
            None => value.to_owned(),
        },
        IndicatorKind::Url => {
            let (scheme, rest) = value.split_once("://").unwrap_or(("", value));
            let scheme = match scheme {
                "http" => "hxxp",
                "https" => "hxxps",
                "ftp" => "fxp",
                other => other,
            };
            let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(host_end);
            let authority = if authority.contains('[') {
                authority.to_owned()
            } else {
                authority.replace('.', "[.]")
            };
            format!("{scheme}://{authority}{tail}")
        }
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> String {
        match Indicator::parse(s, None, &ParseOptions::default()) {
            Ok(c) => c.indicator.key(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn inference() {
        for (input, want) in [
            ("192.0.2.1", "ipv4:192.0.2.1"),
            ("192.0.2[.]1", "ipv4:192.0.2.1"),
            ("192.0.2.1:8080", "ipv4:192.0.2.1"),
            ("2001:DB8::1", "ipv6:2001:db8::1"),
            ("[2001:db8::1]:443", "ipv6:2001:db8::1"),
            ("https://[2001:db8::1]", "url:https://[2001:db8::1]/"),
            ("::ffff:192.0.2.1", "ipv4:192.0.2.1"),
            ("10.1.2.3/8", "cidr:10.0.0.0/8"),
            ("192.0.2.7/32", "ipv4:192.0.2.7"),
            ("Example[.]COM", "domain:example.com"),
            (
                "hxxp://Example[.]com:80/a/../b#x",
                "url:http://example.com/b",
            ),
            (
                "example.com/malware.exe",
                "url:http://example.com/malware.exe",
            ),
            ("Bob[@]Example[.]com", "email:Bob@example.com"),
            (
                "D41D8CD98F00B204E9800998ECF8427E",
                "md5:d41d8cd98f00b204e9800998ecf8427e",
            ),
            (
                "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            ("AS13335", "asn:13335"),
            (
                "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrJzrhuyZvHYm8tKp/RWO",
                "ssdeep:96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrJzrhuyZvHYm8tKp/RWO",
            ),
            ("asn 64500", "asn:64500"),
            (
                "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                "eth:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
            ),
            (
                "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
                "btc:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
            ),
            (
                "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
                "btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            ),
            ("+44 20 7946 0123", "phone:+442079460123"),
            (
                "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid[.]onion",
                "onion:2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion",
            ),
            ("\"example.org\"", "domain:example.org"),
        ] {
            assert_eq!(key(input), want, "{input}");
        }
    }

    #[test]
    fn inference_rejections() {
        assert!(key("invoice.pdf").contains("not on the Public Suffix List"));
        assert!(key("127.1").contains("shortened"));
        assert!(key("010.1.1.1").contains("leading zero"));
        assert!(key("hello").contains("not recognised"));
        assert!(key("   ").contains("empty"));
        assert!(key("http://karlos .net/").contains("white space"));
        assert!(key("ghzz,com").contains("not recognised"));
        assert!(key(&"a".repeat(9000)).contains("limit"));
    }

    /// `value` and `key` skip `Display` for kinds held as text: they
    /// must still say exactly what `Display` says, for every kind.
    #[test]
    fn value_and_key_are_the_display_of_every_kind() {
        let opts = ParseOptions {
            default_region: Some("GB".into()),
        };
        let mut kinds = std::collections::BTreeSet::new();
        for (input, kind) in [
            ("192.0.2.1", None),
            ("2001:db8::1", None),
            ("10.1.2.3/8", None),
            ("Example[.]COM", None),
            ("xn--bcher-kva.example", None),
            ("hxxps://Example.com:443/a?b=c", None),
            ("Someone@Example.org", None),
            ("AS13335", None),
            ("d41d8cd98f00b204e9800998ecf8427e", None),
            ("da39a3ee5e6b4b0d3255bfef95601890afd80709", None),
            (
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                None,
            ),
            (&"ab".repeat(64), None),
            (
                "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C",
                Some(IndicatorKind::Ssdeep),
            ),
            (
                "T1A4F09C2B6A3C5E1D0F9B8A7C6E5D4C3B2A1F0E9D8C7B6A5F4E3D2C1B0A9F8E7D6C5",
                Some(IndicatorKind::Tlsh),
            ),
            ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", None),
            ("0x52908400098527886E0F7030069857D2E4169EE7", None),
            ("expyuzz4wqqyqhjn.onion", None),
            ("020 7946 0123", Some(IndicatorKind::Phone)),
        ] {
            let Ok(c) = Indicator::parse(input, kind, &opts) else {
                continue;
            };
            let i = c.indicator;
            kinds.insert(i.kind());
            assert_eq!(i.value(), i.to_string(), "{input}");
            assert_eq!(i.key(), format!("{}:{}", i.kind(), i), "{input}");
            assert_eq!(i.key_with_value(&i.value()), i.key(), "{input}");
        }
        assert!(kinds.len() >= 15, "most kinds covered: {kinds:?}");
    }

    #[test]
    fn explicit_kinds() {
        let p = |s: &str, k| {
            Indicator::parse(s, Some(k), &ParseOptions::default()).map(|c| c.indicator.key())
        };
        assert_eq!(
            p("invoice.pdf", IndicatorKind::Domain).unwrap(),
            "domain:invoice.pdf"
        );
        assert_eq!(
            p("192.0.2.0/24", IndicatorKind::Ipv4).unwrap(),
            "cidr:192.0.2.0/24"
        );
        assert_eq!(
            p("192.0.2.5", IndicatorKind::Domain).unwrap(),
            "ipv4:192.0.2.5"
        );
        assert_eq!(p("13335", IndicatorKind::Asn).unwrap(), "asn:13335");
        assert_eq!(
            p("example.com/x", IndicatorKind::Url).unwrap(),
            "url:http://example.com/x"
        );
        assert!(p(&"a".repeat(40), IndicatorKind::Md5).is_err());
        let opts = ParseOptions {
            default_region: Some("GB".into()),
        };
        let c = Indicator::parse("020 7946 0123", Some(IndicatorKind::Phone), &opts).unwrap();
        assert_eq!(c.indicator.key(), "phone:+442079460123");
        assert!(c.flags.contains(Flag::Fictitious));
    }

    #[test]
    fn flags_are_reported() {
        let c = Indicator::parse("10.1.2.3/8", None, &ParseOptions::default()).unwrap();
        assert!(c.flags.contains(Flag::HostBitsSet) && c.flags.contains(Flag::Private));
        let c = Indicator::parse("hxxp://c2[.]test/", None, &ParseOptions::default()).unwrap();
        assert!(c.flags.contains(Flag::Refanged) && c.flags.contains(Flag::ReservedTld));
        let c = Indicator::parse("example.com/a", None, &ParseOptions::default()).unwrap();
        assert!(c.flags.contains(Flag::SchemeAssumed));
    }

    #[test]
    fn serde_revalidates() {
        let i = Indicator::parse("AS64500", None, &ParseOptions::default())
            .unwrap()
            .indicator;
        let json = serde_json::to_string(&i).unwrap();
        assert_eq!(json, r#"{"kind":"asn","value":"64500"}"#);
        assert_eq!(serde_json::from_str::<Indicator>(&json).unwrap(), i);
        assert!(serde_json::from_str::<Indicator>(r#"{"kind":"md5","value":"xyz"}"#).is_err());
        assert!(
            serde_json::from_str::<Indicator>(r#"{"kind":"ipv6","value":"192.0.2.1"}"#).is_err()
        );
    }

    #[test]
    fn defang_value_defangs_canonical_text() {
        for (v, want) in [
            ("198.51.100.7", "198[.]51[.]100[.]7"),
            ("198.51.100.0/24", "198[.]51[.]100[.]0/24"),
            ("2001:db8::/32", "2001:db8::/32"),
            ("c2.example.com", "c2[.]example[.]com"),
            (
                "http://c2.example.com/a.b/c?x=1.2",
                "hxxp://c2[.]example[.]com/a.b/c?x=1.2",
            ),
            (
                "https://[2001:db8::1]:8443/x",
                "hxxps://[2001:db8::1]:8443/x",
            ),
            ("ftp://files.example.org/a", "fxp://files[.]example[.]org/a"),
            (
                "first.last@mail.example.com",
                "first.last[@]mail[.]example[.]com",
            ),
            ("+442079460123", "+442079460123"),
        ] {
            let c = Indicator::parse(v, None, &ParseOptions::default()).unwrap();
            let got = defang_value(c.indicator.kind(), &c.indicator.value());
            assert_eq!(got, want, "{v}");
            assert_eq!(c.indicator.defang(), want, "{v}");
            // And it refangs back to the same indicator.
            let back = Indicator::parse(&got, None, &ParseOptions::default()).unwrap();
            assert_eq!(back.indicator, c.indicator, "{v}");
        }
    }
}
