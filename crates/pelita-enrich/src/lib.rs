//! Offline enrichment and classification of indicators.
//!
//! Everything here works without a network, from data shipped in the binary
//! (`data/` in the repository; sources, licences and versions in
//! `data/README.md`, refreshed by `scripts/refresh-data.sh`):
//!
//! - [`iptable`]: IP address → country, ASN and AS name, from ip-location-db
//!   tables converted by [`build_tables`] into a compact, gzip-compressed
//!   range table (`data/ipdb.bin.gz`, embedded, decoded once at first use),
//!   searched by binary search; [`overrides`]: a user's CSV or `.mmdb` file,
//!   consulted first.
//! - [`domains`]: the country a ccTLD names, and government, military and
//!   education suffixes ([`GovMatch`]); [`overlay`]: a user's own suffixes
//!   and phone prefixes ([`NameOverlay`]), consulted first.
//! - [`benign`]: known-benign lists (MISP warninglists, a shipped subset and
//!   any checkout loaded with [`BenignLists::load_dir`]).
//! - [`rsit`]: classification to the ENISA Reference Security Incident
//!   Taxonomy ([`classify`], one documented rule table).
//! - [`site`]: "compromised website or attacker-owned?" ([`site_assessment`]).
//!
//! [`Enricher`] puts the lookups together:
//!
//! ```
//! use pelita_enrich::Enricher;
//! use pelita_model::{Indicator, ParseOptions};
//! let e = Enricher::builtin();
//! let i = Indicator::parse("https://portal.gov.sg/x", None, &ParseOptions::default()).unwrap();
//! let r = e.enrich(&i.indicator);
//! assert_eq!(r.cctld_country.as_deref(), Some("SG"));
//! assert_eq!(r.government.unwrap().suffix, "gov.sg");
//! ```

pub mod benign;
pub mod domains;
pub mod iptable;
pub mod overlay;
pub mod overrides;
pub mod rsit;
pub mod site;
mod top16;

use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use pelita_model::Indicator;
use serde::{Deserialize, Serialize};

pub use benign::{BenignLists, BenignMatch};
pub use domains::{GovMatch, Sector, cctld_country, gov_match};
pub use iptable::{IpDataError, IpInfo, IpTables, build_tables};
pub use overlay::{NameOverlay, OverlayError};
pub use overrides::{CsvOverrides, Mmdb};
pub use rsit::{Classification, RsitClass, RsitType, classify};
pub use site::{SiteAssessment, SiteEvidence, SiteReason, SiteVerdict, site_assessment};

/// The shipped IP tables (gzip), built by `scripts/refresh-data.sh`.
const IPDB: &[u8] = include_bytes!("../../../data/ipdb.bin.gz");

/// The shipped IP tables, decoded at first use (about a second in a debug
/// build, well under in release). `None` only if the embedded data is damaged,
/// which the crate's tests rule out.
pub fn builtin_tables() -> Option<&'static IpTables> {
    static T: OnceLock<Option<IpTables>> = OnceLock::new();
    T.get_or_init(|| IpTables::decode(IPDB).ok()).as_ref()
}

/// The version of the shipped IP dataset (the npm package versions it was built from).
pub fn dataset_version() -> &'static str {
    builtin_tables().map_or("none", IpTables::version)
}

/// What enrichment found about one indicator. Every field may be missing
/// when read (a store keeps only what was found).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Enrichment {
    /// Country (ISO 3166-1 alpha-2) of the IP address, or of the URL's IP host.
    pub country: Option<String>,
    /// Autonomous system number of the IP address.
    pub asn: Option<u32>,
    /// Autonomous system name.
    pub as_name: Option<String>,
    /// Country named by the domain's ccTLD (domains, URL hosts, e-mail domains).
    pub cctld_country: Option<String>,
    /// A government, military or education suffix the domain is under.
    pub government: Option<GovMatch>,
    /// Known-benign lists the indicator is on.
    pub benign: Vec<BenignMatch>,
    /// The data the answer came from (shipped tables, plus any override files).
    pub dataset_version: String,
}

/// Offline enrichment: the shipped data plus a user's overrides.
#[derive(Debug)]
pub struct Enricher {
    /// Whether the shipped tables are consulted (decoded at first lookup,
    /// so that a reader that never enriches never pays for the decode).
    builtin: bool,
    mmdb: Option<Mmdb>,
    csv: Option<CsvOverrides>,
    extra_benign: Option<BenignLists>,
    overlay: Option<NameOverlay>,
    /// Known-benign lists switched off by id.
    disabled_benign: Vec<String>,
    /// What was added to the shipped data, in order (see [`Enricher::version`]).
    version: String,
    /// The whole version, rendered once (an enrichment carries it).
    full_version: OnceLock<Arc<str>>,
}

impl Enricher {
    /// The shipped data only.
    pub fn builtin() -> Enricher {
        Enricher {
            builtin: true,
            mmdb: None,
            csv: None,
            extra_benign: None,
            overlay: None,
            disabled_benign: Vec::new(),
            version: String::new(),
            full_version: OnceLock::new(),
        }
    }

    /// The shipped data with a MaxMind-format `.mmdb` file consulted first.
    pub fn with_mmdb(path: &Path) -> Result<Enricher, IpDataError> {
        Enricher::builtin().add_mmdb(path)
    }

    /// The shipped data with a CSV of network overrides consulted first
    /// (format in [`overrides`]).
    pub fn with_csv_overrides(path: &Path) -> Result<Enricher, IpDataError> {
        Enricher::builtin().add_csv_overrides(path)
    }

    /// The data the answers come from: the shipped tables' version, then
    /// every override, overlay and switched-off list, in the order added.
    pub fn version(&self) -> String {
        self.shared_version().to_string()
    }

    /// [`Enricher::version`], shared: for a caller that keeps it beside
    /// every result of [`Enricher::enrich_unversioned`].
    pub fn shared_version(&self) -> Arc<str> {
        self.full_version
            .get_or_init(|| format!("{}{}", dataset_version(), self.version).into())
            .clone()
    }

    /// Appends `part` to the version (every builder that changes an answer).
    fn add_version(&mut self, part: std::fmt::Arguments<'_>) {
        use std::fmt::Write;
        let _ = self.version.write_fmt(part);
        self.full_version = OnceLock::new();
    }

    /// Adds (replaces) the `.mmdb` file.
    pub fn add_mmdb(mut self, path: &Path) -> Result<Enricher, IpDataError> {
        let db = Mmdb::open(path)?;
        self.add_version(format_args!("; mmdb {}", db.version()));
        self.mmdb = Some(db);
        Ok(self)
    }

    /// Adds (replaces) the CSV overrides; they take precedence over an `.mmdb`.
    pub fn add_csv_overrides(mut self, path: &Path) -> Result<Enricher, IpDataError> {
        self.csv = Some(CsvOverrides::from_path(path)?);
        self.add_version(format_args!("; csv {}", path.display()));
        Ok(self)
    }

    /// Adds (replaces) CSV IP overrides read from text (format in
    /// [`overrides`]); `label` names them in the dataset version.
    pub fn add_csv_overrides_text(
        mut self,
        label: &str,
        text: &str,
    ) -> Result<Enricher, IpDataError> {
        self.csv = Some(CsvOverrides::from_reader(text.as_bytes())?);
        self.add_version(format_args!("; csv {label}"));
        Ok(self)
    }

    /// Adds (replaces) a name overlay of domain suffixes and phone prefixes
    /// ([`overlay`]); `label` names it in the dataset version.
    pub fn with_overlay(mut self, label: &str, overlay: NameOverlay) -> Enricher {
        self.overlay = Some(overlay);
        self.add_version(format_args!("; overlay {label}"));
        self
    }

    /// The registrable domain (the site) of a name: the overlay's suffix
    /// plus one label when an overlay suffix covers it, else the Public
    /// Suffix List's answer, else the name itself.
    pub fn site(&self, domain: &pelita_model::domain::Domain) -> String {
        self.overlay
            .as_ref()
            .and_then(|o| o.registrable(domain.as_str()))
            .unwrap_or_else(|| domain.registrable().unwrap_or(domain.as_str()).to_owned())
    }

    /// Adds warninglists (e.g. a full checkout loaded with [`BenignLists::load_dir`]);
    /// a list with the id of a shipped one replaces it.
    pub fn with_benign_lists(mut self, lists: BenignLists) -> Enricher {
        self.extra_benign = Some(lists);
        self
    }

    /// The IP answer: CSV overrides, then the `.mmdb`, then the shipped
    /// tables, field by field (country and the ASN/name pair separately).
    pub fn lookup_ip(&self, ip: IpAddr) -> (Option<String>, Option<u32>, Option<String>) {
        let mut country = None;
        let mut asn = None;
        let mut as_name = None;
        let layers = [
            self.csv.as_ref().map(|c| c.lookup(ip)),
            self.mmdb.as_ref().map(|m| m.lookup(ip)),
        ];
        for v in layers.into_iter().flatten() {
            if country.is_none() {
                country = v.country;
            }
            if asn.is_none() && v.asn.is_some() {
                asn = v.asn;
                as_name = v.as_name;
            }
        }
        if (country.is_none() || asn.is_none())
            && self.builtin
            && let Some(t) = builtin_tables()
        {
            let info = t.lookup(ip);
            if country.is_none() {
                country = info.country.map(str::to_string);
            }
            if asn.is_none() {
                asn = info.asn;
                as_name = info.as_name.map(str::to_string);
            }
        }
        (country, asn, as_name)
    }

    /// Enriches one indicator: IP data for addresses, networks (their first
    /// address) and URLs on an IP; ccTLD and government suffix for domains, URL
    /// hosts and e-mail domains; known-benign lists for all.
    pub fn enrich(&self, indicator: &Indicator) -> Enrichment {
        Enrichment {
            dataset_version: self.version(),
            ..self.enrich_unversioned(indicator)
        }
    }

    /// [`Enricher::enrich`] with an empty `dataset_version`: for a caller
    /// that records [`Enricher::shared_version`] once for many results.
    pub fn enrich_unversioned(&self, indicator: &Indicator) -> Enrichment {
        let mut out = Enrichment::default();
        let ip = match indicator {
            Indicator::Cidr(c) => Some(c.addr()),
            other => other.ip(),
        };
        if let Some(ip) = ip {
            (out.country, out.asn, out.as_name) = self.lookup_ip(ip);
        }
        let overlay = self.overlay.as_ref();
        if let Some(d) = indicator.domain() {
            match overlay.and_then(|o| o.suffix_of(d.as_str())) {
                Some((_, cc, _)) => {
                    out.cctld_country = Some(cc.to_owned());
                    out.government = overlay.and_then(|o| o.gov_match(d.as_str()));
                }
                None => {
                    out.cctld_country = cctld_country(d.as_str()).map(str::to_string);
                    out.government = gov_match(d.as_str());
                }
            }
        }
        if let (Indicator::Phone(p), Some(o)) = (indicator, overlay) {
            out.country = o.phone_country(p.as_str()).map(str::to_owned);
        }
        out.benign = self.benign(indicator);
        out
    }

    /// Switches known-benign lists off by id (e.g. the special-use range
    /// lists `rfc5735`, `rfc3849`, `rfc6761` for a synthetic scenario that
    /// places documentation ranges in demo countries); the dataset version
    /// says which.
    pub fn without_benign_lists(mut self, ids: &[&str]) -> Enricher {
        self.disabled_benign
            .extend(ids.iter().map(|s| (*s).to_owned()));
        self.add_version(format_args!("; without lists {}", ids.join(",")));
        self
    }

    /// Known-benign matches: the user's lists, then the shipped ones not
    /// replaced by them, less any list switched off.
    pub fn benign(&self, indicator: &Indicator) -> Vec<BenignMatch> {
        let mut out = self.benign_all(indicator);
        out.retain(|m| !self.disabled_benign.contains(&m.list));
        out
    }

    fn benign_all(&self, indicator: &Indicator) -> Vec<BenignMatch> {
        let mut out = Vec::new();
        let mut replaced = std::collections::HashSet::new();
        if let Some(extra) = &self.extra_benign {
            out = extra.matches(indicator);
            replaced = extra.ids();
        }
        out.extend(
            BenignLists::builtin()
                .matches(indicator)
                .into_iter()
                .filter(|m| !replaced.contains(m.list.as_str())),
        );
        out
    }
}
