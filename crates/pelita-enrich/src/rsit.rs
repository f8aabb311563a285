//! Classification to the ENISA Reference Security Incident Taxonomy (RSIT).
//!
//! The vocabulary is the MISP `rsit` machinetag's (closed enums [`RsitClass`]
//! and [`RsitType`]). [`classify`] decides from the observation's hints, its
//! indicator kind, its tags and its malware family, by the first rule that
//! matches in this order:
//!
//! 1. an explicit `rsit:<class>="<type>"` hint or tag in the vocabulary (what
//!    the partner or feed preset said), the first one given;
//! 2. the [`RULES`] table below, top to bottom. Each rule lists conditions that
//!    must all hold, the indicator kinds it applies to, and the result:
//!
//! | rule | when (all of)                                                             | kinds         | RSIT                                 |
//! |------|---------------------------------------------------------------------------|---------------|--------------------------------------|
//! | feodo        | `feed:feodotracker`                                              | network       | malicious-code / c2-server           |
//! | urlhaus      | `feed:urlhaus`                                                   | network       | malicious-code / malware-distribution|
//! | phish-feed   | `feed:phishtank` or `feed:openphish`                             | network       | fraud / phishing                     |
//! | threatfox-cc | `threatfox-threat:botnet_cc`                                     | network       | malicious-code / c2-server           |
//! | threatfox-dl | `threatfox-threat:payload_delivery`                              | network       | malicious-code / malware-distribution|
//! | ss-sinkhole  | `shadowserver:` report with `sinkhole`, `drone`, `botnet`        | network       | malicious-code / infected-system     |
//! | ss-compromised | `shadowserver:compromised_website`                             | network       | intrusions / system-compromise       |
//! | ss-phish     | `shadowserver:phish_url`                                          | network       | fraud / phishing                     |
//! | ss-honeypot  | `shadowserver:` report with `honeypot` and `scan`, or `scanner`  | network       | information-gathering / scanner      |
//! | ss-brute     | `shadowserver:` report with `brute_force`                        | network       | intrusion-attempts / brute-force     |
//! | ss-amplifier | `shadowserver:` `ddos_amplification`                              | network       | vulnerable / ddos-amplifier          |
//! | ss-scan      | `shadowserver:scan_*`                                             | network       | vulnerable / vulnerable-system       |
//! | stix-compromised | `stix-indicator-type:compromised`                             | network       | intrusions / system-compromise       |
//! | stix-c2      | `stix-indicator-type:malicious-activity` and a bot/RAT/backdoor `stix-malware-type` | host | malicious-code / c2-server |
//! | stix-dropper | `stix-indicator-type:malicious-activity` and a dropper/downloader `stix-malware-type` | URL | malicious-code / malware-distribution |
//! | misp-c2      | `misp-category:Network activity`, not `to_ids:false`, a malware family or malware tag | host | malicious-code / c2-server |
//! | misp-payload | `misp-category:Payload delivery`                                  | URL           | malicious-code / malware-distribution|
//! | tag-phishing | a tag containing `phish`                                          | network       | fraud / phishing                     |
//! | tag-c2       | a tag `c2`, `c&c`, `cnc`, `botnet_cc` or containing `command and control` / `command-and-control` | network | malicious-code / c2-server |
//! | tag-scanner  | a tag containing `scanner` or equal to `scan`/`scanning`          | network       | information-gathering / scanner      |
//! | tag-spam     | a tag containing `spam`                                           | network, e-mail | abusive-content / spam             |
//! | tag-bruteforce | a tag containing `brute`                                        | network       | intrusion-attempts / brute-force     |
//! | tag-exploit  | a tag containing `exploit`                                        | network       | intrusion-attempts / exploit         |
//! | tag-sinkhole | a tag containing `sinkhole`                                       | network       | malicious-code / infected-system     |
//! | malware-url  | a malware family or malware tag                                   | URL           | malicious-code / malware-distribution|
//! | malware-host | a malware family or malware tag, not `to_ids:false`               | host          | malicious-code / c2-server           |
//!
//! "network" kinds are IP addresses, networks, domains and URLs; "host" is
//! IP addresses and domains. File hashes, wallets and the like are classified
//! only by an explicit `rsit:` hint: RSIT has no type for a malware sample,
//! and nothing is guessed. Matching of hint and tag text is case-insensitive.
//! `ecsirt:` hints (the older eCSIRT.net taxonomy) are read as the RSIT type
//! with the same meaning where there is one (`ecsirt:malicious-code="c2server"`).

use std::fmt;
use std::str::FromStr;

use pelita_model::IndicatorKind;
use serde::{Deserialize, Serialize};

macro_rules! vocab {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v),* }

        impl $name {
            /// Every value, in vocabulary order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            /// The machinetag value, e.g. `malicious-code`.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),* }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($s => Ok($name::$v),)*
                    other => Err(format!("{other:?} is not in the RSIT vocabulary")),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

vocab! {
    /// An RSIT class (the machinetag's predicates).
    RsitClass {
        /// Abusive content.
        AbusiveContent = "abusive-content",
        /// Malicious code.
        MaliciousCode = "malicious-code",
        /// Information gathering.
        InformationGathering = "information-gathering",
        /// Intrusion attempts.
        IntrusionAttempts = "intrusion-attempts",
        /// Intrusions.
        Intrusions = "intrusions",
        /// Availability.
        Availability = "availability",
        /// Information content security.
        InformationContentSecurity = "information-content-security",
        /// Fraud.
        Fraud = "fraud",
        /// Vulnerable.
        Vulnerable = "vulnerable",
        /// Other.
        Other = "other",
        /// Test.
        Test = "test",
    }
}

vocab! {
    /// An RSIT incident type (the machinetag's values).
    RsitType {
        /// Spam.
        Spam = "spam",
        /// Harmful speech.
        HarmfulSpeech = "harmful-speech",
        /// Violence.
        Violence = "violence",
        /// A system infected with malware.
        InfectedSystem = "infected-system",
        /// A command-and-control server.
        C2Server = "c2-server",
        /// Malware distribution (a download URL, an exploit-kit site).
        MalwareDistribution = "malware-distribution",
        /// Malware configuration.
        MalwareConfiguration = "malware-configuration",
        /// Scanning.
        Scanner = "scanner",
        /// Sniffing.
        Sniffing = "sniffing",
        /// Social engineering.
        SocialEngineering = "social-engineering",
        /// An IDS alert.
        IdsAlert = "ids-alert",
        /// Brute force.
        BruteForce = "brute-force",
        /// Exploitation attempt.
        Exploit = "exploit",
        /// Privileged account compromise.
        PrivilegedAccountCompromise = "privileged-account-compromise",
        /// Unprivileged account compromise.
        UnprivilegedAccountCompromise = "unprivileged-account-compromise",
        /// Application compromise.
        ApplicationCompromise = "application-compromise",
        /// System compromise.
        SystemCompromise = "system-compromise",
        /// Burglary.
        Burglary = "burglary",
        /// Denial of service.
        Dos = "dos",
        /// Distributed denial of service.
        Ddos = "ddos",
        /// Misconfiguration.
        Misconfiguration = "misconfiguration",
        /// Sabotage.
        Sabotage = "sabotage",
        /// Outage.
        Outage = "outage",
        /// Unauthorised information access.
        UnauthorisedInformationAccess = "unauthorised-information-access",
        /// Unauthorised information modification.
        UnauthorisedInformationModification = "unauthorised-information-modification",
        /// Data loss.
        DataLoss = "data-loss",
        /// Data leak.
        DataLeak = "data-leak",
        /// Unauthorised use of resources.
        UnauthorisedUseOfResources = "unauthorised-use-of-resources",
        /// Copyright.
        Copyright = "copyright",
        /// Masquerade.
        Masquerade = "masquerade",
        /// Phishing.
        Phishing = "phishing",
        /// Weak cryptography.
        WeakCrypto = "weak-crypto",
        /// A DDoS amplifier.
        DdosAmplifier = "ddos-amplifier",
        /// A potentially unwanted accessible service.
        PotentiallyUnwantedAccessible = "potentially-unwanted-accessible",
        /// Information disclosure.
        InformationDisclosure = "information-disclosure",
        /// A vulnerable system.
        VulnerableSystem = "vulnerable-system",
        /// Other.
        Other = "other",
        /// Undetermined.
        Undetermined = "undetermined",
        /// Test.
        Test = "test",
    }
}

impl RsitType {
    /// The class the type belongs to.
    pub fn class(self) -> RsitClass {
        use RsitType as T;
        match self {
            T::Spam | T::HarmfulSpeech | T::Violence => RsitClass::AbusiveContent,
            T::InfectedSystem | T::C2Server | T::MalwareDistribution | T::MalwareConfiguration => {
                RsitClass::MaliciousCode
            }
            T::Scanner | T::Sniffing | T::SocialEngineering => RsitClass::InformationGathering,
            T::IdsAlert | T::BruteForce | T::Exploit => RsitClass::IntrusionAttempts,
            T::PrivilegedAccountCompromise
            | T::UnprivilegedAccountCompromise
            | T::ApplicationCompromise
            | T::SystemCompromise
            | T::Burglary => RsitClass::Intrusions,
            T::Dos | T::Ddos | T::Misconfiguration | T::Sabotage | T::Outage => {
                RsitClass::Availability
            }
            T::UnauthorisedInformationAccess
            | T::UnauthorisedInformationModification
            | T::DataLoss
            | T::DataLeak => RsitClass::InformationContentSecurity,
            T::UnauthorisedUseOfResources | T::Copyright | T::Masquerade | T::Phishing => {
                RsitClass::Fraud
            }
            T::WeakCrypto
            | T::DdosAmplifier
            | T::PotentiallyUnwantedAccessible
            | T::InformationDisclosure
            | T::VulnerableSystem => RsitClass::Vulnerable,
            T::Other | T::Undetermined => RsitClass::Other,
            T::Test => RsitClass::Test,
        }
    }

    /// Parses a `class="type"` pair (the machinetag form after `rsit:`);
    /// `None` when the pair is not in the vocabulary or the type is not of the class.
    pub fn from_machinetag(pair: &str) -> Option<RsitType> {
        let (class, ty) = pair.split_once('=')?;
        let class: RsitClass = class.parse().ok()?;
        let ty: RsitType = ty.trim().trim_matches('"').parse().ok()?;
        (ty.class() == class).then_some(ty)
    }
}

/// The RSIT classification of an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// The class.
    pub class: RsitClass,
    /// The type (always of `class`).
    #[serde(rename = "type")]
    pub rsit_type: RsitType,
    /// Which rule decided: `explicit` for an `rsit:`/`ecsirt:` hint, else a rule id from [`RULES`].
    pub rule: &'static str,
}

impl Classification {
    /// A classification from a type.
    pub fn new(rsit_type: RsitType, rule: &'static str) -> Classification {
        Classification {
            class: rsit_type.class(),
            rsit_type,
            rule,
        }
    }

    /// The machinetag, e.g. `rsit:malicious-code="c2-server"`.
    pub fn machinetag(&self) -> String {
        format!("rsit:{}=\"{}\"", self.class, self.rsit_type)
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.class, self.rsit_type)
    }
}

/// Which indicator kinds a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kinds {
    /// IP addresses, networks, domains and URLs.
    Network,
    /// IP addresses, networks and domains.
    Host,
    /// URLs only.
    Url,
    /// Network kinds and e-mail addresses.
    NetworkOrEmail,
}

impl Kinds {
    fn admits(self, k: IndicatorKind) -> bool {
        use IndicatorKind as K;
        let host = matches!(k, K::Ipv4 | K::Ipv6 | K::Cidr | K::Domain);
        match self {
            Kinds::Network => host || k == K::Url,
            Kinds::Host => host,
            Kinds::Url => k == K::Url,
            Kinds::NetworkOrEmail => host || matches!(k, K::Url | K::Email),
        }
    }
}

/// One condition of a rule. Text comparisons are case-insensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    /// A hint equal to one of these.
    HintAny(&'static [&'static str]),
    /// A hint starting with the prefix and containing one of the words after it.
    HintWith(&'static str, &'static [&'static str]),
    /// No hint equal to this.
    NoHint(&'static str),
    /// A tag containing one of these.
    TagContains(&'static [&'static str]),
    /// A tag equal to one of these.
    TagIs(&'static [&'static str]),
    /// A malware family, or a tag or hint naming one (malware galaxies, `malware` tags).
    Malware,
}

/// One classification rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Its id, reported in [`Classification::rule`].
    pub id: &'static str,
    /// Conditions, all of which must hold.
    pub when: &'static [Cond],
    /// Kinds it applies to.
    pub kinds: Kinds,
    /// The result.
    pub then: RsitType,
}

const fn rule(id: &'static str, when: &'static [Cond], kinds: Kinds, then: RsitType) -> Rule {
    Rule {
        id,
        when,
        kinds,
        then,
    }
}

use Cond::{HintAny, HintWith, Malware, NoHint, TagContains, TagIs};
use RsitType as T;

/// The rule table, tried top to bottom after explicit `rsit:` hints (see the module documentation).
pub const RULES: &[Rule] = &[
    rule(
        "feodo",
        &[HintAny(&["feed:feodotracker"])],
        Kinds::Network,
        T::C2Server,
    ),
    rule(
        "urlhaus",
        &[HintAny(&["feed:urlhaus"])],
        Kinds::Network,
        T::MalwareDistribution,
    ),
    rule(
        "phish-feed",
        &[HintAny(&["feed:phishtank", "feed:openphish"])],
        Kinds::Network,
        T::Phishing,
    ),
    rule(
        "threatfox-cc",
        &[HintAny(&["threatfox-threat:botnet_cc"])],
        Kinds::Network,
        T::C2Server,
    ),
    rule(
        "threatfox-dl",
        &[HintAny(&["threatfox-threat:payload_delivery"])],
        Kinds::Network,
        T::MalwareDistribution,
    ),
    rule(
        "ss-sinkhole",
        &[HintWith("shadowserver:", &["sinkhole", "drone", "botnet"])],
        Kinds::Network,
        T::InfectedSystem,
    ),
    rule(
        "ss-compromised",
        &[HintAny(&["shadowserver:compromised_website"])],
        Kinds::Network,
        T::SystemCompromise,
    ),
    rule(
        "ss-phish",
        &[HintAny(&["shadowserver:phish_url"])],
        Kinds::Network,
        T::Phishing,
    ),
    rule(
        "ss-honeypot",
        &[
            HintWith("shadowserver:", &["honeypot"]),
            HintWith("shadowserver:", &["scan"]),
        ],
        Kinds::Network,
        T::Scanner,
    ),
    rule(
        "ss-brute",
        &[HintWith("shadowserver:", &["brute_force", "brute-force"])],
        Kinds::Network,
        T::BruteForce,
    ),
    rule(
        "ss-scanner",
        &[HintWith("shadowserver:", &["scanner"])],
        Kinds::Network,
        T::Scanner,
    ),
    rule(
        "ss-amplifier",
        &[HintWith(
            "shadowserver:",
            &["ddos_amplification", "amplification"],
        )],
        Kinds::Network,
        T::DdosAmplifier,
    ),
    rule(
        "ss-scan",
        &[HintWith("shadowserver:scan_", &[""])],
        Kinds::Network,
        T::VulnerableSystem,
    ),
    rule(
        "stix-compromised",
        &[HintAny(&["stix-indicator-type:compromised"])],
        Kinds::Network,
        T::SystemCompromise,
    ),
    rule(
        "stix-c2",
        &[
            HintAny(&["stix-indicator-type:malicious-activity"]),
            HintAny(&[
                "stix-malware-type:bot",
                "stix-malware-type:remote-access-trojan",
                "stix-malware-type:backdoor",
            ]),
        ],
        Kinds::Host,
        T::C2Server,
    ),
    rule(
        "stix-dropper",
        &[
            HintAny(&["stix-indicator-type:malicious-activity"]),
            HintAny(&[
                "stix-malware-type:dropper",
                "stix-malware-type:downloader",
                "stix-malware-type:exploit-kit",
            ]),
        ],
        Kinds::Url,
        T::MalwareDistribution,
    ),
    rule(
        "misp-c2",
        &[
            HintAny(&["misp-category:network activity"]),
            NoHint("to_ids:false"),
            Malware,
        ],
        Kinds::Host,
        T::C2Server,
    ),
    rule(
        "misp-payload",
        &[HintAny(&["misp-category:payload delivery"])],
        Kinds::Url,
        T::MalwareDistribution,
    ),
    rule(
        "tag-phishing",
        &[TagContains(&["phish"])],
        Kinds::Network,
        T::Phishing,
    ),
    rule(
        "tag-c2",
        &[TagIs(&[
            "c2",
            "c&c",
            "cnc",
            "botnet_cc",
            "c2-server",
            "c2 server",
        ])],
        Kinds::Network,
        T::C2Server,
    ),
    rule(
        "tag-c2-words",
        &[TagContains(&["command and control", "command-and-control"])],
        Kinds::Network,
        T::C2Server,
    ),
    rule(
        "tag-scanner",
        &[TagContains(&["scanner"])],
        Kinds::Network,
        T::Scanner,
    ),
    rule(
        "tag-scan",
        &[TagIs(&["scan", "scanning"])],
        Kinds::Network,
        T::Scanner,
    ),
    rule(
        "tag-spam",
        &[TagContains(&["spam"])],
        Kinds::NetworkOrEmail,
        T::Spam,
    ),
    rule(
        "tag-bruteforce",
        &[TagContains(&["brute"])],
        Kinds::Network,
        T::BruteForce,
    ),
    rule(
        "tag-exploit",
        &[TagContains(&["exploit"])],
        Kinds::Network,
        T::Exploit,
    ),
    rule(
        "tag-sinkhole",
        &[TagContains(&["sinkhole"])],
        Kinds::Network,
        T::InfectedSystem,
    ),
    rule(
        "malware-url",
        &[Malware],
        Kinds::Url,
        T::MalwareDistribution,
    ),
    rule(
        "malware-host",
        &[Malware, NoHint("to_ids:false")],
        Kinds::Host,
        T::C2Server,
    ),
];

/// Galaxy and tag prefixes that name a malware family.
const MALWARE_MARKERS: &[&str] = &[
    "misp-galaxy:malpedia",
    "misp-galaxy:mitre-malware",
    "misp-galaxy:ransomware",
    "misp-galaxy:rat",
    "misp-galaxy:banker",
    "misp-galaxy:botnet",
    "misp-galaxy:stealer",
    "misp-galaxy:backdoor",
    "misp-galaxy:android",
    "malware:",
    "malware_family:",
    "malware-family:",
    "malpedia:",
];

fn holds(c: &Cond, hints: &[String], tags: &[String], malware: Option<&str>) -> bool {
    let lower = |s: &String| s.to_ascii_lowercase();
    match c {
        HintAny(vals) => hints
            .iter()
            .any(|h| vals.iter().any(|v| h.eq_ignore_ascii_case(v))),
        HintWith(prefix, words) => hints.iter().map(lower).any(|h| {
            h.strip_prefix(prefix)
                .is_some_and(|rest| words.iter().any(|w| rest.contains(w)))
        }),
        NoHint(v) => !hints.iter().any(|h| h.eq_ignore_ascii_case(v)),
        TagContains(words) => tags
            .iter()
            .map(lower)
            .any(|t| words.iter().any(|w| t.contains(w))),
        TagIs(words) => tags
            .iter()
            .any(|t| words.iter().any(|w| t.trim().eq_ignore_ascii_case(w))),
        Malware => {
            malware.is_some_and(|m| !m.trim().is_empty())
                || tags
                    .iter()
                    .chain(hints)
                    .map(lower)
                    .any(|t| t == "malware" || MALWARE_MARKERS.iter().any(|m| t.starts_with(m)))
        }
    }
}

/// eCSIRT.net taxonomy values with an RSIT equivalent.
fn ecsirt(pair: &str) -> Option<RsitType> {
    let (_, ty) = pair.split_once('=')?;
    Some(
        match ty.trim().trim_matches('"').to_ascii_lowercase().as_str() {
            "c2server" | "c&c" => T::C2Server,
            "malware-distribution" => T::MalwareDistribution,
            "botnet-drone" | "infected-system" => T::InfectedSystem,
            "phishing" => T::Phishing,
            "scanner" => T::Scanner,
            "spam" => T::Spam,
            "brute-force" => T::BruteForce,
            "exploit" => T::Exploit,
            "compromised" | "system-compromise" => T::SystemCompromise,
            "vulnerable-service" | "vulnerable-system" => T::VulnerableSystem,
            "ddos-amplifier" => T::DdosAmplifier,
            "ddos" => T::Ddos,
            "dos" => T::Dos,
            _ => return None,
        },
    )
}

/// Classifies an indicator (see the module documentation for the rules).
pub fn classify(
    kind: IndicatorKind,
    hints: &[String],
    tags: &[String],
    malware: Option<&str>,
) -> Option<Classification> {
    let explicit = hints.iter().chain(tags).find_map(|h| {
        let h = h.trim();
        let lower = h.to_ascii_lowercase();
        if lower.starts_with("rsit:") {
            h.get(5..).and_then(RsitType::from_machinetag)
        } else if lower.starts_with("ecsirt:") {
            h.get(7..).and_then(ecsirt)
        } else {
            None
        }
    });
    if let Some(t) = explicit {
        return Some(Classification::new(t, "explicit"));
    }
    RULES
        .iter()
        .find(|r| r.kinds.admits(kind) && r.when.iter().all(|c| holds(c, hints, tags, malware)))
        .map(|r| Classification::new(r.then, r.id))
}
