//! E-mail addresses.
//!
//! The domain part follows the domain rules (IDNA, lower case, PSL). The
//! local part is kept as written: whether `John.Doe` and `john.doe` are one
//! mailbox is up to the receiving server, so folding it would merge what
//! may be distinct. Quoted local parts and IP-literal domains are rejected:
//! they do not occur in the wild as indicators.

use crate::domain::{Domain, DomainError};

/// Why a string is not an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    /// No `@`.
    #[error("an e-mail address needs an @")]
    NoAt,
    /// Empty or over-long local part.
    #[error("the local part must be 1 to 64 characters")]
    LocalLength,
    /// A character not allowed unquoted in a local part.
    #[error("character {0:?} is not allowed in the local part")]
    LocalChar(char),
    /// Bad domain part.
    #[error("e-mail domain: {0}")]
    Domain(#[from] DomainError),
}

/// Validates and canonicalises an e-mail address; returns (local part, domain).
pub fn parse_email(s: &str) -> Result<(String, Domain), EmailError> {
    let s = s.trim();
    let s = s.strip_prefix("mailto:").unwrap_or(s);
    let (local, domain) = s.rsplit_once('@').ok_or(EmailError::NoAt)?;
    if local.is_empty() || local.len() > 64 {
        return Err(EmailError::LocalLength);
    }
    if let Some(c) = local
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "@<>()[]\\,;:\"".contains(*c))
    {
        return Err(EmailError::LocalChar(c));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(EmailError::LocalChar('.'));
    }
    Ok((local.to_owned(), Domain::parse(domain)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_canonical_local_kept() {
        let (l, d) = parse_email("John.Doe+tag@Example.COM").unwrap();
        assert_eq!((l.as_str(), d.as_str()), ("John.Doe+tag", "example.com"));
        let (_, d) = parse_email("info@bücher.example").unwrap();
        assert_eq!(d.as_str(), "xn--bcher-kva.example");
        assert!(parse_email("mailto:a@example.org").is_ok());
    }

    #[test]
    fn rejections() {
        assert_eq!(parse_email("example.com"), Err(EmailError::NoAt));
        assert_eq!(parse_email("@example.com"), Err(EmailError::LocalLength));
        assert!(matches!(
            parse_email("a b@example.com"),
            Err(EmailError::LocalChar(' '))
        ));
        assert!(matches!(
            parse_email("a..b@example.com"),
            Err(EmailError::LocalChar('.'))
        ));
        assert!(matches!(parse_email("a@b"), Err(EmailError::Domain(_))));
    }
}
