//! The fusion formula, case by case, and its properties: order independence,
//! idempotent re-ingestion, monotonicity and bounds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests: a panic is a failed test"
)]

use pelita_fuse::{Fused, Policy, Sighting, Suppression, fuse};
use pelita_model::{Credibility, IndicatorKind, SourceReliability};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap()
}

fn s(
    source: &str,
    r: Option<SourceReliability>,
    c: Option<Credibility>,
    days_ago: i64,
) -> Sighting<'_> {
    let t = now() - Duration::days(days_ago);
    Sighting {
        source,
        reliability: r,
        credibility: c,
        first_seen: t,
        last_seen: t,
        count: 1,
        withdrawn: false,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn one_source_is_its_grade() {
    let p = Policy::default();
    let f = fuse(
        IndicatorKind::Sha256,
        &[s(
            "cert-a",
            Some(SourceReliability::A),
            Some(Credibility::Confirmed),
            0,
        )],
        now(),
        &p,
    )
    .unwrap();
    assert!(close(f.confidence, 0.95));
    let f = fuse(IndicatorKind::Sha256, &[s("x", None, None, 0)], now(), &p).unwrap();
    assert!(
        close(f.confidence, 0.5),
        "unknown grades are unknown, not bad"
    );
    let f = fuse(
        IndicatorKind::Sha256,
        &[s(
            "x",
            Some(SourceReliability::F),
            Some(Credibility::CannotBeJudged),
            0,
        )],
        now(),
        &p,
    )
    .unwrap();
    assert!(close(f.confidence, 0.5), "F6 counts as unknown");
}

#[test]
fn independent_sources_corroborate_and_repeats_do_not() {
    let p = Policy::default();
    let b = Some(SourceReliability::B);
    let c2 = Some(Credibility::ProbablyTrue);
    let two = fuse(
        IndicatorKind::Md5,
        &[s("cert-a", b, c2, 0), s("firm-b", b, c2, 0)],
        now(),
        &p,
    )
    .unwrap();
    assert!(close(two.confidence, 1.0 - 0.2 * 0.2), "{}", two.confidence);
    assert_eq!(two.sources, 2);
    let repeated = fuse(
        IndicatorKind::Md5,
        &[
            s("cert-a", b, c2, 0),
            s("cert-a", b, c2, 0),
            s("cert-a", b, c2, 0),
        ],
        now(),
        &p,
    )
    .unwrap();
    assert!(close(repeated.confidence, 0.8));
    assert_eq!((repeated.sources, repeated.sightings), (1, 3));
}

#[test]
fn a_weak_source_never_lowers_a_strong_one() {
    let p = Policy::default();
    let strong = fuse(
        IndicatorKind::Md5,
        &[s(
            "a",
            Some(SourceReliability::A),
            Some(Credibility::Confirmed),
            0,
        )],
        now(),
        &p,
    )
    .unwrap();
    let both = fuse(
        IndicatorKind::Md5,
        &[
            s(
                "a",
                Some(SourceReliability::A),
                Some(Credibility::Confirmed),
                0,
            ),
            s(
                "e",
                Some(SourceReliability::E),
                Some(Credibility::Improbable),
                0,
            ),
        ],
        now(),
        &p,
    )
    .unwrap();
    assert!(both.confidence >= strong.confidence);
}

#[test]
fn decay_by_kind() {
    let p = Policy::default();
    let ip = fuse(
        IndicatorKind::Ipv4,
        &[s(
            "a",
            Some(SourceReliability::A),
            Some(Credibility::Confirmed),
            30,
        )],
        now(),
        &p,
    )
    .unwrap();
    assert!(
        close(ip.confidence, 0.95 / 2.0),
        "one half-life halves it: {}",
        ip.confidence
    );
    assert!(close(ip.base_confidence, 0.95));
    let ip60 = fuse(
        IndicatorKind::Ipv4,
        &[s(
            "a",
            Some(SourceReliability::A),
            Some(Credibility::Confirmed),
            60,
        )],
        now(),
        &p,
    )
    .unwrap();
    assert!(close(ip60.confidence, 0.95 / 4.0));
    let hash = fuse(
        IndicatorKind::Sha256,
        &[s(
            "a",
            Some(SourceReliability::A),
            Some(Credibility::Confirmed),
            3650,
        )],
        now(),
        &p,
    )
    .unwrap();
    assert!(close(hash.confidence, 0.95), "a file hash never decays");
    let future = fuse(
        IndicatorKind::Ipv4,
        &[s(
            "a",
            Some(SourceReliability::A),
            Some(Credibility::Confirmed),
            -5,
        )],
        now(),
        &p,
    )
    .unwrap();
    assert!(
        close(future.confidence, 0.95),
        "a date in the future does not raise confidence"
    );
}

#[test]
fn withdrawal_suppresses_and_keeps() {
    let p = Policy::default();
    let mut w = s("a", None, None, 3);
    w.withdrawn = true;
    let only = fuse(IndicatorKind::Domain, std::slice::from_ref(&w), now(), &p).unwrap();
    assert_eq!(only.suppressed, vec![Suppression::WithdrawnBySources]);
    assert!(close(only.confidence, 0.0));
    assert_eq!(only.last_seen, now() - Duration::days(3), "dates are kept");
    let mixed = fuse(
        IndicatorKind::Domain,
        &[w, s("b", None, None, 10)],
        now(),
        &p,
    )
    .unwrap();
    assert!(mixed.suppressed.is_empty());
    assert_eq!(mixed.sources, 1);
    assert_eq!(
        mixed.last_seen,
        now() - Duration::days(10),
        "a withdrawn sighting does not set the dates"
    );
    assert!(fuse(IndicatorKind::Domain, &[], now(), &p).is_none());
}

#[test]
fn suppress_is_sorted_and_deduplicated() {
    let mut f = fuse(
        IndicatorKind::Domain,
        &[s("a", None, None, 0)],
        now(),
        &Policy::default(),
    )
    .unwrap();
    f.suppress(Suppression::NonRoutable {
        flag: "documentation".into(),
    });
    f.suppress(Suppression::KnownBenign {
        list: "top-domains".into(),
    });
    f.suppress(Suppression::NonRoutable {
        flag: "documentation".into(),
    });
    assert_eq!(f.suppressed.len(), 2);
    assert!(f.is_suppressed());
    let json = serde_json::to_string(&f.suppressed).unwrap();
    assert_eq!(
        json,
        r#"[{"reason":"known-benign","list":"top-domains"},{"reason":"non-routable","flag":"documentation"}]"#
    );
}

/// Reliability and credibility grades, either possibly absent.
type Grade = (Option<SourceReliability>, Option<Credibility>);
/// source index, grades, days since last seen, days seen, withdrawn.
type RawSighting = (usize, Grade, i64, i64, bool);

fn grade() -> impl Strategy<Value = Grade> {
    (
        prop::option::of(prop::sample::select(SourceReliability::ALL.to_vec())),
        prop::option::of(prop::sample::select(Credibility::ALL.to_vec())),
    )
}

fn sightings() -> impl Strategy<Value = Vec<RawSighting>> {
    prop::collection::vec(
        (0usize..5, grade(), -10i64..400, 0i64..100, any::<bool>()),
        1..12,
    )
}

const SOURCES: [&str; 5] = ["cert-sg", "police-my", "firm-a", "firm-b", "cert-id"];

fn build(raw: &[RawSighting]) -> Vec<Sighting<'static>> {
    raw.iter()
        .map(|&(src, (r, c), ago, span, withdrawn)| Sighting {
            source: SOURCES[src],
            reliability: r,
            credibility: c,
            first_seen: now() - Duration::days(ago + span),
            last_seen: now() - Duration::days(ago),
            count: 1,
            withdrawn,
        })
        .collect()
}

fn fused(kind: IndicatorKind, v: &[Sighting<'_>]) -> Fused {
    fuse(kind, v, now(), &Policy::default()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn order_of_submissions_does_not_matter(raw in sightings(), seed in any::<u64>(), kind in prop::sample::select(IndicatorKind::ALL.to_vec())) {
        let v = build(&raw);
        let mut shuffled = v.clone();
        // A seeded Fisher-Yates shuffle.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(fused(kind, &v), fused(kind, &shuffled));
    }

    #[test]
    fn re_ingesting_changes_nothing_but_the_count(raw in sightings(), kind in prop::sample::select(IndicatorKind::ALL.to_vec())) {
        let v = build(&raw);
        let mut twice = v.clone();
        twice.extend(v.iter().cloned());
        let (once, again) = (fused(kind, &v), fused(kind, &twice));
        prop_assert_eq!(once.confidence, again.confidence);
        prop_assert_eq!(once.base_confidence, again.base_confidence);
        prop_assert_eq!((once.sources, once.first_seen, once.last_seen), (again.sources, again.first_seen, again.last_seen));
        prop_assert_eq!(&once.suppressed, &again.suppressed);
    }

    #[test]
    fn more_live_evidence_never_lowers_confidence(raw in sightings(), extra in sightings(), kind in prop::sample::select(IndicatorKind::ALL.to_vec())) {
        let v = build(&raw);
        let mut more = v.clone();
        more.extend(build(&extra).into_iter().map(|mut s| { s.withdrawn = false; s }));
        prop_assert!(fused(kind, &more).base_confidence >= fused(kind, &v).base_confidence - 1e-12);
        prop_assert!(fused(kind, &more).confidence >= fused(kind, &v).confidence - 1e-12);
    }

    #[test]
    fn confidence_is_bounded_and_decay_only_lowers(raw in sightings(), kind in prop::sample::select(IndicatorKind::ALL.to_vec())) {
        let f = fused(kind, &build(&raw));
        prop_assert!((0.0..1.0).contains(&f.confidence));
        prop_assert!(f.confidence <= f.base_confidence + 1e-12);
        prop_assert!(f.first_seen <= f.last_seen);
    }
}
