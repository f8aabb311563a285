//! Shadowserver report types.
//!
//! Shadowserver sends one CSV per report type, with a header row. Report
//! names and columns changed over the years (`Open-Redis` became
//! `scan_redis`, `ip` became `src_ip` in the `event4_*` reports); each
//! report here knows its old names, and the mapping finds its columns by
//! any of their names. A report not in the table, or a file whose report
//! cannot be told, is read as [`ShadowserverReport::generic`]: the same
//! columns, without a report-specific classification hint.

use std::fmt;

use pelita_model::{IndicatorKind, Relation};

use crate::mapping::{ColumnMapping, ColumnRef, CsvMapping, Field, HeaderMode, split_record};

/// What the report's main value is.
#[derive(Clone, Copy)]
enum Main {
    Ip,
    Url,
    Md5,
}

/// The classification hint of a report class.
const INFECTED: &str = "rsit:malicious-code=\"infected-system\"";
const BRUTE: &str = "rsit:intrusion-attempts=\"brute-force\"";
const SCANNER: &str = "rsit:information-gathering=\"scanner\"";
const DDOS: &str = "rsit:availability=\"ddos\"";
const AMPLIFIER: &str = "rsit:vulnerable=\"ddos-amplifier\"";
const WEAK_CRYPTO: &str = "rsit:vulnerable=\"weak-crypto\"";
const VULNERABLE: &str = "rsit:vulnerable=\"vulnerable-system\"";
const ACCESSIBLE: &str = "rsit:vulnerable=\"potentially-unwanted-accessible\"";
const PHISHING: &str = "rsit:fraud=\"phishing\"";
const DISTRIBUTION: &str = "rsit:malicious-code=\"malware-distribution\"";
const SPAM: &str = "rsit:abusive-content=\"spam\"";
const MALWARE_CONF: &str = "rsit:malicious-code=\"malware-configuration\"";
const COMPROMISED: &str = "rsit:intrusions=\"system-compromise\"";

struct Report {
    name: &'static str,
    aliases: &'static [&'static str],
    class: &'static str,
    main: Main,
}

const fn r(
    name: &'static str,
    aliases: &'static [&'static str],
    class: &'static str,
    main: Main,
) -> Report {
    Report {
        name,
        aliases,
        class,
        main,
    }
}

/// Every report type; index 0 is the generic fallback. Aliases are the old
/// names, normalised (lower case, `-` as `_`).
static GENERIC: Report = r("generic", &[], "", Main::Ip);

static REPORTS: &[Report] = &[
    r("generic", &[], "", Main::Ip),
    r(
        "botnet_drone",
        &["botnet_drone_hadoop", "drone"],
        INFECTED,
        Main::Ip,
    ),
    r(
        "sinkhole_http_drone",
        &["sinkhole_http"],
        INFECTED,
        Main::Ip,
    ),
    r("microsoft_sinkhole", &[], INFECTED, Main::Ip),
    r("event4_sinkhole", &[], INFECTED, Main::Ip),
    r("event4_sinkhole_http", &[], INFECTED, Main::Ip),
    r("event4_sinkhole_dns", &[], INFECTED, Main::Ip),
    r("special", &[], COMPROMISED, Main::Ip),
    r(
        "drone_brute_force",
        &["event4_honeypot_brute_force"],
        BRUTE,
        Main::Ip,
    ),
    r("darknet", &["honeypot_darknet"], SCANNER, Main::Ip),
    r("event4_honeypot_darknet", &[], SCANNER, Main::Ip),
    r("hp_http_scan", &["honeypot_http_scan"], SCANNER, Main::Ip),
    r("event4_honeypot_http_scan", &[], SCANNER, Main::Ip),
    r("hp_ics_scan", &["honeypot_ics_scan"], SCANNER, Main::Ip),
    r("event4_honeypot_ddos", &[], DDOS, Main::Ip),
    r(
        "honeypot_ddos_amp",
        &["event4_honeypot_ddos_amp"],
        DDOS,
        Main::Ip,
    ),
    r("event4_honeypot_ddos_target", &[], DDOS, Main::Ip),
    r("event4_ddos_participant", &[], DDOS, Main::Ip),
    r("ddos_amplification", &[], DDOS, Main::Ip),
    r("caida_ip_spoofer", &["ip_spoofer"], VULNERABLE, Main::Ip),
    r("event4_ip_spoofer", &[], VULNERABLE, Main::Ip),
    r("phish_url", &[], PHISHING, Main::Url),
    r("malware_url", &[], DISTRIBUTION, Main::Url),
    r("spam_url", &[], SPAM, Main::Url),
    r("sandbox_conn", &[], MALWARE_CONF, Main::Ip),
    r("sandbox_dns", &[], MALWARE_CONF, Main::Md5),
    r("sandbox_url", &[], MALWARE_CONF, Main::Url),
    r("scan_chargen", &["open_chargen"], AMPLIFIER, Main::Ip),
    r("scan_qotd", &["open_qotd"], AMPLIFIER, Main::Ip),
    r("scan_ntp", &["ntp_version"], AMPLIFIER, Main::Ip),
    r("scan_ntpmonitor", &["ntp_monitor"], AMPLIFIER, Main::Ip),
    r(
        "scan_dns",
        &["dns_open_resolvers", "open_resolvers"],
        AMPLIFIER,
        Main::Ip,
    ),
    r("scan_memcached", &["open_memcached"], AMPLIFIER, Main::Ip),
    r("scan_ssdp", &["open_ssdp"], AMPLIFIER, Main::Ip),
    r("scan_snmp", &["open_snmp"], AMPLIFIER, Main::Ip),
    r("scan_portmapper", &["open_portmapper"], AMPLIFIER, Main::Ip),
    r("scan_mdns", &["open_mdns"], AMPLIFIER, Main::Ip),
    r("scan_netbios", &["open_netbios"], AMPLIFIER, Main::Ip),
    r("scan_ard", &[], AMPLIFIER, Main::Ip),
    r("scan_coap", &[], AMPLIFIER, Main::Ip),
    r(
        "scan_db2",
        &["open_db2_discovery_service"],
        AMPLIFIER,
        Main::Ip,
    ),
    r("scan_xdmcp", &[], AMPLIFIER, Main::Ip),
    r("scan_tftp", &[], AMPLIFIER, Main::Ip),
    r(
        "scan_ldap",
        &["scan_ldap_udp", "open_ldap"],
        AMPLIFIER,
        Main::Ip,
    ),
    r("scan_mssql", &["open_mssql"], AMPLIFIER, Main::Ip),
    r("scan_stun", &[], AMPLIFIER, Main::Ip),
    r("scan_msrdpeudp", &[], AMPLIFIER, Main::Ip),
    r("scan_slp", &[], AMPLIFIER, Main::Ip),
    r(
        "scan_ssl_poodle",
        &[
            "ssl_poodle_vulnerable_servers",
            "sslv3_poodle",
            "ssl_poodle",
        ],
        WEAK_CRYPTO,
        Main::Ip,
    ),
    r("scan6_ssl_poodle", &[], WEAK_CRYPTO, Main::Ip),
    r(
        "scan_ssl_freak",
        &["ssl_freak_scan", "ssl_freak"],
        WEAK_CRYPTO,
        Main::Ip,
    ),
    r("scan_ssl", &["ssl_scan"], WEAK_CRYPTO, Main::Ip),
    r("scan_http_vulnerable", &[], VULNERABLE, Main::Ip),
    r("scan_log4shell_vulnerable", &[], VULNERABLE, Main::Ip),
    r("scan_synfulknock", &[], VULNERABLE, Main::Ip),
    r(
        "scan_cisco_smart_install",
        &["cisco_smart_install"],
        VULNERABLE,
        Main::Ip,
    ),
    r("scan_netis", &["netis_router"], VULNERABLE, Main::Ip),
    r("scan_exchange", &[], VULNERABLE, Main::Ip),
    r("scan_isakmp", &[], VULNERABLE, Main::Ip),
    r("scan_ipmi", &["open_ipmi"], VULNERABLE, Main::Ip),
    r("scan_dvr_dhcpdiscover", &[], ACCESSIBLE, Main::Ip),
    r("scan_rsync", &["accessible_rsync"], ACCESSIBLE, Main::Ip),
    r(
        "scan_elasticsearch",
        &["open_elasticsearch"],
        ACCESSIBLE,
        Main::Ip,
    ),
    r("scan_mongodb", &["open_mongodb"], ACCESSIBLE, Main::Ip),
    r("scan_redis", &["open_redis"], ACCESSIBLE, Main::Ip),
    r("scan_natpmp", &["open_natpmp"], ACCESSIBLE, Main::Ip),
    r("scan_amqp", &[], ACCESSIBLE, Main::Ip),
    r("scan_couchdb", &[], ACCESSIBLE, Main::Ip),
    r("scan_cwmp", &[], ACCESSIBLE, Main::Ip),
    r("scan_hadoop", &[], ACCESSIBLE, Main::Ip),
    r("scan_http", &[], ACCESSIBLE, Main::Ip),
    r("scan_http_proxy", &[], ACCESSIBLE, Main::Ip),
    r("population_http_proxy", &[], ACCESSIBLE, Main::Ip),
    r("scan_ics", &[], ACCESSIBLE, Main::Ip),
    r("scan_ldap_tcp", &[], ACCESSIBLE, Main::Ip),
    r("scan_postgres", &[], ACCESSIBLE, Main::Ip),
    r("scan_socks", &[], ACCESSIBLE, Main::Ip),
    r("scan_ssh", &[], ACCESSIBLE, Main::Ip),
    r("scan_telnet", &["test_telnet"], ACCESSIBLE, Main::Ip),
    r("scan_smb", &["test_smb"], ACCESSIBLE, Main::Ip),
    r("scan_vnc", &[], ACCESSIBLE, Main::Ip),
    r("scan_rdp", &[], ACCESSIBLE, Main::Ip),
    r("scan_ftp", &[], ACCESSIBLE, Main::Ip),
    r("scan_quic", &[], ACCESSIBLE, Main::Ip),
    r("scan_mqtt", &[], ACCESSIBLE, Main::Ip),
];

/// A Shadowserver report type (`scan_redis`, `event4_sinkhole_http`, ...).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShadowserverReport(usize);

fn normalise(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace(['-', ' ', '.'], "_")
}

impl ShadowserverReport {
    fn def(self) -> &'static Report {
        REPORTS.get(self.0).unwrap_or(&GENERIC)
    }

    /// The fallback for reports not in the table: the common Shadowserver
    /// columns, no report-specific classification hint.
    pub const fn generic() -> Self {
        ShadowserverReport(0)
    }

    /// Every report type Pelita knows, the generic one first.
    pub fn all() -> impl Iterator<Item = ShadowserverReport> {
        (0..REPORTS.len()).map(ShadowserverReport)
    }

    /// The current report name (`scan_redis`).
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// The older names this report had, normalised (`open_redis`).
    pub fn old_names(self) -> &'static [&'static str] {
        self.def().aliases
    }

    /// The RSIT classification hint the report implies (empty for generic).
    pub fn class_hint(self) -> &'static str {
        self.def().class
    }

    /// A one-line description.
    pub fn description(self) -> String {
        let what = match self.def().class {
            INFECTED => "infected systems (sinkhole / drone)",
            BRUTE => "brute-force attackers seen by honeypots",
            SCANNER => "scanners seen by honeypots or darknets",
            DDOS => "DDoS sources and targets",
            AMPLIFIER => "open services usable for DDoS amplification",
            WEAK_CRYPTO => "servers with weak TLS",
            VULNERABLE => "vulnerable systems",
            ACCESSIBLE => "exposed services",
            PHISHING => "phishing URLs",
            DISTRIBUTION => "malware distribution URLs",
            SPAM => "URLs in spam",
            MALWARE_CONF => "sandbox observations of malware",
            COMPROMISED => "likely compromised systems",
            _ => "any report, common columns",
        };
        format!("Shadowserver {} report: {what}", self.name())
    }

    /// The report with this current or old name (`scan_redis`, `Open-Redis`).
    pub fn from_name(name: &str) -> Option<Self> {
        let n = normalise(name);
        REPORTS
            .iter()
            .position(|r| r.name == n || r.aliases.contains(&n.as_str()))
            .map(ShadowserverReport)
    }

    /// The report a file name names: the exact name or old name of the
    /// stem (`Open-Redis.csv`), else the longest report name inside it
    /// (`2024-05-01-scan_redis-at-geo.csv`).
    pub fn from_file_name(file: &str) -> Option<Self> {
        let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
        let stem = base
            .strip_suffix(".csv")
            .or_else(|| base.strip_suffix(".CSV"))
            .unwrap_or(base);
        if let Some(r) = Self::from_name(stem) {
            return Some(r);
        }
        let n = normalise(stem);
        let mut best: Option<(usize, usize)> = None;
        for (i, rep) in REPORTS.iter().enumerate().skip(1) {
            for name in std::iter::once(&rep.name).chain(rep.aliases.iter()) {
                if n.contains(name) && best.is_none_or(|(_, len)| name.len() > len) {
                    best = Some((i, name.len()));
                }
            }
        }
        best.map(|(i, _)| ShadowserverReport(i))
    }

    /// A best guess from the header row alone (reports share most columns,
    /// so this tells only the distinctive ones; otherwise [`Self::generic`]).
    pub fn from_header(header: &str) -> Self {
        let mut cells = Vec::new();
        split_record(header, ',', Some('"'), true, &mut cells);
        let has = |n: &str| cells.iter().any(|c| c.text.eq_ignore_ascii_case(n));
        let name = if has("md5hash") {
            "sandbox_dns"
        } else if has("sender") && has("url") {
            "spam_url"
        } else if has("url") && has("host") && has("sha256") {
            "malware_url"
        } else if has("url") && has("host") && has("source") {
            "phish_url"
        } else if has("ssl_poodle") {
            "scan_ssl_poodle"
        } else if has("infection") && has("cc_ip") {
            "botnet_drone"
        } else if has("http_referer") && (has("dst_ip") || has("cc_ip")) {
            "sinkhole_http_drone"
        } else if has("query_type") && has("src_ip") {
            "event4_sinkhole_dns"
        } else if has("routedspoof") {
            if has("src_ip") {
                "event4_ip_spoofer"
            } else {
                "caida_ip_spoofer"
            }
        } else if has("payload_md5") && has("dest_ip") {
            "drone_brute_force"
        } else if has("redis_version") || has("git_sha1") {
            "scan_redis"
        } else {
            "generic"
        };
        Self::from_name(name).unwrap_or(Self::generic())
    }

    /// The built-in mapping of this report.
    pub(crate) fn mapping(self) -> CsvMapping {
        let def = self.def();
        let names = |ns: &[&str]| ColumnRef::AnyOf(ns.iter().map(|s| (*s).to_owned()).collect());
        let opt = |column: ColumnRef, field: Field| ColumnMapping {
            optional: true,
            ..ColumnMapping::new(column, field)
        };
        let related =
            |ns: &[&str], kind: Option<IndicatorKind>, relation: Relation| ColumnMapping {
                kind,
                relation: Some(relation),
                ..opt(names(ns), Field::Related)
            };
        let mut columns = Vec::new();
        let (value, kind) = match def.main {
            Main::Ip => (names(&["ip", "src_ip"]), IndicatorKind::Ipv4),
            Main::Url => (names(&["url", "http_url"]), IndicatorKind::Url),
            Main::Md5 => (names(&["md5hash", "md5"]), IndicatorKind::Md5),
        };
        columns.push(ColumnMapping {
            kind: Some(kind),
            ..ColumnMapping::new(value, Field::Value)
        });
        columns.push(opt(names(&["timestamp"]), Field::FirstSeen));
        match def.main {
            Main::Ip => {
                columns.push(opt(names(&["port", "src_port"]), Field::Port));
                columns.push(opt(names(&["asn", "src_asn"]), Field::Asn));
                columns.push(opt(names(&["geo", "src_geo"]), Field::Country));
                columns.push(related(
                    &["hostname", "src_hostname"],
                    Some(IndicatorKind::Domain),
                    Relation::RelatedTo,
                ));
                columns.push(related(
                    &["cc_ip"],
                    Some(IndicatorKind::Ipv4),
                    Relation::CommunicatesWith,
                ));
                columns.push(related(
                    &["md5"],
                    Some(IndicatorKind::Md5),
                    Relation::RelatedTo,
                ));
            }
            Main::Url => {
                columns.push(opt(names(&["asn"]), Field::Asn));
                columns.push(opt(names(&["geo"]), Field::Country));
                columns.push(related(&["host"], None, Relation::HostedOn));
                columns.push(related(
                    &["ip"],
                    Some(IndicatorKind::Ipv4),
                    Relation::HostedOn,
                ));
                columns.push(related(
                    &["sha256"],
                    Some(IndicatorKind::Sha256),
                    Relation::RelatedTo,
                ));
                columns.push(related(
                    &["md5"],
                    Some(IndicatorKind::Md5),
                    Relation::RelatedTo,
                ));
            }
            Main::Md5 => {
                columns.push(related(
                    &["request"],
                    Some(IndicatorKind::Domain),
                    Relation::CommunicatesWith,
                ));
            }
        }
        columns.push(ColumnMapping {
            split: Some(";,".into()),
            ..opt(names(&["tag"]), Field::Tags)
        });
        columns.push(ColumnMapping {
            prefix: Some("feed-protocol:".into()),
            ..opt(names(&["protocol"]), Field::Hint)
        });
        if def.class == INFECTED || def.class == MALWARE_CONF || def.class == COMPROMISED {
            // A later non-empty cell wins: `family` when it has one, else `infection`.
            columns.push(opt(names(&["infection"]), Field::Malware));
            columns.push(opt(names(&["family"]), Field::Malware));
        }
        let mut hints = vec!["feed:shadowserver".to_owned()];
        if self != Self::generic() {
            hints.push(format!("shadowserver:{}", def.name));
        }
        if !def.class.is_empty() {
            hints.push(def.class.to_owned());
        }
        CsvMapping {
            header: HeaderMode::Yes,
            flexible: true,
            hints,
            columns,
            ..CsvMapping::default()
        }
    }
}

impl fmt::Display for ShadowserverReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for ShadowserverReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShadowserverReport({})", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_file_names() {
        assert_eq!(
            ShadowserverReport::from_name("Open-Redis").unwrap().name(),
            "scan_redis"
        );
        assert_eq!(
            ShadowserverReport::from_file_name("x/Ssl-Freak-Scan.csv")
                .unwrap()
                .name(),
            "scan_ssl_freak"
        );
        assert_eq!(
            ShadowserverReport::from_file_name("2024-05-01-scan_ssl_poodle-at-geo.csv")
                .unwrap()
                .name(),
            "scan_ssl_poodle"
        );
        assert_eq!(ShadowserverReport::from_file_name("nothing.csv"), None);
        for r in ShadowserverReport::all() {
            assert_eq!(ShadowserverReport::from_name(r.name()), Some(r));
            r.mapping().validate().unwrap();
        }
    }
}
