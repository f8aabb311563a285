//! Properties of canonicalisation, over generated indicators written in
//! many notations: idempotence, refang(defang(x)) = x, one key for every
//! notation of a value, and no panic on arbitrary input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use std::net::{Ipv4Addr, Ipv6Addr};

use pelita_model::{Indicator, IndicatorKind, ParseOptions};
use proptest::prelude::*;

fn parse(s: &str) -> Result<Indicator, String> {
    Indicator::parse(s, None, &ParseOptions::default())
        .map(|c| c.indicator)
        .map_err(|e| e.to_string())
}

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9]{0,8}",
        // Hyphens in the third and fourth place are reserved for A-labels (RFC 5891).
        "[a-z][a-z0-9-]{0,8}[a-z0-9]"
            .prop_filter("not a reserved ??-- label", |l| l.get(2..4) != Some("--")),
        Just("bücher".to_owned()),
        Just("пример".to_owned()),
        Just("xn--e1afmkfd".to_owned()),
    ]
}

fn suffix() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "com", "net", "org", "io", "sg", "my", "co.id", "gov.sg", "go.th", "co.uk", "test",
        "example", "рф",
    ])
}

fn domain() -> impl Strategy<Value = String> {
    (prop::collection::vec(label(), 1..4), suffix())
        .prop_map(|(labels, s)| format!("{}.{s}", labels.join(".")))
}

fn ipv4() -> impl Strategy<Value = String> {
    any::<u32>().prop_map(|n| Ipv4Addr::from(n).to_string())
}

fn ipv6() -> impl Strategy<Value = String> {
    any::<u128>()
        .prop_filter("not mapped", |n| {
            Ipv6Addr::from(*n).to_ipv4_mapped().is_none()
        })
        .prop_map(|n| Ipv6Addr::from(n).to_string())
}

fn url() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["http", "https", "ftp"]),
        prop_oneof![domain(), ipv4(), ipv6().prop_map(|a| format!("[{a}]"))],
        prop::option::of(1u16..65535),
        prop::collection::vec("[A-Za-z0-9._~-]{0,8}", 0..4),
        prop::option::of("[a-z0-9]{1,5}=[A-Za-z0-9%]{0,6}"),
    )
        .prop_map(|(scheme, host, port, path, query)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            format!("{scheme}://{host}{port}/{}{query}", path.join("/"))
        })
}

fn email() -> impl Strategy<Value = String> {
    ("[A-Za-z0-9][A-Za-z0-9_+-]{0,10}", domain()).prop_map(|(l, d)| format!("{l}@{d}"))
}

fn hash() -> impl Strategy<Value = String> {
    prop::sample::select(vec![16usize, 20, 32, 64])
        .prop_flat_map(|n| prop::collection::vec(any::<u8>(), n))
        .prop_map(|bytes| {
            bytes
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    if i % 3 == 0 {
                        format!("{b:02X}")
                    } else {
                        format!("{b:02x}")
                    }
                })
                .collect()
        })
}

/// A value of any supported kind, in some canonical or near-canonical notation.
fn indicator_text() -> impl Strategy<Value = String> {
    prop_oneof![
        domain(),
        ipv4(),
        ipv6(),
        url(),
        email(),
        hash(),
        (0u32..u32::MAX).prop_map(|n| format!("AS{n}"))
    ]
}

/// Rewrites a value in one of the notations partners use.
fn variant(value: &str, style: u8) -> String {
    match style % 9 {
        0 => value.to_owned(),
        1 => value.replace('.', "[.]"),
        2 => value.replace('.', "(.)"),
        3 => value.replace('.', "[dot]"),
        4 => value.replace('.', "{.}").replace('@', "[@]"),
        5 => value
            .replacen("http", "hxxp", 1)
            .replacen("ftp", "fxp", 1)
            .replace('.', "[.]"),
        6 => format!("  {value}\t"),
        7 => format!("\"{value}\""),
        _ => value.replacen("://", "[://]", 1).replace('@', "[at]"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn canonicalisation_is_idempotent(text in indicator_text()) {
        let first = parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        let again = Indicator::parse(&first.value(), Some(first.kind()), &ParseOptions::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&again.indicator, &first);
        prop_assert_eq!(again.indicator.key(), first.key());
    }

    #[test]
    fn refang_of_defang_is_the_canonical_form(text in indicator_text()) {
        let canonical = parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        let defanged = canonical.defang();
        let back = Indicator::parse(&defanged, Some(canonical.kind()), &ParseOptions::default())
            .map_err(|e| TestCaseError::fail(format!("{defanged:?}: {e}")))?;
        prop_assert_eq!(back.indicator, canonical);
    }

    #[test]
    fn every_notation_has_one_key(text in indicator_text(), style in any::<u8>()) {
        let canonical = parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        let written = variant(&text, style);
        let got = parse(&written).map_err(|e| TestCaseError::fail(format!("{written:?}: {e}")))?;
        prop_assert_eq!(got.key(), canonical.key(), "{:?} vs {:?}", written, text);
    }

    #[test]
    fn upper_case_and_trailing_dot_do_not_change_a_domain(d in domain()) {
        let canonical = parse(&d).map_err(TestCaseError::fail)?;
        let loud = parse(&format!("{}.", d.to_uppercase())).map_err(TestCaseError::fail)?;
        prop_assert_eq!(loud, canonical);
    }

    #[test]
    fn arbitrary_input_never_panics(s in "\\PC{0,64}", kind in prop::sample::select(IndicatorKind::ALL.to_vec())) {
        let opts = ParseOptions { default_region: Some("SG".into()) };
        let _ = Indicator::parse(&s, None, &opts);
        let _ = Indicator::parse(&s, Some(kind), &opts);
        let _ = pelita_model::refang(&s);
    }

    #[test]
    fn arbitrary_ascii_soup_never_panics(s in "[\\[\\]().:/@a-zA-Z0-9 \\\\,{}%-]{0,40}") {
        if let Ok(c) = Indicator::parse(&s, None, &ParseOptions::default()) {
            // Whatever is accepted is stable.
            let again = Indicator::parse(&c.indicator.value(), Some(c.indicator.kind()), &ParseOptions::default());
            prop_assert_eq!(again.map(|a| a.indicator), Ok(c.indicator));
        }
    }
}
