//! No input makes the reader panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers: a panic is a failed test"
)]

use pelita_misp::parse;
use pelita_model::{Collect, ParseContext};
use proptest::prelude::*;

/// JSON-ish values shaped like MISP, with every field of any type.
fn misp_like() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("\"0\"".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[a-z0-9|:./ -]{0,12}".prop_map(|s| format!("{s:?}")),
        Just("\"ip-dst|port\"".to_owned()),
        Just("\"domain|ip\"".to_owned()),
        Just("\"filename|md5\"".to_owned()),
        Just("\"tlp:red\"".to_owned()),
        Just("\"1.2.3.4|\"".to_owned()),
    ];
    let keys = prop_oneof![
        Just("Event"),
        Just("response"),
        Just("Attribute"),
        Just("Object"),
        Just("Tag"),
        Just("Galaxy"),
        Just("GalaxyCluster"),
        Just("Sighting"),
        Just("type"),
        Just("value"),
        Just("name"),
        Just("info"),
        Just("deleted"),
        Just("to_ids"),
        Just("first_seen"),
        Just("date_sighting"),
        Just("tag_name"),
        Just("Orgc"),
    ];
    leaf.prop_recursive(6, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|v| {
                let fields: Vec<String> =
                    v.into_iter().map(|(k, x)| format!("{k:?}:{x}")).collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut sink = Collect::default();
        let _ = parse(&bytes, &ParseContext::default(), &mut sink);
    }

    #[test]
    fn misp_shaped_json_never_panics(doc in misp_like()) {
        let mut sink = Collect::default();
        let mut ctx = ParseContext::default();
        ctx.limits.max_records = 5;
        ctx.limits.max_json_depth = 8;
        let s = parse(doc.as_bytes(), &ctx, &mut sink);
        prop_assert!(s.attributes <= 5);
        // Valid JSON is never a syntax error.
        prop_assert!(sink.problems.iter().all(|p| p.code != "json.syntax"), "{doc}");
    }

    #[test]
    fn json_prefixes_never_panic(doc in misp_like(), cut in any::<prop::sample::Index>()) {
        let bytes = doc.as_bytes();
        let end = cut.index(bytes.len() + 1);
        let mut sink = Collect::default();
        let _ = parse(bytes.get(..end).unwrap_or(bytes), &ParseContext::default(), &mut sink);
    }
}
