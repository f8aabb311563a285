//! Domain names.
//!
//! Canonical form: lower-case A-labels (IDNA via UTS #46, the same mapping
//! browsers use), no trailing dot. Rules enforced: at most 253 characters,
//! labels of 1 to 63 characters from `a-z 0-9 - _`, no label starting or
//! ending with a hyphen, at least two labels, and a top-level label that is
//! not all digits (that would be an IPv4 attempt). Underscores are allowed
//! because DNS allows them and malicious names use them; STD3 hostnames would not.
//!
//! The public suffix and registrable domain come from the Public Suffix List
//! (the `psl` crate, ICANN and private sections, so `evil.github.io` is its own
//! registrable domain). A name whose suffix is not on the list is
//! flagged [`Flag::UnknownSuffix`]; reserved TLDs (RFC 2606, 6761, 6762, 7686,
//! 9476, `.internal`, `home.arpa`) are flagged [`Flag::ReservedTld`], and the
//! RFC 2606 example domains [`Flag::Documentation`].

use std::fmt;

use crate::flags::{Flag, Flags};

/// Why a string is not a domain name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// Nothing left after trimming.
    #[error("empty domain name")]
    Empty,
    /// IDNA processing failed (bad punycode, disallowed code point).
    #[error("invalid internationalised domain name (IDNA): {0}")]
    Idna(String),
    /// Longer than 253 characters.
    #[error("domain name is {0} characters long; the limit is 253")]
    TooLong(usize),
    /// An empty label (`a..b`, a leading dot).
    #[error("empty label (two dots in a row or a leading dot)")]
    EmptyLabel,
    /// A label over 63 characters.
    #[error("label {0:?} is longer than 63 characters")]
    LabelTooLong(String),
    /// A character not allowed in a domain name.
    #[error("character {ch:?} is not allowed in a domain name (in label {label:?})")]
    BadChar {
        /// The offending character.
        ch: char,
        /// The label it is in.
        label: String,
    },
    /// A label starting or ending with a hyphen.
    #[error("label {0:?} starts or ends with a hyphen")]
    Hyphen(String),
    /// A single label (`localhost`, `intranet`): not a fully qualified name.
    #[error("{0:?} has a single label; a domain indicator needs at least two")]
    SingleLabel(String),
    /// All-numeric top-level label.
    #[error("top-level label {0:?} is numeric: this looks like an IP address, not a domain")]
    NumericTld(String),
}

/// A canonical domain name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Domain {
    ascii: Box<str>,
    /// Byte offset of the public suffix within `ascii`.
    suffix_at: u16,
    /// Byte offset of the registrable domain, if the name has one.
    registrable_at: Option<u16>,
    suffix_known: bool,
}

impl Domain {
    /// Validates and canonicalises a domain name. The input must already be
    /// refanged; see [`crate::refang`].
    pub fn parse(input: &str) -> Result<Domain, DomainError> {
        let trimmed = input.trim();
        let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
        if trimmed.is_empty() {
            return Err(DomainError::Empty);
        }
        let needs_idna = !trimmed.is_ascii() || contains_ace_prefix(trimmed);
        let ascii = if needs_idna {
            let a = idna::domain_to_ascii(trimmed).map_err(|e| DomainError::Idna(e.to_string()))?;
            a.strip_suffix('.').map(str::to_owned).unwrap_or(a)
        } else {
            trimmed.to_ascii_lowercase()
        };
        validate_labels(&ascii)?;
        let (suffix_at, suffix_known) = match psl::suffix(ascii.as_bytes()) {
            Some(s) => (ascii.len() - s.as_bytes().len(), s.is_known()),
            None => (ascii.rfind('.').map_or(0, |i| i + 1), false),
        };
        let registrable_at =
            psl::domain(ascii.as_bytes()).map(|d| ascii.len() - d.as_bytes().len());
        Ok(Domain {
            suffix_at: u16::try_from(suffix_at).unwrap_or(0),
            registrable_at: registrable_at.and_then(|r| u16::try_from(r).ok()),
            suffix_known,
            ascii: ascii.into_boxed_str(),
        })
    }

    /// The canonical A-label form (`xn--bcher-kva.example`).
    pub fn as_str(&self) -> &str {
        &self.ascii
    }

    /// The Unicode form for display (`bücher.example`). Falls back to the
    /// A-label form if a label does not decode.
    pub fn to_unicode(&self) -> String {
        if !contains_ace_prefix(&self.ascii) {
            return self.ascii.to_string();
        }
        let (u, result) = idna::domain_to_unicode(&self.ascii);
        if result.is_ok() {
            u
        } else {
            self.ascii.to_string()
        }
    }

    /// The public suffix (`co.uk`, `com`, `000webhostapp.com`).
    pub fn public_suffix(&self) -> &str {
        self.ascii
            .get(usize::from(self.suffix_at)..)
            .unwrap_or(&self.ascii)
    }

    /// The registrable domain (`example.co.uk`), if the name is more than a suffix.
    pub fn registrable(&self) -> Option<&str> {
        self.registrable_at
            .and_then(|r| self.ascii.get(usize::from(r)..))
    }

    /// Whether the public suffix is on the Public Suffix List.
    pub fn suffix_known(&self) -> bool {
        self.suffix_known
    }

    /// The top-level label.
    pub fn tld(&self) -> &str {
        self.ascii.rsplit('.').next().unwrap_or(&self.ascii)
    }

    /// Whether this name is `other` or a subdomain of it.
    pub fn is_within(&self, other: &str) -> bool {
        self.ascii.as_ref() == other
            || (self.ascii.len() > other.len()
                && self.ascii.ends_with(other)
                && self
                    .ascii
                    .as_bytes()
                    .get(self.ascii.len() - other.len() - 1)
                    == Some(&b'.'))
    }

    /// The parent domains, nearest first, down to the registrable domain
    /// (`a.b.example.com` → `b.example.com`, `example.com`).
    pub fn parents(&self) -> impl Iterator<Item = &str> {
        let stop = self.registrable_at.map_or(self.suffix_at, |r| r);
        let s: &str = &self.ascii;
        s.char_indices()
            .filter(move |&(i, c)| c == '.' && i < usize::from(stop))
            .filter_map(move |(i, _)| s.get(i + 1..))
    }

    /// Intrinsic flags: reserved TLDs, documentation names, unknown suffixes.
    pub fn flags(&self) -> Flags {
        let mut flags = Flags::empty();
        let tld = self.tld();
        if RESERVED_TLDS.contains(&tld) || self.is_within("home.arpa") {
            flags.insert(Flag::ReservedTld);
        }
        if tld == "example"
            || ["example.com", "example.net", "example.org"]
                .iter()
                .any(|d| self.is_within(d))
        {
            flags.insert(Flag::Documentation);
        }
        if !self.suffix_known && !flags.contains(Flag::ReservedTld) {
            flags.insert(Flag::UnknownSuffix);
        }
        flags
    }
}

/// Special-use and reserved top-level domains that never resolve on the public DNS.
pub const RESERVED_TLDS: &[&str] = &[
    "test",
    "example",
    "invalid",
    "localhost",
    "local",
    "onion",
    "alt",
    "internal",
];

fn contains_ace_prefix(s: &str) -> bool {
    s.split('.')
        .any(|l| l.len() >= 4 && l.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--")))
}

fn validate_labels(ascii: &str) -> Result<(), DomainError> {
    if ascii.len() > 253 {
        return Err(DomainError::TooLong(ascii.len()));
    }
    let mut count = 0usize;
    let mut last = "";
    for label in ascii.split('.') {
        count += 1;
        if label.is_empty() {
            return Err(DomainError::EmptyLabel);
        }
        if label.len() > 63 {
            return Err(DomainError::LabelTooLong(label.to_owned()));
        }
        if let Some(ch) = label
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
        {
            return Err(DomainError::BadChar {
                ch,
                label: label.to_owned(),
            });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(DomainError::Hyphen(label.to_owned()));
        }
        last = label;
    }
    if count < 2 {
        return Err(DomainError::SingleLabel(ascii.to_owned()));
    }
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DomainError::NumericTld(last.to_owned()));
    }
    Ok(())
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ascii)
    }
}

impl fmt::Debug for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Domain({:?})", self.ascii)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, canonical: &str) {
        assert_eq!(Domain::parse(input).unwrap().as_str(), canonical, "{input}");
    }

    #[test]
    fn canonical_forms() {
        check("Example.COM.", "example.com");
        check("bücher.example", "xn--bcher-kva.example");
        check("XN--BCHER-KVA.example", "xn--bcher-kva.example");
        check("пример.рф", "xn--e1afmkfd.xn--p1ai");
        check("a_b.example.org", "a_b.example.org");
        check("example\u{3002}com", "example.com");
    }

    #[test]
    fn unicode_display_round_trips() {
        let d = Domain::parse("xn--e1afmkfd.xn--p1ai").unwrap();
        assert_eq!(d.to_unicode(), "пример.рф");
        assert_eq!(Domain::parse(&d.to_unicode()).unwrap(), d);
    }

    #[test]
    fn public_suffix_and_registrable() {
        let d = Domain::parse("www.portal.gov.sg").unwrap();
        assert_eq!(d.public_suffix(), "gov.sg");
        assert_eq!(d.registrable(), Some("portal.gov.sg"));
        assert!(d.suffix_known());
        let d = Domain::parse("a.b.example.co.uk").unwrap();
        assert_eq!(d.registrable(), Some("example.co.uk"));
        assert_eq!(
            d.parents().collect::<Vec<_>>(),
            ["b.example.co.uk", "example.co.uk"]
        );
        let d = Domain::parse("co.uk").unwrap();
        assert_eq!(d.registrable(), None);
        assert_eq!(
            Domain::parse("a.evil.github.io").unwrap().registrable(),
            Some("evil.github.io")
        );
    }

    #[test]
    fn flags() {
        assert!(
            Domain::parse("c2.test")
                .unwrap()
                .flags()
                .contains(Flag::ReservedTld)
        );
        assert!(
            Domain::parse("www.example.com")
                .unwrap()
                .flags()
                .contains(Flag::Documentation)
        );
        assert!(
            Domain::parse("printer.home.arpa")
                .unwrap()
                .flags()
                .contains(Flag::ReservedTld)
        );
        assert!(
            Domain::parse("invoice.pdf")
                .unwrap()
                .flags()
                .contains(Flag::UnknownSuffix)
        );
        assert!(
            Domain::parse("example.zip").unwrap().flags().is_empty(),
            ".zip is a real TLD"
        );
        assert!(
            !Domain::parse("myexample.com")
                .unwrap()
                .flags()
                .contains(Flag::Documentation)
        );
    }

    #[test]
    fn rejections() {
        for (bad, want) in [
            ("", "empty"),
            ("a..b", "empty label"),
            ("-a.com", "hyphen"),
            ("a-.com", "hyphen"),
            ("localhost", "single label"),
            ("1.2.3.4", "numeric"),
            ("ex ample.com", "not allowed"),
            ("ghzz,com", "not allowed"),
            ("*.example.com", "not allowed"),
            ("xn--zz.com", "IDNA"),
        ] {
            let e = Domain::parse(bad).unwrap_err().to_string();
            assert!(e.contains(want), "{bad:?}: {e}");
        }
        let long = format!("{}.com", "a".repeat(64));
        assert!(matches!(
            Domain::parse(&long),
            Err(DomainError::LabelTooLong(_))
        ));
        let long = format!("{}com", "abcdefghi.".repeat(26));
        assert!(matches!(Domain::parse(&long), Err(DomainError::TooLong(_))));
    }
}
