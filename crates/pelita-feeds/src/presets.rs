//! The feed presets.

use std::fmt;
use std::io::BufRead;
use std::str::FromStr;

use pelita_model::{
    IndicatorKind, Location, Observation, ParseContext, Problem, Related, Relation, Sink,
};
use serde_json::{Map, Value};

use crate::json::each_element;
use crate::list::{ListOptions, each_line, list_observation, run_list};
use crate::mapping::{
    ColumnMapping, ColumnRef, CsvMapping, Field, HeaderMode, asn_digits, emit_value,
    kind_from_cell, parse_csv,
};
use crate::shadowserver::ShadowserverReport;
use crate::timefmt::CompiledTime;
use crate::{Counting, FeedError, Summary};

const C2: &str = "rsit:malicious-code=\"c2-server\"";
const DISTRIBUTION: &str = "rsit:malicious-code=\"malware-distribution\"";
const PHISHING: &str = "rsit:fraud=\"phishing\"";

/// A public feed Pelita knows how to read.
///
/// Names (for [`FromStr`] and [`fmt::Display`]): `urlhaus`, `feodotracker`,
/// `threatfox`, `spamhaus-drop` (also `spamhaus-edrop`, `spamhaus-dropv6`),
/// `spamhaus-asndrop`, `phishtank`, `openphish`, `shadowserver` (generic)
/// and `shadowserver:<report>` with a current or old report name
/// (`shadowserver:scan_redis`, `shadowserver:Open-Redis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// abuse.ch URLhaus CSV (full dump or per-TLD/country/ASN feeds): malware distribution URLs.
    Urlhaus,
    /// abuse.ch Feodo Tracker botnet C2 IP blocklist (JSON, CSV, or the old plain lists).
    FeodoTracker,
    /// abuse.ch ThreatFox IOC export (CSV, JSON export or API JSON).
    ThreatFox,
    /// Spamhaus DROP, EDROP and DROPv6 (`CIDR ; SBLnnn`, or the JSON Lines edition).
    SpamhausDrop,
    /// Spamhaus ASN-DROP (`ASnnn ; CC | name`, or the JSON Lines edition).
    SpamhausAsnDrop,
    /// PhishTank online-valid database (JSON or CSV).
    PhishTank,
    /// OpenPhish: the free URL list, and the commercial JSON Lines feed.
    OpenPhish,
    /// A Shadowserver report.
    Shadowserver(ShadowserverReport),
}

impl Preset {
    /// Every preset: the fixed ones, then each Shadowserver report type.
    pub fn all() -> Vec<Preset> {
        let mut v = vec![
            Preset::Urlhaus,
            Preset::FeodoTracker,
            Preset::ThreatFox,
            Preset::SpamhausDrop,
            Preset::SpamhausAsnDrop,
            Preset::PhishTank,
            Preset::OpenPhish,
        ];
        v.extend(ShadowserverReport::all().map(Preset::Shadowserver));
        v
    }

    /// A one-line description, for `--help` and listings.
    pub fn description(self) -> String {
        match self {
            Preset::Urlhaus => "abuse.ch URLhaus CSV: malware distribution URLs".into(),
            Preset::FeodoTracker => {
                "abuse.ch Feodo Tracker: botnet C2 servers (JSON, CSV or list)".into()
            }
            Preset::ThreatFox => "abuse.ch ThreatFox IOCs (CSV, JSON export or API JSON)".into(),
            Preset::SpamhausDrop => "Spamhaus DROP / EDROP / DROPv6 netblocks".into(),
            Preset::SpamhausAsnDrop => "Spamhaus ASN-DROP autonomous systems".into(),
            Preset::PhishTank => "PhishTank verified phishing URLs (JSON or CSV)".into(),
            Preset::OpenPhish => {
                "OpenPhish phishing URLs (free list or commercial JSON Lines)".into()
            }
            Preset::Shadowserver(r) => r.description(),
        }
    }

    /// The value of this preset's `feed:` hint.
    fn feed(self) -> &'static str {
        match self {
            Preset::Urlhaus => "urlhaus",
            Preset::FeodoTracker => "feodotracker",
            Preset::ThreatFox => "threatfox",
            Preset::SpamhausDrop => "spamhaus-drop",
            Preset::SpamhausAsnDrop => "spamhaus-asndrop",
            Preset::PhishTank => "phishtank",
            Preset::OpenPhish => "openphish",
            Preset::Shadowserver(_) => "shadowserver",
        }
    }

    /// The built-in CSV mapping, for the presets whose feed is CSV.
    pub fn csv_mapping(self) -> Option<CsvMapping> {
        match self {
            Preset::Urlhaus => Some(urlhaus_mapping()),
            Preset::ThreatFox => Some(threatfox_mapping()),
            Preset::FeodoTracker => Some(feodo_csv_mapping()),
            Preset::PhishTank => Some(phishtank_csv_mapping()),
            Preset::Shadowserver(r) => Some(r.mapping()),
            _ => None,
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Preset::Shadowserver(r) if *r == ShadowserverReport::generic() => {
                f.write_str("shadowserver")
            }
            Preset::Shadowserver(r) => write!(f, "shadowserver:{}", r.name()),
            p => f.write_str(p.feed()),
        }
    }
}

impl FromStr for Preset {
    type Err = FeedError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        if let Some(report) = lower
            .strip_prefix("shadowserver:")
            .or_else(|| lower.strip_prefix("shadowserver-"))
        {
            return ShadowserverReport::from_name(report)
                .map(Preset::Shadowserver)
                .ok_or_else(|| FeedError::UnknownPreset(t.to_owned()));
        }
        Ok(match lower.as_str() {
            "urlhaus" => Preset::Urlhaus,
            "feodotracker" | "feodo" | "feodo-tracker" => Preset::FeodoTracker,
            "threatfox" => Preset::ThreatFox,
            "spamhaus-drop" | "spamhaus-edrop" | "spamhaus-dropv6" | "drop" | "edrop" => {
                Preset::SpamhausDrop
            }
            "spamhaus-asndrop" | "spamhaus-asn-drop" | "asndrop" => Preset::SpamhausAsnDrop,
            "phishtank" => Preset::PhishTank,
            "openphish" => Preset::OpenPhish,
            "shadowserver" => Preset::Shadowserver(ShadowserverReport::generic()),
            _ => return Err(FeedError::UnknownPreset(t.to_owned())),
        })
    }
}

fn names(ns: &[&str]) -> ColumnRef {
    ColumnRef::AnyOf(ns.iter().map(|s| (*s).to_owned()).collect())
}
fn col(ns: &[&str], field: Field) -> ColumnMapping {
    ColumnMapping::new(names(ns), field)
}
fn opt(ns: &[&str], field: Field) -> ColumnMapping {
    ColumnMapping {
        optional: true,
        ..col(ns, field)
    }
}
fn hint(ns: &[&str], prefix: &str) -> ColumnMapping {
    ColumnMapping {
        prefix: Some(prefix.to_owned()),
        ..opt(ns, Field::Hint)
    }
}

fn urlhaus_mapping() -> CsvMapping {
    CsvMapping {
        header: HeaderMode::Commented,
        hints: vec!["feed:urlhaus".into(), DISTRIBUTION.into()],
        columns: vec![
            ColumnMapping {
                kind: Some(IndicatorKind::Url),
                ..col(&["url"], Field::Value)
            },
            opt(&["dateadded", "dateadded (utc)"], Field::FirstSeen),
            opt(&["last_online"], Field::LastSeen),
            opt(&["id"], Field::SourceId),
            hint(&["url_status"], "feed-status:"),
            opt(&["threat"], Field::Tags),
            hint(&["threat"], "urlhaus-threat:"),
            ColumnMapping {
                split: Some(",".into()),
                ..opt(&["tags"], Field::Tags)
            },
            ColumnMapping {
                relation: Some(Relation::HostedOn),
                ..opt(&["host"], Field::Related)
            },
            ColumnMapping {
                relation: Some(Relation::HostedOn),
                kind: Some(IndicatorKind::Ipv4),
                split: Some("|".into()),
                ..opt(&["ipaddress", "ip_address"], Field::Related)
            },
            ColumnMapping {
                split: Some("|".into()),
                ..opt(&["asnumber", "asn"], Field::Asn)
            },
            ColumnMapping {
                split: Some("|".into()),
                ..opt(&["country"], Field::Country)
            },
            opt(&["urlhaus_link"], Field::Comment),
            hint(&["reporter"], "feed-reporter:"),
        ],
        ..CsvMapping::default()
    }
}

fn threatfox_mapping() -> CsvMapping {
    CsvMapping {
        header: HeaderMode::Commented,
        hints: vec!["feed:threatfox".into()],
        hook: Some(threatfox_hook),
        columns: vec![
            col(&["ioc_value", "ioc"], Field::Value),
            opt(&["ioc_type"], Field::Kind),
            opt(&["first_seen_utc", "first_seen"], Field::FirstSeen),
            opt(&["last_seen_utc", "last_seen"], Field::LastSeen),
            opt(&["ioc_id", "id"], Field::SourceId),
            hint(&["threat_type"], "threatfox-threat:"),
            hint(&["fk_malware"], "malpedia:"),
            opt(&["malware_printable"], Field::Malware),
            ColumnMapping {
                split: Some(",".into()),
                ..opt(&["tags"], Field::Tags)
            },
            hint(&["confidence_level"], "confidence:"),
            opt(&["reference"], Field::Comment),
        ],
        ..CsvMapping::default()
    }
}

fn feodo_csv_mapping() -> CsvMapping {
    CsvMapping {
        header: HeaderMode::Commented,
        hints: vec!["feed:feodotracker".into(), C2.into()],
        hook: Some(feodo_hook),
        columns: vec![
            ColumnMapping {
                kind: Some(IndicatorKind::Ipv4),
                ..col(&["dst_ip", "dstip", "ip_address"], Field::Value)
            },
            opt(&["dst_port", "dstport", "port"], Field::Port),
            opt(
                &[
                    "first_seen_utc",
                    "first_seen",
                    "firstseen",
                    "firstseen (utc)",
                ],
                Field::FirstSeen,
            ),
            opt(&["last_online", "lastonline"], Field::LastSeen),
            hint(&["c2_status", "status"], "feed-status:"),
            opt(&["malware"], Field::Malware),
        ],
        ..CsvMapping::default()
    }
}

fn phishtank_csv_mapping() -> CsvMapping {
    CsvMapping {
        hints: vec!["feed:phishtank".into(), PHISHING.into()],
        columns: vec![
            ColumnMapping {
                kind: Some(IndicatorKind::Url),
                ..col(&["url"], Field::Value)
            },
            opt(&["phish_id"], Field::SourceId),
            opt(&["submission_time"], Field::FirstSeen),
            opt(&["phish_detail_url"], Field::Comment),
            hint(&["target"], "phishing-target:"),
            hint(&["online"], "feed-online:"),
            hint(&["verified"], "feed-verified:"),
        ],
        ..CsvMapping::default()
    }
}

fn threatfox_hook(o: &mut Observation) {
    let class = o
        .hints
        .iter()
        .find_map(|h| match h.strip_prefix("threatfox-threat:") {
            Some("botnet_cc") => Some(C2),
            Some("payload_delivery") => Some(DISTRIBUTION),
            Some("payload") => Some("rsit:malicious-code=\"malware-sample\""),
            _ => None,
        });
    if let Some(c) = class {
        o.hints.push(c.to_owned());
    }
    if let Some(m) = o.malware.clone()
        && !o.tags.contains(&m)
    {
        o.tags.push(m);
    }
}

fn feodo_hook(o: &mut Observation) {
    if let Some(m) = o.malware.clone()
        && !o.tags.contains(&m)
    {
        o.tags.push(m);
    }
}

fn asndrop_hook(o: &mut Observation) {
    // `AS260 ; AE | XCONNECT24 - Xconnect24 Inc., US`: country, then the AS name.
    if let Some(ctx) = o.context.take() {
        match ctx.split_once('|') {
            Some((cc, name)) => {
                let cc = cc.trim();
                if cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_alphabetic()) {
                    o.hints.push(format!("feed-country:{cc}"));
                }
                let name = name.trim();
                o.context = (!name.is_empty()).then(|| name.to_owned());
            }
            None => o.context = Some(ctx),
        }
    }
}

/// Reads `input` as the feed `preset`, sending observations and problems to `sink`.
///
/// Formats that come in several editions (ThreatFox CSV or JSON, Feodo
/// Tracker JSON, CSV or plain list, PhishTank JSON or CSV, OpenPhish list or
/// JSON Lines, Spamhaus text or JSON Lines) are told apart from the first
/// bytes. Problem codes are those of [`parse_csv`], plus `json.syntax`,
/// `json.trailing-data`, and the limit codes `limit.line-too-long` (an entry
/// longer than the line limit) and `limit.too-deep`.
pub fn parse_preset(
    preset: Preset,
    mut input: impl BufRead,
    ctx: &ParseContext,
    sink: &mut dyn Sink,
) -> Summary {
    let head = peek(&mut input);
    let first = head
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace() && !matches!(b, 0xEF | 0xBB | 0xBF));
    let is_json = matches!(first, Some(b'[' | b'{'));
    match preset {
        Preset::Urlhaus | Preset::Shadowserver(_) => {
            let mapping = preset.csv_mapping().unwrap_or_default();
            parse_csv(&mapping, input, ctx, sink)
        }
        Preset::ThreatFox if !is_json => parse_csv(&threatfox_mapping(), input, ctx, sink),
        Preset::PhishTank if !is_json => parse_csv(&phishtank_csv_mapping(), input, ctx, sink),
        Preset::FeodoTracker if !is_json => {
            let lower = String::from_utf8_lossy(&head).to_ascii_lowercase();
            if lower.contains("dst_ip") || lower.contains("dstip") {
                parse_csv(&feodo_csv_mapping(), input, ctx, sink)
            } else {
                let mut out = Counting::new(sink, ctx);
                let opts = ListOptions {
                    hints: vec!["feed:feodotracker".into(), C2.into()],
                    ..ListOptions::default()
                };
                run_list(input, ctx, &mut out, &opts);
                out.summary
            }
        }
        Preset::ThreatFox | Preset::PhishTank | Preset::FeodoTracker => {
            let mut out = Counting::new(sink, ctx);
            each_element(input, ctx, &mut out, |e, out| match preset {
                Preset::ThreatFox => {
                    threatfox_json(e.key.as_deref(), &e.value, &e.location, ctx, out)
                }
                Preset::PhishTank => phishtank_json(&e.value, &e.location, ctx, out),
                _ => feodo_json(&e.value, &e.location, ctx, out),
            });
            out.summary
        }
        Preset::OpenPhish | Preset::SpamhausDrop | Preset::SpamhausAsnDrop => {
            let mut out = Counting::new(sink, ctx);
            let opts = match preset {
                Preset::OpenPhish => ListOptions {
                    kind: Some(IndicatorKind::Url),
                    hints: vec!["feed:openphish".into(), PHISHING.into()],
                    ..ListOptions::default()
                },
                Preset::SpamhausDrop => ListOptions {
                    kind: Some(IndicatorKind::Cidr),
                    hints: vec!["feed:spamhaus-drop".into()],
                    comment_is_id: true,
                    ..ListOptions::default()
                },
                _ => ListOptions {
                    kind: Some(IndicatorKind::Asn),
                    hints: vec!["feed:spamhaus-asndrop".into()],
                    hook: Some(asndrop_hook),
                    ..ListOptions::default()
                },
            };
            each_line(input, ctx, &mut out, |line, info, out| {
                let loc = ctx
                    .location()
                    .with_line(info.number)
                    .with_offset(info.offset);
                if line.trim_start().starts_with('{') {
                    match serde_json::from_str::<Value>(line) {
                        Ok(v) => json_line(preset, &v, &loc, &opts, ctx, out),
                        Err(e) => out.problem(Problem::error(
                            "json.syntax",
                            format!("the line is not valid JSON: {e}"),
                            loc,
                        )),
                    }
                } else {
                    match list_observation(line, info, ctx, &opts) {
                        Some(o) => emit_value(o, ctx, out, opts.hook),
                        None => out.problem(Problem::error(
                            "feed.missing-value",
                            "the line has only a comment",
                            loc,
                        )),
                    }
                }
            });
            out.summary
        }
    }
}

/// The first buffered bytes, without consuming them.
fn peek(input: &mut impl BufRead) -> Vec<u8> {
    input.fill_buf().map(<[u8]>::to_vec).unwrap_or_default()
}

/// A JSON field as text: strings as they are, numbers written out; null,
/// empty strings and other types are `None`.
fn text(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn time_of(
    obj: &Map<String, Value>,
    key: &str,
    loc: &Location,
    ctx: &ParseContext,
    out: &mut Counting<'_>,
) -> Result<Option<time::OffsetDateTime>, ()> {
    let Some(t) = text(obj, key) else {
        return Ok(None);
    };
    match CompiledTime::Auto.parse(&t) {
        Some(d) => Ok(Some(d)),
        None => {
            let loc = loc.child(key);
            if ctx.strict {
                out.problem(Problem::error(
                    "csv.bad-date",
                    format!("{t:?} is not a date; the entry is skipped"),
                    loc,
                ));
                Err(())
            } else {
                out.problem(Problem::warning(
                    "csv.bad-date",
                    format!("{t:?} is not a date; ignored"),
                    loc,
                ));
                Ok(None)
            }
        }
    }
}

fn object<'v>(
    v: &'v Value,
    loc: &Location,
    out: &mut Counting<'_>,
) -> Option<&'v Map<String, Value>> {
    let o = v.as_object();
    if o.is_none() {
        out.problem(Problem::error(
            "json.not-an-object",
            "the entry is not a JSON object",
            loc.clone(),
        ));
    }
    o
}

fn missing(key: &str, loc: &Location, out: &mut Counting<'_>) {
    out.problem(Problem::error(
        "feed.missing-value",
        format!("the entry has no {key:?}"),
        loc.clone(),
    ));
}

fn ip_kind(v: &str) -> IndicatorKind {
    if v.contains(':') {
        IndicatorKind::Ipv6
    } else {
        IndicatorKind::Ipv4
    }
}

fn feodo_json(v: &Value, loc: &Location, ctx: &ParseContext, out: &mut Counting<'_>) {
    let Some(obj) = object(v, loc, out) else {
        return;
    };
    let Some(ip) = text(obj, "ip_address") else {
        return missing("ip_address", loc, out);
    };
    let mut o = Observation::new(Some(ip_kind(&ip)), ip, loc.child("ip_address"));
    o.hints = vec!["feed:feodotracker".into(), C2.into()];
    let (Ok(first), Ok(last)) = (
        time_of(obj, "first_seen", loc, ctx, out),
        time_of(obj, "last_online", loc, ctx, out),
    ) else {
        return;
    };
    o.first_seen = first;
    o.last_seen = last;
    o.port = text(obj, "port").and_then(|p| p.parse().ok());
    if let Some(m) = text(obj, "malware") {
        o.tags.push(m.clone());
        o.malware = Some(m);
    }
    if let Some(s) = text(obj, "status") {
        o.hints.push(format!("feed-status:{s}"));
    }
    if let Some(a) = text(obj, "as_number").as_deref().and_then(asn_digits) {
        o.hints.push(format!("feed-asn:{a}"));
    }
    if let Some(c) = text(obj, "country") {
        o.hints.push(format!("feed-country:{c}"));
    }
    if let Some(h) = text(obj, "hostname") {
        o.related.push(Related {
            relation: Relation::RelatedTo,
            kind: Some(IndicatorKind::Domain),
            value: h,
        });
    }
    o.context = text(obj, "as_name");
    emit_value(o, ctx, out, None);
}

fn phishtank_json(v: &Value, loc: &Location, ctx: &ParseContext, out: &mut Counting<'_>) {
    let Some(obj) = object(v, loc, out) else {
        return;
    };
    let Some(url) = text(obj, "url") else {
        return missing("url", loc, out);
    };
    let mut o = Observation::new(Some(IndicatorKind::Url), url, loc.child("url"));
    o.hints = vec!["feed:phishtank".into(), PHISHING.into()];
    let Ok(first) = time_of(obj, "submission_time", loc, ctx, out) else {
        return;
    };
    o.first_seen = first;
    o.source_id = text(obj, "phish_id");
    o.context = text(obj, "phish_detail_url");
    if let Some(t) = text(obj, "target") {
        o.hints.push(format!("phishing-target:{t}"));
        o.tags.push(t);
    }
    if let Some(s) = text(obj, "online") {
        o.hints.push(format!("feed-online:{s}"));
    }
    if let Some(s) = text(obj, "verified") {
        o.hints.push(format!("feed-verified:{s}"));
    }
    for d in obj
        .get("details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(d) = d.as_object() else { continue };
        if let Some(ip) = text(d, "ip_address") {
            o.related.push(Related {
                relation: Relation::HostedOn,
                kind: Some(ip_kind(&ip)),
                value: ip,
            });
        }
        if let Some(a) = text(d, "announcing_network")
            .as_deref()
            .and_then(asn_digits)
        {
            o.hints.push(format!("feed-asn:{a}"));
        }
        if let Some(c) = text(d, "country") {
            o.hints.push(format!("feed-country:{c}"));
        }
    }
    emit_value(o, ctx, out, None);
}

fn threatfox_json(
    key: Option<&str>,
    v: &Value,
    loc: &Location,
    ctx: &ParseContext,
    out: &mut Counting<'_>,
) {
    match v {
        // Export: {"<id>": [ {...} ], ...}. API: {"query_status": "ok", "data": [ ... ]}.
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let id = key.filter(|k| k.bytes().all(|b| b.is_ascii_digit()));
                threatfox_entry(id, item, &loc.child(i), ctx, out);
            }
        }
        Value::Object(_) => threatfox_entry(None, v, loc, ctx, out),
        Value::String(_) if key == Some("query_status") => {}
        _ if key.is_some() => {}
        _ => {
            out.problem(Problem::error(
                "json.not-an-object",
                "the entry is not a JSON object",
                loc.clone(),
            ));
        }
    }
}

fn threatfox_entry(
    id: Option<&str>,
    v: &Value,
    loc: &Location,
    ctx: &ParseContext,
    out: &mut Counting<'_>,
) {
    let Some(obj) = object(v, loc, out) else {
        return;
    };
    let Some(value) = text(obj, "ioc_value").or_else(|| text(obj, "ioc")) else {
        return missing("ioc_value", loc, out);
    };
    let kind = text(obj, "ioc_type").as_deref().and_then(kind_from_cell);
    let mut o = Observation::new(kind, value, loc.child("ioc_value"));
    o.hints = vec!["feed:threatfox".into()];
    let (Ok(first), Ok(last)) = (
        time_of(
            obj,
            if obj.contains_key("first_seen_utc") {
                "first_seen_utc"
            } else {
                "first_seen"
            },
            loc,
            ctx,
            out,
        ),
        time_of(
            obj,
            if obj.contains_key("last_seen_utc") {
                "last_seen_utc"
            } else {
                "last_seen"
            },
            loc,
            ctx,
            out,
        ),
    ) else {
        return;
    };
    o.first_seen = first;
    o.last_seen = last;
    o.source_id = id.map(str::to_owned).or_else(|| text(obj, "id"));
    if let Some(t) = text(obj, "threat_type") {
        o.hints.push(format!("threatfox-threat:{t}"));
    }
    if let Some(m) = text(obj, "malware") {
        o.hints.push(format!("malpedia:{m}"));
    }
    if let Some(c) = text(obj, "confidence_level") {
        o.hints.push(format!("confidence:{c}"));
    }
    o.malware = text(obj, "malware_printable");
    match obj.get("tags") {
        Some(Value::String(s)) => o.tags.extend(
            s.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        ),
        Some(Value::Array(a)) => o
            .tags
            .extend(a.iter().filter_map(Value::as_str).map(str::to_owned)),
        _ => {}
    }
    o.context = text(obj, "reference");
    emit_value(o, ctx, out, Some(threatfox_hook));
}

/// A JSON Lines record of OpenPhish (commercial) or Spamhaus (JSON edition).
fn json_line(
    preset: Preset,
    v: &Value,
    loc: &Location,
    opts: &ListOptions,
    ctx: &ParseContext,
    out: &mut Counting<'_>,
) {
    let Some(obj) = object(v, loc, out) else {
        return;
    };
    match preset {
        Preset::OpenPhish => {
            let Some(url) = text(obj, "url") else {
                return missing("url", loc, out);
            };
            let mut o = Observation::new(Some(IndicatorKind::Url), url, loc.child("url"));
            o.hints.clone_from(&opts.hints);
            let Ok(first) = time_of(obj, "isotime", loc, ctx, out) else {
                return;
            };
            o.first_seen = first;
            if let Some(h) = text(obj, "host") {
                o.related.push(Related {
                    relation: Relation::HostedOn,
                    kind: None,
                    value: h,
                });
            }
            if let Some(ip) = text(obj, "ip") {
                o.related.push(Related {
                    relation: Relation::HostedOn,
                    kind: Some(ip_kind(&ip)),
                    value: ip,
                });
            }
            if let Some(a) = text(obj, "asn").as_deref().and_then(asn_digits) {
                o.hints.push(format!("feed-asn:{a}"));
            }
            if let Some(c) = text(obj, "country_code") {
                o.hints.push(format!("feed-country:{c}"));
            }
            if let Some(b) = text(obj, "brand") {
                o.hints.push(format!("phishing-target:{b}"));
                o.tags.push(b);
            }
            if let Some(s) = text(obj, "sector") {
                o.hints.push(format!("phishing-sector:{s}"));
            }
            o.source_id = text(obj, "family_id").map(|f| format!("family:{f}"));
            emit_value(o, ctx, out, None);
        }
        Preset::SpamhausDrop => {
            if obj.get("type").and_then(Value::as_str) == Some("metadata") {
                return;
            }
            let Some(cidr) = text(obj, "cidr") else {
                return missing("cidr", loc, out);
            };
            let mut o = Observation::new(Some(IndicatorKind::Cidr), cidr, loc.child("cidr"));
            o.hints.clone_from(&opts.hints);
            o.source_id = text(obj, "sblid");
            emit_value(o, ctx, out, None);
        }
        _ => {
            if obj.get("type").and_then(Value::as_str) == Some("metadata") {
                return;
            }
            let Some(asn) = text(obj, "asn") else {
                return missing("asn", loc, out);
            };
            let value = if asn.bytes().all(|b| b.is_ascii_digit()) {
                format!("AS{asn}")
            } else {
                asn
            };
            let mut o = Observation::new(Some(IndicatorKind::Asn), value, loc.child("asn"));
            o.hints.clone_from(&opts.hints);
            if let Some(c) = text(obj, "cc") {
                o.hints.push(format!("feed-country:{c}"));
            }
            o.context = text(obj, "asname");
            emit_value(o, ctx, out, None);
        }
    }
}

/// Guesses the preset from the first bytes of a submission (a few KB are
/// plenty): the URLhaus, ThreatFox and Feodo Tracker banners, the Spamhaus
/// header, the keys of the JSON feeds, the Shadowserver header row.
///
/// A bare list of URLs is *not* recognised as OpenPhish (nothing in it
/// says where it came from, and the preset would mark every URL as
/// phishing); the caller chooses the preset, or reads it with [`crate::parse_list`].
pub fn detect_preset(head: &[u8]) -> Option<Preset> {
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let lower = text.to_ascii_lowercase();
    if lower.starts_with('[') || lower.starts_with('{') {
        let has = |k: &str| lower.contains(&format!("\"{k}\""));
        return if has("phish_id") || has("phish_detail_url") {
            Some(Preset::PhishTank)
        } else if has("ioc_value") || has("ioc_type") || has("threat_type") {
            Some(Preset::ThreatFox)
        } else if has("ip_address") && (has("last_online") || has("malware")) {
            Some(Preset::FeodoTracker)
        } else if has("url") && (has("isotime") || has("family_id") || has("brand")) {
            Some(Preset::OpenPhish)
        } else if has("sblid") || (has("cidr") && has("rir")) {
            Some(Preset::SpamhausDrop)
        } else if has("asname") {
            Some(Preset::SpamhausAsnDrop)
        } else {
            None
        };
    }
    let banner: String = lower
        .lines()
        .take_while(|l| l.starts_with('#') || l.starts_with(';') || l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    if banner.contains("urlhaus") {
        return Some(Preset::Urlhaus);
    }
    if banner.contains("threatfox") {
        return Some(Preset::ThreatFox);
    }
    if banner.contains("feodo") {
        return Some(Preset::FeodoTracker);
    }
    if banner.contains("spamhaus") || banner.contains("drop.txt") {
        let first_data = lower
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with(';'));
        return if banner.contains("asndrop") || first_data.is_some_and(|l| l.starts_with("as")) {
            Some(Preset::SpamhausAsnDrop)
        } else {
            Some(Preset::SpamhausDrop)
        };
    }
    let first_line = text.lines().next().unwrap_or_default();
    let first_lower = first_line.to_ascii_lowercase();
    if first_lower.starts_with("phish_id,") {
        return Some(Preset::PhishTank);
    }
    let starts_ts =
        first_lower.starts_with("\"timestamp\",") || first_lower.starts_with("timestamp,");
    let shadow_cols = [
        "\"ip\"",
        "\"src_ip\"",
        "\"url\"",
        "\"md5hash\"",
        ",ip,",
        ",src_ip,",
    ];
    if starts_ts && shadow_cols.iter().any(|c| first_lower.contains(c)) {
        return Some(Preset::Shadowserver(ShadowserverReport::from_header(
            first_line,
        )));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use pelita_model::Collect;

    #[test]
    fn names_round_trip() {
        for p in Preset::all() {
            assert_eq!(p.to_string().parse::<Preset>().unwrap(), p, "{p}");
            assert!(!p.description().is_empty());
        }
        assert_eq!(
            "shadowserver:Open-Redis"
                .parse::<Preset>()
                .unwrap()
                .to_string(),
            "shadowserver:scan_redis"
        );
        assert!("nope".parse::<Preset>().is_err());
    }

    #[test]
    fn threatfox_csv_and_json() {
        let csv = "################################################################\n\
# ThreatFox IOCs: CSV                                          #\n\
################################################################\n\
#\n\
# \"first_seen_utc\",\"ioc_id\",\"ioc_value\",\"ioc_type\",\"threat_type\",\"fk_malware\",\"malware_alias\",\"malware_printable\",\"last_seen_utc\",\"confidence_level\",\"reference\",\"tags\",\"anonymous\",\"reporter\"\n\
\"2024-01-01 00:00:12\", \"1001\", \"192.0.2.10:443\", \"ip:port\", \"botnet_cc\", \"win.cobalt_strike\", \"BEACON\", \"Cobalt Strike\", \"\", \"100\", \"None\", \"CobaltStrike,c2\", \"0\", \"someone\"\n\
\"2024-01-01 00:01:00\", \"1002\", \"d41d8cd98f00b204e9800998ecf8427e\", \"md5_hash\", \"payload\", \"win.agent_tesla\", \"\", \"Agent Tesla\", \"\", \"75\", \"https://example.com/r\", \"\", \"0\", \"someone\"\n";
        assert_eq!(detect_preset(csv.as_bytes()), Some(Preset::ThreatFox));
        let mut sink = Collect::default();
        let s = parse_preset(
            Preset::ThreatFox,
            csv.as_bytes(),
            &ParseContext::default(),
            &mut sink,
        );
        assert_eq!(s.errors, 0, "{:?}", sink.problems);
        assert_eq!(sink.observations.len(), 2);
        let o = &sink.observations[0];
        assert_eq!(
            (o.value.as_str(), o.port, o.kind),
            ("192.0.2.10", Some(443), Some(IndicatorKind::Ipv4))
        );
        assert_eq!(o.source_id.as_deref(), Some("1001"));
        assert_eq!(o.malware.as_deref(), Some("Cobalt Strike"));
        assert!(o.hints.iter().any(|h| h == C2));
        assert!(o.tags.contains(&"c2".to_owned()));
        assert_eq!(sink.observations[1].kind, Some(IndicatorKind::Md5));

        let json = r#"{"1001": [{"ioc_value": "evil.example", "ioc_type": "domain", "threat_type": "payload_delivery", "malware": "elf.mozi", "malware_printable": "Mozi", "first_seen_utc": "2024-01-01 00:00:12", "last_seen_utc": null, "confidence_level": 50, "tags": "Mozi,elf"}],
          "1002": [{"ioc_value": "http://x.example/a", "ioc_type": "url", "threat_type": "payload_delivery"}]}"#;
        assert_eq!(detect_preset(json.as_bytes()), Some(Preset::ThreatFox));
        let mut sink = Collect::default();
        let s = parse_preset(
            Preset::ThreatFox,
            json.as_bytes(),
            &ParseContext::default(),
            &mut sink,
        );
        assert_eq!(s.errors, 0, "{:?}", sink.problems);
        assert_eq!(sink.observations.len(), 2);
        assert_eq!(sink.observations[0].source_id.as_deref(), Some("1001"));
        assert_eq!(
            sink.observations[0].location.pointer.as_deref(),
            Some("/1001/0/ioc_value")
        );
        assert!(sink.observations[1].hints.iter().any(|h| h == DISTRIBUTION));
    }

    #[test]
    fn spamhaus_json_lines_and_asndrop() {
        let drop = "{\"cidr\":\"192.0.2.0/24\",\"sblid\":\"SBL1\",\"rir\":\"ripencc\"}\n{\"type\":\"metadata\",\"timestamp\":1}\n";
        let mut sink = Collect::default();
        parse_preset(
            Preset::SpamhausDrop,
            drop.as_bytes(),
            &ParseContext::default(),
            &mut sink,
        );
        assert_eq!(sink.observations.len(), 1);
        assert_eq!(sink.observations[0].source_id.as_deref(), Some("SBL1"));
        let asn = "; ASN-DROP\nAS64496 ; ZZ | Example Net\n{\"asn\":64497,\"cc\":\"ZZ\",\"asname\":\"X\"}\n";
        let mut sink = Collect::default();
        parse_preset(
            Preset::SpamhausAsnDrop,
            asn.as_bytes(),
            &ParseContext::default(),
            &mut sink,
        );
        assert!(sink.problems.is_empty(), "{:?}", sink.problems);
        assert_eq!(sink.observations[0].context.as_deref(), Some("Example Net"));
        assert!(
            sink.observations[0]
                .hints
                .contains(&"feed-country:ZZ".to_owned())
        );
        assert_eq!(sink.observations[1].value, "AS64497");
    }
}
