//! The whole `hunt` pipeline on arbitrary bytes: format detection, decompression (gzip, zstd,
//! zip), framing, every decoder, the rule, the join and the summary. Never panics, the alert
//! rows serialize to valid JSON, and the bounded pass gives the rows of holding every row.
#![no_main]

use std::sync::Arc;

use foothold::hunt::{HuntOptions, Silent, hunt};
use foothold::source::Input;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = Input::Memory {
        name: Arc::from("fuzz"),
        bytes: Arc::from(data),
    };
    let options = HuntOptions {
        threads: 1,
        ..HuntOptions::default()
    };
    let held = HuntOptions {
        unordered: true,
        ..options.clone()
    };
    if let Ok(outcome) = hunt(&options, vec![input.clone()], &mut Silent) {
        for alert in &outcome.alerts {
            let text = serde_json::to_string(alert).unwrap();
            assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
        }
        let all = hunt(&held, vec![input], &mut Silent).unwrap();
        assert_eq!(outcome.alerts, all.alerts);
        assert_eq!(outcome.stats, all.stats);
    }
});
