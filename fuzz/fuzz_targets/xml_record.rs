//! One `<Event>` element: decoding never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = foothold::source::xml::decode(data) {
        let _ = foothold::rule::Rule::default().keep(&event);
    }
});
