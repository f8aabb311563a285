//! Reduction of a parsed pattern to indicator values.
//!
//! A pattern describes what to look for, which is more than a list of
//! values; Pelita keeps only what a fusion centre can match on. Every
//! non-negated `=` comparison (and every value of a non-negated `IN` set)
//! whose object path names an indicator — `ipv4-addr:value`,
//! `file:hashes.'SHA-256'`, `email-message:from_ref.value`, … — yields a
//! [`Candidate`]. Everything else (other paths, `!=`, `LIKE`, `MATCHES`,
//! `NOT`) is listed in [`Reduction::unsupported`]: valid STIX, not an
//! indicator. Values are passed through as written (defanged or not); the
//! canonicaliser decides what they are.

use std::net::{Ipv4Addr, Ipv6Addr};

use pelita_model::IndicatorKind;

use crate::pattern::{
    Literal, ObjectPath, Operand, Operator, PathComponent, Pattern, property_tests,
};

/// One indicator value found in a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The kind the path implies, when it is clear.
    pub kind: Option<IndicatorKind>,
    /// The value as written in the pattern.
    pub value: String,
    /// The object path it was compared with (`file:hashes.'SHA-256'`).
    pub path: String,
}

/// What a pattern reduces to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reduction {
    /// The indicator values.
    pub candidates: Vec<Candidate>,
    /// The comparisons not turned into indicators (`process:name =`, `url:value LIKE`).
    pub unsupported: Vec<String>,
}

/// What kind of indicator an object path holds.
enum PathKind {
    /// An IPv4 address or network.
    Ipv4,
    /// An IPv6 address or network.
    Ipv6,
    /// A domain name.
    Domain,
    /// Anything with a fixed kind.
    Fixed(IndicatorKind),
    /// An address of any kind (network-traffic ends).
    Any,
}

fn props(path: &ObjectPath) -> Option<Vec<&str>> {
    path.components
        .iter()
        .map(|c| match c {
            PathComponent::Property(p) => Some(p.as_str()),
            _ => None,
        })
        .collect()
}

fn path_kind(path: &ObjectPath) -> Option<PathKind> {
    let props = props(path)?;
    let kind = match (path.object_type.as_str(), props.as_slice()) {
        ("ipv4-addr", ["value"]) => PathKind::Ipv4,
        ("ipv6-addr", ["value"]) => PathKind::Ipv6,
        ("domain-name", ["value"]) => PathKind::Domain,
        ("url", ["value"]) => PathKind::Fixed(IndicatorKind::Url),
        ("email-addr", ["value"]) | ("email-message", ["from_ref" | "sender_ref", "value"]) => {
            PathKind::Fixed(IndicatorKind::Email)
        }
        ("file" | "artifact", ["hashes", algo]) => PathKind::Fixed(hash_kind(algo)?),
        ("autonomous-system", ["number"]) => PathKind::Fixed(IndicatorKind::Asn),
        ("network-traffic", ["src_ref" | "dst_ref", "value"]) => PathKind::Any,
        _ => return None,
    };
    Some(kind)
}

/// The digest kind of a STIX hash algorithm name (`MD5`, `SHA-256`, `SHA256`, `ssdeep`).
pub fn hash_kind(algo: &str) -> Option<IndicatorKind> {
    let norm: String = algo
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .collect::<String>()
        .to_ascii_uppercase();
    Some(match norm.as_str() {
        "MD5" => IndicatorKind::Md5,
        "SHA1" => IndicatorKind::Sha1,
        "SHA256" => IndicatorKind::Sha256,
        "SHA512" => IndicatorKind::Sha512,
        "SSDEEP" => IndicatorKind::Ssdeep,
        "TLSH" => IndicatorKind::Tlsh,
        _ => return None,
    })
}

/// The kind hint for an `ipv4-addr` value: CIDR when it has a prefix, IPv4 when it
/// parses as one, otherwise none (defanged: the canonicaliser decides).
pub fn ipv4_kind(v: &str) -> Option<IndicatorKind> {
    if v.contains('/') {
        Some(IndicatorKind::Cidr)
    } else if v.parse::<Ipv4Addr>().is_ok() {
        Some(IndicatorKind::Ipv4)
    } else {
        None
    }
}

/// The kind hint for an `ipv6-addr` value, as [`ipv4_kind`].
pub fn ipv6_kind(v: &str) -> Option<IndicatorKind> {
    if v.contains('/') {
        Some(IndicatorKind::Cidr)
    } else if v.parse::<Ipv6Addr>().is_ok() {
        Some(IndicatorKind::Ipv6)
    } else {
        None
    }
}

/// The kind hint for a `domain-name` value: none when it plainly is not a
/// bare name (a URL path, a port), so the canonicaliser infers it.
pub fn domain_kind(v: &str) -> Option<IndicatorKind> {
    if v.contains(['/', ':', ' ', '@']) {
        None
    } else {
        Some(IndicatorKind::Domain)
    }
}

fn kind_for(pk: &PathKind, v: &str) -> Option<IndicatorKind> {
    match pk {
        PathKind::Ipv4 => ipv4_kind(v),
        PathKind::Ipv6 => ipv6_kind(v),
        PathKind::Domain => domain_kind(v),
        PathKind::Fixed(k) => Some(*k),
        PathKind::Any => None,
    }
}

fn literal_value(pk: &PathKind, l: &Literal) -> Option<String> {
    match (pk, l) {
        (_, Literal::String(s)) => Some(s.clone()),
        (PathKind::Fixed(IndicatorKind::Asn), Literal::Int(n)) if *n >= 0 => Some(format!("AS{n}")),
        _ => None,
    }
}

/// Reduces a pattern to the indicator values it names.
pub fn reduce(p: &Pattern) -> Reduction {
    let mut r = Reduction::default();
    for t in property_tests(&p.expression) {
        let path = t.path.to_string();
        let usable = !t.negated && matches!(t.op, Operator::Eq | Operator::In);
        let pk = if usable { path_kind(&t.path) } else { None };
        let Some(pk) = pk else {
            let not = if t.negated { "NOT " } else { "" };
            r.unsupported.push(format!("{path} {not}{}", t.op.as_str()));
            continue;
        };
        let literals: Vec<&Literal> = match &t.value {
            Operand::Literal(l) => vec![l],
            Operand::Set(v) => v.iter().collect(),
        };
        let before = r.candidates.len();
        for l in literals {
            if let Some(value) = literal_value(&pk, l) {
                r.candidates.push(Candidate {
                    kind: kind_for(&pk, &value),
                    value,
                    path: path.clone(),
                });
            }
        }
        if r.candidates.len() == before {
            r.unsupported
                .push(format!("{path} {} (no usable value)", t.op.as_str()));
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::parse_pattern;

    fn red(p: &str) -> Reduction {
        reduce(&parse_pattern(p).unwrap())
    }

    #[test]
    fn reduces_equalities_and_sets() {
        let r = red("[ipv4-addr:value = '198.51.100.1'] OR [domain-name:value = 'x.example']");
        assert_eq!(r.candidates.len(), 2);
        assert_eq!(r.candidates[0].kind, Some(IndicatorKind::Ipv4));
        assert_eq!(r.candidates[1].kind, Some(IndicatorKind::Domain));
        assert!(r.unsupported.is_empty());
        let r = red("[ipv4-addr:value IN ('198.51.100.0/24', '203.0.113[.]5')]");
        assert_eq!(r.candidates[0].kind, Some(IndicatorKind::Cidr));
        assert_eq!(r.candidates[1].kind, None);
        let r = red(
            "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:name = 'x']",
        );
        assert_eq!(r.candidates.len(), 1);
        assert_eq!(r.candidates[0].kind, Some(IndicatorKind::Sha256));
        assert_eq!(r.unsupported, vec!["file:name =".to_owned()]);
        let r = red("[autonomous-system:number = 15169]");
        assert_eq!(r.candidates[0].value, "AS15169");
    }

    #[test]
    fn keeps_unsupported_comparisons() {
        let r = red("[process:name = 'x']");
        assert!(r.candidates.is_empty());
        assert_eq!(r.unsupported, vec!["process:name =".to_owned()]);
        let r = red("[url:value LIKE '%x%' AND url:value NOT = 'http://a.example/']");
        assert!(r.candidates.is_empty());
        assert_eq!(r.unsupported.len(), 2);
    }

    #[test]
    fn passes_defanged_values_through() {
        let r = red("[url:value = 'hxxp://172.233.228[.]93/']");
        assert_eq!(r.candidates[0].value, "hxxp://172.233.228[.]93/");
        assert_eq!(r.candidates[0].kind, Some(IndicatorKind::Url));
    }
}
