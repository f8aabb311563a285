//! Known-benign lists: MISP warninglists, with MISP's matching semantics.
//!
//! A warninglist (`lists/<id>/list.json`) has a `type` and a `list` of entries:
//!
//! | type        | an entry matches when                                                     |
//! |-------------|---------------------------------------------------------------------------|
//! | `cidr`      | the address (or the whole network of a CIDR indicator) is inside it        |
//! | `string`    | it equals the value (or the URL's host / e-mail's domain, see below)       |
//! | `hostname`  | it equals the host name; an entry with a leading dot (`.example.com`) also matches every sub-domain |
//! | `substring` | the value contains it                                                      |
//! | `regex`     | the value matches it (`/pattern/flags`, as MISP writes it)                 |
//!
//! All comparisons are case-insensitive. A list applies to an indicator only
//! when one of its `matching_attributes` (MISP attribute types such as
//! `ip-dst`, `domain`, `url`, `md5`) is of the indicator's family; a list
//! without `matching_attributes` applies to all. A URL is tried as itself
//! (`url`, `uri`, `link`) and through its host (as a `domain`/`hostname` or
//! an `ip-dst`); an e-mail address as itself and through its domain.
//!
//! [`BenignLists::builtin`] is the shipped subset (`data/warninglists/`,
//! embedded); [`BenignLists::load_dir`] reads a whole warninglists checkout
//! (for `pelita data import-warninglists DIR`). Lookups use hash sets,
//! sorted IP ranges and Aho-Corasick automata, so matching against every list
//! costs a few hundred nanoseconds.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use pelita_model::Indicator;
use pelita_model::url::Host;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::iptable::canonical_ip;
use crate::top16::{Top16, TopIndex};

/// One shipped list: its id (the folder name upstream) and its gzip-compressed `list.json`.
const SHIPPED: &[(&str, &[u8])] = &[
    (
        "akamai",
        include_bytes!("../../../data/warninglists/akamai.json.gz"),
    ),
    (
        "amazon-aws",
        include_bytes!("../../../data/warninglists/amazon-aws.json.gz"),
    ),
    (
        "automated-malware-analysis",
        include_bytes!("../../../data/warninglists/automated-malware-analysis.json.gz"),
    ),
    (
        "cloudflare",
        include_bytes!("../../../data/warninglists/cloudflare.json.gz"),
    ),
    (
        "common-ioc-false-positive",
        include_bytes!("../../../data/warninglists/common-ioc-false-positive.json.gz"),
    ),
    (
        "eicar.com",
        include_bytes!("../../../data/warninglists/eicar.com.json.gz"),
    ),
    (
        "empty-hashes",
        include_bytes!("../../../data/warninglists/empty-hashes.json.gz"),
    ),
    (
        "fastly",
        include_bytes!("../../../data/warninglists/fastly.json.gz"),
    ),
    (
        "google-gcp",
        include_bytes!("../../../data/warninglists/google-gcp.json.gz"),
    ),
    (
        "ipv6-linklocal",
        include_bytes!("../../../data/warninglists/ipv6-linklocal.json.gz"),
    ),
    (
        "microsoft-azure",
        include_bytes!("../../../data/warninglists/microsoft-azure.json.gz"),
    ),
    (
        "multicast",
        include_bytes!("../../../data/warninglists/multicast.json.gz"),
    ),
    (
        "public-dns-v4",
        include_bytes!("../../../data/warninglists/public-dns-v4.json.gz"),
    ),
    (
        "public-dns-v6",
        include_bytes!("../../../data/warninglists/public-dns-v6.json.gz"),
    ),
    (
        "rfc1918",
        include_bytes!("../../../data/warninglists/rfc1918.json.gz"),
    ),
    (
        "rfc3849",
        include_bytes!("../../../data/warninglists/rfc3849.json.gz"),
    ),
    (
        "rfc5735",
        include_bytes!("../../../data/warninglists/rfc5735.json.gz"),
    ),
    (
        "rfc6598",
        include_bytes!("../../../data/warninglists/rfc6598.json.gz"),
    ),
    (
        "rfc6761",
        include_bytes!("../../../data/warninglists/rfc6761.json.gz"),
    ),
    (
        "security-provider-blogpost",
        include_bytes!("../../../data/warninglists/security-provider-blogpost.json.gz"),
    ),
    (
        "sinkholes",
        include_bytes!("../../../data/warninglists/sinkholes.json.gz"),
    ),
    (
        "tranco10k",
        include_bytes!("../../../data/warninglists/tranco10k.json.gz"),
    ),
    (
        "url-shortener",
        include_bytes!("../../../data/warninglists/url-shortener.json.gz"),
    ),
];

/// The ids of the shipped lists.
pub fn shipped_list_ids() -> impl Iterator<Item = &'static str> {
    SHIPPED.iter().map(|(id, _)| *id)
}

/// Why warninglists could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenignError {
    /// Reading failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A `list.json` is not a warninglist.
    #[error("warninglist {id}: {why}")]
    BadList {
        /// The list's id.
        id: String,
        /// What is wrong.
        why: String,
    },
}

/// A value found on a known-benign list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenignMatch {
    /// The list's id (its folder name, e.g. `public-dns-v4`).
    pub list: String,
    /// The list's display name (e.g. `List of known IPv4 public DNS resolvers`).
    pub name: String,
    /// The entry that matched, as the list writes it.
    pub entry: String,
}

/// The type of a warninglist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListType {
    /// IP networks.
    Cidr,
    /// Exact values.
    String,
    /// Host names; a leading dot also matches sub-domains.
    Hostname,
    /// Substrings.
    Substring,
    /// Regular expressions.
    Regex,
}

/// The family of value a probe or a MISP attribute type belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Ip = 1,
    Host = 2,
    Url = 4,
    Email = 8,
    Hash = 16,
    Phone = 32,
    Other = 64,
}

fn family_mask(attrs: &[String]) -> u8 {
    if attrs.is_empty() {
        return u8::MAX;
    }
    let mut m = 0u8;
    for a in attrs {
        for part in a.to_ascii_lowercase().split('|') {
            let f = match part {
                "ip-src" | "ip-dst" | "ip" => Family::Ip,
                "domain" | "hostname" => Family::Host,
                "url" | "uri" | "link" => Family::Url,
                p if p.contains("email") => Family::Email,
                "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512" | "ssdeep" | "tlsh"
                | "imphash" | "authentihash" => Family::Hash,
                p if p.starts_with("x509-fingerprint") || p.starts_with("sha512/") => Family::Hash,
                p if p.contains("phone") => Family::Phone,
                "port" | "filename" => continue,
                _ => Family::Other,
            };
            m |= f as u8;
        }
    }
    m
}

#[derive(Debug, Deserialize)]
struct ListJson {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    matching_attributes: Vec<String>,
    #[serde(default)]
    list: Vec<serde_json::Value>,
    version: Option<serde_json::Value>,
}

/// Sorted IP ranges with a running maximum of ends, so that nested and
/// overlapping entries are all found.
#[derive(Debug, Default)]
struct Cidrs<T> {
    /// (first, last, entry index), sorted by first.
    ranges: Vec<(T, T, u32)>,
    /// `max_end[i]` = the largest `last` among `ranges[..=i]`.
    max_end: Vec<T>,
    /// The ranges by the top 16 bits of their first address.
    index: TopIndex,
}

impl<T: Top16> Cidrs<T> {
    fn finish(&mut self) {
        self.ranges.sort_unstable();
        self.index = TopIndex::build_by(&self.ranges, |r| r.0);
        let mut max: Option<T> = None;
        self.max_end = self
            .ranges
            .iter()
            .map(|r| {
                let m = max.map_or(r.1, |m| m.max(r.1));
                max = Some(m);
                m
            })
            .collect();
    }

    /// The entry of a range that holds all of `first..=last`.
    fn find(&self, first: T, last: T) -> Option<u32> {
        let mut i = self.index.upper_by(&self.ranges, first, |r| r.0);
        while let Some(j) = i.checked_sub(1) {
            if self.max_end.get(j).is_none_or(|m| *m < last) {
                return None;
            }
            if let Some(&(_, end, e)) = self.ranges.get(j)
                && end >= last
            {
                return Some(e);
            }
            i = j;
        }
        None
    }
}

#[derive(Debug)]
struct List {
    /// Its place in the load order (increasing, never reused).
    uid: u32,
    id: String,
    name: String,
    version: String,
    kind: ListType,
    families: u8,
    entries: Vec<String>,
    v4: Cidrs<u32>,
    v6: Cidrs<u128>,
    substrings: Option<AhoCorasick>,
    regexes: Vec<(Regex, u32)>,
}

/// Lower-case entry → its index. The keys come from the lists, never from
/// the input, so a fast seeded hasher (foldhash) is safe here; it matters,
/// since every indicator is probed.
type Table = std::collections::HashMap<String, u32, foldhash::fast::RandomState>;

/// A string or hostname list's entries, as [`List::parse`] reads them, for
/// the merged [`Names`] table.
#[derive(Default)]
struct Tables {
    /// Exact entries (string, and hostname without a leading dot), lower case → entry index.
    exact: Table,
    /// Hostname entries with a leading dot, without it, lower case → entry index.
    suffix: Table,
}

/// One list's entry under a name of the [`Names`] table.
#[derive(Debug, Clone, Copy)]
struct NameHit {
    /// The list's [`List::uid`].
    list: u32,
    /// The entry's index in the list.
    entry: u32,
    /// A hostname list's `.suffix` entry: it holds the name and every name
    /// under it. Otherwise an exact entry.
    suffix: bool,
    /// From a hostname list (which host probes alone match), else from a
    /// string list.
    hostname: bool,
    /// The list's families.
    families: u8,
}

/// The lists holding one name: almost always one.
#[derive(Debug, Clone)]
enum Hits {
    One(NameHit),
    Many(Vec<NameHit>),
}

impl Hits {
    fn as_slice(&self) -> &[NameHit] {
        match self {
            Hits::One(h) => std::slice::from_ref(h),
            Hits::Many(v) => v,
        }
    }
}

/// The entries of every string and hostname list in one table, name → the
/// lists that hold it. Why one table: a host is looked up with each of its
/// parent names, and with a table per list that walk ran once per hostname
/// list for every indicator (3,538 instructions a match; BENCHMARKS.md,
/// "Enrichment look-ups"); here it runs once.
type Names = std::collections::HashMap<String, Hits, foldhash::fast::RandomState>;

/// Lower case, borrowed when it already is (canonical values mostly are).
fn lower(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        s
    }
}

/// A value to try against the lists, and the family it counts as. Text
/// is lower case (made so once per indicator, not once per list).
enum Probe<'a> {
    Ip(u128, u128, bool),
    Text(Cow<'a, str>, Family),
}

/// A set of warninglists.
#[derive(Debug, Default)]
pub struct BenignLists {
    /// In load order, which is [`List::uid`] order.
    lists: Vec<List>,
    /// The string and hostname lists' entries.
    names: Names,
    /// The next list's [`List::uid`].
    next_uid: u32,
    warnings: Vec<String>,
}

/// What one loaded list holds, for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListInfo {
    /// The list's id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its version as the list states it.
    pub version: String,
    /// Its type.
    pub kind: ListType,
    /// How many entries it has.
    pub entries: usize,
}

fn ip_range(ip: IpAddr) -> (u128, u128, bool) {
    match canonical_ip(ip) {
        IpAddr::V4(a) => {
            let n = u128::from(u32::from(a));
            (n, n, true)
        }
        IpAddr::V6(a) => {
            let n = u128::from(a);
            (n, n, false)
        }
    }
}

/// Parses `a.b.c.d/n`, `x::/n` or a bare address into (first, last, is IPv4).
fn parse_cidr(s: &str) -> Option<(u128, u128, bool)> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l.trim().parse::<u32>().ok()?)),
        None => (s, None),
    };
    let ip: IpAddr = addr.trim().parse().ok()?;
    let (n, _, v4) = ip_range(ip);
    let bits = if v4 { 32 } else { 128 };
    // An IPv4-mapped IPv6 network's length counts the 96 mapped bits.
    let len = match (len, ip) {
        (Some(l), IpAddr::V6(_)) if v4 => l.checked_sub(96)?,
        (Some(l), _) => l,
        (None, _) => bits,
    };
    if len > bits {
        return None;
    }
    let host_bits = bits - len;
    let mask = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    let first = n & !mask;
    Some((first, first | mask, v4))
}

impl List {
    fn parse(id: &str, json: &[u8]) -> Result<(List, Tables, Vec<String>), BenignError> {
        let bad = |why: String| BenignError::BadList {
            id: id.to_string(),
            why,
        };
        let raw: ListJson = serde_json::from_slice(json).map_err(|e| bad(e.to_string()))?;
        let kind = match raw.kind.as_deref().unwrap_or("string") {
            "cidr" => ListType::Cidr,
            "string" => ListType::String,
            "hostname" => ListType::Hostname,
            "substring" => ListType::Substring,
            "regex" => ListType::Regex,
            other => return Err(bad(format!("unknown type {other:?}"))),
        };
        let version = match raw.version {
            Some(serde_json::Value::String(s)) => s,
            Some(v) => v.to_string(),
            None => String::new(),
        };
        let mut list = List {
            uid: 0,
            id: id.to_string(),
            name: raw.name.unwrap_or_else(|| id.to_string()),
            version,
            kind,
            families: family_mask(&raw.matching_attributes),
            entries: Vec::new(),
            v4: Cidrs::default(),
            v6: Cidrs::default(),
            substrings: None,
            regexes: Vec::new(),
        };
        let mut tables = Tables::default();
        let mut warnings = Vec::new();
        let mut substrings = Vec::new();
        for v in raw.list {
            let serde_json::Value::String(entry) = v else {
                warnings.push(format!("{id}: entry {v} is not a string; skipped"));
                continue;
            };
            let Ok(i) = u32::try_from(list.entries.len()) else {
                break;
            };
            let key = entry.trim().trim_end_matches('.').to_ascii_lowercase();
            let ok = match kind {
                ListType::Cidr => match parse_cidr(&key) {
                    Some((a, b, true)) => {
                        list.v4.ranges.push((a as u32, b as u32, i));
                        true
                    }
                    Some((a, b, false)) => {
                        list.v6.ranges.push((a, b, i));
                        true
                    }
                    None => false,
                },
                ListType::String => {
                    tables.exact.entry(key).or_insert(i);
                    true
                }
                ListType::Hostname => {
                    match key.strip_prefix('.') {
                        Some(s) => tables.suffix.entry(s.to_string()).or_insert(i),
                        None => tables.exact.entry(key).or_insert(i),
                    };
                    true
                }
                ListType::Substring => {
                    substrings.push(key);
                    true
                }
                ListType::Regex => match compile_misp_regex(entry.trim()) {
                    Some(re) => {
                        list.regexes.push((re, i));
                        true
                    }
                    None => false,
                },
            };
            if ok {
                list.entries.push(entry);
            } else {
                warnings.push(format!(
                    "{id}: entry {entry:?} is not a valid {kind:?}; skipped"
                ));
            }
        }
        list.v4.finish();
        list.v6.finish();
        if !substrings.is_empty() {
            list.substrings = Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(&substrings)
                    .map_err(|e| bad(e.to_string()))?,
            );
        }
        Ok((list, tables, warnings))
    }

    /// The entry of a CIDR, substring or regex list that `probe` matches
    /// (string and hostname lists are looked up in the merged [`Names`]).
    fn find(&self, probe: &Probe<'_>) -> Option<u32> {
        match probe {
            Probe::Ip(a, b, v4) => {
                if self.families & (Family::Ip as u8) == 0 {
                    return None;
                }
                match self.kind {
                    ListType::Cidr if *v4 => self.v4.find(*a as u32, *b as u32),
                    ListType::Cidr => self.v6.find(*a, *b),
                    _ => None,
                }
            }
            Probe::Text(s, family) => {
                if self.families & (*family as u8) == 0 {
                    return None;
                }
                match self.kind {
                    // In the merged table ([`BenignLists::each_hit`]).
                    ListType::Cidr | ListType::String | ListType::Hostname => None,
                    ListType::Substring => self
                        .substrings
                        .as_ref()
                        .and_then(|ac| ac.find(s.as_ref()))
                        .and_then(|m| u32::try_from(m.pattern().as_usize()).ok()),
                    ListType::Regex => self
                        .regexes
                        .iter()
                        .find(|(re, _)| re.is_match(s))
                        .map(|(_, i)| *i),
                }
            }
        }
    }
}

/// Compiles a MISP regex entry (`/pattern/flags` or a bare pattern), always case-insensitive.
fn compile_misp_regex(entry: &str) -> Option<Regex> {
    let pattern = match entry.strip_prefix('/').and_then(|r| r.rsplit_once('/')) {
        Some((p, flags)) if flags.chars().all(|c| c.is_ascii_alphabetic()) => p,
        _ => entry,
    };
    regex::RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
        .ok()
}

fn probes(indicator: &Indicator) -> Vec<Probe<'_>> {
    let mut out = Vec::with_capacity(2);
    match indicator {
        Indicator::Ipv4(_) | Indicator::Ipv6(_) => {
            if let Some(ip) = indicator.ip() {
                let (a, b, v4) = ip_range(ip);
                out.push(Probe::Ip(a, b, v4));
            }
        }
        Indicator::Cidr(c) => {
            let text = c.to_string();
            if let Some((a, b, v4)) = parse_cidr(&text) {
                out.push(Probe::Ip(a, b, v4));
            }
        }
        Indicator::Domain(d) => out.push(Probe::Text(Cow::Borrowed(d.as_str()), Family::Host)),
        Indicator::Url(u) => {
            out.push(Probe::Text(Cow::Borrowed(u.as_str()), Family::Url));
            match u.host() {
                Host::Domain(d) => out.push(Probe::Text(Cow::Borrowed(d.as_str()), Family::Host)),
                Host::Ip(ip) => {
                    let (a, b, v4) = ip_range(*ip);
                    out.push(Probe::Ip(a, b, v4));
                }
            }
        }
        Indicator::Email(_) => {
            out.push(Probe::Text(Cow::Owned(indicator.value()), Family::Email));
            if let Some(d) = indicator.domain() {
                out.push(Probe::Text(Cow::Borrowed(d.as_str()), Family::Host));
            }
        }
        Indicator::Md5(t)
        | Indicator::Sha1(t)
        | Indicator::Sha256(t)
        | Indicator::Sha512(t)
        | Indicator::Ssdeep(t)
        | Indicator::Tlsh(t) => out.push(Probe::Text(Cow::Borrowed(t.as_str()), Family::Hash)),
        Indicator::Phone(t) => out.push(Probe::Text(Cow::Borrowed(t.as_str()), Family::Phone)),
        Indicator::Asn(_)
        | Indicator::Bitcoin(_)
        | Indicator::Ethereum(_)
        | Indicator::Monero(_)
        | Indicator::Onion(_) => {}
    }
    for p in &mut out {
        if let Probe::Text(text, _) = p {
            *text = lower(std::mem::take(text));
        }
    }
    out
}

impl BenignLists {
    /// The shipped subset (embedded; decoded once, at first use).
    pub fn builtin() -> &'static BenignLists {
        static B: OnceLock<BenignLists> = OnceLock::new();
        B.get_or_init(|| {
            let mut b = BenignLists::default();
            for (id, gz) in SHIPPED {
                let mut json = Vec::new();
                let read = flate2::read::GzDecoder::new(*gz).read_to_end(&mut json);
                let added = read
                    .map_err(|e| e.to_string())
                    .and_then(|_| b.add_json(id, &json).map_err(|e| e.to_string()));
                if let Err(e) = added {
                    b.warnings.push(format!("shipped list {id}: {e}"));
                }
            }
            b
        })
    }

    /// An empty set.
    pub fn new() -> BenignLists {
        BenignLists::default()
    }

    /// Adds one list from the bytes of its `list.json`; `id` names it
    /// (upstream, the folder name). A list with the same id is replaced.
    pub fn add_json(&mut self, id: &str, json: &[u8]) -> Result<(), BenignError> {
        let (mut list, tables, warnings) = List::parse(id, json)?;
        if let Some(old) = self.lists.iter().position(|l| l.id == id) {
            let gone = self.lists.remove(old).uid;
            self.names.retain(|_, hits| {
                let kept: Vec<NameHit> = hits
                    .as_slice()
                    .iter()
                    .filter(|h| h.list != gone)
                    .copied()
                    .collect();
                match <[NameHit; 1]>::try_from(kept) {
                    Ok([one]) => *hits = Hits::One(one),
                    Err(kept) => *hits = Hits::Many(kept),
                }
                !hits.as_slice().is_empty()
            });
        }
        list.uid = self.next_uid;
        self.next_uid = self.next_uid.saturating_add(1);
        let hostname = list.kind == ListType::Hostname;
        for (suffix, table) in [(false, tables.exact), (true, tables.suffix)] {
            for (name, entry) in table {
                let hit = NameHit {
                    list: list.uid,
                    entry,
                    suffix,
                    hostname,
                    families: list.families,
                };
                match self.names.entry(name) {
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(Hits::One(hit));
                    }
                    std::collections::hash_map::Entry::Occupied(mut o) => {
                        let hits = o.get_mut();
                        match hits {
                            Hits::One(first) => *hits = Hits::Many(vec![*first, hit]),
                            Hits::Many(v) => v.push(hit),
                        }
                    }
                }
            }
        }
        self.lists.push(list);
        self.warnings.extend(warnings);
        Ok(())
    }

    /// Loads every `<id>/list.json` under `dir`, which is a warninglists
    /// checkout (holding `lists/`) or its `lists/` folder itself. A list that
    /// cannot be read is an error; entries that cannot be parsed are skipped
    /// and reported in [`BenignLists::warnings`].
    pub fn load_dir(dir: &Path) -> Result<BenignLists, BenignError> {
        let mut b = BenignLists::default();
        b.add_dir(dir)?;
        Ok(b)
    }

    /// Like [`BenignLists::load_dir`], adding to (and replacing lists of) this set.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), BenignError> {
        let lists = if dir.join("lists").is_dir() {
            dir.join("lists")
        } else {
            dir.to_path_buf()
        };
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| BenignError::Io { path, source }
        };
        let mut entries: Vec<_> = std::fs::read_dir(&lists)
            .map_err(io(&lists))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("list.json").is_file())
            .collect();
        entries.sort();
        for p in entries {
            let file = p.join("list.json");
            let json = std::fs::read(&file).map_err(io(&file))?;
            let id = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            self.add_json(&id, &json)?;
        }
        Ok(())
    }

    /// Every list the indicator is on (at most one match per list), in load
    /// order. A list's match is its entry for the first probe that it holds
    /// (a URL, then its host); for a host on a hostname list, an exact
    /// entry before a `.suffix` one, and the longest suffix first.
    pub fn matches(&self, indicator: &Indicator) -> Vec<BenignMatch> {
        let probes = probes(indicator);
        // (list, probe, rank within the probe, entry): sorted, the first of
        // each list is its match.
        let mut hits: Vec<(u32, usize, usize, u32)> = Vec::new();
        self.each_hit(&probes, |hit| {
            hits.push(hit);
            false
        });
        hits.sort_unstable();
        hits.dedup_by_key(|h| h.0);
        hits.into_iter()
            .filter_map(|(uid, _, _, entry)| {
                let i = self.lists.binary_search_by_key(&uid, |l| l.uid).ok()?;
                let list = self.lists.get(i)?;
                Some(BenignMatch {
                    list: list.id.clone(),
                    name: list.name.clone(),
                    entry: list.entries.get(entry as usize)?.clone(),
                })
            })
            .collect()
    }

    /// Whether the indicator is on any list.
    pub fn is_benign(&self, indicator: &Indicator) -> bool {
        self.each_hit(&probes(indicator), |_| true)
    }

    /// Calls `f` with (list uid, probe index, rank within the probe, entry)
    /// for every entry that holds a probe, until `f` returns true; returns
    /// whether it did. Rank: 0 for an exact entry, 1 + depth for a hostname
    /// list's `.suffix` entry matched at the host's depth-th parent (0: the
    /// host itself), as the hostname semantics of MISP warninglists have it.
    fn each_hit(
        &self,
        probes: &[Probe<'_>],
        mut f: impl FnMut((u32, usize, usize, u32)) -> bool,
    ) -> bool {
        for (pi, probe) in probes.iter().enumerate() {
            if let Probe::Text(text, family) = probe {
                let host = *family == Family::Host;
                let mut name = Some(text.as_ref());
                let mut depth = 0;
                while let Some(n) = name {
                    for h in self.names.get(n).map_or(&[][..], Hits::as_slice) {
                        if h.families & (*family as u8) == 0 || (h.hostname && !host) {
                            continue;
                        }
                        let rank = match (h.suffix, depth) {
                            (true, d) => 1 + d,
                            (false, 0) => 0,
                            (false, _) => continue,
                        };
                        if f((h.list, pi, rank, h.entry)) {
                            return true;
                        }
                    }
                    // Only a host is walked up to its parents.
                    name = if host {
                        n.split_once('.').map(|(_, r)| r)
                    } else {
                        None
                    };
                    depth += 1;
                }
            }
            for list in self.lists.iter().filter(|l| {
                matches!(
                    l.kind,
                    ListType::Cidr | ListType::Substring | ListType::Regex
                )
            }) {
                if let Some(entry) = list.find(probe)
                    && f((list.uid, pi, 0, entry))
                {
                    return true;
                }
            }
        }
        false
    }

    /// The loaded lists.
    pub fn lists(&self) -> Vec<ListInfo> {
        self.lists
            .iter()
            .map(|l| ListInfo {
                id: l.id.clone(),
                name: l.name.clone(),
                version: l.version.clone(),
                kind: l.kind,
                entries: l.entries.len(),
            })
            .collect()
    }

    /// Entries skipped while loading, one line each.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The ids of the loaded lists.
    pub fn ids(&self) -> HashSet<&str> {
        self.lists.iter().map(|l| l.id.as_str()).collect()
    }
}
