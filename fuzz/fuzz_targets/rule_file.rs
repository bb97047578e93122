//! The rule-file loader: any text loads or fails with a message, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(rule) = foothold::rule::Rule::from_toml(&text, "fuzz.toml") {
        let _ = (rule.window(), rule.bin(), rule.max_sample_targets());
    }
});
