//! The rule: the seed's predicates and allowlists, compiled from a rule file, deciding which
//! process starts and file creates the correlation keeps.

mod file;
mod projection;
pub mod text;

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use regex::Regex;

pub use file::{DEFAULT_RULE_TOML, MAX_SAMPLE_CAP, Metadata, RuleFile, Technique};
pub use projection::{Drop, Kept, Parent};

use crate::event::{Event, FileCreate, ProcessCreate};
use crate::time::Span;
use text::{SubstringSet, TermSet, kql_lower};

/// A rule that could not be loaded: where, and why.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("cannot read rule file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// The TOML parser's message names the line, the column and the key.
    #[error("rule file {origin}: {message}")]
    Invalid { origin: String, message: String },
}

/// The compiled detection.
#[derive(Clone)]
pub struct Rule {
    source: RuleFile,
    user_writable_terms: TermSet,
    excluded_terms: TermSet,
    parent_excluded_substrings: SubstringSet,
    excluded_names: Vec<String>,
    allowlist: HashSet<String>,
    drop_directories: SubstringSet,
    drop_excluded_substrings: SubstringSet,
    owner_file: Regex,
    extension: Regex,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("title", &self.source.metadata.title)
            .finish_non_exhaustive()
    }
}

impl Default for Rule {
    /// The seed rule, lab allowlist included.
    fn default() -> Rule {
        // The built-in text is tested to load; failing here would be a build defect.
        Rule::from_toml(DEFAULT_RULE_TOML, "(built-in)").expect("the built-in rule loads")
    }
}

impl Rule {
    /// Loads a rule file from disk.
    pub fn from_path(path: &Path) -> Result<Rule, RuleError> {
        let text = std::fs::read_to_string(path).map_err(|source| RuleError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Rule::from_toml(&text, &path.display().to_string())
    }

    /// Loads a rule from TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Rule, RuleError> {
        let invalid = |message: String| RuleError::Invalid {
            origin: origin.to_string(),
            message,
        };
        let source: RuleFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        source.check(text).map_err(invalid)?;
        let terms = |list: &[String]| TermSet::new(list).map_err(|e| invalid(e.to_string()));
        let substrings =
            |list: &[String]| SubstringSet::new(list).map_err(|e| invalid(e.to_string()));
        let regex = |text: &str| Regex::new(text).map_err(|e| invalid(e.to_string()));
        let parent = &source.parent;
        let drop = &source.drop;
        Ok(Rule {
            user_writable_terms: terms(&parent.user_writable_terms)?,
            excluded_terms: terms(&parent.excluded_terms)?,
            parent_excluded_substrings: substrings(&parent.excluded_substrings)?,
            excluded_names: parent.excluded_names.iter().map(|n| kql_lower(n)).collect(),
            allowlist: parent
                .allowlist
                .iter()
                .map(|p| p.get_ref().clone())
                .collect(),
            drop_directories: substrings(&drop.directories)?,
            drop_excluded_substrings: substrings(&drop.excluded_substrings)?,
            owner_file: regex(&drop.owner_file_regex)?,
            extension: regex(&drop.extension_regex)?,
            source,
        })
    }

    /// The rule file's `[metadata]`.
    pub fn metadata(&self) -> &Metadata {
        &self.source.metadata
    }

    /// `window`: how long after its start a process's drops count.
    pub fn window(&self) -> Span {
        self.source.correlation.window
    }

    /// The width of the summary's `bin(file_time, ...)`.
    pub fn bin(&self) -> Span {
        self.source.correlation.bin
    }

    /// The `make_set(target_filename, N)` cap.
    pub fn max_sample_targets(&self) -> usize {
        self.source.summary.max_sample_targets
    }

    /// The `make_set(file_ext, N)` cap.
    pub fn max_sample_exts(&self) -> usize {
        self.source.summary.max_sample_exts
    }

    /// The row this event adds to either side, if it passes that side's filters.
    pub fn keep(&self, event: &Event<'_>) -> Option<Kept> {
        match event {
            Event::ProcessCreate(start) => self.parent(start).map(Kept::Parent),
            Event::FileCreate(create) => self.drop(create).map(Kept::Drop),
            Event::Other { .. } | Event::NotSysmon { .. } => None,
        }
    }

    /// The `parents` side: the start projected as the KQL does, or `None` if filtered out.
    pub fn parent(&self, start: &ProcessCreate<'_>) -> Option<Parent> {
        let parent_path = kql_lower(&start.parent_process_path);
        if !self.parent_path_qualifies(&parent_path) {
            return None;
        }
        let parent_name = kql_lower(&start.parent_process_name);
        if self.excluded_names.contains(&parent_name) {
            return None;
        }
        Some(Parent {
            time: start.time,
            computer: start.computer.as_ref().into(),
            process_id: start.process_id.get(),
            process_guid: start.process_guid.as_ref().into(),
            process_path: kql_lower(&start.process_path).into(),
            command_line: start.command_line.as_ref().into(),
            parent_process_id: start.parent_process_id.get(),
            parent_process_path: parent_path.into(),
            parent_process_name: start.parent_process_name.as_ref().into(),
            parent_command_line: start.parent_command_line.as_ref().into(),
            user_name: start.user_name.as_ref().into(),
        })
    }

    /// The path predicates of `parents`, on the lowercased parent path.
    fn parent_path_qualifies(&self, parent_path: &str) -> bool {
        !parent_path.is_empty()
            && self.user_writable_terms.any_in(parent_path)
            && !self.excluded_terms.any_in(parent_path)
            && !self.parent_excluded_substrings.any_in(parent_path)
            && !self.allowlist.contains(parent_path)
    }

    /// The `drops` side: the file create projected as the KQL does, or `None` if filtered
    /// out.
    pub fn drop(&self, create: &FileCreate<'_>) -> Option<Drop> {
        let target = kql_lower(&create.target_filename);
        if !self.drop_directories.any_in(&target)
            || self.drop_excluded_substrings.any_in(&target)
            || self.owner_file.is_match(&target)
        {
            return None;
        }
        let file_ext: Arc<str> = if create.file_ext.is_empty() {
            self.extension
                .captures(&target)
                .and_then(|c| c.get(1))
                .map_or("", |m| m.as_str())
                .into()
        } else {
            create.file_ext.as_ref().into()
        };
        Some(Drop {
            time: create.time,
            computer: create.computer.as_ref().into(),
            process_id: create.process_id.get(),
            process_guid: create.process_guid.as_ref().into(),
            target_filename: target.into(),
            file_ext,
        })
    }
}

#[cfg(test)]
mod tests;
