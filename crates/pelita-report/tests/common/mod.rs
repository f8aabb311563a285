//! A small fixed scenario, ingested through the real pipeline (archive,
//! detect, parse, canonicalise, store) into a real SQLite store: two
//! demo countries (SG, MY) placed by a name overlay and IP overrides,
//! four partners in four formats, overlapping and conflicting markings,
//! a decoy and a malformed record.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    dead_code
)]

use std::io;

use pelita_enrich::{Enricher, NameOverlay, Sector};
use pelita_ingest::{
    Archive, FormatChoice, IngestOptions, NoProgress, Record, RecordSink, submit_reader,
};
use pelita_model::{Limits, Tlp};
use pelita_store::{Destination, OperationSpec, SqliteStore, Store, store_submission};
use time::OffsetDateTime;
use time::macros::datetime;

/// The scenario's fixed "now".
pub const NOW: OffsetDateTime = datetime!(2026-11-20 12:00 UTC);

pub struct Scenario {
    pub dir: tempfile::TempDir,
    pub store: SqliteStore,
    /// Every record the pipeline produced.
    pub records: Vec<Record>,
}

struct Collect<'a>(&'a mut Vec<Record>);

impl RecordSink for Collect<'_> {
    fn record(&mut self, r: Record) -> io::Result<()> {
        self.0.push(r);
        Ok(())
    }
}

const IP_OVERRIDES: &str = "network,country,asn,as name
198.18.0.0/19,SG,64496,Demo Hosting SG-1 (synthetic)
198.18.32.0/19,SG,64497,Demo Telecom SG-2 (synthetic)
198.18.64.0/19,MY,64498,Demo Hosting MY-1 (synthetic)
";

fn overlay() -> NameOverlay {
    let mut o = NameOverlay::new();
    for cc in ["sg", "my"] {
        let up = cc.to_ascii_uppercase();
        o.add_suffix(&format!("{cc}.test"), &up, None);
        o.add_suffix(&format!("com.{cc}.test"), &up, None);
        o.add_suffix(&format!("gov.{cc}.test"), &up, Some(Sector::Government));
    }
    o.add_phone_prefix("+44207946", "SG");
    o
}

const MISP_CERT_SG: &str = r#"{"Event": {"info": "[SYNTHETIC] C2 servers seen by CERT-SG", "date": "2026-11-10",
 "Tag": [{"name": "tlp:green"}],
 "Attribute": [
  {"type": "ip-dst", "category": "Network activity", "to_ids": true, "value": "198.18.0.10",
   "first_seen": "2026-11-01T00:00:00Z", "last_seen": "2026-11-18T00:00:00Z",
   "Tag": [{"name": "rsit:malicious-code=\"c2-server\""}, {"name": "misp-galaxy:malpedia=\"DemoBot\""}]},
  {"type": "ip-dst", "category": "Network activity", "to_ids": true, "value": "198.18.0.11",
   "first_seen": "2026-10-05T00:00:00Z", "last_seen": "2026-10-20T00:00:00Z",
   "Tag": [{"name": "rsit:malicious-code=\"c2-server\""}]},
  {"type": "ip-dst", "category": "Network activity", "to_ids": true, "value": "198.18.32.7",
   "first_seen": "2026-11-12T00:00:00Z", "last_seen": "2026-11-19T00:00:00Z",
   "Tag": [{"name": "rsit:malicious-code=\"c2-server\""}, {"name": "tlp:red"}]},
  {"type": "url", "category": "Network activity", "to_ids": true, "value": "http://www.moh.gov.sg.test/wp-content/uploads/x.php",
   "first_seen": "2026-11-02T00:00:00Z", "last_seen": "2026-11-15T00:00:00Z",
   "Tag": [{"name": "rsit:intrusions=\"system-compromise\""}]},
  {"type": "ip-dst", "category": "Network activity", "to_ids": true, "value": "300.1.2.3"}
 ]}}"#;

const MISP_FIRM: &str = r#"{"Event": {"info": "[SYNTHETIC] Firm Alpha C2 and phishing", "date": "2026-11-11",
 "Tag": [{"name": "tlp:amber"}],
 "Attribute": [
  {"type": "ip-dst", "category": "Network activity", "to_ids": true, "value": "198.18.0.10",
   "first_seen": "2026-10-28T00:00:00Z", "last_seen": "2026-11-19T00:00:00Z",
   "Tag": [{"name": "rsit:malicious-code=\"c2-server\""}]},
  {"type": "ip-dst", "category": "Network activity", "to_ids": true, "value": "198.18.64.5",
   "first_seen": "2026-11-03T00:00:00Z", "last_seen": "2026-11-17T00:00:00Z",
   "Tag": [{"name": "rsit:malicious-code=\"c2-server\""}]},
  {"type": "url", "category": "Payload delivery", "to_ids": true, "value": "https://secure-login-update.com.sg.test/bank/verify",
   "first_seen": "2026-11-08T00:00:00Z", "last_seen": "2026-11-16T00:00:00Z",
   "Tag": [{"name": "rsit:fraud=\"phishing\""}]},
  {"type": "url", "category": "Network activity", "to_ids": true, "value": "http://www.moh.gov.sg.test/wp-includes/y.php",
   "first_seen": "2026-11-04T00:00:00Z", "last_seen": "2026-11-14T00:00:00Z",
   "Tag": [{"name": "rsit:intrusions=\"system-compromise\""}]},
  {"type": "ip-dst", "category": "Network activity", "to_ids": true, "value": "8.8.8.8",
   "Tag": [{"name": "rsit:malicious-code=\"c2-server\""}]}
 ]}}"#;

const MISP_POLICE_SG: &str = r#"{"Event": {"info": "[SYNTHETIC] Impersonation scam numbers", "date": "2026-11-12",
 "Tag": [{"name": "tlp:green"}],
 "Attribute": [
  {"type": "phone-number", "category": "Person", "to_ids": true, "value": "+44 20 7946 0012",
   "Tag": [{"name": "rsit:fraud=\"masquerade\""}]},
  {"type": "phone-number", "category": "Person", "to_ids": true, "value": "+442079460044",
   "Tag": [{"name": "rsit:fraud=\"masquerade\""}]},
  {"type": "email-src", "category": "Payload delivery", "to_ids": true, "value": "support@secure-login-update.com.sg.test",
   "Tag": [{"name": "rsit:fraud=\"phishing\""}]}
 ]}}"#;

const POLICE_SG_REPORT: &str = "# [SYNTHETIC] Police SG case note\n\nVictims were called from +44 20 7946 0012 and told to pay. The caller's mail came from support[@]secure-login-update.com.sg[.]test and the\nC2 at 198[.]18[.]0[.]10 was contacted.\n";

pub fn build() -> Scenario {
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::open(dir.path()).unwrap();
    let mut store = SqliteStore::open(&dir.path().join("pelita.db")).unwrap();
    store.set_enricher(
        Enricher::builtin()
            .add_csv_overrides_text("scenario", IP_OVERRIDES)
            .unwrap()
            .with_overlay("scenario", overlay())
            .without_benign_lists(&["rfc5735", "rfc3849", "rfc6761"]),
    );
    store.mark_synthetic().unwrap();
    let op = store
        .put_operation(&OperationSpec {
            name: "mini".into(),
            title: "Operation Mini (synthetic)".into(),
            starts_at: Some(datetime!(2026-11-06 12:00 UTC)),
            ends_at: Some(datetime!(2026-11-30 00:00 UTC)),
            countries: vec!["SG".into(), "MY".into()],
            organisations: vec!["cert-sg".into(), "firm-alpha".into(), "police-sg".into()],
            scope: "C2 servers, compromised sites and scams".into(),
        })
        .unwrap();
    let mut records = Vec::new();
    for (name, source, tlp, format, body, in_op) in [
        ("cert-sg.json", "cert-sg", None, "misp", MISP_CERT_SG, true),
        (
            "firm-alpha.json",
            "firm-alpha",
            None,
            "misp",
            MISP_FIRM,
            true,
        ),
        (
            "case.md",
            "police-sg",
            Some(Tlp::Amber),
            "text",
            POLICE_SG_REPORT,
            true,
        ),
        ("scam.json", "police-sg", None, "misp", MISP_POLICE_SG, true),
        (
            "old-list.txt",
            "cert-my",
            Some(Tlp::Clear),
            "list",
            "198.18.64.5\n198.18.64.6\n",
            false,
        ),
    ] {
        let options = IngestOptions {
            format: FormatChoice::parse(format).unwrap(),
            source: Some(source.into()),
            tlp,
            ..IngestOptions::default()
        };
        let sub = submit_reader(&archive, name, body.as_bytes(), &Limits::default()).unwrap();
        let mut collect = Collect(&mut records);
        store_submission(
            &mut store,
            &archive,
            &sub,
            &options,
            Destination {
                operation: in_op.then_some(op),
                received_at: NOW - time::Duration::days(5),
                recipients: Vec::new(),
                also: Some(&mut collect),
            },
            &mut NoProgress,
        )
        .unwrap();
    }
    Scenario {
        dir,
        store,
        records,
    }
}
