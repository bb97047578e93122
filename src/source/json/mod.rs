//! JSON records: one object decoded into a normalized [`Event`], whatever the layout it is
//! written in (see [`layouts`]).

mod layouts;
mod normalized;
pub mod quick;
pub mod value;

use serde::de::Deserialize;

use crate::event::Event;
use crate::source::reject::Reject;
use layouts::{AnyLayout, Envelope};

/// Decodes one JSON object into an event.
///
/// `sonic-rs` (SIMD) reads the record; a record it refuses is read again by `serde_json`,
/// whose verdict and messages are the reference. A record refused only for invalid UTF-8 or a
/// lone UTF-16 surrogate escape (attackers write those into command lines) is read with them
/// replaced by U+FFFD, so that the event is not lost and the output stays valid.
pub fn decode(bytes: &[u8]) -> Result<Event<'_>, Reject> {
    decode_with(bytes, true)
}

/// [`decode`] without first reading the envelope: for a record known to be one the rule
/// reads (the envelope read would set nothing aside; the answer is the same).
pub fn decode_in_full(bytes: &[u8]) -> Result<Event<'_>, Reject> {
    decode_with(bytes, false)
}

fn decode_with(bytes: &[u8], envelope_first: bool) -> Result<Event<'_>, Reject> {
    match decode_exact(bytes, envelope_first) {
        Ok(event) => Ok(event),
        Err(reject) => match crate::source::text::repair_json(bytes) {
            Some(repaired) => decode_exact(&repaired, envelope_first)
                .map(Event::into_owned)
                .map_err(|_| reject),
            None => Err(reject),
        },
    }
}

fn decode_exact(bytes: &[u8], envelope_first: bool) -> Result<Event<'_>, Reject> {
    // Most records are not ones the rule reads: tell them from their envelope alone.
    if envelope_first
        && let Ok(envelope) = sonic_rs::from_slice::<Envelope<'_>>(bytes)
        && let Some(event) = envelope.skip()
    {
        return Ok(event);
    }
    let record = match sonic_rs::from_slice::<AnyLayout<'_>>(bytes) {
        Ok(record) => record,
        Err(_) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            match AnyLayout::deserialize(&mut de).and_then(|r| de.end().map(|()| r)) {
                Ok(record) => record,
                Err(_) => return Err(explain(bytes)),
            }
        }
    };
    record.into_event()
}

/// Re-reads a record that failed, tracking the path, to say which field was wrong.
fn explain(bytes: &[u8]) -> Reject {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let why = match serde_path_to_error::deserialize::<_, AnyLayout<'_>>(&mut de) {
        Ok(_) => match de.end() {
            Ok(()) => "unreadable".to_string(),
            Err(e) => format!("trailing characters after the object ({e})"),
        },
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." || path.is_empty() || inner.is_syntax() || inner.is_eof() {
                format!("invalid JSON: {inner}")
            } else {
                format!("field `{path}`: {inner}")
            }
        }
    };
    Reject::Syntax(why)
}

#[cfg(test)]
mod tests;
