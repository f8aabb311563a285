//! Date and time columns.
//!
//! Feeds write times in many ways. A [`TimeFormat`] says which; times
//! without a UTC offset are taken to be in **UTC** (every feed Pelita has a
//! preset for documents UTC), and a date without a time is midnight UTC.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::format_description::OwnedFormatItem;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// How a date column is written. In a mapping file it is a string:
/// `"auto"`, `"rfc3339"`, `"unix"`, `"unix-ms"`, or a `time` crate format
/// description such as `"[year]-[month]-[day] [hour]:[minute]:[second]"`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum TimeFormat {
    /// Tries, in order: RFC 3339; `YYYY-MM-DD HH:MM:SS[.f]` or with a `T`,
    /// optionally followed by `Z`, ` UTC` or `+HH:MM`; a bare date
    /// `YYYY-MM-DD`; Unix seconds (9 to 11 digits) or milliseconds (12 to 13
    /// digits). The default.
    #[default]
    Auto,
    /// RFC 3339 only (`2024-05-01T12:00:00Z`).
    Rfc3339,
    /// Seconds since 1970-01-01T00:00:00Z (a fraction is allowed).
    Unix,
    /// Milliseconds since 1970-01-01T00:00:00Z.
    UnixMillis,
    /// A `time` crate format description (version 1 syntax). When it has no
    /// offset components the time is UTC; when it has no time components,
    /// midnight UTC.
    Custom(String),
}

/// A time format string that is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid time format {format:?}: {reason}")]
pub struct TimeFormatError {
    /// The format as written.
    pub format: String,
    /// Why it is invalid.
    pub reason: String,
}

impl FromStr for TimeFormat {
    type Err = TimeFormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => TimeFormat::Auto,
            "rfc3339" | "rfc-3339" | "iso8601" => TimeFormat::Rfc3339,
            "unix" | "epoch" | "unix-seconds" => TimeFormat::Unix,
            "unix-ms" | "unix-millis" | "epoch-ms" => TimeFormat::UnixMillis,
            _ => {
                time::format_description::parse_owned::<1>(s).map_err(|e| TimeFormatError {
                    format: s.to_owned(),
                    reason: e.to_string(),
                })?;
                TimeFormat::Custom(s.to_owned())
            }
        })
    }
}

impl TryFrom<String> for TimeFormat {
    type Error = TimeFormatError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TimeFormat> for String {
    fn from(f: TimeFormat) -> String {
        f.to_string()
    }
}

impl fmt::Display for TimeFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeFormat::Auto => f.write_str("auto"),
            TimeFormat::Rfc3339 => f.write_str("rfc3339"),
            TimeFormat::Unix => f.write_str("unix"),
            TimeFormat::UnixMillis => f.write_str("unix-ms"),
            TimeFormat::Custom(s) => f.write_str(s),
        }
    }
}

/// A [`TimeFormat`] ready to parse with (custom descriptions compiled once).
#[derive(Debug, Clone)]
pub(crate) enum CompiledTime {
    Auto,
    Rfc3339,
    Unix,
    UnixMillis,
    Custom(OwnedFormatItem),
}

impl CompiledTime {
    pub(crate) fn new(f: &TimeFormat) -> Result<Self, TimeFormatError> {
        Ok(match f {
            TimeFormat::Auto => CompiledTime::Auto,
            TimeFormat::Rfc3339 => CompiledTime::Rfc3339,
            TimeFormat::Unix => CompiledTime::Unix,
            TimeFormat::UnixMillis => CompiledTime::UnixMillis,
            TimeFormat::Custom(s) => CompiledTime::Custom(
                time::format_description::parse_owned::<1>(s).map_err(|e| TimeFormatError {
                    format: s.clone(),
                    reason: e.to_string(),
                })?,
            ),
        })
    }

    /// Parses a cell; `None` when it does not match.
    pub(crate) fn parse(&self, s: &str) -> Option<OffsetDateTime> {
        let s = s.trim();
        match self {
            CompiledTime::Auto => parse_auto(s),
            CompiledTime::Rfc3339 => OffsetDateTime::parse(s, &Rfc3339).ok(),
            CompiledTime::Unix => parse_unix(s, false),
            CompiledTime::UnixMillis => parse_unix(s, true),
            CompiledTime::Custom(item) => {
                if let Ok(t) = OffsetDateTime::parse(s, item) {
                    return Some(t);
                }
                if let Ok(t) = PrimitiveDateTime::parse(s, item) {
                    return Some(t.assume_utc());
                }
                Date::parse(s, item)
                    .ok()
                    .map(|d| PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_utc())
            }
        }
    }
}

fn parse_unix(s: &str, millis: bool) -> Option<OffsetDateTime> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = int.parse().ok()?;
    let nanos: i128 = if millis {
        i128::from(whole).checked_mul(1_000_000)?
    } else {
        let mut frac_ns: i128 = 0;
        let mut scale: i128 = 100_000_000;
        for b in frac.bytes().take(9) {
            frac_ns += i128::from(b - b'0') * scale;
            scale /= 10;
        }
        i128::from(whole)
            .checked_mul(1_000_000_000)?
            .checked_add(frac_ns)?
    };
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// `YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][Z| UTC|±HH[:]MM]`, or a bare date.
fn parse_auto(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.len() {
            9..=11 => parse_unix(s, false),
            12 | 13 => parse_unix(s, true),
            _ => None,
        };
    }
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let year = i32::try_from(num(0, 4)?).ok()?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(num(5, 2)?).ok()?).ok()?;
    let day = u8::try_from(num(8, 2)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    if b.len() == 10 {
        return Some(PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc());
    }
    if !matches!(b.get(10), Some(b' ' | b'T' | b't')) {
        return None;
    }
    let hour = u8::try_from(num(11, 2)?).ok()?;
    if b.get(13) != Some(&b':') {
        return None;
    }
    let minute = u8::try_from(num(14, 2)?).ok()?;
    let mut pos = 16;
    let mut second = 0u8;
    let mut nanos = 0u32;
    if b.get(pos) == Some(&b':') {
        second = u8::try_from(num(17, 2)?).ok()?;
        pos = 19;
        if b.get(pos) == Some(&b'.') || b.get(pos) == Some(&b',') {
            pos += 1;
            let mut scale = 100_000_000u32;
            while let Some(d) = b.get(pos).filter(|d| d.is_ascii_digit()) {
                nanos += u32::from(d - b'0') * scale;
                scale /= 10;
                pos += 1;
            }
        }
    }
    let time = Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    let dt = PrimitiveDateTime::new(date, time);
    let rest = s.get(pos..)?.trim();
    let offset = match rest {
        "" | "Z" | "z" | "UTC" | "utc" | "GMT" => UtcOffset::UTC,
        _ => {
            let (sign, digits) = match rest.as_bytes().first()? {
                b'+' => (1i8, rest.get(1..)?),
                b'-' => (-1i8, rest.get(1..)?),
                _ => return None,
            };
            let digits: String = digits.chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|d| d.is_ascii_digit()) {
                return None;
            }
            let h: i8 = digits.get(..2)?.parse().ok()?;
            let m: i8 = digits.get(2..)?.parse().ok()?;
            UtcOffset::from_hms(sign * h, sign * m, 0).ok()?
        }
    };
    Some(dt.assume_offset(offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn auto_reads_the_usual_feed_forms() {
        let a = CompiledTime::Auto;
        assert_eq!(
            a.parse("2019-02-13 00:34:42"),
            Some(datetime!(2019-02-13 00:34:42 UTC))
        );
        assert_eq!(
            a.parse("2022-11-16T14:08:44+00:00"),
            Some(datetime!(2022-11-16 14:08:44 UTC))
        );
        assert_eq!(a.parse("2022-11-15"), Some(datetime!(2022-11-15 00:00 UTC)));
        assert_eq!(
            a.parse("2018-02-06T15:16:06Z"),
            Some(datetime!(2018-02-06 15:16:06 UTC))
        );
        assert_eq!(
            a.parse("2018-02-06 15:16:06 UTC"),
            Some(datetime!(2018-02-06 15:16:06 UTC))
        );
        assert_eq!(
            a.parse("2018-02-06 15:16:06+0200"),
            Some(datetime!(2018-02-06 15:16:06 +2))
        );
        assert_eq!(
            a.parse("1495782036"),
            Some(datetime!(2017-05-26 07:00:36 UTC))
        );
        assert_eq!(a.parse("2019-13-01"), None);
        assert_eq!(a.parse("yesterday"), None);
    }

    #[test]
    fn custom_formats_with_and_without_offset() {
        let f: TimeFormat = "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
            .parse()
            .unwrap();
        let c = CompiledTime::new(&f).unwrap();
        assert_eq!(
            c.parse("01/Aug/2018:09:49:41 +0200"),
            Some(datetime!(2018-08-01 09:49:41 +2))
        );
        let g = CompiledTime::new(&"[day].[month].[year]".parse().unwrap()).unwrap();
        assert_eq!(g.parse("03.05.2022"), Some(datetime!(2022-05-03 00:00 UTC)));
        assert!("[nonsense".parse::<TimeFormat>().is_err());
        assert_eq!(
            CompiledTime::UnixMillis.parse("1000"),
            Some(datetime!(1970-01-01 00:00:01 UTC))
        );
    }
}
