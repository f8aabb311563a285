//! The package plan: which partner sends which feed, in which format, and
//! how each feed is cut into bounded packages.
//!
//! A feed is a list of [`Section`]s (the C2 servers of a country, its
//! compromised-site URLs, …). Their positions are concatenated and cut into
//! parts of [`CHUNK`] positions; each position yields at most one record,
//! so a package holds at most `CHUNK` records plus a handful of decoys and
//! deliberately malformed records in the first part. Generation walks the
//! plan lazily: one package in memory at a time.

use pelita_model::Tlp;

use crate::region::{self, COUNTRIES};
use crate::world::{Kind, MAX_PHISH_URLS, MAX_SITE_URLS, WALLETS, World, rep};

/// Positions per package (so at most about 50,000 records per package).
pub const CHUNK: u64 = 49_000;

/// A run of entity positions in a feed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Section {
    C2(usize),
    Site(usize),
    Phish(usize),
    Phone(usize),
    Email(usize),
    Wallet(usize),
    Iot(usize),
}

/// One entity occurrence in a package.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Item {
    C2 { c: usize, i: u64 },
    SiteUrl { c: usize, s: u64, u: u64 },
    Phish { c: usize, d: u64, u: u64 },
    Phone { c: usize, j: u64 },
    Email { c: usize, e: u64 },
    Wallet { c: usize, w: u64 },
    Iot { c: usize, j: u64 },
}

impl Section {
    fn len(self, w: &World) -> u64 {
        match self {
            Section::C2(c) => w.c2s(c),
            Section::Site(_) => w.sites() * MAX_SITE_URLS,
            Section::Phish(_) => w.phish_domains() * MAX_PHISH_URLS,
            Section::Phone(_) => w.phones(),
            Section::Email(_) => w.emails(),
            Section::Wallet(_) => WALLETS,
            Section::Iot(c) => w.iot(c),
        }
    }

    /// The item at position `p`, if the partner in `slot` reports it.
    fn item(self, w: &World, p: u64, slot: u8) -> Option<Item> {
        let all = slot == 0;
        match self {
            Section::C2(c) => {
                (all || w.c2_reporters(c, p) & slot != 0).then_some(Item::C2 { c, i: p })
            }
            Section::Site(c) => {
                let (s, u) = (p / MAX_SITE_URLS, p % MAX_SITE_URLS);
                (u < w.site_urls(c, s) && (all || w.site_reporters(c, s) & slot != 0))
                    .then_some(Item::SiteUrl { c, s, u })
            }
            Section::Phish(c) => {
                let (d, u) = (p / MAX_PHISH_URLS, p % MAX_PHISH_URLS);
                (u < w.phish_urls(c, d) && (all || w.phish_reporters(c, d) & slot != 0))
                    .then_some(Item::Phish { c, d, u })
            }
            Section::Phone(c) => (slot != rep::GOLF || w.golf_lists(Kind::Phone, c, p))
                .then_some(Item::Phone { c, j: p }),
            Section::Email(c) => (slot != rep::GOLF || w.golf_lists(Kind::Email, c, p))
                .then_some(Item::Email { c, e: p }),
            Section::Wallet(c) => Some(Item::Wallet { c, w: p }),
            Section::Iot(c) => Some(Item::Iot { c, j: p }),
        }
    }
}

/// What a feed is, which decides its format and writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FeedKind {
    CertC2Stix,
    CertWebStix,
    PoliceMisp,
    PoliceReport,
    Shadowserver,
    Feodo,
    ThreatFox,
    Urlhaus,
    EchoStix,
    FoxtrotMisp,
    GolfList,
    GolfScamList,
}

/// The Shadowserver report type used for infected IoT devices.
pub(crate) const SHADOWSERVER_REPORT: &str = "event4_sinkhole";

/// One feed of one partner.
#[derive(Debug, Clone)]
pub(crate) struct Feed {
    pub kind: FeedKind,
    pub org: String,
    pub country: Option<usize>,
    pub slot: u8,
    pub sections: Vec<Section>,
}

impl Feed {
    pub fn format(&self) -> String {
        match self.kind {
            FeedKind::CertC2Stix | FeedKind::CertWebStix | FeedKind::EchoStix => "stix".into(),
            FeedKind::PoliceMisp | FeedKind::FoxtrotMisp => "misp".into(),
            FeedKind::PoliceReport => "text".into(),
            FeedKind::Shadowserver => format!("csv:shadowserver:{SHADOWSERVER_REPORT}"),
            FeedKind::Feodo => "csv:feodotracker".into(),
            FeedKind::ThreatFox => "csv:threatfox".into(),
            FeedKind::Urlhaus => "csv:urlhaus".into(),
            FeedKind::GolfList | FeedKind::GolfScamList => "list".into(),
        }
    }

    /// Tags the partner gives the whole package (`pelita ingest --tag`): a
    /// plain list says nothing about what its values are, so the partner
    /// declares it, as IntelMQ feeds declare their classification.
    pub fn tags(&self) -> Vec<String> {
        match self.kind {
            FeedKind::GolfList => vec!["rsit:malicious-code=\"c2-server\"".into()],
            FeedKind::GolfScamList => vec!["rsit:fraud=\"masquerade\"".into()],
            _ => Vec::new(),
        }
    }

    /// The marking of the package as a whole.
    pub fn tlp(&self) -> Tlp {
        match self.kind {
            FeedKind::CertC2Stix
            | FeedKind::CertWebStix
            | FeedKind::EchoStix
            | FeedKind::GolfList
            | FeedKind::GolfScamList => Tlp::Green,
            FeedKind::PoliceMisp
            | FeedKind::PoliceReport
            | FeedKind::Shadowserver
            | FeedKind::FoxtrotMisp => Tlp::Amber,
            FeedKind::Feodo | FeedKind::ThreatFox | FeedKind::Urlhaus => Tlp::Clear,
        }
    }

    pub fn file_name(&self, part: u64) -> String {
        let cc = self.country.map(region::lc).unwrap_or_default();
        let p = part + 1;
        match self.kind {
            FeedKind::CertC2Stix => format!("{}-c2-indicators-part{p}.json", self.org),
            FeedKind::CertWebStix => format!("{}-web-indicators-part{p}.json", self.org),
            FeedKind::PoliceMisp => format!("{}-misp-event-part{p}.json", self.org),
            FeedKind::PoliceReport => format!("{}-operation-report.md", self.org),
            FeedKind::Shadowserver => {
                format!("{}-{SHADOWSERVER_REPORT}-{cc}-part{p}.csv", self.org)
            }
            FeedKind::Feodo => format!("{}-ipblocklist-part{p}.csv", self.org),
            FeedKind::ThreatFox => format!("{}-threatfox-export-part{p}.csv", self.org),
            FeedKind::Urlhaus => format!("{}-urlhaus-dump-part{p}.csv", self.org),
            FeedKind::EchoStix => format!("{}-bundle-part{p}.json", self.org),
            FeedKind::FoxtrotMisp => format!("{}-misp-event-part{p}.json", self.org),
            FeedKind::GolfList => format!("{}-c2-blocklist-part{p}.txt", self.org),
            FeedKind::GolfScamList => format!("{}-scam-contacts-part{p}.txt", self.org),
        }
    }

    fn positions(&self, w: &World) -> u64 {
        self.sections.iter().map(|s| s.len(w)).sum()
    }

    /// How many packages the feed is cut into.
    pub fn parts(&self, w: &World) -> u64 {
        if self.kind == FeedKind::PoliceReport {
            return 1;
        }
        self.positions(w).div_ceil(CHUNK).max(1)
    }

    /// The items of one part.
    pub fn items(&self, w: &World, part: u64) -> Vec<Item> {
        let (lo, hi) = (part * CHUNK, (part + 1) * CHUNK);
        let mut out = Vec::new();
        let mut start = 0;
        for s in &self.sections {
            let len = s.len(w);
            let (a, b) = (lo.max(start), hi.min(start + len));
            for g in a..b {
                if let Some(item) = s.item(w, g - start, self.slot) {
                    out.push(item);
                }
            }
            start += len;
        }
        out
    }
}

/// Every feed of the scenario, in package order.
pub(crate) fn feeds() -> Vec<Feed> {
    let n = COUNTRIES.len();
    let mut out = Vec::new();
    let feed = |kind, org: &str, country, slot, sections| Feed {
        kind,
        org: org.to_owned(),
        country,
        slot,
        sections,
    };
    for c in 0..n {
        let cc = region::lc(c);
        let cert = format!("cert-{cc}");
        let police = format!("police-{cc}");
        out.push(feed(
            FeedKind::CertC2Stix,
            &cert,
            Some(c),
            rep::CERT,
            vec![Section::C2(c)],
        ));
        out.push(feed(
            FeedKind::CertWebStix,
            &cert,
            Some(c),
            rep::CERT,
            vec![Section::Site(c), Section::Phish(c)],
        ));
        out.push(feed(
            FeedKind::PoliceMisp,
            &police,
            Some(c),
            rep::POLICE,
            vec![
                Section::C2(c),
                Section::Phish(c),
                Section::Phone(c),
                Section::Email(c),
                Section::Wallet(c),
            ],
        ));
        out.push(feed(
            FeedKind::PoliceReport,
            &police,
            Some(c),
            rep::POLICE,
            Vec::new(),
        ));
    }
    let all = |f: fn(usize) -> Section| (0..n).map(f).collect::<Vec<_>>();
    out.push(feed(
        FeedKind::Feodo,
        "firm-alpha",
        None,
        rep::ALPHA,
        all(Section::C2),
    ));
    let mut tf = all(Section::C2);
    tf.extend(all(Section::Site));
    out.push(feed(
        FeedKind::ThreatFox,
        "firm-bravo",
        None,
        rep::BRAVO,
        tf,
    ));
    out.push(feed(
        FeedKind::Urlhaus,
        "firm-charlie",
        None,
        rep::CHARLIE,
        all(Section::Site),
    ));
    for c in 0..n {
        out.push(feed(
            FeedKind::Shadowserver,
            "firm-delta",
            Some(c),
            0,
            vec![Section::Iot(c)],
        ));
    }
    let mut echo = all(Section::C2);
    echo.extend(all(Section::Site));
    echo.extend(all(Section::Phish));
    out.push(feed(FeedKind::EchoStix, "firm-echo", None, rep::ECHO, echo));
    let mut fox = all(Section::C2);
    fox.extend(all(Section::Phish));
    out.push(feed(
        FeedKind::FoxtrotMisp,
        "firm-foxtrot",
        None,
        rep::FOXTROT,
        fox,
    ));
    out.push(feed(
        FeedKind::GolfList,
        "firm-golf",
        None,
        rep::GOLF,
        all(Section::C2),
    ));
    let mut scam = all(Section::Phone);
    scam.extend(all(Section::Email));
    out.push(feed(
        FeedKind::GolfScamList,
        "firm-golf",
        None,
        rep::GOLF,
        scam,
    ));
    out
}
