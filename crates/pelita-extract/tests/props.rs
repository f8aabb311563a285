#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]
//! Arbitrary input never panics, and every range is a char-boundary slice.

use pelita_extract::{ProseFormat, extract_str_as};
use proptest::prelude::*;

fn check(s: &str) {
    for format in [ProseFormat::Text, ProseFormat::Html] {
        for f in extract_str_as(s, format) {
            assert!(s.is_char_boundary(f.range.start) && s.is_char_boundary(f.range.end));
            assert_eq!(s.get(f.range.clone()), Some(f.text.as_str()));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn arbitrary_strings(s in any::<String>()) {
        check(&s);
    }

    #[test]
    fn indicator_soup(parts in proptest::collection::vec(prop_oneof![
        Just("evil[.]com".to_owned()), Just("hxxps[:]//a[.]b.org/x?y=1".to_owned()), Just("198.51.100.7".to_owned()), Just("[.]".to_owned()), Just("(at)".to_owned()),
        Just("<b>".to_owned()), Just("&#46;".to_owned()), Just("&amp;".to_owned()), Just("<script>".to_owned()), Just("</script>".to_owned()), Just("é".to_owned()), Just("\u{200b}".to_owned()),
        Just("::1".to_owned()), Just("](".to_owned()), Just(" ".to_owned()), Just("\n".to_owned()), Just(".".to_owned()), Just("\"".to_owned()), Just("AS".to_owned()), Just("1234".to_owned()),
        Just("d41d8cd98f00b204e9800998ecf8427e".to_owned()), Just("[2001:db8::1]:80".to_owned()), Just("<!--".to_owned()), Just("-->".to_owned()), "[a-z0-9.:/@\\[\\]()]{0,12}".prop_map(|s| s),
    ], 0..40)) {
        check(&parts.concat());
    }
}
