//! URLs.
//!
//! Parsing follows the WHATWG URL Standard (the `url` crate, as browsers
//! do), which lower-cases scheme and host, applies IDNA to the host, drops
//! the default port and resolves `.` and `..` segments. On top of it:
//! - the host must satisfy Pelita's own domain or IP rules: an ambiguous IPv4
//!   host (`http://0x7f.1/`) is rejected rather than converted as a browser
//!   would; a trailing dot is removed; an IPv4-mapped IPv6 host becomes IPv4;
//! - percent-escapes of unreserved characters (`%41` → `A`) are decoded and
//!   the remaining escapes upper-cased, as RFC 3986 §6.2.2 says they are
//!   equivalent;
//! - the fragment is dropped: it never reaches the server;
//! - a URL must have a host (`mailto:` and `data:` are not URL indicators).

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use crate::domain::{Domain, DomainError};
use crate::flags::Flags;
use crate::ip::{self, IpError};

/// Why a string is not a URL indicator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The URL Standard parser refused it.
    #[error("not a valid URL: {0}")]
    Parse(String),
    /// No `scheme://` prefix.
    #[error("URL has no scheme (expected something like http://)")]
    NoScheme,
    /// No host (`mailto:`, `file:///`).
    #[error("URL has no host")]
    NoHost,
    /// The host is not a valid domain name.
    #[error("URL host: {0}")]
    Domain(#[from] DomainError),
    /// The host is not a valid IP address.
    #[error("URL host: {0}")]
    Ip(#[from] IpError),
    /// White space inside the URL (often broken defanging such as `karlos .net`).
    #[error("white space inside a URL (broken defanging?)")]
    Whitespace,
}

/// The host of a URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Host {
    /// A domain name.
    Domain(Domain),
    /// An IP address.
    Ip(IpAddr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => d.fmt(f),
            Host::Ip(ip) => ip.fmt(f),
        }
    }
}

impl Host {
    /// Intrinsic flags of the host.
    pub fn flags(&self) -> Flags {
        match self {
            Host::Domain(d) => d.flags(),
            Host::Ip(ip) => ip::ip_flags(*ip),
        }
    }
}

/// A canonical URL.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Url {
    serialized: Box<str>,
    host: Host,
}

impl Url {
    /// Validates and canonicalises a URL. The input must already be refanged.
    pub fn parse(input: &str) -> Result<Url, UrlError> {
        let input = input.trim();
        if input.chars().any(char::is_whitespace) {
            return Err(UrlError::Whitespace);
        }
        let raw = raw_host(input).ok_or(UrlError::NoScheme)?;
        // Check the host as written, before the URL Standard reinterprets it.
        let mut mapped_v4 = None;
        if raw.is_empty() {
            return Err(UrlError::NoHost);
        } else if raw.starts_with('[') {
            if let IpAddr::V4(v4) = ip::parse_ipv6(raw)? {
                mapped_v4 = Some(v4);
            }
        } else if ip::looks_like_ipv4(raw) {
            ip::parse_ipv4(raw.strip_suffix('.').unwrap_or(raw))?;
        }
        let mut url = ::url::Url::parse(input).map_err(|e| UrlError::Parse(e.to_string()))?;
        let host = match url.host() {
            None => return Err(UrlError::NoHost),
            Some(::url::Host::Ipv4(a)) => Host::Ip(IpAddr::V4(a)),
            Some(::url::Host::Ipv6(a)) => match mapped_v4 {
                Some(v4) => Host::Ip(IpAddr::V4(v4)),
                None => Host::Ip(IpAddr::V6(a)),
            },
            Some(::url::Host::Domain(d)) => {
                if d.is_empty() {
                    return Err(UrlError::NoHost);
                }
                Host::Domain(Domain::parse(d)?)
            }
        };
        let host_text = match &host {
            Host::Domain(d) => d.as_str().to_owned(),
            Host::Ip(IpAddr::V4(a)) => a.to_string(),
            Host::Ip(IpAddr::V6(a)) => format!("[{a}]"),
        };
        if url.host_str() != Some(host_text.as_str()) {
            url.set_host(Some(&host_text))
                .map_err(|e| UrlError::Parse(e.to_string()))?;
        }
        url.set_fragment(None);
        if let Cow::Owned(p) = normalise_percent(url.path()) {
            url.set_path(&p);
        }
        if let Some(q) = url.query()
            && let Cow::Owned(q) = normalise_percent(q)
        {
            url.set_query(Some(&q));
        }
        Ok(Url {
            serialized: String::from(url).into_boxed_str(),
            host,
        })
    }

    /// The canonical URL.
    pub fn as_str(&self) -> &str {
        &self.serialized
    }

    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The scheme (`http`).
    pub fn scheme(&self) -> &str {
        self.serialized.split(':').next().unwrap_or("")
    }
}

/// The host part of `scheme://[userinfo@]host[:port]/…` as written.
fn raw_host(s: &str) -> Option<&str> {
    let (scheme, after) = s.split_once("://")?;
    let mut chars = scheme.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let end = after.find(['/', '?', '#', '\\']).unwrap_or(after.len());
    let authority = after.get(..end)?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if hostport.starts_with('[') {
        return hostport.find(']').and_then(|i| hostport.get(..=i));
    }
    hostport.split(':').next()
}

/// Decodes percent-escapes of unreserved characters and upper-cases the rest (RFC 3986 §6.2.2).
fn normalise_percent(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let (Some(&h), Some(&l)) = (bytes.get(i + 1), bytes.get(i + 2))
            && let (Some(hv), Some(lv)) = (hex_val(h), hex_val(l))
        {
            let decoded = hv * 16 + lv;
            // A decoded hex digit right after a lone `%` would form a new escape.
            let tail = out.as_bytes();
            let after_lone_percent = tail.last() == Some(&b'%')
                || (tail.len() >= 2
                    && tail.get(tail.len() - 2) == Some(&b'%')
                    && tail.last().is_some_and(u8::is_ascii_hexdigit));
            let unreserved =
                decoded.is_ascii_alphanumeric() || matches!(decoded, b'-' | b'.' | b'_' | b'~');
            if unreserved && !(after_lone_percent && decoded.is_ascii_hexdigit()) {
                out.push(char::from(decoded));
                changed = true;
            } else {
                out.push('%');
                out.push(char::from(h.to_ascii_uppercase()));
                out.push(char::from(l.to_ascii_uppercase()));
                changed |= h.is_ascii_lowercase() || l.is_ascii_lowercase();
            }
            i += 3;
            continue;
        }
        // Copy one whole UTF-8 character.
        let ch_len = s
            .get(i..)
            .and_then(|r| r.chars().next())
            .map_or(1, char::len_utf8);
        if let Some(chunk) = s.get(i..i + ch_len) {
            out.push_str(chunk);
        }
        i += ch_len;
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    }
}

fn hex_val(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.serialized)
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Url({:?})", self.serialized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, canonical: &str) {
        match Url::parse(input) {
            Ok(u) => assert_eq!(u.as_str(), canonical, "{input}"),
            Err(e) => panic!("{input}: {e}"),
        }
    }

    #[test]
    fn canonical_forms() {
        check("HTTP://Example.COM", "http://example.com/");
        check("http://example.com:80/a/./b/../c", "http://example.com/a/c");
        check("https://example.com:443/#frag", "https://example.com/");
        check("https://example.com:8443/x", "https://example.com:8443/x");
        check(
            "http://example.com./%7euser/%41%2f?q=%7e%2a",
            "http://example.com/~user/A%2F?q=~%2A",
        );
        check("http://bücher.example/", "http://xn--bcher-kva.example/");
        check("http://[2001:DB8::1]:8080/", "http://[2001:db8::1]:8080/");
        check("http://[::ffff:192.0.2.1]/x", "http://192.0.2.1/x");
        check("http://user:pw@Example.com/", "http://user:pw@example.com/");
        check("ftp://files.example.org/pub", "ftp://files.example.org/pub");
    }

    #[test]
    fn host_is_exposed() {
        let u = Url::parse("http://198.51.100.7/x").unwrap();
        assert!(matches!(u.host(), Host::Ip(_)));
        assert!(u.host().flags().contains(crate::flags::Flag::Documentation));
        assert_eq!(u.scheme(), "http");
    }

    #[test]
    fn rejections() {
        for (bad, want) in [
            ("http://0x7f.0.0.1/", "hexadecimal"),
            ("http://127.1/", "shortened"),
            ("http://010.0.0.1/", "leading zero"),
            ("http://karlos .net/", "white space"),
            ("mailto:a@example.com", "no scheme"),
            ("example.com/path", "no scheme"),
            ("http://exa_mple..com/", "empty label"),
            ("http:///path", "no host"),
        ] {
            let e = Url::parse(bad)
                .map(|u| u.to_string())
                .unwrap_err()
                .to_string();
            assert!(e.to_lowercase().contains(want), "{bad:?}: {e}");
        }
    }

    #[test]
    fn percent_normalisation() {
        assert_eq!(normalise_percent("/a%2fb"), "/a%2Fb");
        assert_eq!(normalise_percent("/%41%42"), "/AB");
        assert_eq!(normalise_percent("/%zz%4"), "/%zz%4");
        assert_eq!(
            normalise_percent("?0=%%61A"),
            "?0=%%61A",
            "must not manufacture an escape"
        );
        assert_eq!(normalise_percent("/%6%31"), "/%6%31");
        assert!(matches!(normalise_percent("/plain"), Cow::Borrowed(_)));
    }
}
