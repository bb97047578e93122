//! One JSON record in any layout: decoding never panics, and an event it yields holds only
//! valid strings.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = foothold::source::json::decode(data) {
        let _ = foothold::rule::Rule::default().keep(&event);
    }
    let _ = foothold::source::decode_line(data);
});
