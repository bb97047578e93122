//! The rule file's schema (TOML): what a user writes, checked value by value so that an
//! error names the key and the line.

use std::num::NonZeroUsize;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::time::Span;

/// The built-in rule, the seed's values, as the text `foothold rule` prints.
pub const DEFAULT_RULE_TOML: &str = include_str!("default.toml");

/// The largest sample cap a rule may ask for: samples are kept in memory per alert row.
pub const MAX_SAMPLE_CAP: usize = 10_000;

/// A whole rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub metadata: Metadata,
    pub correlation: Correlation,
    pub parent: ParentFilter,
    pub drop: DropFilter,
    pub summary: SummaryCaps,
}

/// `[metadata]`: what the detection is, for people and for alert consumers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    pub title: String,
    pub status: String,
    pub techniques: Vec<Technique>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub last_updated: String,
    pub severity: String,
    pub confidence: String,
    #[serde(default)]
    pub notes: String,
}

/// One MITRE ATT&CK technique.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Technique {
    pub id: String,
    pub name: String,
}

/// `[correlation]`: the join window and the summary bin.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correlation {
    #[serde(deserialize_with = "positive_span")]
    pub window: Span,
    #[serde(deserialize_with = "positive_span")]
    pub bin: Span,
}

/// `[parent]`: which process starts count as children of a user-writable parent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentFilter {
    #[serde(deserialize_with = "needles")]
    pub user_writable_terms: Vec<String>,
    #[serde(deserialize_with = "needles")]
    pub excluded_terms: Vec<String>,
    #[serde(deserialize_with = "needles")]
    pub excluded_substrings: Vec<String>,
    #[serde(deserialize_with = "needles")]
    pub excluded_names: Vec<String>,
    /// Checked by [`RuleFile::check`], which needs each entry's position.
    pub allowlist: Vec<Spanned<String>>,
}

/// `[drop]`: which file creates count as payload staging.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropFilter {
    #[serde(deserialize_with = "needles")]
    pub directories: Vec<String>,
    #[serde(deserialize_with = "needles")]
    pub excluded_substrings: Vec<String>,
    #[serde(deserialize_with = "regex_text")]
    pub owner_file_regex: String,
    #[serde(deserialize_with = "extension_regex")]
    pub extension_regex: String,
}

/// `[summary]`: the `make_set` caps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryCaps {
    #[serde(deserialize_with = "sample_cap")]
    pub max_sample_targets: usize,
    #[serde(deserialize_with = "sample_cap")]
    pub max_sample_exts: usize,
}

fn positive_span<'de, D: Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
    let text = String::deserialize(d)?;
    let span = Span::parse(&text).map_err(serde::de::Error::custom)?;
    if span.ticks() == 0 {
        return Err(serde::de::Error::custom(format!(
            "{text:?} must be longer than zero"
        )));
    }
    Ok(span)
}

fn needles<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let list = Vec::<String>::deserialize(d)?;
    if list.iter().any(String::is_empty) {
        return Err(serde::de::Error::custom(
            "an empty string would match everything; remove it",
        ));
    }
    Ok(list)
}

impl RuleFile {
    /// Checks what serde cannot check value by value: allowlist entries, which are compared
    /// with the lowercased path and so must be lowercase. `text` is the file, for line numbers.
    pub fn check(&self, text: &str) -> Result<(), String> {
        for entry in &self.parent.allowlist {
            let path = entry.get_ref();
            let why = if path.is_empty() {
                "an empty path can never be a parent; remove it".to_string()
            } else if super::text::kql_lower(path) != *path {
                format!(
                    "{path:?} has capitals: entries are compared with the lowercased path \
                     (KQL `!in` is case-sensitive), so it could never match; write it in lowercase"
                )
            } else {
                continue;
            };
            let line = text[..entry.span().start.min(text.len())]
                .lines()
                .count()
                .max(1);
            return Err(format!("line {line}, key parent.allowlist: {why}"));
        }
        Ok(())
    }
}

fn regex_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    regex::Regex::new(&text).map_err(|e| serde::de::Error::custom(format!("bad regex: {e}")))?;
    Ok(text)
}

fn extension_regex<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    let re = regex::Regex::new(&text)
        .map_err(|e| serde::de::Error::custom(format!("bad regex: {e}")))?;
    if re.captures_len() < 2 {
        return Err(serde::de::Error::custom(
            "needs a capture group: the extension is group 1, as in KQL's extract(re, 1, tgt)",
        ));
    }
    Ok(text)
}

fn sample_cap<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let cap = NonZeroUsize::deserialize(d)?.get();
    if cap > MAX_SAMPLE_CAP {
        return Err(serde::de::Error::custom(format!(
            "{cap} is more than the largest cap, {MAX_SAMPLE_CAP}"
        )));
    }
    Ok(cap)
}
