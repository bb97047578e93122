//! KQL's string operators as the rule uses them: `tolower`, `has` (whole terms) and
//! `contains` (substrings), each compiled once for a list of needles.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, BuildError, MatchKind};

/// KQL's `tolower()`: every character mapped on its own by Unicode's lowercase mapping (no
/// context rules such as a final sigma), with a fast path for ASCII.
pub fn kql_lower(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        out.extend(c.to_lowercase());
    }
    out
}

/// True for the characters that make up a KQL term: Unicode letters and digits. Everything
/// else (`_`, punctuation, spaces, `\`) separates terms.
pub fn is_term_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// `haystack has_any (needles)`: true when a needle occurs in the lowercased haystack as a
/// whole term. A needle that starts (ends) with a term character must start (end) on a term
/// boundary, so `temp` is in `c:\my_temp\x` but not in `c:\temp2\x`.
#[derive(Debug, Clone)]
pub struct TermSet {
    matcher: Option<AhoCorasick>,
    bounds: Vec<(bool, bool)>,
}

impl TermSet {
    /// Compiles the needles, lowercased. Empty needles are the caller's to reject.
    pub fn new<S: AsRef<str>>(needles: &[S]) -> Result<TermSet, BuildError> {
        let lowered: Vec<String> = needles.iter().map(|n| kql_lower(n.as_ref())).collect();
        let bounds = lowered
            .iter()
            .map(|n| {
                let first = n.chars().next().is_some_and(is_term_char);
                let last = n.chars().next_back().is_some_and(is_term_char);
                (first, last)
            })
            .collect();
        Ok(TermSet {
            matcher: build(&lowered, MatchKind::Standard)?,
            bounds,
        })
    }

    /// Whether any needle is a whole term of `lowered` (already lowercased by [`kql_lower`]).
    pub fn any_in(&self, lowered: &str) -> bool {
        let Some(matcher) = &self.matcher else {
            return false;
        };
        matcher.find_overlapping_iter(lowered).any(|m| {
            let (need_start, need_end) = self.bounds[m.pattern().as_usize()];
            let before_ok = !need_start
                || !lowered[..m.start()]
                    .chars()
                    .next_back()
                    .is_some_and(is_term_char);
            let after_ok =
                !need_end || !lowered[m.end()..].chars().next().is_some_and(is_term_char);
            before_ok && after_ok
        })
    }
}

/// `haystack contains needle` for any of several needles, case-insensitively: the needles
/// are lowercased and the haystack must already be.
#[derive(Debug, Clone)]
pub struct SubstringSet {
    matcher: Option<AhoCorasick>,
}

impl SubstringSet {
    /// Compiles the needles, lowercased.
    pub fn new<S: AsRef<str>>(needles: &[S]) -> Result<SubstringSet, BuildError> {
        let lowered: Vec<String> = needles.iter().map(|n| kql_lower(n.as_ref())).collect();
        Ok(SubstringSet {
            matcher: build(&lowered, MatchKind::LeftmostFirst)?,
        })
    }

    /// Whether any needle occurs in `lowered`.
    pub fn any_in(&self, lowered: &str) -> bool {
        self.matcher.as_ref().is_some_and(|m| m.is_match(lowered))
    }
}

/// An automaton for the needles, or none for an empty list (which matches nothing).
fn build(needles: &[String], kind: MatchKind) -> Result<Option<AhoCorasick>, BuildError> {
    if needles.is_empty() {
        return Ok(None);
    }
    AhoCorasickBuilder::new()
        .match_kind(kind)
        .build(needles)
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(hay: &str, needle: &str) -> bool {
        TermSet::new(&[needle]).unwrap().any_in(&kql_lower(hay))
    }

    #[test]
    fn has_matches_whole_terms_only() {
        assert!(!has(r"c:\temp2\x.exe", "temp"));
        assert!(has(r"c:\temp\x.exe", "temp"));
        assert!(has(r"c:\tools\my_temp\x.exe", "temp"));
        assert!(!has(
            r"c:\users\a\appdata\local\microsoft\windowsapps\x.exe",
            "windows"
        ));
        assert!(has(
            r"c:\programdata\microsoft\windows defender\x.exe",
            "windows"
        ));
        assert!(!has(r"c:\xtemp\x.exe", "temp"));
        assert!(has("temp", "temp"));
    }

    #[test]
    fn has_is_case_insensitive() {
        assert!(has(r"C:\Users\Bob\AppData\x.exe", "APPDATA"));
        assert!(has(r"C:\USERS\bob\x.exe", "users"));
    }

    #[test]
    fn has_treats_unicode_letters_and_digits_as_term_characters() {
        assert!(!has(r"c:\tempé\x.exe", "temp"));
        assert!(!has(r"c:\temp٣\x.exe", "temp"));
        assert!(has(r"c:\temp—x\x.exe", "temp"));
        assert!(has(r"C:\ÜSERS\x", "üsers"));
    }

    #[test]
    fn has_any_finds_a_later_whole_term_after_a_partial_one() {
        let set = TermSet::new(&["users", "temp"]).unwrap();
        assert!(set.any_in(r"c:\temporary\users\x"));
        assert!(set.any_in(r"c:\temporary\temp"));
        assert!(!set.any_in(r"c:\temporary\usersx"));
        assert!(!TermSet::new::<&str>(&[]).unwrap().any_in("users"));
    }

    #[test]
    fn needles_with_punctuation_need_boundaries_only_at_term_ends() {
        assert!(has(r"c:\x\windows\y", r"\windows\"));
        assert!(has(r"c:\x\windows\y", r"windows\"));
        assert!(!has(r"c:\xwindows\y", r"windows\"));
        assert!(has(r"c:\windows\y", r"\windows"));
        assert!(!has(r"c:\windowsx\y", r"\windows"));
    }

    #[test]
    fn contains_is_a_case_insensitive_substring() {
        let set = SubstringSet::new(&[r"\AppData\Local\Discord\"]).unwrap();
        assert!(set.any_in(&kql_lower(r"C:\Users\A\AppData\Local\Discord\Update.exe")));
        assert!(!set.any_in(&kql_lower(r"C:\Users\A\AppData\Local\Discordia\x.exe")));
        assert!(
            SubstringSet::new(&[r"\temp\"])
                .unwrap()
                .any_in(r"c:\x\temp\y")
        );
    }

    #[test]
    fn lower_maps_each_character() {
        assert_eq!(kql_lower(r"C:\USERS"), r"c:\users");
        assert_eq!(kql_lower("ÄÖÜ"), "äöü");
        // No final-sigma context rule: every capital sigma becomes σ.
        assert_eq!(kql_lower("ΟΔΟΣ"), "οδοσ");
    }
}
