//! IP addresses and networks.
//!
//! Rules (see `docs/specs/indicator-model.md`):
//! - IPv4 is read in strict dotted-quad form only. Leading zeros (`010.0.0.1`:
//!   octal or decimal?), hexadecimal (`0x7f.0.0.1`), and short forms
//!   (`127.1`, `3232235777`) are *rejected* with an error saying which,
//!   never guessed: browsers and `inet_aton` read them differently.
//! - IPv6 is written as RFC 5952 says (lower case, longest zero run
//!   compressed); brackets are accepted; zone ids (`%eth0`) are rejected;
//!   IPv4-mapped addresses (`::ffff:192.0.2.1`) become IPv4.
//! - A CIDR with host bits set (`10.1.2.3/8`) is normalised to its network
//!   (`10.0.0.0/8`) and flagged [`Flag::HostBitsSet`]; `/32` and `/128` are the
//!   single address.
//! - Special-purpose ranges (RFC 6890 and the IANA registries) are recognised
//!   and flagged: they are never real infrastructure.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::flags::{Flag, Flags};

/// Why a string is not an IP address or network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IpError {
    /// An octet with a leading zero, which C libraries read as octal.
    #[error("octet {octet:?} has a leading zero: octal or decimal is ambiguous, write {suggest}")]
    LeadingZero {
        /// The octet as written.
        octet: String,
        /// The decimal reading, for the message.
        suggest: String,
    },
    /// Hexadecimal notation.
    #[error("octet {0:?} is hexadecimal: write IPv4 addresses as four decimal octets")]
    Hex(String),
    /// Fewer than four parts (`127.1`) or a bare integer.
    #[error("{parts} part(s): shortened IPv4 notation is ambiguous, write four decimal octets")]
    ShortForm {
        /// How many dot-separated parts there were.
        parts: usize,
    },
    /// More than four parts.
    #[error("{0} parts: an IPv4 address has four")]
    TooManyParts(usize),
    /// An octet above 255 or not a number.
    #[error("octet {0:?} is not a number from 0 to 255")]
    BadOctet(String),
    /// An IPv6 address that does not parse.
    #[error("not a valid IPv6 address")]
    BadIpv6,
    /// A zone identifier (`fe80::1%eth0`), meaningful only on one host.
    #[error("IPv6 zone identifier {0:?} is local to one host and cannot be an indicator")]
    Zone(String),
    /// A CIDR prefix length that is not a number or too long.
    #[error("prefix length {0:?} is not valid for this address family")]
    BadPrefix(String),
}

/// Parses a strict dotted-quad IPv4 address.
pub fn parse_ipv4(s: &str) -> Result<Ipv4Addr, IpError> {
    let mut octets = [0u8; 4];
    let mut n = 0usize;
    for part in s.split('.') {
        if n >= 4 {
            return Err(IpError::TooManyParts(s.split('.').count()));
        }
        let lower = part.to_ascii_lowercase();
        if lower.starts_with("0x") {
            return Err(IpError::Hex(part.to_owned()));
        }
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            if !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_hexdigit())
                && !part.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(IpError::Hex(part.to_owned()));
            }
            if n == 0
                && part.len() > 3
                && part.bytes().all(|b| b.is_ascii_digit())
                && !s.contains('.')
            {
                return Err(IpError::ShortForm { parts: 1 });
            }
            return Err(IpError::BadOctet(part.to_owned()));
        }
        let value: u16 = part
            .parse()
            .map_err(|_| IpError::BadOctet(part.to_owned()))?;
        let octet = u8::try_from(value).map_err(|_| IpError::BadOctet(part.to_owned()))?;
        if part.len() > 1 && part.starts_with('0') {
            return Err(IpError::LeadingZero {
                octet: part.to_owned(),
                suggest: s
                    .split('.')
                    .map(|p| p.trim_start_matches('0'))
                    .map(|p| if p.is_empty() { "0" } else { p })
                    .collect::<Vec<_>>()
                    .join("."),
            });
        }
        if let Some(slot) = octets.get_mut(n) {
            *slot = octet;
        }
        n += 1;
    }
    if n < 4 {
        return Err(IpError::ShortForm { parts: n });
    }
    Ok(Ipv4Addr::from(octets))
}

/// Whether `s` looks like an attempt at an IPv4 address (digits, dots, hex
/// prefixes, ending in a number), so that a failure should be reported as a
/// bad IP rather than tried as a domain name. Mirrors the URL standard's
/// "ends in a number" check.
pub fn looks_like_ipv4(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    let Some(last) = s.rsplit('.').next() else {
        return false;
    };
    if last.is_empty() {
        return false;
    }
    let last_lower = last.to_ascii_lowercase();
    let numeric = last.bytes().all(|b| b.is_ascii_digit())
        || (last_lower.starts_with("0x")
            && last_lower.bytes().skip(2).all(|b| b.is_ascii_hexdigit()));
    // A dotless number longer than "4294967295" or "0xffffffff" is no address.
    numeric
        && (s.contains('.') || s.len() <= 10)
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b'x' || b == b'X')
}

/// Parses an IPv6 address, with or without brackets. IPv4-mapped addresses
/// come back as [`IpAddr::V4`].
pub fn parse_ipv6(s: &str) -> Result<IpAddr, IpError> {
    let inner = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    if let Some((_, zone)) = inner.split_once('%') {
        return Err(IpError::Zone(zone.to_owned()));
    }
    // Embedded IPv4 parts must follow the strict IPv4 rules too.
    if let Some(tail) = inner.rsplit(':').next().filter(|t| t.contains('.')) {
        parse_ipv4(tail)?;
    }
    let addr: Ipv6Addr = inner.parse().map_err(|_| IpError::BadIpv6)?;
    Ok(match addr.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(addr),
    })
}

/// A network in CIDR notation, always normalised to its network address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

/// The result of reading a CIDR: a network, or a single address when the
/// prefix covers the whole address (`/32`, `/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CidrOrIp {
    /// A network with fewer than all bits fixed.
    Net(Cidr),
    /// A single address.
    Ip(IpAddr),
}

impl Cidr {
    /// Parses `addr/prefix`. Returns the normalised network and whether host
    /// bits had to be cleared.
    pub fn parse(s: &str) -> Result<(CidrOrIp, bool), IpError> {
        let (a, p) = s
            .split_once('/')
            .ok_or_else(|| IpError::BadPrefix(String::new()))?;
        let mut addr = if a.contains(':') {
            parse_ipv6(a)?
        } else {
            IpAddr::V4(parse_ipv4(a)?)
        };
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IpError::BadPrefix(p.to_owned()));
        }
        let mut prefix: u8 = p.parse().map_err(|_| IpError::BadPrefix(p.to_owned()))?;
        // An IPv4-mapped network written in IPv6 (::ffff:10.0.0.0/104) is an IPv4 network.
        if a.contains(':') && addr.is_ipv4() {
            prefix = prefix
                .checked_sub(96)
                .ok_or_else(|| IpError::BadPrefix(p.to_owned()))?;
        }
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(IpError::BadPrefix(p.to_owned()));
        }
        let network = mask(addr, prefix);
        let host_bits = network != addr;
        addr = network;
        if prefix == max {
            return Ok((CidrOrIp::Ip(addr), false));
        }
        Ok((CidrOrIp::Net(Cidr { addr, prefix }), host_bits))
    }

    /// The network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether the network contains the address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                mask(ip, self.prefix) == self.addr
            }
            _ => false,
        }
    }

    /// Special-range flags: those of a range that wholly contains this network.
    pub fn flags(&self) -> Flags {
        let table = match self.addr {
            IpAddr::V4(_) => V4_SPECIAL,
            IpAddr::V6(_) => V6_SPECIAL,
        };
        let mut flags = Flags::empty();
        for &(net, len, flag) in table {
            if self.prefix >= len && mask(self.addr, len) == net {
                flags.insert(flag);
            }
        }
        flags
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = u32::MAX
                .checked_shl(32 - u32::from(prefix.min(32)))
                .unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits & m))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

const fn v6(segments: [u16; 8]) -> IpAddr {
    let [a, b, c, d, e, f, g, h] = segments;
    IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h))
}

/// IPv4 special-purpose ranges (RFC 6890, IANA IPv4 Special-Purpose Address Registry).
const V4_SPECIAL: &[(IpAddr, u8, Flag)] = &[
    (v4(0, 0, 0, 0), 8, Flag::Reserved),
    (v4(0, 0, 0, 0), 32, Flag::Unspecified),
    (v4(10, 0, 0, 0), 8, Flag::Private),
    (v4(100, 64, 0, 0), 10, Flag::SharedAddressSpace),
    (v4(127, 0, 0, 0), 8, Flag::Loopback),
    (v4(169, 254, 0, 0), 16, Flag::LinkLocal),
    (v4(172, 16, 0, 0), 12, Flag::Private),
    (v4(192, 0, 0, 0), 24, Flag::Reserved),
    (v4(192, 0, 2, 0), 24, Flag::Documentation),
    (v4(192, 88, 99, 0), 24, Flag::Reserved),
    (v4(192, 168, 0, 0), 16, Flag::Private),
    (v4(198, 18, 0, 0), 15, Flag::Benchmarking),
    (v4(198, 51, 100, 0), 24, Flag::Documentation),
    (v4(203, 0, 113, 0), 24, Flag::Documentation),
    (v4(224, 0, 0, 0), 4, Flag::Multicast),
    (v4(240, 0, 0, 0), 4, Flag::Reserved),
    (v4(255, 255, 255, 255), 32, Flag::Broadcast),
];

/// IPv6 special-purpose ranges (RFC 6890, RFC 9637, IANA IPv6 Special-Purpose Address Registry).
const V6_SPECIAL: &[(IpAddr, u8, Flag)] = &[
    (v6([0, 0, 0, 0, 0, 0, 0, 0]), 128, Flag::Unspecified),
    (v6([0, 0, 0, 0, 0, 0, 0, 1]), 128, Flag::Loopback),
    (v6([0x100, 0, 0, 0, 0, 0, 0, 0]), 64, Flag::Reserved),
    (v6([0x2001, 0x2, 0, 0, 0, 0, 0, 0]), 48, Flag::Benchmarking),
    (v6([0x2001, 0x10, 0, 0, 0, 0, 0, 0]), 28, Flag::Reserved),
    (v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0]), 28, Flag::Reserved),
    (
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]),
        32,
        Flag::Documentation,
    ),
    (v6([0x3fff, 0, 0, 0, 0, 0, 0, 0]), 20, Flag::Documentation),
    (v6([0xfc00, 0, 0, 0, 0, 0, 0, 0]), 7, Flag::Private),
    (v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]), 10, Flag::LinkLocal),
    (v6([0xff00, 0, 0, 0, 0, 0, 0, 0]), 8, Flag::Multicast),
];

/// Special-range flags of a single address.
pub fn ip_flags(ip: IpAddr) -> Flags {
    let prefix = if ip.is_ipv4() { 32 } else { 128 };
    Cidr { addr: ip, prefix }.flags()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_ipv4() {
        assert_eq!(parse_ipv4("192.0.2.1"), Ok(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(parse_ipv4("0.0.0.0"), Ok(Ipv4Addr::UNSPECIFIED));
        assert!(matches!(
            parse_ipv4("010.0.0.1"),
            Err(IpError::LeadingZero { .. })
        ));
        assert!(matches!(parse_ipv4("0x7f.0.0.1"), Err(IpError::Hex(_))));
        assert!(matches!(
            parse_ipv4("127.1"),
            Err(IpError::ShortForm { parts: 2 })
        ));
        assert!(matches!(
            parse_ipv4("3232235777"),
            Err(IpError::ShortForm { parts: 1 })
        ));
        assert!(matches!(
            parse_ipv4("1.2.3.4.5"),
            Err(IpError::TooManyParts(5))
        ));
        assert!(matches!(parse_ipv4("1.2.3.256"), Err(IpError::BadOctet(_))));
        assert!(matches!(parse_ipv4("1.2..4"), Err(IpError::BadOctet(_))));
        let e = parse_ipv4("192.168.010.001").unwrap_err().to_string();
        assert!(e.contains("192.168.10.1"), "{e}");
    }

    #[test]
    fn ipv6_rules() {
        assert_eq!(
            parse_ipv6("2001:DB8:0:0:0:0:0:1").unwrap().to_string(),
            "2001:db8::1"
        );
        assert_eq!(
            parse_ipv6("[2001:db8::1]").unwrap().to_string(),
            "2001:db8::1"
        );
        assert_eq!(
            parse_ipv6("::ffff:192.0.2.7").unwrap(),
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7))
        );
        assert!(matches!(parse_ipv6("fe80::1%eth0"), Err(IpError::Zone(_))));
        assert!(parse_ipv6("::ffff:192.0.02.7").is_err());
        assert!(parse_ipv6("2001:db8::g").is_err());
    }

    #[test]
    fn cidr_normalises_host_bits() {
        let (c, host) = Cidr::parse("10.1.2.3/8").unwrap();
        assert!(host);
        assert_eq!(
            c,
            CidrOrIp::Net(Cidr {
                addr: v4(10, 0, 0, 0),
                prefix: 8
            })
        );
        let (c, host) = Cidr::parse("192.0.2.9/32").unwrap();
        assert!(!host);
        assert_eq!(c, CidrOrIp::Ip(v4(192, 0, 2, 9)));
        let (c, _) = Cidr::parse("2001:DB8::/32").unwrap();
        assert!(matches!(c, CidrOrIp::Net(n) if n.to_string() == "2001:db8::/32"));
        let (c, _) = Cidr::parse("::ffff:10.0.0.0/104").unwrap();
        assert!(matches!(c, CidrOrIp::Net(n) if n.to_string() == "10.0.0.0/8"));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("10.0.0.0/").is_err());
        assert!(Cidr::parse("10.0.0.0/-1").is_err());
    }

    #[test]
    fn special_ranges_are_flagged() {
        assert!(ip_flags(v4(10, 2, 3, 4)).contains(Flag::Private));
        assert!(ip_flags(v4(198, 51, 100, 7)).contains(Flag::Documentation));
        assert!(ip_flags(v4(127, 0, 0, 1)).contains(Flag::Loopback));
        assert!(ip_flags(v4(100, 64, 1, 1)).contains(Flag::SharedAddressSpace));
        assert!(ip_flags(v4(255, 255, 255, 255)).contains(Flag::Broadcast));
        assert!(ip_flags(v4(8, 8, 8, 8)).is_empty());
        assert!(ip_flags("2001:db8::5".parse().unwrap()).contains(Flag::Documentation));
        assert!(ip_flags("fd00::1".parse().unwrap()).contains(Flag::Private));
        assert!(ip_flags("2a00:1450::1".parse().unwrap()).is_empty());
        let (CidrOrIp::Net(n), _) = Cidr::parse("10.0.0.0/16").unwrap() else {
            panic!()
        };
        assert!(n.flags().contains(Flag::Private));
        let (CidrOrIp::Net(n), _) = Cidr::parse("0.0.0.0/0").unwrap() else {
            panic!()
        };
        assert!(
            !n.flags().contains(Flag::Private),
            "a network wider than a range is not flagged by it"
        );
    }

    #[test]
    fn looks_like_ipv4_follows_ends_in_a_number() {
        assert!(looks_like_ipv4("127.1"));
        assert!(looks_like_ipv4("0x7f.0.0.1"));
        assert!(looks_like_ipv4("1.2.3.4"));
        assert!(!looks_like_ipv4("example.com"));
        assert!(!looks_like_ipv4("abc.de"));
        assert!(!looks_like_ipv4("1.2.3.com"));
    }
}
