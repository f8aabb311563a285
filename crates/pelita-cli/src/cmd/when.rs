//! Dates on the command line: `2026-11-01`, an RFC 3339 time, or a span
//! back from now (`30d`, `12w`, `6h`).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Reads a date, a time or a span back from `now`.
pub fn parse_when(s: &str, now: OffsetDateTime) -> Result<OffsetDateTime, String> {
    let t = s.trim();
    if let Some((n, unit)) = t
        .char_indices()
        .last()
        .filter(|(_, c)| matches!(c, 'd' | 'w' | 'h'))
        .and_then(|(i, c)| t.get(..i).map(|n| (n, c)))
        && let Ok(n) = n.parse::<i64>()
    {
        let span = match unit {
            'h' => time::Duration::hours(n),
            'w' => time::Duration::weeks(n),
            _ => time::Duration::days(n),
        };
        return now
            .checked_sub(span)
            .ok_or_else(|| format!("{s:?} reaches too far back"));
    }
    if let Ok(t) = OffsetDateTime::parse(t, &Rfc3339) {
        return Ok(t);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(t, fmt)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| {
            format!(
                "not a date: {s:?} (write 2026-11-01, 2026-11-01T00:00:00Z, or 30d for 30 days ago)"
            )
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn forms() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        assert_eq!(
            parse_when("30d", now).unwrap(),
            now - time::Duration::days(30)
        );
        assert_eq!(
            parse_when("2w", now).unwrap(),
            now - time::Duration::weeks(2)
        );
        assert_eq!(
            parse_when("2026-11-01", now).unwrap().unix_timestamp(),
            1_793_491_200
        );
        assert!(parse_when("2026-11-01T10:00:00Z", now).is_ok());
        assert!(parse_when("yesterday", now).is_err());
        assert!(parse_when("d", now).is_err());
    }
}
