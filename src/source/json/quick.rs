//! A raw-bytes pre-filter for records of the normalized layout: a record whose `event_id` is
//! neither 1 nor 11 is counted from its id alone, without being parsed, since the rule cannot
//! use it. Only lines that can be nothing else qualify: one top-level object holding exactly
//! one `"event_id":` key, at the top level, with a plain decimal value, with none of the keys
//! by which another layout takes precedence (`Event`, `winlog`, `event_data`, `source_name`,
//! `log_name`, `computer_name`, `EventData`, `EventID`) and no `\u` escape (which could spell
//! a key). Everything else, and every id 1 or 11, is decoded in full; a line that qualifies
//! with id 1 or 11 goes to the full read straight away ([`Verdict::Decode`]), without the
//! envelope read that sets most records aside.
//!
//! What is given up: such a line is not checked to be valid JSON (`--strict` and
//! `--validate` check every record).

use std::sync::LazyLock;

use aho_corasick::packed::{Config, MatchKind, Searcher};

use crate::event::{FILE_CREATE, PROCESS_CREATE};

const EVENT_ID: &[u8] = b"\"event_id\":";

/// The top-level keys by which another layout takes precedence over the normalized one
/// (see `layouts`): a line holding any of them, anywhere, is left to the full read.
const OTHER_LAYOUTS: [&[u8]; 8] = [
    b"\"Event\"",
    b"\"winlog\"",
    b"\"event_data\"",
    b"\"source_name\"",
    b"\"log_name\"",
    b"\"computer_name\"",
    b"\"EventData\"",
    b"\"EventID\"",
];

/// A `\u` escape, when an odd run of backslashes ends in it.
const UNICODE_ESCAPE: &[u8] = b"\\u";

/// The id key and the keys of other layouts, found in one SIMD pass over the line.
static KEYS: LazyLock<Option<Searcher>> = LazyLock::new(|| {
    Config::new()
        .match_kind(MatchKind::LeftmostFirst)
        .builder()
        .add(EVENT_ID)
        .extend(OTHER_LAYOUTS)
        .add(UNICODE_ESCAPE)
        .build()
});

/// What the pre-filter tells of a line.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// A normalized record the rule does not read, with its id.
    Skip { event_id: u32 },
    /// A record whose top-level `event_id` is 1 or 11: to be read in full.
    Decode,
    /// Nothing is known: the usual decoding.
    Unknown,
}

/// What the pre-filter tells of `line`.
pub fn verdict(line: &[u8]) -> Verdict {
    let line = line.trim_ascii();
    if !(line.starts_with(b"{") && line.ends_with(b"}")) {
        return Verdict::Unknown;
    }
    let Some(keys) = KEYS.as_ref() else {
        return Verdict::Unknown;
    };
    // Stops at the first key that settles it: most lines of other layouts go in a few bytes.
    let mut id = None;
    for found in keys.find_iter(line) {
        match found.pattern().as_usize() {
            0 if id.is_none() => match top_level_id(line, found.start()) {
                Some(value) => id = Some(value),
                None => return Verdict::Unknown,
            },
            // A second id key.
            0 => return Verdict::Unknown,
            p if p == OTHER_LAYOUTS.len() + 1 => {
                let run = line[..found.start()]
                    .iter()
                    .rev()
                    .take_while(|b| **b == b'\\')
                    .count();
                if run % 2 == 0 {
                    return Verdict::Unknown;
                }
            }
            // A key of another layout.
            _ => return Verdict::Unknown,
        }
    }
    match id {
        None => Verdict::Unknown,
        Some(id) if id == PROCESS_CREATE || id == FILE_CREATE => Verdict::Decode,
        Some(event_id) => Verdict::Skip { event_id },
    }
}

/// The value of the `"event_id":` key at `at` in the object `line`, when it is a key of the
/// top-level object and its value a plain decimal number (bare or quoted).
fn top_level_id(line: &[u8], at: usize) -> Option<u32> {
    let after = at + EVENT_ID.len();
    // The key must be a key of the top-level object: only whitespace and `{` or `,` before
    // it, at depth one (no bracket or brace, and no quote that could open a string, between
    // them and the start of the key, other than the ones this checks).
    if !at_top_level(&line[..at]) {
        return None;
    }
    let value = line[after..].trim_ascii_start();
    let (digits, rest) = match value.strip_prefix(b"\"") {
        Some(quoted) => {
            let len = quoted.iter().take_while(|b| b.is_ascii_digit()).count();
            let rest = quoted[len..].strip_prefix(b"\"")?;
            (&quoted[..len], rest)
        }
        None => {
            let len = value.iter().take_while(|b| b.is_ascii_digit()).count();
            (&value[..len], &value[len..])
        }
    };
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    if !matches!(rest.trim_ascii_start().first(), Some(b',' | b'}')) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Whether a key starting right after `prefix` is a key of the top-level object: the prefix
/// is `{`, then whole `"key":value,` members with plain values.
fn at_top_level(prefix: &[u8]) -> bool {
    let Some(body) = prefix.strip_prefix(b"{") else {
        return false;
    };
    let body = body.trim_ascii();
    if body.is_empty() {
        return true;
    }
    // Earlier members: no nesting and no strings with escapes; an even count of quotes; and
    // the prefix ends with the `,` that separates them from this key.
    body.ends_with(b",")
        && !body.iter().any(|b| matches!(b, b'{' | b'[' | b'\\'))
        && memchr::memchr_iter(b'"', body).count().is_multiple_of(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::source::json;
    use proptest::prelude::*;

    /// The event, when the line is a normalized record the rule does not read.
    fn skip(line: &[u8]) -> Option<Event<'static>> {
        match verdict(line) {
            Verdict::Skip { event_id } => Some(Event::Other { event_id }),
            Verdict::Decode | Verdict::Unknown => None,
        }
    }

    /// Object members of every layout, well-formed or not, with escapes and nesting.
    fn member() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec![
            "event_id",
            "event\\u005fid",
            "computer",
            "process_id",
            "target_filename",
            "time_generated",
            "Event",
            "winlog",
            "win\\u006cog",
            "event_data",
            "log_name",
            "source_name",
            "computer_name",
            "EventData",
            "EventID",
            "Channel",
            "x",
        ]);
        let value = prop::sample::select(vec![
            "1",
            "3",
            "11",
            "\"1\"",
            "\"13\"",
            "3.5",
            "-1",
            "null",
            "\"C:\\\\users\\\\a\\\\AppData\\\\x.exe\"",
            "\"a\\\"event_id\\\":3\"",
            "\"\\u0031\"",
            "{\"event_id\":1}",
            "{\"System\":{\"EventID\":1,\"Provider\":{\"#attributes\":{\"Name\":\"Microsoft-Windows-Sysmon\"}}}}",
            "{\"event_id\":\"1\",\"provider_name\":\"Microsoft-Windows-Sysmon\"}",
            "[1,{\"a\":2}]",
        ]);
        (key, value).prop_map(|(k, v)| format!("\"{k}\":{v}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// A skipped line is one the full read makes a non-1/11 event of the same id (or
        /// refuses: the pre-filter does not validate); a line sent to the full read gets the
        /// same answer as by the usual way.
        #[test]
        fn the_pre_filter_agrees_with_the_full_read(members in prop::collection::vec(member(), 0..6)) {
            let line = format!("{{{}}}", members.join(","));
            match verdict(line.as_bytes()) {
                Verdict::Skip { event_id } => {
                    let full = json::decode(line.as_bytes());
                    prop_assert!(
                        full.is_err() || full == Ok(Event::Other { event_id }),
                        "{line}: skipped as {event_id}, read as {full:?}"
                    );
                }
                Verdict::Decode => {
                    prop_assert_eq!(
                        json::decode(line.as_bytes()),
                        json::decode_in_full(line.as_bytes()),
                        "{}", line
                    );
                }
                Verdict::Unknown => {}
            }
        }
    }

    #[test]
    fn normalized_records_of_other_ids_are_counted_from_their_id() {
        assert_eq!(
            skip(br#"{"event_id":3,"computer":"H"}"#),
            Some(Event::Other { event_id: 3 })
        );
        assert_eq!(
            skip(br#"{"computer":"H", "event_id": "13" }"#),
            Some(Event::Other { event_id: 13 })
        );
    }

    #[test]
    fn ids_1_and_11_at_the_top_level_go_straight_to_the_full_read() {
        for line in [
            &br#"{"event_id":1,"computer":"H"}"#[..],
            br#"{"computer":"H","event_id":"11"}"#,
        ] {
            assert_eq!(verdict(line), Verdict::Decode);
        }
        assert_eq!(
            verdict(br#"{"event_id":11,"source_name":"Microsoft-Windows-Sysmon"}"#),
            Verdict::Unknown
        );
        assert_eq!(verdict(br#"{"x":{"event_id":1}}"#), Verdict::Unknown);
        assert_eq!(verdict(br#"{"event_id":1,"event_id":3}"#), Verdict::Unknown);
        assert_eq!(
            verdict(br#"{"event_id":3,"parent_process_name":"a.exe"}"#),
            Verdict::Skip { event_id: 3 }
        );
        assert_eq!(
            verdict(br#"{"event_id":3,"log_name" :"Security"}"#),
            Verdict::Unknown
        );
    }

    #[test]
    fn anything_else_is_decoded_in_full() {
        for line in [
            &br#"{"event_id":1,"computer":"H"}"#[..],
            br#"{"event_id":11}"#,
            br#"{"event_id":3,"event_id":4}"#,
            br#"{"x":{"event_id":3}}"#,
            br#"{"x":[1],"event_id":3}"#,
            br#"{"event_id":3,"winlog":{"event_id":"1"}}"#,
            br#"{"event_id":3,"source_name":"Security"}"#,
            br#"{"EventID":3}"#,
            br#"{"event_id":3.5}"#,
            br#"{"event_id":-3}"#,
            br#"{"event_id":"3x"}"#,
            br#"{"c":"a\"event_id\":3"}"#,
            br#"{"c":"a","d":"\"","event_id":3}"#,
            br#"{"event_id":3,"log_name":"Security"}"#,
            br#"[{"event_id":3}]"#,
            br#"{"event_id":3"#,
        ] {
            assert_eq!(skip(line), None, "{}", String::from_utf8_lossy(line));
        }
    }
}
