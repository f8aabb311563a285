//! Recommended actions, generated from the data by the rules in
//! `rules/actions.toml` (embedded in the binary; the file's header explains
//! the conditions, the grouping and the placeholders).

use std::collections::BTreeMap;

use pelita_enrich::SiteVerdict;
use pelita_model::IndicatorKind;
use serde::{Deserialize, Serialize};

use crate::{IndicatorRow, ReportError};

/// The shipped rules.
pub const RULES_TOML: &str = include_str!("../rules/actions.toml");

/// How a rule's matching indicators become actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupBy {
    /// One action per network; indicators without a known ASN are left out.
    Asn,
    /// One action per registrable domain; indicators without one are left out.
    Site,
    /// One action for all.
    None,
}

/// One rule of `rules/actions.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A stable identifier.
    pub id: String,
    /// The action's title.
    pub title: String,
    /// RSIT `class/type`s (or `class/*`), any of which must match.
    #[serde(default)]
    pub classifications: Vec<String>,
    /// Indicator kinds, any of which must match.
    #[serde(default)]
    pub kinds: Vec<IndicatorKind>,
    /// Whether the indicator must (or must not) be under a government or military suffix.
    pub government: Option<bool>,
    /// Whether the indicator must (or must not) be on a compromised legitimate site.
    pub compromised: Option<bool>,
    /// The compromised-site verdict required.
    pub site_verdict: Option<SiteVerdict>,
    /// How matches are grouped into actions.
    pub group_by: GroupBy,
    /// Who the action goes to (templates).
    pub recipients: Vec<String>,
    /// What to do (template).
    pub text: String,
}

/// A recommended action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    /// Stable identifier, `rule:country:group` (`c2-takedown:SG:AS64500`,
    /// `website-compromised:MY:shop.example.my`, `phishing-blocklists:TH:all`):
    /// the same action in next week's report has the same id, so its status
    /// carries over.
    pub id: String,
    /// Where it stands, when an operation report records it (`None`: open).
    pub state: Option<pelita_store::ActionState>,
    /// The rule that produced it.
    pub rule: String,
    /// Title.
    pub title: String,
    /// What to do, in words.
    pub text: String,
    /// Who to send it to.
    pub recipients: Vec<String>,
    /// The keys of the indicators it covers, by key.
    pub indicators: Vec<String>,
    /// The same indicators, defanged, for rendering.
    pub defanged: Vec<String>,
}

const PLACEHOLDERS: [&str; 5] = ["asn", "as_name", "site", "country", "count"];

/// Checks that every `{…}` in a template is a known placeholder.
fn check_template(rule: &str, template: &str) -> Result<(), ReportError> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open + 1..).unwrap_or_default();
        let Some(close) = after.find('}') else {
            return Err(ReportError::Rules(format!(
                "rule {rule}: unclosed `{{` in {template:?}"
            )));
        };
        let name = after.get(..close).unwrap_or_default();
        if !PLACEHOLDERS.contains(&name) {
            return Err(ReportError::Rules(format!(
                "rule {rule}: unknown placeholder {{{name}}} (known: {})",
                PLACEHOLDERS.join(", ")
            )));
        }
        rest = after.get(close + 1..).unwrap_or_default();
    }
    Ok(())
}

/// Parses and checks rules written in the format of `rules/actions.toml`.
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, ReportError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        rule: Vec<Rule>,
    }
    let file: File = toml::from_str(text).map_err(|e| ReportError::Rules(e.to_string()))?;
    let mut ids = std::collections::BTreeSet::new();
    for r in &file.rule {
        if !ids.insert(r.id.as_str()) {
            return Err(ReportError::Rules(format!("duplicate rule id {}", r.id)));
        }
        for c in &r.classifications {
            let ok = match c.split_once('/') {
                Some((class, "*")) => class.parse::<pelita_enrich::RsitClass>().is_ok(),
                Some(_) => {
                    pelita_enrich::RsitType::from_machinetag(&c.replacen('/', "=", 1)).is_some()
                }
                None => false,
            };
            if !ok {
                return Err(ReportError::Rules(format!(
                    "rule {}: {c:?} is not an RSIT class/type or class/*",
                    r.id
                )));
            }
        }
        for t in r.recipients.iter().chain(std::iter::once(&r.text)) {
            check_template(&r.id, t)?;
        }
    }
    Ok(file.rule)
}

/// The shipped rules.
pub fn rules() -> Result<Vec<Rule>, ReportError> {
    parse_rules(RULES_TOML)
}

/// The shipped rules, parsed once per process (every country report uses them).
pub(crate) fn shipped() -> Result<&'static [Rule], ReportError> {
    static RULES: std::sync::OnceLock<Result<Vec<Rule>, String>> = std::sync::OnceLock::new();
    match RULES.get_or_init(|| {
        parse_rules(RULES_TOML).map_err(|e| match e {
            ReportError::Rules(m) => m,
            other => other.to_string(),
        })
    }) {
        Ok(r) => Ok(r),
        Err(m) => Err(ReportError::Rules(m.clone())),
    }
}

/// Whether `classification` (`class/type`) is `pattern`, or is in its
/// class when `pattern` is `class/*`. Byte comparisons only: every rule is
/// tried on every row of a report.
fn classification_matches(pattern: &str, classification: &str) -> bool {
    match pattern.strip_suffix("/*") {
        Some(class) => {
            classification.as_bytes().get(class.len()) == Some(&b'/')
                && classification.starts_with(class)
        }
        None => pattern == classification,
    }
}

impl Rule {
    /// Whether an indicator matches every condition of the rule (the
    /// cheap ones first, the classification strings last).
    pub fn matches(&self, row: &IndicatorRow) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&row.kind))
            && self.compromised.is_none_or(|c| c == row.compromised)
            && self
                .site_verdict
                .is_none_or(|v| row.site_verdict == Some(v))
            && self.government.is_none_or(|g| g == row.is_government())
            && (self.classifications.is_empty()
                || self.classifications.iter().any(|p| {
                    row.classifications
                        .iter()
                        .any(|c| classification_matches(p, c))
                }))
    }
}

fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in vars {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The actions `rules` recommend for the indicators `rows` of a report on `country`.
pub fn recommend(
    rules: &[Rule],
    rows: &[&IndicatorRow],
    country: &str,
) -> Result<Vec<Action>, ReportError> {
    /// What a rule's matches are grouped by: one kind per rule, in the
    /// order the actions are listed (networks by number, sites by name).
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum GroupKey<'r> {
        Asn(u32),
        Site(&'r str),
        All,
    }
    let mut actions = Vec::new();
    for rule in rules {
        // Group key → (asn, as name, site, rows).
        type Group<'r> = (
            Option<u32>,
            Option<String>,
            Option<String>,
            Vec<&'r IndicatorRow>,
        );
        let mut groups: BTreeMap<GroupKey<'_>, Group<'_>> = BTreeMap::new();
        for &r in rows.iter().filter(|r| rule.matches(r)) {
            let key = match rule.group_by {
                GroupBy::Asn => match r.asn {
                    Some(a) => GroupKey::Asn(a),
                    None => continue,
                },
                GroupBy::Site => match &r.site {
                    Some(s) => GroupKey::Site(s),
                    None => continue,
                },
                GroupBy::None => GroupKey::All,
            };
            let g = groups
                .entry(key)
                .or_insert_with(|| (r.asn, r.as_name.clone(), r.site.clone(), Vec::new()));
            g.3.push(r);
        }
        for (group, (asn, as_name, site, mut covered)) in groups {
            let group = match group {
                GroupKey::Asn(a) => format!("AS{a}"),
                GroupKey::Site(s) => s.to_owned(),
                GroupKey::All => "all".to_owned(),
            };
            covered.sort_by(|a, b| a.key.cmp(&b.key));
            covered.dedup_by(|a, b| a.key == b.key);
            let vars = [
                (
                    "asn",
                    asn.map_or_else(|| "the network".to_owned(), |a| format!("AS{a}")),
                ),
                (
                    "as_name",
                    as_name.unwrap_or_else(|| "name unknown".to_owned()),
                ),
                (
                    "site",
                    site.map_or_else(
                        || "the site".to_owned(),
                        |s| pelita_model::defang_value(IndicatorKind::Domain, &s),
                    ),
                ),
                ("country", country.to_owned()),
                ("count", covered.len().to_string()),
            ];
            actions.push(Action {
                id: format!("{}:{country}:{group}", rule.id),
                state: None,
                rule: rule.id.clone(),
                title: rule.title.clone(),
                text: fill(&rule.text, &vars),
                recipients: rule.recipients.iter().map(|t| fill(t, &vars)).collect(),
                indicators: covered.iter().map(|r| r.key.clone()).collect(),
                defanged: covered.iter().map(|r| r.defanged.clone()).collect(),
            });
        }
    }
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use super::classification_matches;

    #[test]
    fn a_class_pattern_matches_its_types_only() {
        let m = classification_matches;
        assert!(m("malicious-code/*", "malicious-code/c2-server"));
        assert!(!m("malicious-code/*", "malicious-code"));
        assert!(!m("malicious-code/*", "malicious-code-x/c2-server"));
        assert!(!m("malicious-code/*", "fraud/phishing"));
        assert!(!m("fraud/*", "fra/phishing"));
        assert!(m("fraud/phishing", "fraud/phishing"));
        assert!(!m("fraud/phishing", "fraud/phishing-x"));
        assert!(!m("fraud/phishing", "fraud/*"));
    }
}
