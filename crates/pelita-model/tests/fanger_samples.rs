//! Every refang pair in the shared ioc-fanger samples that is an indicator
//! must canonicalise to the same key from its defanged and fanged forms.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use pelita_model::{Indicator, ParseOptions};

#[test]
fn ioc_fanger_pairs_have_one_key() {
    let Some(dir) = pelita_test_support::samples("ioc-fanger") else {
        return;
    };
    let defanged = std::fs::read_to_string(dir.join("defanged.txt")).unwrap();
    let fanged = std::fs::read_to_string(dir.join("fanged.txt")).unwrap();
    let opts = ParseOptions::default();
    let (mut checked, mut not_indicators, mut failures) = (0, 0, Vec::new());
    for (n, (d, f)) in defanged.lines().zip(fanged.lines()).enumerate() {
        let Ok(want) = Indicator::parse(f, None, &opts) else {
            not_indicators += 1;
            continue;
        };
        checked += 1;
        match Indicator::parse(d, None, &opts) {
            Ok(got) if got.indicator == want.indicator => {}
            Ok(got) => failures.push(format!(
                "line {}: {d:?} -> {} but {f:?} -> {}",
                n + 1,
                got.indicator.key(),
                want.indicator.key()
            )),
            Err(e) => failures.push(format!("line {}: {d:?}: {e}", n + 1)),
        }
    }
    println!(
        "ioc-fanger: {checked} indicator pairs checked, {not_indicators} lines are not indicators"
    );
    assert!(
        checked > 500,
        "expected the sample to hold hundreds of indicators, found {checked}"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} pairs differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
