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
//!
//! A domain and what it resolves to, tested together in one observation
//! (`[domain-name:value = 'a.example' AND
//! domain-name:resolves_to_refs[*].value = '198.51.100.7']`, how MISP
//! exports its `domain|ip` attributes), are both candidates, and the pair is
//! a [`Resolution`]. Only a conjunction states it: in an `OR`, or across
//! observations, the two values need not belong to one domain.

use std::net::{Ipv4Addr, Ipv6Addr};

use pelita_model::IndicatorKind;

use crate::pattern::{
    ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operand, Operator, PathComponent,
    Pattern, PropertyTest, property_tests,
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
    /// Domains the pattern says resolve to a value, in the order found, without repeats.
    pub resolutions: Vec<Resolution>,
}

/// A domain a pattern says resolves to a value (an address, or a domain for a CNAME).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The domain, as written.
    pub domain: String,
    /// What it resolves to, as written.
    pub target: String,
    /// The kind of the target, when it is clear.
    pub target_kind: Option<IndicatorKind>,
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
    /// What a domain resolves to: an address of either family, or a domain.
    Resolved,
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

/// `domain-name:resolves_to_refs[*].value` (or `[n]`).
fn is_resolves_to(path: &ObjectPath) -> bool {
    path.object_type == "domain-name"
        && matches!(
            path.components.as_slice(),
            [
                PathComponent::Property(r),
                PathComponent::AnyIndex | PathComponent::Index(_),
                PathComponent::Property(v),
            ] if r == "resolves_to_refs" && v == "value"
        )
}

fn path_kind(path: &ObjectPath) -> Option<PathKind> {
    if is_resolves_to(path) {
        return Some(PathKind::Resolved);
    }
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
        PathKind::Resolved => ipv4_kind(v)
            .or_else(|| ipv6_kind(v))
            .filter(|k| *k != IndicatorKind::Cidr),
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
    r.resolutions = resolutions(&p.expression);
    r
}

/// The string values of a usable (`=`, `IN`, not negated) test of `path`.
fn test_values(t: &PropertyTest, want: impl Fn(&ObjectPath) -> bool) -> Vec<&str> {
    if t.negated || !matches!(t.op, Operator::Eq | Operator::In) || !want(&t.path) {
        return Vec::new();
    }
    let literals: Vec<&Literal> = match &t.value {
        Operand::Literal(l) => vec![l],
        Operand::Set(v) => v.iter().collect(),
    };
    literals
        .into_iter()
        .filter_map(|l| match l {
            Literal::String(s) => Some(s.as_str()),
            _ => None,
        })
        .collect()
}

/// The domain/target pairs of the observations whose comparison is a
/// conjunction of a domain's value and what it resolves to.
fn resolutions(e: &ObservationExpr) -> Vec<Resolution> {
    fn walk(e: &ObservationExpr, out: &mut Vec<Resolution>) {
        match e {
            ObservationExpr::Observation(c) => {
                let conjuncts: Vec<&PropertyTest> = match c {
                    ComparisonExpr::Test(t) => vec![t],
                    ComparisonExpr::And(v) => v
                        .iter()
                        .filter_map(|c| match c {
                            ComparisonExpr::Test(t) => Some(t),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let domains: Vec<&str> = conjuncts
                    .iter()
                    .flat_map(|t| test_values(t, |p| p.to_string() == "domain-name:value"))
                    .collect();
                let targets: Vec<&str> = conjuncts
                    .iter()
                    .flat_map(|t| test_values(t, is_resolves_to))
                    .collect();
                for d in &domains {
                    for t in targets.iter().filter(|t| *t != d) {
                        let r = Resolution {
                            domain: (*d).to_owned(),
                            target: (*t).to_owned(),
                            target_kind: kind_for(&PathKind::Resolved, t),
                        };
                        if !out.contains(&r) {
                            out.push(r);
                        }
                    }
                }
            }
            ObservationExpr::Group(e) | ObservationExpr::Qualified(e, _) => walk(e, out),
            ObservationExpr::And(v) | ObservationExpr::Or(v) | ObservationExpr::FollowedBy(v) => {
                v.iter().for_each(|e| walk(e, out));
            }
        }
    }
    let mut out = Vec::new();
    walk(e, &mut out);
    out
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
    fn a_domain_and_what_it_resolves_to_in_one_observation() {
        let r = red(
            "[domain-name:value = 'circl.lu' AND domain-name:x_misp_port = '8443' AND domain-name:resolves_to_refs[*].value = '149.13.33.14']",
        );
        let values: Vec<_> = r
            .candidates
            .iter()
            .map(|c| (c.kind, c.value.as_str()))
            .collect();
        assert_eq!(
            values,
            [
                (Some(IndicatorKind::Domain), "circl.lu"),
                (Some(IndicatorKind::Ipv4), "149.13.33.14")
            ]
        );
        assert_eq!(
            r.candidates[1].path,
            "domain-name:resolves_to_refs[*].value"
        );
        assert_eq!(
            r.resolutions,
            [Resolution {
                domain: "circl.lu".into(),
                target: "149.13.33.14".into(),
                target_kind: Some(IndicatorKind::Ipv4),
            }]
        );
        assert_eq!(r.unsupported, ["domain-name:x_misp_port =".to_owned()]);
        let r = red(
            "[domain-name:value IN ('a.example', 'b.example') AND domain-name:resolves_to_refs[0].value = '2001:db8::1']",
        );
        assert_eq!(r.resolutions.len(), 2);
        assert_eq!(r.resolutions[1].target_kind, Some(IndicatorKind::Ipv6));
        // Not stated together: no resolution, the values are still candidates.
        for p in [
            "[domain-name:value = 'a.example' OR domain-name:resolves_to_refs[*].value = '198.51.100.7']",
            "[domain-name:value = 'a.example'] AND [domain-name:resolves_to_refs[*].value = '198.51.100.7']",
            "[domain-name:value = 'a.example' AND domain-name:resolves_to_refs[*].value NOT = '198.51.100.7']",
        ] {
            assert!(red(p).resolutions.is_empty(), "{p}");
        }
    }

    #[test]
    fn passes_defanged_values_through() {
        let r = red("[url:value = 'hxxp://172.233.228[.]93/']");
        assert_eq!(r.candidates[0].value, "hxxp://172.233.228[.]93/");
        assert_eq!(r.candidates[0].kind, Some(IndicatorKind::Url));
    }
}
