//! JSON records: one object decoded into a normalized [`Event`], whatever the layout it is
//! written in (see [`layouts`]).

mod layouts;
mod normalized;
pub mod value;

use serde::de::Deserialize;

use crate::event::Event;
use crate::source::reject::Reject;
use layouts::AnyLayout;

/// Decodes one JSON object into an event.
///
/// `sonic-rs` (SIMD) reads the record; a record it refuses is read again by `serde_json`,
/// whose verdict and messages are the reference.
pub fn decode(bytes: &[u8]) -> Result<Event<'_>, Reject> {
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
