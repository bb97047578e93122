//! A raw-bytes pre-filter for records of the normalized layout: a record whose `event_id` is
//! neither 1 nor 11 is counted from its id alone, without being parsed, since the rule cannot
//! use it. Only lines that can be nothing else qualify: one top-level object holding exactly
//! one `"event_id":` key, at the top level, with a plain decimal value, and without the
//! `log_name` and `source_name` keys of winlogbeat 6 (the one other layout with a top-level
//! `event_id`; the others nest theirs or spell it `EventID`). Everything else, and every id 1
//! or 11, is decoded in full.
//!
//! What is given up: such a line is not checked to be valid JSON (`--strict` and
//! `--validate` check every record).

use std::sync::LazyLock;

use memchr::memmem::Finder;

use crate::event::{Event, FILE_CREATE, PROCESS_CREATE};

const EVENT_ID: &[u8] = b"\"event_id\":";

static EVENT_ID_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(EVENT_ID));
static LOG_NAME: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"log_name\""));
static SOURCE_NAME: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"source_name\""));

/// The event, when the line is a normalized record the rule does not read.
pub fn skip(line: &[u8]) -> Option<Event<'static>> {
    let line = line.trim_ascii();
    if !(line.starts_with(b"{") && line.ends_with(b"}")) {
        return None;
    }
    let at = EVENT_ID_KEY.find(line)?;
    let after = at + EVENT_ID.len();
    if EVENT_ID_KEY.find(&line[after..]).is_some() {
        return None;
    }
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
    let event_id: u32 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    if event_id == PROCESS_CREATE || event_id == FILE_CREATE {
        return None;
    }
    if LOG_NAME.find(line).is_some() || SOURCE_NAME.find(line).is_some() {
        return None;
    }
    Some(Event::Other { event_id })
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
