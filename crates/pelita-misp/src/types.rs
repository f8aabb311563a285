//! How MISP attribute types map to Pelita observations.
//!
//! | MISP type | Observation |
//! |---|---|
//! | `ip-src`, `ip-dst` | IP (`ipv4`, `ipv6` or `cidr` hint from the value's shape) |
//! | `ip-src\|port`, `ip-dst\|port` | IP, with [`Observation::port`](pelita_model::Observation::port) |
//! | `hostname\|port` | `domain`, with port |
//! | `domain`, `hostname` | `domain` |
//! | `domain\|ip` | `domain` related [`ResolvesTo`](pelita_model::Relation::ResolvesTo) the IP, and the IP as its own observation |
//! | `url`, `uri`, `link` | `url` (`link` is a reference, flagged by the hint `misp-type:link`) |
//! | `email`, `email-src`, `email-dst`, `email-reply-to`, `whois-registrant-email`, `dns-soa-email` | `email` |
//! | `md5`, `sha1`, `sha256`, `sha512`, `ssdeep`, `tlsh` | that hash |
//! | `filename\|md5`, `filename\|sha1`, `filename\|sha256`, `filename\|sha512`, `filename\|ssdeep`, `filename\|tlsh` | the hash; the file name goes into the context |
//! | `btc`, `xmr`, `eth` | `btc`, `xmr`, `eth` |
//! | `onion-address` | `onion` |
//! | `phone-number`, `whois-registrant-phone`, `prtn` | `phone` |
//! | `AS` | `asn` |
//! | anything else | an [`Unsupported`](pelita_model::Severity::Unsupported) problem `misp.unsupported-type`, counted in [`Summary::unsupported_by_type`](crate::Summary::unsupported_by_type) |

use pelita_model::IndicatorKind;

/// What an attribute's value holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// A fixed kind.
    Kind(IndicatorKind),
    /// An IP address or network; the kind depends on the value's shape.
    Ip,
}

/// How an attribute type is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mapping {
    /// The value is one indicator.
    Plain(Target),
    /// `value|port`.
    WithPort(Target),
    /// `domain|ip`.
    DomainIp,
    /// `filename|hash`.
    FileHash(IndicatorKind),
    /// Not turned into indicators.
    Unsupported,
}

/// The mapping of a MISP attribute type (case as MISP writes it; `AS` upper case).
pub(crate) fn mapping(misp_type: &str) -> Mapping {
    use IndicatorKind as K;
    use Mapping::{DomainIp, FileHash, Plain, Unsupported, WithPort};
    match misp_type {
        "ip-src" | "ip-dst" => Plain(Target::Ip),
        "ip-src|port" | "ip-dst|port" => WithPort(Target::Ip),
        "hostname|port" => WithPort(Target::Kind(K::Domain)),
        "domain" | "hostname" => Plain(Target::Kind(K::Domain)),
        "domain|ip" => DomainIp,
        "url" | "uri" | "link" => Plain(Target::Kind(K::Url)),
        "email"
        | "email-src"
        | "email-dst"
        | "email-reply-to"
        | "whois-registrant-email"
        | "dns-soa-email" => Plain(Target::Kind(K::Email)),
        "md5" => Plain(Target::Kind(K::Md5)),
        "sha1" => Plain(Target::Kind(K::Sha1)),
        "sha256" => Plain(Target::Kind(K::Sha256)),
        "sha512" => Plain(Target::Kind(K::Sha512)),
        "ssdeep" => Plain(Target::Kind(K::Ssdeep)),
        "tlsh" => Plain(Target::Kind(K::Tlsh)),
        "filename|md5" => FileHash(K::Md5),
        "filename|sha1" => FileHash(K::Sha1),
        "filename|sha256" => FileHash(K::Sha256),
        "filename|sha512" => FileHash(K::Sha512),
        "filename|ssdeep" => FileHash(K::Ssdeep),
        "filename|tlsh" => FileHash(K::Tlsh),
        "btc" => Plain(Target::Kind(K::Bitcoin)),
        "xmr" => Plain(Target::Kind(K::Monero)),
        "eth" => Plain(Target::Kind(K::Ethereum)),
        "onion-address" => Plain(Target::Kind(K::Onion)),
        "phone-number" | "whois-registrant-phone" | "prtn" => Plain(Target::Kind(K::Phone)),
        "AS" => Plain(Target::Kind(K::Asn)),
        _ => Unsupported,
    }
}

/// The kind hint for an IP attribute's value, from its shape only (no validation):
/// a `/` means a network, a `:` an IPv6 address, anything else IPv4.
pub(crate) fn ip_kind(value: &str) -> IndicatorKind {
    if value.contains('/') {
        IndicatorKind::Cidr
    } else if value.contains(':') {
        IndicatorKind::Ipv6
    } else {
        IndicatorKind::Ipv4
    }
}

impl Target {
    /// The kind hint for `value`.
    pub(crate) fn kind(self, value: &str) -> IndicatorKind {
        match self {
            Target::Kind(k) => k,
            Target::Ip => ip_kind(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(mapping("ip-dst"), Mapping::Plain(Target::Ip));
        assert_eq!(
            mapping("AS"),
            Mapping::Plain(Target::Kind(IndicatorKind::Asn))
        );
        assert_eq!(mapping("as"), Mapping::Unsupported);
        assert_eq!(mapping("regkey"), Mapping::Unsupported);
        assert_eq!(
            mapping("filename|sha256"),
            Mapping::FileHash(IndicatorKind::Sha256)
        );
        assert_eq!(ip_kind("2001:db8::1"), IndicatorKind::Ipv6);
        assert_eq!(ip_kind("10.0.0.0/8"), IndicatorKind::Cidr);
        assert_eq!(ip_kind("192.0.2[.]1"), IndicatorKind::Ipv4);
    }
}
