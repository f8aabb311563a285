//! The entities of the scenario and their attributes, each a pure function
//! of the seed, the scale and the entity's coordinates (country, index).
//!
//! Nothing here allocates per scenario: counts are arithmetic, values and
//! reporters are computed on demand, so packages can be generated lazily
//! and [`crate::Truth`] needs no generation at all.

use std::net::IpAddr;

use pelita_model::Tlp;
use time::{Duration, OffsetDateTime};

use crate::region::{self, BENCHMARK_MAX_SCALE, PHONE_BLOCKS};
use crate::rng::{SplitMix64, mix};

/// IPv4 C2 servers per country at scale 1.
const C2_V4_BASE: [u64; 8] = [1400, 1200, 1300, 1100, 1000, 1100, 900, 968];
/// IPv6 C2 servers per country at scale 1.
const C2_V6_BASE: u64 = 4;
/// Infected IoT devices per country at scale 1.
const IOT_BASE: [u64; 8] = [120, 110, 130, 100, 90, 110, 70, 70];
/// Attacker-owned phishing domains per country at scale 1.
const PHISH_BASE: u64 = 30;
/// Government portals per country (fixed).
pub(crate) const GOV_SITES: u64 = 5;
/// Compromised education sites per country at scale 1.
const EDU_BASE: u64 = 5;
/// Compromised commercial sites per country at scale 1.
const COM_BASE: u64 = 20;
/// Most malicious URLs on one compromised site.
pub(crate) const MAX_SITE_URLS: u64 = 6;
/// Most URLs on one phishing domain.
pub(crate) const MAX_PHISH_URLS: u64 = 2;
/// Scam phone numbers per country at scale 1 (capped at 1000).
const PHONE_BASE: u64 = 40;
/// Scam e-mail addresses per country at scale 1.
const EMAIL_BASE: u64 = 25;
/// Wallets per country (fixed).
pub(crate) const WALLETS: u64 = 3;

/// Fictional malware families: name, STIX malware types, Malpedia-style id.
pub(crate) const FAMILIES: [(&str, &str, &str); 5] = [
    ("DemoBot", "bot", "elf.demobot"),
    ("SyntheticRAT", "remote-access-trojan", "win.syntheticrat"),
    ("MockLoader", "bot", "win.mockloader"),
    ("FauxBackdoor", "backdoor", "win.fauxbackdoor"),
    ("PlaceholderStealer", "bot", "win.placeholderstealer"),
];

/// Entity kinds, also used as hash tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    C2 = 1,
    Iot = 2,
    Site = 3,
    Phish = 4,
    Phone = 5,
    Email = 6,
    Wallet = 7,
}

/// Reporter slots (bit numbers in a reporter mask).
pub(crate) mod rep {
    /// The country's CERT.
    pub const CERT: u8 = 1 << 0;
    /// The country's police unit.
    pub const POLICE: u8 = 1 << 1;
    /// firm-alpha (Feodo Tracker CSV).
    pub const ALPHA: u8 = 1 << 2;
    /// firm-bravo (ThreatFox CSV).
    pub const BRAVO: u8 = 1 << 3;
    /// firm-echo (STIX).
    pub const ECHO: u8 = 1 << 4;
    /// firm-foxtrot (MISP).
    pub const FOXTROT: u8 = 1 << 5;
    /// firm-golf (list).
    pub const GOLF: u8 = 1 << 6;
    /// firm-charlie (URLhaus CSV).
    pub const CHARLIE: u8 = 1 << 7;
}

/// The scenario parameters every computation needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct World {
    pub seed: u64,
    pub scale: u64,
    pub now: OffsetDateTime,
}

fn base(a: &[u64; 8], c: usize) -> u64 {
    a.get(c).copied().unwrap_or(0)
}

impl World {
    pub fn rng(&self, kind: Kind, c: usize, i: u64, salt: u64) -> SplitMix64 {
        mix(self.seed, &[kind as u64, c as u64, i, salt])
    }

    pub fn benchmark(&self) -> bool {
        self.scale <= u64::from(BENCHMARK_MAX_SCALE)
    }

    // ---- counts ----
    pub fn c2_v4(&self, c: usize) -> u64 {
        base(&C2_V4_BASE, c) * self.scale
    }
    pub fn c2_v6(&self) -> u64 {
        C2_V6_BASE * self.scale
    }
    pub fn c2s(&self, c: usize) -> u64 {
        self.c2_v4(c) + self.c2_v6()
    }
    pub fn iot(&self, c: usize) -> u64 {
        base(&IOT_BASE, c) * self.scale
    }
    pub fn phish_domains(&self) -> u64 {
        PHISH_BASE * self.scale
    }
    pub fn sites(&self) -> u64 {
        GOV_SITES + (EDU_BASE + COM_BASE) * self.scale
    }
    pub fn phones(&self) -> u64 {
        (PHONE_BASE * self.scale).min(1000)
    }
    pub fn emails(&self) -> u64 {
        EMAIL_BASE * self.scale
    }

    // ---- C2 servers ----
    pub fn c2_ip(&self, c: usize, i: u64) -> IpAddr {
        if i < self.c2_v4(c) {
            let half = usize::from(i % 2 == 1);
            IpAddr::V4(region::host(c, half, i / 2, self.benchmark()))
        } else {
            IpAddr::V6(region::host6(c, i - self.c2_v4(c) + 1))
        }
    }
    pub fn c2_family(&self, c: usize, i: u64) -> (&'static str, &'static str, &'static str) {
        let k = self.rng(Kind::C2, c, i, 1).below(FAMILIES.len() as u64);
        FAMILIES
            .get(usize::try_from(k).unwrap_or(0))
            .copied()
            .unwrap_or(("DemoBot", "bot", "elf.demobot"))
    }
    pub fn c2_port(&self, c: usize, i: u64) -> u16 {
        const PORTS: [u16; 7] = [443, 8080, 447, 4443, 8443, 2222, 80];
        let k = self.rng(Kind::C2, c, i, 2).below(PORTS.len() as u64);
        PORTS
            .get(usize::try_from(k).unwrap_or(0))
            .copied()
            .unwrap_or(443)
    }
    /// Who reports C2 `i`: one to four partners.
    pub fn c2_reporters(&self, c: usize, i: u64) -> u8 {
        let mut r = self.rng(Kind::C2, c, i, 3);
        let roll = r.below(100);
        let k = match roll {
            0..50 => 1,
            50..80 => 2,
            80..95 => 3,
            _ => 4,
        };
        let v4 = [
            rep::CERT,
            rep::POLICE,
            rep::ALPHA,
            rep::BRAVO,
            rep::ECHO,
            rep::FOXTROT,
            rep::GOLF,
        ];
        let v6 = [rep::CERT, rep::POLICE, rep::ECHO, rep::FOXTROT, 0, 0, 0];
        let (mut pool, mut len) = if i < self.c2_v4(c) { (v4, 7) } else { (v6, 4) };
        let mut mask = 0;
        for _ in 0..k {
            // A partial Fisher-Yates shuffle: draw without replacement.
            let j = usize::try_from(r.below(len as u64)).unwrap_or(0);
            mask |= pool.get(j).copied().unwrap_or(0);
            len -= 1;
            pool.swap(j.min(len), len);
        }
        mask
    }

    // ---- IoT victims ----
    pub fn iot_ip(&self, c: usize, j: u64) -> IpAddr {
        let half = usize::from(j % 2 == 1);
        let top = region::slots_per_network(self.benchmark()) - 1;
        IpAddr::V4(region::host(c, half, top - j / 2, self.benchmark()))
    }

    // ---- compromised sites ----
    pub fn site_is_gov(&self, s: u64) -> bool {
        s < GOV_SITES
    }
    pub fn site_name(&self, c: usize, s: u64) -> String {
        const GOV: [&str; 5] = ["moh", "moe", "mof", "customs", "immigration"];
        const EDU: [&str; 5] = [
            "national-univ",
            "tech-poly",
            "city-college",
            "science-institute",
            "arts-academy",
        ];
        const COM: [&str; 20] = [
            "shop-kita",
            "travel-deals",
            "kopi-house",
            "auto-parts",
            "home-decor",
            "news-daily",
            "bike-rental",
            "food-corner",
            "tech-store",
            "book-nook",
            "garden-care",
            "pet-world",
            "music-hall",
            "photo-studio",
            "fitness-hub",
            "hotel-stay",
            "clinic-care",
            "law-office",
            "print-shop",
            "toy-land",
        ];
        let cc = region::lc(c);
        let pick = |words: &[&'static str], k: u64| {
            let n = words.len() as u64;
            let w = words
                .get(usize::try_from(k % n).unwrap_or(0))
                .copied()
                .unwrap_or("site");
            if k < n {
                w.to_owned()
            } else {
                format!("{w}-{}", k / n)
            }
        };
        if s < GOV_SITES {
            format!("{}.gov.{cc}.test", pick(&GOV, s))
        } else if s < GOV_SITES + EDU_BASE * self.scale {
            format!("{}.edu.{cc}.test", pick(&EDU, s - GOV_SITES))
        } else {
            format!(
                "{}.com.{cc}.test",
                pick(&COM, s - GOV_SITES - EDU_BASE * self.scale)
            )
        }
    }
    pub fn site_urls(&self, c: usize, s: u64) -> u64 {
        2 + self.rng(Kind::Site, c, s, 1).below(MAX_SITE_URLS - 1)
    }
    pub fn site_url(&self, c: usize, s: u64, u: u64) -> String {
        const PATHS: [&str; 6] = [
            "/wp-content/uploads/x.php",
            "/wp-includes/css/load.php",
            "/images/banner/inv.zip",
            "/tmp/upd.exe",
            "/wp-admin/includes/doc.php",
            "/cgi-bin/s.sh",
        ];
        let path = PATHS
            .get(usize::try_from(u).unwrap_or(0))
            .copied()
            .unwrap_or("/x");
        let www = if u.is_multiple_of(2) { "" } else { "www." };
        format!("http://{www}{}{path}", self.site_name(c, s))
    }
    /// Partners reporting the site (URLhaus always).
    pub fn site_reporters(&self, c: usize, s: u64) -> u8 {
        let mut r = self.rng(Kind::Site, c, s, 2);
        let mut m = rep::CHARLIE;
        if r.below(10) < 6 {
            m |= rep::CERT;
        }
        if r.below(10) < 4 {
            m |= rep::ECHO;
        }
        if r.below(10) < 2 {
            m |= rep::BRAVO;
        }
        m
    }
    /// Whether the site was first seen long ago (up to two years).
    pub fn site_old(&self, c: usize, s: u64) -> bool {
        self.site_is_gov(s) || self.rng(Kind::Site, c, s, 3).below(4) == 0
    }

    // ---- phishing ----
    pub fn phish_domain(&self, c: usize, d: u64) -> String {
        const WORDS: [&str; 6] = [
            "secure-login-update",
            "account-verify",
            "bank-alert",
            "parcel-redelivery",
            "tax-refund",
            "wallet-recovery",
        ];
        let n = WORDS.len() as u64;
        let w = WORDS
            .get(usize::try_from(d % n).unwrap_or(0))
            .copied()
            .unwrap_or("login");
        let cc = region::lc(c);
        if d < n {
            format!("{w}.com.{cc}.test")
        } else {
            format!("{w}-{}.com.{cc}.test", d / n)
        }
    }
    pub fn phish_urls(&self, c: usize, d: u64) -> u64 {
        1 + self.rng(Kind::Phish, c, d, 1).below(MAX_PHISH_URLS)
    }
    pub fn phish_url(&self, c: usize, d: u64, u: u64) -> String {
        let path = if u == 0 {
            "/login"
        } else {
            "/verify/account.php"
        };
        format!("https://{}{path}", self.phish_domain(c, d))
    }
    pub fn phish_reporters(&self, c: usize, d: u64) -> u8 {
        let mut r = self.rng(Kind::Phish, c, d, 2);
        let mut m = rep::ECHO;
        if r.below(2) == 0 {
            m |= rep::CERT;
        }
        if r.below(10) < 3 {
            m |= rep::POLICE;
        }
        if r.below(10) < 3 {
            m |= rep::FOXTROT;
        }
        m
    }

    // ---- fraud ----
    pub fn phone(&self, c: usize, j: u64) -> String {
        let block = PHONE_BLOCKS.get(c).copied().unwrap_or("+442079460");
        let offset = self.rng(Kind::Phone, c, 0, 0).below(1000);
        format!("{block}{:03}", (j * 373 + offset) % 1000)
    }
    pub fn email(&self, c: usize, e: u64) -> String {
        const LOCAL: [&str; 5] = ["support", "security", "refund", "admin", "noreply"];
        let l = LOCAL
            .get(usize::try_from(e % 5).unwrap_or(0))
            .copied()
            .unwrap_or("info");
        format!("{l}@{}", self.phish_domain(c, e / 5))
    }
    /// firm-golf's list repeats some phones and e-mails.
    pub fn golf_lists(&self, kind: Kind, c: usize, i: u64) -> bool {
        self.rng(kind, c, i, 9).below(10) < 4
    }
    pub fn wallet(&self, c: usize, w: u64) -> String {
        let mut r = self.rng(Kind::Wallet, c, w, 0);
        let mut program = [0u8; 20];
        for chunk in program.chunks_mut(8) {
            let bytes = r.next_u64().to_be_bytes();
            for (d, s) in chunk.iter_mut().zip(bytes) {
                *d = s;
            }
        }
        bech32::segwit::encode_v0(bech32::hrp::TB, &program).unwrap_or_default()
    }

    // ---- times and markings ----
    /// First and last seen: within the 90 days before now, or (`old`) a
    /// first sighting up to two years back.
    pub fn seen(
        &self,
        kind: Kind,
        c: usize,
        i: u64,
        old: bool,
    ) -> (OffsetDateTime, OffsetDateTime) {
        let mut r = self.rng(kind, c, i, 7);
        let span = if old { 730 * 86400 } else { 89 * 86400 };
        let back = 86400 + r.below(span);
        let first = self.now - Duration::seconds(i64::try_from(back).unwrap_or(0));
        let later = r.below(back.saturating_sub(3600).max(1));
        let last = first + Duration::seconds(i64::try_from(later).unwrap_or(0));
        (first, last)
    }
    /// The marking one partner (kind by `slot`) gives an entity.
    pub fn tlp(&self, kind: Kind, c: usize, i: u64, slot: u8) -> Tlp {
        let roll = self.rng(kind, c, i, 100 + u64::from(slot)).below(100);
        match slot {
            rep::CERT => match roll {
                0..85 => Tlp::Green,
                85..95 => Tlp::Clear,
                _ => Tlp::Amber,
            },
            rep::POLICE => match roll {
                0..70 => Tlp::Amber,
                70..80 => Tlp::Red,
                _ => Tlp::Green,
            },
            _ => match roll {
                0..50 => Tlp::Green,
                50..80 => Tlp::Amber,
                80..95 => Tlp::Clear,
                _ => Tlp::Red,
            },
        }
    }
    /// A UUID (version 4 layout) for an object.
    pub fn uuid(&self, parts: &[u64]) -> String {
        let mut r = mix(self.seed ^ 0x0000_5555_4944, parts);
        let a = r.next_u64();
        let b = r.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            8 + ((b >> 62) & 3),
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }
}
