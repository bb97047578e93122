//! One JSON record in any layout: decoding never panics, an event it yields holds only valid
//! strings, and the raw-bytes pre-filter agrees with the full read.
#![no_main]

use foothold::event::Event;
use foothold::source::json::{self, quick};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let full = json::decode(data);
    if let Ok(event) = &full {
        let _ = foothold::rule::Rule::default().keep(event);
    }
    match quick::verdict(data) {
        quick::Verdict::Skip { event_id } => {
            assert!(full.is_err() || full == Ok(Event::Other { event_id }));
        }
        quick::Verdict::Decode => assert_eq!(full, json::decode_in_full(data)),
        quick::Verdict::Unknown => {}
    }
    let _ = foothold::source::decode_line(data);
});
