//! Phone numbers, in E.164.
//!
//! Parsing and validation use Google's libphonenumber metadata (the
//! `phonenumber` crate). A number written in international form (`+` or
//! `00`) needs no region; a national number (`020 7946 0000`) needs a
//! default region, given by the caller (`--default-region GB`). Numbers from
//! the ranges regulators reserve for drama and fiction (Ofcom's 020 7946 0xxx,
//! 07700 900xxx and the other drama ranges; the North American 555-01xx) are flagged
//! [`Flag::Fictitious`]: Pelita's demo uses them, and a report must never
//! present them as real.

use phonenumber::Mode;

use crate::flags::{Flag, Flags};

/// Why a string is not a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// The default region is not an ISO 3166 alpha-2 code libphonenumber knows.
    #[error("unknown region {0:?} (use an ISO 3166 alpha-2 code such as GB)")]
    Region(String),
    /// Not parseable as a phone number.
    #[error("not a phone number: {0}")]
    Parse(String),
    /// A national number without a default region.
    #[error("a national number needs a default region (or write it with + and the country code)")]
    NeedsRegion,
    /// Parsed, but not a valid number for its region.
    #[error("not a valid number for its region")]
    Invalid,
}

/// Validates a phone number; returns its E.164 form and flags.
pub fn parse_phone(s: &str, default_region: Option<&str>) -> Result<(String, Flags), PhoneError> {
    let t = s.trim();
    let t = t.strip_prefix("tel:").unwrap_or(t);
    let international = t.starts_with('+') || t.starts_with("00");
    let region = match default_region {
        Some(r) => Some(
            r.trim()
                .to_ascii_uppercase()
                .parse::<phonenumber::country::Id>()
                .map_err(|_| PhoneError::Region(r.to_owned()))?,
        ),
        None if international => None,
        None => return Err(PhoneError::NeedsRegion),
    };
    let normalised;
    let text = match t.strip_prefix("00") {
        Some(rest) if region.is_none() => {
            normalised = format!("+{rest}");
            normalised.as_str()
        }
        _ => t,
    };
    let number = phonenumber::parse(region, text).map_err(|e| PhoneError::Parse(e.to_string()))?;
    let e164 = number.format().mode(Mode::E164).to_string();
    let mut flags = Flags::empty();
    if is_fictitious(&e164) {
        flags.insert(Flag::Fictitious);
    } else if !phonenumber::is_valid(&number) {
        return Err(PhoneError::Invalid);
    }
    Ok((e164, flags))
}

/// Whether an E.164 number is in a range reserved for fiction.
pub fn is_fictitious(e164: &str) -> bool {
    // Ofcom's drama ranges: each prefix below is followed by exactly three
    // digits (020 7946 0xxx, 07700 900xxx, 0113 496 0xxx, …).
    const UK: &[&str] = &[
        "+442079460",
        "+447700900",
        "+441134960",
        "+441144960",
        "+441154960",
        "+441174960",
        "+441184960",
        "+441214960",
        "+441314960",
        "+441414960",
        "+441514960",
        "+441614960",
        "+441914980",
        "+442890180",
        "+442920180",
        "+441632960",
        "+448081570",
        "+449098790",
        "+443069990",
    ];
    if e164.len() == 13 && UK.iter().any(|p| e164.starts_with(p)) {
        return true;
    }
    // North American Numbering Plan: NXX-555-0100 to 0199.
    if let Some(rest) = e164.strip_prefix("+1") {
        return rest.len() == 10 && rest.get(3..8) == Some("55501");
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164() {
        assert_eq!(
            parse_phone("+44 20 7946 0123", None).unwrap().0,
            "+442079460123"
        );
        assert_eq!(
            parse_phone("020 7946 0123", Some("gb")).unwrap().0,
            "+442079460123"
        );
        assert_eq!(
            parse_phone("0044 20 7946 0123", None).unwrap().0,
            "+442079460123"
        );
        assert_eq!(
            parse_phone("+33 1 42 68 53 00", None).unwrap().0,
            "+33142685300"
        );
        assert_eq!(
            parse_phone("tel:+6562353535", None).unwrap().0,
            "+6562353535"
        );
    }

    #[test]
    fn fictitious_ranges_flagged() {
        assert!(
            parse_phone("+44 7700 900123", None)
                .unwrap()
                .1
                .contains(Flag::Fictitious)
        );
        assert!(
            parse_phone("+1 202 555 0142", None)
                .unwrap()
                .1
                .contains(Flag::Fictitious)
        );
        assert!(
            !parse_phone("+33 1 42 68 53 00", None)
                .unwrap()
                .1
                .contains(Flag::Fictitious)
        );
    }

    #[test]
    fn rejections() {
        assert_eq!(
            parse_phone("020 7946 0123", None),
            Err(PhoneError::NeedsRegion)
        );
        assert!(matches!(
            parse_phone("020 7946 0123", Some("QQ")),
            Err(PhoneError::Region(_))
        ));
        assert!(parse_phone("+44 12", None).is_err());
        assert!(parse_phone("hello", Some("GB")).is_err());
    }
}
