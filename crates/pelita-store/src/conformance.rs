//! The conformance suite every [`Store`] backend must pass.
//!
//! Each check takes a factory that makes a fresh, empty store, and returns
//! `Err(reason)` on failure. A backend's test runs [`CHECKS`] (see
//! `tests/conformance.rs` for the SQLite backend); PostgreSQL will run the
//! same list. The checks state the store's contract: atomic submissions,
//! idempotent re-ingestion, order independence, and answers computed only
//! from the sightings a filter lets through.

use pelita_fuse::{Policy, Sighting, fuse};
use pelita_ingest::Record;
use pelita_model::{
    Admiralty, Credibility, Flags, Indicator, Location, ParseOptions, Relation, SourceReliability,
    Tlp,
};
use time::{Duration, OffsetDateTime};

use crate::{SightingFilter, Store, SubmissionMeta, SubmissionOutcome};

/// A factory of fresh, empty stores.
pub type Factory<'a> = &'a mut dyn FnMut() -> Box<dyn Store>;

/// A named check.
pub type Check = (&'static str, fn(Factory<'_>) -> Result<(), String>);

/// Every check, by name.
pub const CHECKS: &[Check] = &[
    (
        "committed_submission_is_visible",
        committed_submission_is_visible,
    ),
    (
        "uncommitted_submission_leaves_nothing",
        uncommitted_submission_leaves_nothing,
    ),
    ("reingest_is_idempotent", reingest_is_idempotent),
    (
        "order_of_submissions_does_not_matter",
        order_of_submissions_does_not_matter,
    ),
    ("markings_filter_every_answer", markings_filter_every_answer),
    ("fused_view_matches_fusion", fused_view_matches_fusion),
    (
        "lookup_any_notation_containment_and_parents",
        lookup_any_notation_containment_and_parents,
    ),
    (
        "relationships_follow_markings",
        relationships_follow_markings,
    ),
    (
        "withdrawn_is_suppressed_not_deleted",
        withdrawn_is_suppressed_not_deleted,
    ),
    (
        "same_bytes_from_two_sources_are_two_submissions",
        same_bytes_from_two_sources_are_two_submissions,
    ),
    (
        "enrichment_classification_and_suppression",
        enrichment_classification_and_suppression,
    ),
    (
        "compromised_site_rule_on_visible_evidence",
        compromised_site_rule_on_visible_evidence,
    ),
    (
        "indicators_query_equals_views_filtered",
        indicators_query_equals_views_filtered,
    ),
    (
        "operations_scope_every_answer",
        operations_scope_every_answer,
    ),
    ("action_states_round_trip", action_states_round_trip),
    (
        "synthetic_store_keeps_stand_in_values",
        synthetic_store_keeps_stand_in_values,
    ),
    (
        "organisations_and_tokens_round_trip",
        organisations_and_tokens_round_trip,
    ),
    (
        "receipts_follow_visible_sightings",
        receipts_follow_visible_sightings,
    ),
    (
        "the_data_version_changes_with_every_commit",
        the_data_version_changes_with_every_commit,
    ),
    (
        "users_and_sessions_round_trip",
        users_and_sessions_round_trip,
    ),
    ("seen_days_equal_the_views", seen_days_equal_the_views),
];

/// Runs every check; returns the failures as (name, reason).
pub fn run_all(make: Factory<'_>) -> Vec<(&'static str, String)> {
    CHECKS
        .iter()
        .filter_map(|(name, check)| check(&mut *make).err().map(|e| (*name, e)))
        .collect()
}

/// The fixed "now" of every check.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A submission's metadata, received `days_ago`.
pub fn meta(sha: &str, source: &str, tlp: Option<Tlp>, days_ago: i64) -> SubmissionMeta {
    SubmissionMeta {
        sha256: format!("{sha:0>64}"),
        name: format!("{sha}.json"),
        size: 100,
        format: "test".into(),
        source: source.into(),
        tlp,
        received_at: now() - Duration::days(days_ago),
        operation: None,
        recipients: Vec::new(),
    }
}

/// A record of `value` (any notation) at `line`, marked `tlp`, last seen `days_ago`.
pub fn record(value: &str, line: u64, tlp: Option<Tlp>, days_ago: i64) -> Result<Record, String> {
    let c = Indicator::parse(value, None, &ParseOptions::default())
        .map_err(|e| format!("{value}: {e}"))?;
    let seen = now() - Duration::days(days_ago);
    Ok(Record {
        submission: String::new(),
        part: None,
        location: Location::in_file("test").with_line(line),
        kind: c.indicator.kind(),
        value: c.indicator.value(),
        key: c.indicator.key(),
        indicator: c.indicator,
        raw: value.into(),
        flags: c.flags,
        tlp,
        source: None,
        admiralty: Admiralty::default(),
        first_seen: Some(seen),
        last_seen: Some(seen),
        tags: Vec::new(),
        malware: None,
        hints: Vec::new(),
        withdrawn: false,
        related: Vec::new(),
        port: None,
        context: None,
        source_id: None,
    })
}

/// Writes one submission of `records` and commits it.
pub fn submit(
    store: &mut dyn Store,
    meta: &SubmissionMeta,
    records: Vec<Record>,
) -> Result<crate::CommitStats, String> {
    let mut sink = store.begin(meta).map_err(|e| e.to_string())?;
    for r in records {
        sink.record(r).map_err(|e| e.to_string())?;
    }
    sink.commit(&SubmissionOutcome::default())
        .map_err(|e| e.to_string())
}

fn ensure(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what()) }
}

fn key(value: &str) -> String {
    Indicator::parse(value, None, &ParseOptions::default())
        .map(|c| c.indicator.key())
        .unwrap_or_default()
}

/// The fused view without the suppressions that enrichment adds, to compare with bare fusion.
fn fusion_only(f: &pelita_fuse::Fused) -> pelita_fuse::Fused {
    let mut f = f.clone();
    f.suppressed
        .retain(|s| *s == pelita_fuse::Suppression::WithdrawnBySources);
    f
}

fn all() -> SightingFilter {
    SightingFilter::everything()
}

fn check_integrity(store: &dyn Store) -> Result<(), String> {
    let integrity = store.check().map_err(|e| e.to_string())?;
    ensure(integrity.is_ok(), || {
        format!("integrity check failed: {integrity:?}")
    })
}

fn committed_submission_is_visible(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    let records = vec![
        record("198.51.100.7", 1, None, 1)?,
        record("c2.example.com", 2, None, 1)?,
        record("http://c2.example.com/gate", 3, None, 1)?,
    ];
    let stats = submit(
        store.as_mut(),
        &meta("a1", "cert-a", Some(Tlp::Green), 0),
        records,
    )?;
    ensure(
        stats.new_submission
            && stats.records == 3
            && stats.sightings_added == 3
            && stats.indicators_added == 3,
        || format!("commit stats {stats:?}"),
    )?;
    let view = store
        .indicator(&key("198.51.100.7"), &all(), now())
        .map_err(|e| e.to_string())?
        .ok_or("committed indicator not found")?;
    ensure(
        view.fused.sources == 1
            && view.sources.first().map(|s| s.source.as_str()) == Some("cert-a"),
        || format!("view {view:?}"),
    )?;
    ensure(
        view.sources.first().and_then(|s| s.tlp) == Some(Tlp::Green),
        || "the submission's default marking applies".into(),
    )?;
    let s = store.stats(&all()).map_err(|e| e.to_string())?;
    ensure(
        s.indicators == 3 && s.sightings == 3 && s.submissions == 1 && s.sources == 1,
        || format!("stats {s:?}"),
    )?;
    ensure(
        store.submissions().map_err(|e| e.to_string())?.len() == 1,
        || "one submission".into(),
    )?;
    check_integrity(store.as_ref())
}

fn uncommitted_submission_leaves_nothing(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    {
        let mut sink = store
            .begin(&meta("b1", "cert-a", None, 0))
            .map_err(|e| e.to_string())?;
        sink.record(record("198.51.100.8", 1, None, 0)?)
            .map_err(|e| e.to_string())?;
        // Dropped without commit: a crash before the acknowledgement.
    }
    ensure(
        store
            .indicator(&key("198.51.100.8"), &all(), now())
            .map_err(|e| e.to_string())?
            .is_none(),
        || "uncommitted sighting is visible".into(),
    )?;
    let s = store.stats(&all()).map_err(|e| e.to_string())?;
    ensure(s == crate::Stats::default(), || {
        format!("stats after rollback {s:?}")
    })?;
    check_integrity(store.as_ref())
}

fn reingest_is_idempotent(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    let records = || -> Result<Vec<Record>, String> {
        Ok(vec![
            record("192.0.2.44", 1, None, 2)?,
            record("evil.example.net", 2, Some(Tlp::Amber), 2)?,
        ])
    };
    let m = meta("c1", "firm-b", Some(Tlp::Green), 0);
    submit(store.as_mut(), &m, records()?)?;
    let before = (
        store.stats(&all()).map_err(|e| e.to_string())?,
        store
            .indicator(&key("192.0.2.44"), &all(), now())
            .map_err(|e| e.to_string())?,
    );
    let again = submit(store.as_mut(), &m, records()?)?;
    ensure(
        !again.new_submission && again.sightings_added == 0 && again.indicators_added == 0,
        || format!("second commit {again:?}"),
    )?;
    let after = (
        store.stats(&all()).map_err(|e| e.to_string())?,
        store
            .indicator(&key("192.0.2.44"), &all(), now())
            .map_err(|e| e.to_string())?,
    );
    ensure(before == after, || {
        format!("re-ingesting changed the store: {before:?} vs {after:?}")
    })?;
    check_integrity(store.as_ref())
}

fn order_of_submissions_does_not_matter(make: Factory<'_>) -> Result<(), String> {
    let subs = || -> Result<Vec<(SubmissionMeta, Vec<Record>)>, String> {
        let mut a = record("203.0.113.9", 1, Some(Tlp::Green), 10)?;
        a.admiralty = Admiralty {
            reliability: Some(SourceReliability::B),
            credibility: Some(Credibility::ProbablyTrue),
        };
        let mut b = record("203.0.113.9", 4, Some(Tlp::Amber), 3)?;
        b.admiralty = Admiralty {
            reliability: Some(SourceReliability::C),
            credibility: None,
        };
        Ok(vec![
            (
                meta("d1", "cert-a", None, 10),
                vec![a, record("phish.example.org", 2, Some(Tlp::Green), 10)?],
            ),
            (
                meta("d2", "police-b", None, 3),
                vec![b, record("phish.example.org", 9, Some(Tlp::Clear), 3)?],
            ),
        ])
    };
    let mut forward = make();
    for (m, r) in subs()? {
        submit(forward.as_mut(), &m, r)?;
    }
    let mut backward = make();
    for (m, r) in subs()?.into_iter().rev() {
        submit(backward.as_mut(), &m, r)?;
    }
    for k in [key("203.0.113.9"), key("phish.example.org")] {
        let f = forward
            .indicator(&k, &all(), now())
            .map_err(|e| e.to_string())?;
        let b = backward
            .indicator(&k, &all(), now())
            .map_err(|e| e.to_string())?;
        ensure(f == b && f.is_some(), || format!("{k}: {f:?} vs {b:?}"))?;
    }
    let (fs, bs) = (
        forward.stats(&all()).map_err(|e| e.to_string())?,
        backward.stats(&all()).map_err(|e| e.to_string())?,
    );
    ensure(fs == bs, || format!("stats differ: {fs:?} vs {bs:?}"))
}

fn markings_filter_every_answer(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    submit(
        store.as_mut(),
        &meta("e1", "cert-a", None, 0),
        vec![
            record("198.51.100.20", 1, Some(Tlp::Green), 1)?,
            record("secret.example.com", 2, Some(Tlp::Red), 1)?,
        ],
    )?;
    let mut red = record("198.51.100.20", 1, Some(Tlp::Red), 0)?;
    red.admiralty = Admiralty {
        reliability: Some(SourceReliability::A),
        credibility: Some(Credibility::Confirmed),
    };
    submit(store.as_mut(), &meta("e2", "police-b", None, 0), vec![red])?;
    let green = SightingFilter::up_to(Tlp::Green);
    // An indicator seen only under RED is "not found" for a GREEN reader,
    // exactly like one that was never stored.
    let hidden = store
        .indicator(&key("secret.example.com"), &green, now())
        .map_err(|e| e.to_string())?;
    let absent = store
        .indicator(&key("never-stored.example.com"), &green, now())
        .map_err(|e| e.to_string())?;
    ensure(hidden.is_none() && absent.is_none(), || {
        format!("hidden: {hidden:?}")
    })?;
    let lookup = store
        .lookup("secret[.]example[.]com", &green, now())
        .map_err(|e| e.to_string())?
        .ok_or("lookup of a valid value")?;
    ensure(lookup.exact.is_none(), || {
        "lookup leaks a RED indicator".into()
    })?;
    // The mixed indicator: fused over the GREEN sighting only.
    let view = store
        .indicator(&key("198.51.100.20"), &green, now())
        .map_err(|e| e.to_string())?
        .ok_or("green sighting not visible")?;
    let only_green = [Sighting {
        source: "cert-a",
        reliability: None,
        credibility: None,
        first_seen: now() - Duration::days(1),
        last_seen: now() - Duration::days(1),
        count: 1,
        withdrawn: false,
    }];
    let want = fuse(view.kind, &only_green, now(), &Policy::default()).ok_or("fuse")?;
    ensure(
        fusion_only(&view.fused) == want && view.sources.len() == 1,
        || format!("GREEN view {view:?} vs {want:?}"),
    )?;
    let s = store.stats(&green).map_err(|e| e.to_string())?;
    ensure(
        s.indicators == 1
            && s.sightings == 1
            && s.sources == 1
            && !s.by_source.contains_key("police-b"),
        || format!("GREEN stats {s:?}"),
    )?;
    let full = store
        .indicator(&key("198.51.100.20"), &all(), now())
        .map_err(|e| e.to_string())?
        .ok_or("full view")?;
    ensure(
        full.fused.sources == 2 && full.fused.confidence > view.fused.confidence,
        || format!("RED view {full:?}"),
    )
}

fn fused_view_matches_fusion(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    let grades = [
        (Some(SourceReliability::A), Some(Credibility::Confirmed), 5),
        (Some(SourceReliability::D), None, 40),
        (None, Some(Credibility::Doubtful), 70),
    ];
    let mut reference = Vec::new();
    let sources = ["cert-a", "firm-b", "police-c"];
    for (i, ((r, c, days), src)) in grades.into_iter().zip(sources).enumerate() {
        let mut rec = record("c2.example.net", 1, None, days)?;
        rec.admiralty = Admiralty {
            reliability: r,
            credibility: c,
        };
        submit(
            store.as_mut(),
            &meta(&format!("f{i}"), src, None, 0),
            vec![rec],
        )?;
        let t = now() - Duration::days(days);
        reference.push(Sighting {
            source: src,
            reliability: r,
            credibility: c,
            first_seen: t,
            last_seen: t,
            count: 1,
            withdrawn: false,
        });
    }
    let view = store
        .indicator(&key("c2.example.net"), &all(), now())
        .map_err(|e| e.to_string())?
        .ok_or("not found")?;
    let want = fuse(view.kind, &reference, now(), &Policy::default()).ok_or("fuse")?;
    ensure(fusion_only(&view.fused) == want, || {
        format!("{:?} vs {want:?}", view.fused)
    })
}

fn lookup_any_notation_containment_and_parents(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    submit(
        store.as_mut(),
        &meta("g1", "cert-a", None, 0),
        vec![
            record("198.51.100.0/24", 1, None, 0)?,
            record("example.com", 2, None, 0)?,
            record("198.51.100.77", 3, None, 0)?,
        ],
    )?;
    let l = store
        .lookup("198[.]51[.]100[.]77", &all(), now())
        .map_err(|e| e.to_string())?
        .ok_or("lookup")?;
    ensure(l.key == "ipv4:198.51.100.77" && l.exact.is_some(), || {
        format!("exact {l:?}")
    })?;
    ensure(
        l.containing_networks
            .iter()
            .any(|n| n.key == "cidr:198.51.100.0/24"),
        || format!("containment {l:?}"),
    )?;
    let l = store
        .lookup("hxxp://www.example[.]com/x", &all(), now())
        .map_err(|e| e.to_string())?
        .ok_or("lookup")?;
    ensure(
        l.exact.is_none()
            && l.parent_domains
                .iter()
                .any(|d| d.key == "domain:example.com"),
        || format!("parents {l:?}"),
    )?;
    let l = store
        .lookup("198.51.101.1", &all(), now())
        .map_err(|e| e.to_string())?
        .ok_or("lookup")?;
    ensure(
        l.containing_networks.is_empty() && l.exact.is_none(),
        || format!("outside the network {l:?}"),
    )?;
    ensure(
        store
            .lookup("not an indicator", &all(), now())
            .map_err(|e| e.to_string())?
            .is_none(),
        || "garbage looked up".into(),
    )
}

fn relationships_follow_markings(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    let mut domain = record("resolver.example.org", 1, Some(Tlp::Green), 0)?;
    let ip = record("192.0.2.53", 1, Some(Tlp::Red), 0)?;
    domain.related.push(pelita_ingest::RelatedRecord::canonical(
        Relation::ResolvesTo,
        ip.indicator.clone(),
    ));
    domain.tlp = Some(Tlp::Red);
    let visible_domain = record("resolver.example.org", 2, Some(Tlp::Green), 0)?;
    submit(
        store.as_mut(),
        &meta("h1", "cert-a", None, 0),
        vec![domain, visible_domain],
    )?;
    let red = store
        .indicator(&key("resolver.example.org"), &all(), now())
        .map_err(|e| e.to_string())?
        .ok_or("red view")?;
    ensure(
        red.related.iter().any(|r| {
            r.key == "ipv4:192.0.2.53" && r.relation == Relation::ResolvesTo && r.outgoing
        }),
        || format!("{:?}", red.related),
    )?;
    let green = store
        .indicator(
            &key("resolver.example.org"),
            &SightingFilter::up_to(Tlp::Green),
            now(),
        )
        .map_err(|e| e.to_string())?
        .ok_or("green view")?;
    ensure(green.related.is_empty(), || {
        format!("a RED relationship leaks: {:?}", green.related)
    })?;
    check_integrity(store.as_ref())
}

fn withdrawn_is_suppressed_not_deleted(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    let mut w = record("revoked.example.com", 1, None, 0)?;
    w.withdrawn = true;
    submit(store.as_mut(), &meta("i1", "cert-a", None, 0), vec![w])?;
    let v = store
        .indicator(&key("revoked.example.com"), &all(), now())
        .map_err(|e| e.to_string())?
        .ok_or("withdrawn indicator deleted")?;
    ensure(
        v.fused
            .suppressed
            .contains(&pelita_fuse::Suppression::WithdrawnBySources),
        || format!("{:?}", v.fused),
    )?;
    let s = store.stats(&all()).map_err(|e| e.to_string())?;
    ensure(s.withdrawn == 1, || format!("{s:?}"))
}

/// `seen_days` counts what `indicators` gives, by the days of the fused
/// dates: withdrawn sightings date an indicator only when all are, an
/// indicator is in by any visible sighting of its period, markings hide.
fn seen_days_equal_the_views(make: Factory<'_>) -> Result<(), String> {
    use crate::{IndicatorQuery, SeenDays};
    let mut store = make();
    let mut first = Vec::new();
    let mut second = Vec::new();
    for n in 0..40u64 {
        let days = i64::try_from(n % 23).unwrap_or(0);
        let tlp = match n % 5 {
            0 => None,
            1 => Some(Tlp::Clear),
            2 => Some(Tlp::Green),
            3 => Some(Tlp::Amber),
            _ => Some(Tlp::Red),
        };
        let value = format!("198.51.100.{}", n % 17);
        let mut r = record(&value, n + 1, tlp, days)?;
        // A sighting spanning days, a withdrawn one now and then.
        r.first_seen = r
            .first_seen
            .map(|t| t - Duration::days(i64::try_from(n % 4).unwrap_or(0)));
        r.withdrawn = n % 6 == 0;
        if n % 2 == 0 {
            first.push(r)
        } else {
            second.push(r)
        }
    }
    submit(store.as_mut(), &meta("d1", "cert-a", None, 0), first)?;
    submit(
        store.as_mut(),
        &meta("d2", "firm-b", Some(Tlp::Green), 0),
        second,
    )?;
    let mut counted = 0;
    for filter in [
        all(),
        SightingFilter::up_to(Tlp::Green),
        SightingFilter::up_to(Tlp::Clear),
    ] {
        for back in [0, 3, 10, 30] {
            let since = now() - Duration::days(back);
            let query = IndicatorQuery {
                since: Some(since),
                ..Default::default()
            };
            let mut want = SeenDays::default();
            for v in store
                .indicators(&query, &filter, now())
                .map_err(|e| e.to_string())?
            {
                want.add(v.fused.first_seen, v.fused.last_seen);
            }
            let got = store.seen_days(&filter, since).map_err(|e| e.to_string())?;
            ensure(got == want, || {
                format!("{filter:?} since {since}: got {got:?}, want {want:?}")
            })?;
            counted += want.indicators;
        }
    }
    ensure(counted > 40, || {
        format!("only {counted} indicators counted")
    })
}

fn same_bytes_from_two_sources_are_two_submissions(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    submit(
        store.as_mut(),
        &meta("j1", "cert-a", None, 0),
        vec![record("192.0.2.99", 1, None, 0)?],
    )?;
    let second = submit(
        store.as_mut(),
        &meta("j1", "firm-b", None, 0),
        vec![record("192.0.2.99", 1, None, 0)?],
    )?;
    ensure(second.new_submission && second.sightings_added == 1, || {
        format!("{second:?}")
    })?;
    let v = store
        .indicator(&key("192.0.2.99"), &all(), now())
        .map_err(|e| e.to_string())?
        .ok_or("view")?;
    ensure(v.fused.sources == 2, || format!("{v:?}"))?;
    let flags = v.flags;
    ensure(
        flags == Flags::from(pelita_model::Flag::Documentation),
        || format!("flags {flags:?}"),
    )
}

fn enrichment_classification_and_suppression(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    let mut c2 = record("8.8.8.8", 1, None, 0)?;
    c2.hints.push("feed:feodotracker".into());
    let mut gov = record("http://portal.example.gov.sg/login.php", 2, None, 0)?;
    gov.hints.push("feed:phishtank".into());
    let doc = record("198.51.100.250", 3, None, 0)?;
    submit(
        store.as_mut(),
        &meta("l1", "cert-a", None, 0),
        vec![c2, gov, doc],
    )?;
    let v = store
        .indicator(&key("8.8.8.8"), &all(), now())
        .map_err(|e| e.to_string())?
        .ok_or("8.8.8.8")?;
    let e = v.enrichment.as_ref().ok_or("no enrichment")?;
    ensure(
        e.country.as_deref() == Some("US") && e.asn == Some(15169) && !e.dataset_version.is_empty(),
        || format!("{e:?}"),
    )?;
    ensure(v.classifications == ["malicious-code/c2-server"], || {
        format!("{:?}", v.classifications)
    })?;
    ensure(
        v.fused
            .suppressed
            .iter()
            .any(|s| matches!(s, pelita_fuse::Suppression::KnownBenign { .. })),
        || {
            format!(
                "a public resolver is known-benign: {:?}",
                v.fused.suppressed
            )
        },
    )?;
    let g = store
        .indicator(
            &key("http://portal.example.gov.sg/login.php"),
            &all(),
            now(),
        )
        .map_err(|e| e.to_string())?
        .ok_or("gov url")?;
    let ge = g.enrichment.as_ref().ok_or("no enrichment")?;
    ensure(
        ge.government
            .as_ref()
            .is_some_and(|m| m.country == "SG" && m.suffix == "gov.sg"),
        || format!("{ge:?}"),
    )?;
    ensure(g.classifications == ["fraud/phishing"], || {
        format!("{:?}", g.classifications)
    })?;
    let d = store
        .indicator(&key("198.51.100.250"), &all(), now())
        .map_err(|e| e.to_string())?
        .ok_or("doc ip")?;
    ensure(
        d.fused
            .suppressed
            .contains(&pelita_fuse::Suppression::NonRoutable {
                flag: "documentation".into(),
            }),
        || format!("{:?}", d.fused.suppressed),
    )?;
    ensure(
        d.enrichment
            .as_ref()
            .is_some_and(|e| e.country.is_none() && e.asn.is_none()),
        || "a documentation range has no country".into(),
    )?;
    let s = store.stats(&all()).map_err(|e| e.to_string())?;
    ensure(
        s.by_country.get("US") == Some(&1)
            && s.by_country.get("SG") == Some(&1)
            && s.by_class.get("malicious-code/c2-server") == Some(&1),
        || format!("{s:?}"),
    )?;
    ensure(s.by_asn.keys().any(|k| k.starts_with("AS15169")), || {
        format!("{:?}", s.by_asn)
    })?;
    // `countries` names the countries `stats` counts, for every reader.
    for filter in [all(), SightingFilter::up_to(Tlp::Clear)] {
        let want: Vec<String> = store
            .stats(&filter)
            .map_err(|e| e.to_string())?
            .by_country
            .into_keys()
            .collect();
        let got = store.countries(&filter).map_err(|e| e.to_string())?;
        ensure(got == want, || format!("countries {got:?}, stats {want:?}"))?;
    }
    Ok(())
}

fn compromised_site_rule_on_visible_evidence(make: Factory<'_>) -> Result<(), String> {
    use pelita_enrich::{SiteReason, SiteVerdict};
    let mut store = make();
    let mut records = vec![
        record("http://portal.example.gov.sg/login.php", 1, None, 0)?,
        record("http://evil-login.example.net/a", 2, None, 0)?,
    ];
    // A shop with many pages: one GREEN phishing URL, ten RED ones.
    records.push(record(
        "http://www.shop.example.org/x/phish.php",
        3,
        Some(Tlp::Green),
        0,
    )?);
    for i in 0..10 {
        records.push(record(
            &format!("http://shop.example.org/page{i}.php"),
            10 + i,
            Some(Tlp::Red),
            0,
        )?);
    }
    let mut abused = record("https://google.com/forms/d/phish", 40, None, 0)?;
    abused.hints.push("feed:phishtank".into());
    records.push(abused);
    submit(store.as_mut(), &meta("m1", "cert-a", None, 0), records)?;
    let site = |value: &str, filter: SightingFilter| -> Result<crate::SiteView, String> {
        store
            .indicator(&key(value), &filter, now())
            .map_err(|e| e.to_string())?
            .and_then(|v| v.site)
            .ok_or_else(|| format!("{value}: no site view"))
    };
    let gov = site("http://portal.example.gov.sg/login.php", all())?;
    ensure(
        gov.assessment.verdict == SiteVerdict::LikelyCompromised
            && gov
                .assessment
                .reasons
                .contains(&SiteReason::PublicSectorSuffix),
        || format!("{gov:?}"),
    )?;
    let evil = site("http://evil-login.example.net/a", all())?;
    ensure(
        evil.assessment.verdict == SiteVerdict::LikelyAttackerOwned && evil.site == "example.net",
        || format!("{evil:?}"),
    )?;
    // A phishing page on a top site is not suppressed by the top-sites list: the
    // list is evidence that a legitimate site is being abused.
    let v = store
        .indicator(&key("https://google.com/forms/d/phish"), &all(), now())
        .map_err(|e| e.to_string())?
        .ok_or("abused url")?;
    ensure(
        !v.fused
            .suppressed
            .iter()
            .any(|s| matches!(s, pelita_fuse::Suppression::KnownBenign { .. })),
        || {
            format!(
                "a URL on a top site was suppressed: {:?}",
                v.fused.suppressed
            )
        },
    )?;
    let on_top_site = v.site.ok_or("no site view")?;
    ensure(
        on_top_site.evidence.known_benign
            && on_top_site.assessment.verdict == SiteVerdict::LikelyCompromised,
        || format!("{on_top_site:?}"),
    )?;
    let shop = site("http://www.shop.example.org/x/phish.php", all())?;
    ensure(
        shop.site == "example.org"
            && shop.evidence.distinct_paths == 11
            && shop.assessment.reasons.contains(&SiteReason::ManyPaths),
        || format!("{shop:?}"),
    )?;
    // A GREEN reader sees one URL on the site: the evidence (and the verdict) follow.
    let green = site(
        "http://www.shop.example.org/x/phish.php",
        SightingFilter::up_to(Tlp::Green),
    )?;
    ensure(
        green.evidence.distinct_paths == 1
            && green.assessment.verdict == SiteVerdict::LikelyAttackerOwned,
        || format!("{green:?}"),
    )
}

/// The country an indicator is filed under, as the store files it: hosting
/// country, else the government suffix's country, else the ccTLD's.
fn filed_country(v: &crate::IndicatorView) -> Option<&str> {
    let e = v.enrichment.as_ref()?;
    e.country
        .as_deref()
        .or(e.government.as_ref().map(|g| g.country.as_str()))
        .or(e.cctld_country.as_deref())
}

fn indicators_query_equals_views_filtered(make: Factory<'_>) -> Result<(), String> {
    use crate::IndicatorQuery;
    let mut store = make();
    let values = [
        ("8.8.8.8", None, 1),
        (
            "http://portal.example.gov.sg/login.php",
            Some(Tlp::Green),
            2,
        ),
        ("example.sg", Some(Tlp::Clear), 40),
        ("http://red.example.gov.sg/only-red", Some(Tlp::Red), 1),
        ("mail.example.com", Some(Tlp::Green), 3),
        ("198.51.100.9", Some(Tlp::Green), 1),
    ];
    let mut records = Vec::new();
    let mut keys = Vec::new();
    for (line, (value, tlp, days)) in (1..).zip(values) {
        records.push(record(value, line, tlp, days)?);
        keys.push(key(value));
    }
    // A second, older GREEN sighting of the gov URL from another source.
    submit(
        store.as_mut(),
        &meta("q0", "firm-b", Some(Tlp::Green), 50),
        vec![record(
            "http://portal.example.gov.sg/login.php",
            1,
            None,
            50,
        )?],
    )?;
    submit(store.as_mut(), &meta("q1", "cert-a", None, 0), records)?;
    keys.sort();
    let since = now() - Duration::days(10);
    let mut seen_red_for_red = false;
    for filter in [all(), SightingFilter::up_to(Tlp::Green)] {
        for country in [None, Some("SG"), Some("US"), Some("ZZ")] {
            for since in [None, Some(since)] {
                let query = IndicatorQuery {
                    country: country.map(str::to_owned),
                    since,
                    until: None,
                    limit: None,
                };
                let got = store
                    .indicators(&query, &filter, now())
                    .map_err(|e| e.to_string())?;
                let mut expected = Vec::new();
                for k in &keys {
                    let Some(v) = store
                        .indicator(k, &filter, now())
                        .map_err(|e| e.to_string())?
                    else {
                        continue;
                    };
                    let country_ok = country.is_none_or(|c| filed_country(&v) == Some(c));
                    let since_ok = since.is_none_or(|t| v.sources.iter().any(|s| s.last_seen >= t));
                    if country_ok && since_ok {
                        expected.push(v);
                    }
                }
                ensure(got == expected, || {
                    format!(
                        "query {query:?} under {filter:?}: got {:?}, expected {:?}",
                        got.iter().map(|v| &v.key).collect::<Vec<_>>(),
                        expected.iter().map(|v| &v.key).collect::<Vec<_>>()
                    )
                })?;
                // The streamed walk hands on the same views, in any order.
                let mut walked = Vec::new();
                store
                    .for_each_indicator(&query, &filter, now(), &mut |v| {
                        walked.push(v);
                        Ok(())
                    })
                    .map_err(|e| e.to_string())?;
                walked.sort_by(|a, b| a.key.cmp(&b.key));
                ensure(walked == got, || {
                    format!(
                        "for_each_indicator {query:?} under {filter:?}: walked {:?}, indicators gave {:?}",
                        walked.iter().map(|v| &v.key).collect::<Vec<_>>(),
                        got.iter().map(|v| &v.key).collect::<Vec<_>>()
                    )
                })?;
                let has_red = got.iter().any(|v| v.value.contains("only-red"));
                if filter.max_tlp < Tlp::Red {
                    ensure(!has_red, || {
                        format!("a RED-only indicator in a GREEN reader's answer: {query:?}")
                    })?;
                } else if country == Some("SG") {
                    seen_red_for_red |= has_red;
                }
                if country == Some("SG") && since.is_some() {
                    ensure(!got.iter().any(|v| v.key == key("example.sg")), || {
                        "an indicator last seen before `since` was returned".into()
                    })?;
                }
            }
        }
    }
    ensure(seen_red_for_red, || {
        "the RED-only indicator is missing for a RED reader".into()
    })?;
    let first_of_sg = IndicatorQuery {
        country: Some("SG".into()),
        since: None,
        until: None,
        limit: Some(1),
    };
    let limited = store
        .indicators(&first_of_sg, &all(), now())
        .map_err(|e| e.to_string())?;
    let mut walked_limited = Vec::new();
    store
        .for_each_indicator(&first_of_sg, &all(), now(), &mut |v| {
            walked_limited.push(v);
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    ensure(walked_limited == limited, || {
        "for_each_indicator ignored or misapplied the limit".into()
    })?;
    // An error from the walker ends the walk and is returned.
    let mut calls = 0;
    let stopped = store.for_each_indicator(&IndicatorQuery::default(), &all(), now(), &mut |_| {
        calls += 1;
        Err(crate::StoreError::Corrupt("stop".into()))
    });
    ensure(stopped.is_err() && calls == 1, || {
        format!("a failing walker was called {calls} times and the walk gave {stopped:?}")
    })?;
    ensure(
        limited.len() == 1
            && limited.first().map(|v| v.key.as_str()) == Some(key("example.sg").as_str()),
        || {
            format!(
                "limit 1: {:?}",
                limited.iter().map(|v| &v.key).collect::<Vec<_>>()
            )
        },
    )
}

fn spec(name: &str) -> crate::OperationSpec {
    crate::OperationSpec {
        name: name.into(),
        title: format!("Operation {name}"),
        starts_at: Some(now() - Duration::days(30)),
        ends_at: None,
        countries: vec!["SG".into()],
        organisations: vec!["cert-a".into(), "firm-b".into()],
        scope: "test".into(),
    }
}

fn operations_scope_every_answer(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    let op = store
        .put_operation(&spec("alpha"))
        .map_err(|e| e.to_string())?;
    // Updating by name keeps the id.
    let mut changed = spec("alpha");
    changed.title = "Alpha, renamed".into();
    ensure(
        store.put_operation(&changed).map_err(|e| e.to_string())? == op,
        || "put_operation on an existing name made a new operation".into(),
    )?;
    let other = store
        .put_operation(&spec("beta"))
        .map_err(|e| e.to_string())?;
    let in_op = |sha: &str, source: &str, o: Option<crate::OperationId>| {
        let mut m = meta(sha, source, Some(Tlp::Green), 1);
        m.operation = o;
        m
    };
    submit(
        store.as_mut(),
        &in_op("o1", "cert-a", Some(op)),
        vec![
            record("198.51.100.1", 1, None, 1)?,
            record("198.51.100.2", 2, None, 1)?,
        ],
    )?;
    submit(
        store.as_mut(),
        &in_op("o2", "firm-b", Some(op)),
        vec![record("198.51.100.1", 1, None, 2)?],
    )?;
    submit(
        store.as_mut(),
        &in_op("o3", "firm-c", None),
        vec![
            record("198.51.100.1", 1, None, 3)?,
            record("198.51.100.3", 2, None, 3)?,
        ],
    )?;
    submit(
        store.as_mut(),
        &in_op("o4", "firm-c", Some(other)),
        vec![record("198.51.100.4", 1, None, 3)?],
    )?;
    let scoped = all().in_operation(op);
    let v = store
        .indicator(&key("198.51.100.1"), &scoped, now())
        .map_err(|e| e.to_string())?
        .ok_or("the operation's indicator is missing")?;
    let names: Vec<&str> = v.sources.iter().map(|s| s.source.as_str()).collect();
    ensure(names == ["cert-a", "firm-b"], || {
        format!("operation view uses sightings outside it: {names:?}")
    })?;
    for outside in ["198.51.100.3", "198.51.100.4"] {
        ensure(
            store
                .indicator(&key(outside), &scoped, now())
                .map_err(|e| e.to_string())?
                .is_none(),
            || format!("{outside} is not in the operation but is visible in it"),
        )?;
    }
    let stats = store.stats(&scoped).map_err(|e| e.to_string())?;
    ensure(stats.indicators == 2 && stats.sightings == 3, || {
        format!("operation stats: {stats:?}")
    })?;
    let os = store
        .operation_stats(op, &all())
        .map_err(|e| e.to_string())?;
    let a = os.by_source.get("cert-a").cloned().unwrap_or_default();
    let b = os.by_source.get("firm-b").cloned().unwrap_or_default();
    ensure(
        os.indicators == 2
            && os.sightings == 3
            && a.indicators == 2
            && a.unique == 1
            && a.submissions == 1
            && b.indicators == 1
            && b.unique == 0
            && !os.by_source.contains_key("firm-c")
            && os.by_source_count.get(&1) == Some(&1)
            && os.by_source_count.get(&2) == Some(&1),
        || format!("operation_stats: {os:?}"),
    )?;
    // Counted two ways, an operation's visible submissions agree (the
    // server lists a member's operations with the cheaper one).
    let per_source: u64 = os.by_source.values().map(|c| c.submissions).sum();
    ensure(stats.submissions == per_source, || {
        format!(
            "{} submissions in stats, {per_source} in operation_stats",
            stats.submissions
        )
    })?;
    // Markings still apply inside an operation.
    let red_only = in_op("o5", "firm-d", Some(op));
    submit(
        store.as_mut(),
        &red_only,
        vec![record("198.51.100.9", 1, Some(Tlp::Red), 1)?],
    )?;
    let green = store
        .operation_stats(op, &SightingFilter::up_to(Tlp::Green))
        .map_err(|e| e.to_string())?;
    ensure(
        green.indicators == 2
            && green
                .by_source
                .get("firm-d")
                .is_none_or(|c| c.indicators == 0),
        || format!("a RED sighting counted for a GREEN reader: {green:?}"),
    )?;
    let ops = store.operations().map_err(|e| e.to_string())?;
    let alpha = ops.iter().find(|o| o.id == op).ok_or("operation missing")?;
    ensure(
        alpha.submissions == 3 && alpha.spec.title == "Alpha, renamed" && ops.len() == 2,
        || format!("operations(): {ops:?}"),
    )?;
    // The same bytes again, now to an operation, join it (when they had none).
    submit(
        store.as_mut(),
        &in_op("o3", "firm-c", Some(other)),
        vec![record("198.51.100.1", 1, None, 3)?],
    )?;
    let beta = store
        .operation_stats(other, &all())
        .map_err(|e| e.to_string())?;
    ensure(beta.indicators == 3, || {
        format!("a re-submission did not join the operation: {beta:?}")
    })?;
    check_integrity(store.as_ref())
}

fn action_states_round_trip(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    let op = store
        .put_operation(&spec("gamma"))
        .map_err(|e| e.to_string())?;
    ensure(
        store
            .action_states(op)
            .map_err(|e| e.to_string())?
            .is_empty(),
        || "a new operation has action states".into(),
    )?;
    for (status, note) in [
        (crate::ActionStatus::Sent, "ticket 1"),
        (crate::ActionStatus::Done, "taken down"),
    ] {
        store
            .set_action_status(
                op,
                "c2-takedown:SG:AS64500",
                &crate::ActionState {
                    status,
                    note: note.into(),
                    updated_at: now(),
                },
            )
            .map_err(|e| e.to_string())?;
    }
    let states = store.action_states(op).map_err(|e| e.to_string())?;
    let s = states
        .get("c2-takedown:SG:AS64500")
        .ok_or("the action state is missing")?;
    ensure(
        states.len() == 1
            && s.status == crate::ActionStatus::Done
            && s.note == "taken down"
            && s.updated_at == now(),
        || format!("action states: {states:?}"),
    )
}

fn synthetic_store_keeps_stand_in_values(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    submit(
        store.as_mut(),
        &meta("syn", "cert-a", Some(Tlp::Green), 1),
        vec![
            record("198.51.100.7", 1, None, 1)?,
            record("c2.example.test", 2, None, 1)?,
            record("10.1.2.3", 3, None, 1)?,
        ],
    )?;
    let suppressed = |store: &dyn Store, v: &str| -> Result<bool, String> {
        Ok(store
            .indicator(&key(v), &all(), now())
            .map_err(|e| e.to_string())?
            .ok_or(format!("{v} missing"))?
            .fused
            .is_suppressed())
    };
    ensure(!store.is_synthetic().map_err(|e| e.to_string())?, || {
        "a new store says it is synthetic".into()
    })?;
    ensure(suppressed(store.as_ref(), "198.51.100.7")?, || {
        "a documentation address is not suppressed in a real store".into()
    })?;
    store.mark_synthetic().map_err(|e| e.to_string())?;
    ensure(store.is_synthetic().map_err(|e| e.to_string())?, || {
        "mark_synthetic did not stick".into()
    })?;
    for v in ["198.51.100.7", "c2.example.test"] {
        ensure(!suppressed(store.as_ref(), v)?, || {
            format!("{v} stands for infrastructure in a synthetic store, but is suppressed")
        })?;
    }
    ensure(suppressed(store.as_ref(), "10.1.2.3")?, || {
        "a private address must stay suppressed even in a synthetic store".into()
    })
}

fn organisations_and_tokens_round_trip(make: Factory<'_>) -> Result<(), String> {
    use pelita_auth::{Role, Scope, TokenGrant};
    let mut store = make();
    let e = |e: crate::StoreError| e.to_string();
    let a = store.put_organisation("cert-a", Role::Analyst).map_err(e)?;
    // Changing the role keeps the identity.
    ensure(
        store
            .put_organisation("cert-a", Role::Administrator)
            .map_err(e)?
            == a,
        || "put_organisation on an existing name made a new organisation".into(),
    )?;
    store
        .put_organisation("firm-b", Role::ReadOnly)
        .map_err(e)?;
    let orgs = store.organisations().map_err(e)?;
    ensure(
        orgs.len() == 2
            && orgs
                .first()
                .is_some_and(|o| o.name == "cert-a" && o.role == Role::Administrator),
        || format!("organisations(): {orgs:?}"),
    )?;
    let row = crate::TokenRow {
        id: "0123456789abcdef".into(),
        name: "misp sync".into(),
        hash:
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
                .into(),
        grant: TokenGrant {
            org: "firm-b".into(),
            role: Role::ReadOnly,
            scopes: vec![Scope::Read, Scope::Report],
            max_tlp: Some(Tlp::Amber),
            expires_at: Some(now() + Duration::days(90)),
            revoked: false,
        },
        created_at: now(),
    };
    store.put_token(&row).map_err(e)?;
    let got = store
        .token(&row.id)
        .map_err(e)?
        .ok_or("the token is missing")?;
    ensure(got == row, || format!("token read back as {got:?}"))?;
    ensure(
        store.token("ffffffffffffffff").map_err(e)?.is_none(),
        || "an unknown token was found".into(),
    )?;
    // The grant carries the organisation's current role.
    store.put_organisation("firm-b", Role::Analyst).map_err(e)?;
    let got = store
        .token(&row.id)
        .map_err(e)?
        .ok_or("the token is missing")?;
    ensure(got.grant.role == Role::Analyst, || {
        format!("the grant kept an old role: {:?}", got.grant.role)
    })?;
    ensure(store.revoke_token(&row.id).map_err(e)?, || {
        "revoke said no".into()
    })?;
    ensure(!store.revoke_token("ffffffffffffffff").map_err(e)?, || {
        "revoking an unknown token said yes".into()
    })?;
    let all = store.tokens().map_err(e)?;
    ensure(
        all.len() == 1 && all.first().is_some_and(|t| t.grant.revoked),
        || format!("tokens() after revoking: {all:?}"),
    )?;
    // A token for an organisation that does not exist is refused.
    let mut orphan = row.clone();
    orphan.id = "fedcba9876543210".into();
    orphan.grant.org = "nobody".into();
    ensure(store.put_token(&orphan).is_err(), || {
        "a token for an unknown organisation was stored".into()
    })
}

fn users_and_sessions_round_trip(make: Factory<'_>) -> Result<(), String> {
    use pelita_auth::Role;
    let mut store = make();
    let e = |e: crate::StoreError| e.to_string();
    store.put_organisation("cert-a", Role::Analyst).map_err(e)?;
    let user = crate::UserRow {
        name: "ana".into(),
        org: "cert-a".into(),
        hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        created_at: now(),
        disabled: false,
    };
    store.put_user(&user).map_err(e)?;
    let got = store
        .user("ana")
        .map_err(e)?
        .ok_or("the account is missing")?;
    ensure(got == user, || format!("account read back as {got:?}"))?;
    ensure(store.put_user(&user).is_err(), || {
        "an existing account was replaced".into()
    })?;
    let mut orphan = user.clone();
    orphan.name = "bob".into();
    orphan.org = "nobody".into();
    ensure(store.put_user(&orphan).is_err(), || {
        "an account for an unknown organisation was stored".into()
    })?;
    ensure(store.user("bob").map_err(e)?.is_none(), || {
        "an unknown account was found".into()
    })?;
    let session = |id: &str, created: OffsetDateTime| crate::SessionRow {
        id_hash: id.repeat(64),
        user: "ana".into(),
        csrf: "csrf-secret".into(),
        created_at: created,
        expires_at: created + Duration::hours(24),
        last_seen: created,
    };
    let old = session("a", now() - Duration::hours(30));
    let idle = session("b", now() - Duration::hours(10));
    let fresh = session("c", now() - Duration::hours(1));
    for s in [&old, &idle, &fresh] {
        store.put_session(s).map_err(e)?;
    }
    let got = store
        .session(&fresh.id_hash)
        .map_err(e)?
        .ok_or("the session is missing")?;
    ensure(got == fresh, || format!("session read back as {got:?}"))?;
    ensure(
        store.touch_session(&fresh.id_hash, now()).map_err(e)?,
        || "touch said the session is missing".into(),
    )?;
    let got = store
        .session(&fresh.id_hash)
        .map_err(e)?
        .ok_or("the session is missing")?;
    ensure(got.last_seen == now(), || {
        format!("last_seen after touch: {}", got.last_seen)
    })?;
    // Absolute expiry (`old`) and idle expiry (`idle`, 8 h) both end a session.
    let gone = store
        .delete_expired_sessions(now(), now() - Duration::hours(8))
        .map_err(e)?;
    ensure(gone == 2, || format!("{gone} sessions expired, not 2"))?;
    ensure(
        store.session(&old.id_hash).map_err(e)?.is_none()
            && store.session(&idle.id_hash).map_err(e)?.is_none(),
        || "an expired session is still there".into(),
    )?;
    // Disabling an account ends its sessions.
    ensure(store.set_user_disabled("ana", true).map_err(e)?, || {
        "disable said the account is missing".into()
    })?;
    ensure(store.session(&fresh.id_hash).map_err(e)?.is_none(), || {
        "a disabled account kept its session".into()
    })?;
    ensure(
        store.user("ana").map_err(e)?.is_some_and(|u| u.disabled),
        || "the account is not disabled".into(),
    )?;
    ensure(!store.set_user_disabled("bob", true).map_err(e)?, || {
        "disabling an unknown account said yes".into()
    })?;
    store.set_user_disabled("ana", false).map_err(e)?;
    store.put_session(&fresh).map_err(e)?;
    ensure(store.delete_session(&fresh.id_hash).map_err(e)?, || {
        "delete said the session is missing".into()
    })?;
    ensure(!store.delete_session(&fresh.id_hash).map_err(e)?, || {
        "a deleted session was deleted again".into()
    })?;
    let all = store.users().map_err(e)?;
    ensure(all.len() == 1, || format!("users(): {all:?}"))
}

fn the_data_version_changes_with_every_commit(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    let e = |e: crate::StoreError| e.to_string();
    let v0 = store.data_version().map_err(e)?;
    store
        .receipts(&SightingFilter::everything(), None)
        .map_err(e)?;
    let v1 = store.data_version().map_err(e)?;
    ensure(v0 == v1, || format!("no commit, yet {v0} then {v1}"))?;
    submit(
        store.as_mut(),
        &meta("v1", "cert-a", Some(Tlp::Green), 1),
        vec![record("198.51.100.9", 1, None, 1)?],
    )?;
    let v2 = store.data_version().map_err(e)?;
    ensure(v2 != v1, || {
        format!("a submission left the version at {v1}")
    })?;
    store
        .put_organisation("firm-z", pelita_auth::Role::Analyst)
        .map_err(e)?;
    let v3 = store.data_version().map_err(e)?;
    ensure(v3 != v2, || {
        format!("a new organisation left the version at {v2}")
    })?;
    ensure(store.data_version().map_err(e)? == v3, || {
        "the version moved by itself".into()
    })
}

fn receipts_follow_visible_sightings(make: Factory<'_>) -> Result<(), String> {
    let mut store = make();
    let e = |e: crate::StoreError| e.to_string();
    submit(
        store.as_mut(),
        &meta("r1", "cert-a", Some(Tlp::Green), 10),
        vec![
            record("198.51.100.1", 1, None, 10)?,
            record("198.51.100.2", 2, None, 10)?,
        ],
    )?;
    submit(
        store.as_mut(),
        &meta("r2", "firm-b", Some(Tlp::Red), 5),
        vec![
            record("198.51.100.1", 1, None, 5)?,
            record("198.51.100.3", 2, None, 5)?,
        ],
    )?;
    // Unmarked: AMBER for the reader's filter.
    submit(
        store.as_mut(),
        &meta("r3", "cert-a", None, 2),
        vec![record("198.51.100.2", 1, None, 2)?],
    )?;
    let mut named = meta("r4", "firm-b", Some(Tlp::Amber), 1);
    named.recipients = vec!["cert-a".into()];
    submit(
        store.as_mut(),
        &named,
        vec![record("198.51.100.3", 1, None, 1)?],
    )?;
    let a = store.org_id("cert-a").map_err(e)?.ok_or("cert-a missing")?;
    let b = store.org_id("firm-b").map_err(e)?.ok_or("firm-b missing")?;
    // (key, days since the first receipt, days since the last).
    type Days = Vec<(String, i64, i64)>;
    let got = |f: SightingFilter, m: Option<Tlp>| -> Result<Days, String> {
        Ok(store
            .receipts(&f, m)
            .map_err(e)?
            .into_iter()
            .map(|r| {
                (
                    r.key,
                    (now() - r.first_received).whole_days(),
                    (now() - r.last_received).whole_days(),
                )
            })
            .collect())
    };
    let want =
        |v: &[(&str, i64, i64)]| -> Days { v.iter().map(|(k, f, l)| (key(k), *f, *l)).collect() };
    // (what, filter, marking, expected).
    let cases: [(&str, SightingFilter, Option<Tlp>, Days); 7] = [
        (
            "cert-a, all",
            SightingFilter::member(a),
            None,
            want(&[
                ("198.51.100.1", 10, 10),
                ("198.51.100.2", 10, 2),
                ("198.51.100.3", 1, 1),
            ]),
        ),
        (
            "cert-a, with a GREEN sighting",
            SightingFilter::member(a),
            Some(Tlp::Green),
            want(&[("198.51.100.1", 10, 10), ("198.51.100.2", 10, 2)]),
        ),
        (
            "cert-a up to GREEN, with a GREEN sighting",
            SightingFilter::member(a).at_most(Tlp::Green),
            Some(Tlp::Green),
            want(&[("198.51.100.1", 10, 10), ("198.51.100.2", 10, 10)]),
        ),
        (
            "cert-a, with an AMBER (or unmarked) sighting",
            SightingFilter::member(a),
            Some(Tlp::Amber),
            want(&[("198.51.100.2", 10, 2), ("198.51.100.3", 1, 1)]),
        ),
        (
            "firm-b, all",
            SightingFilter::member(b),
            None,
            want(&[
                ("198.51.100.1", 10, 5),
                ("198.51.100.2", 10, 10),
                ("198.51.100.3", 5, 1),
            ]),
        ),
        (
            "firm-b, with a RED sighting",
            SightingFilter::member(b),
            Some(Tlp::Red),
            want(&[("198.51.100.1", 10, 5), ("198.51.100.3", 5, 1)]),
        ),
        ("anonymous", SightingFilter::anonymous(), None, Vec::new()),
    ];
    for (what, f, m, expected) in &cases {
        let g = got(*f, *m)?;
        ensure(g == *expected, || {
            format!("receipts, {what}: {g:?}, expected {expected:?}")
        })?;
        walks_agree(store.as_ref(), f, *m, what)?;
    }
    // A submission holding most of the store's sightings (read in one pass
    // by a backend that plans so), re-sighting two indicators.
    let mut bulk = Vec::new();
    for (line, ip) in ["198.51.100.1", "198.51.100.3"]
        .into_iter()
        .chain((10..20).map(|_| ""))
        .enumerate()
    {
        let ip = if ip.is_empty() {
            format!("198.51.100.{}", 100 + line)
        } else {
            ip.into()
        };
        bulk.push(record(&ip, line as u64 + 1, None, 0)?);
    }
    submit(
        store.as_mut(),
        &meta("r5", "firm-b", Some(Tlp::Green), 0),
        bulk,
    )?;
    for (what, f, m, _) in &cases {
        walks_agree(
            store.as_ref(),
            f,
            *m,
            &format!("{what}, after a bulk submission"),
        )?;
    }
    Ok(())
}

/// [`Store::receipts_from`] walked from the start in steps of several
/// sizes, and from a time between receipts, hands on what
/// [`Store::receipts`] answers, by time.
fn walks_agree(
    store: &dyn Store,
    f: &SightingFilter,
    m: Option<Tlp>,
    what: &str,
) -> Result<(), String> {
    let e = |e: crate::StoreError| e.to_string();
    let order = |x: &crate::Receipt, y: &crate::Receipt| {
        (x.last_received, &x.key).cmp(&(y.last_received, &y.key))
    };
    let mut by_time = store.receipts(f, m).map_err(e)?;
    by_time.sort_by(order);
    for at_least in [1, 2, 100] {
        let mut walked = Vec::new();
        let mut from = Some(OffsetDateTime::UNIX_EPOCH);
        while let Some(t) = from {
            let mut page = Vec::new();
            from = store
                .receipts_from(f, m, t, at_least, &mut |r| {
                    page.push(r);
                    Ok(())
                })
                .map_err(e)?;
            ensure(page.iter().all(|r| r.last_received >= t), || {
                format!("receipts_from, {what}: {page:?} starts before {t}")
            })?;
            if let Some(next) = from {
                ensure(
                    next > t && page.iter().all(|r| r.last_received < next),
                    || format!("receipts_from, {what}: next {next} inside {page:?}"),
                )?;
            }
            page.sort_by(order);
            walked.extend(page);
        }
        ensure(walked == by_time, || {
            format!("receipts_from, {what}, at least {at_least}: {walked:?}, expected {by_time:?}")
        })?;
    }
    // From a time between receipts: only those received since.
    let since = now() - Duration::days(3);
    let mut got = Vec::new();
    let next = store
        .receipts_from(f, m, since, usize::MAX, &mut |r| {
            got.push(r);
            Ok(())
        })
        .map_err(e)?;
    got.sort_by(order);
    let recent: Vec<_> = by_time
        .into_iter()
        .filter(|r| r.last_received >= since)
        .collect();
    ensure(got == recent && next.is_none(), || {
        format!("receipts_from, {what}, since {since}: {got:?}, expected {recent:?}")
    })
}
