//! The engine against a plain second implementation of the seed's KQL, on random event sets
//! full of edge cases, in random order, split across random numbers of files.

mod common;

use std::io::Write;

use proptest::prelude::*;

use common::generate::{RefEvent, event, render};
use common::reference::{check, kql};
use foothold::hunt::{HuntOptions, Silent, hunt};
use foothold::source::Input;

/// Writes the lines into `files` files and runs `hunt` over them.
fn run_hunt(lines: &[String], files: usize, threads: usize) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = Vec::new();
    for part in 0..files {
        let path = dir.path().join(format!("part{part}.ndjson"));
        let mut file = std::fs::File::create(&path).unwrap();
        for line in lines.iter().skip(part).step_by(files) {
            writeln!(file, "{line}").unwrap();
        }
        inputs.push(Input::File(path));
    }
    let options = HuntOptions {
        threads,
        ..HuntOptions::default()
    };
    let outcome = hunt(&options, inputs, &mut Silent).unwrap();
    assert_eq!(
        outcome.stats.rejected_total(),
        0,
        "generated lines are all valid"
    );
    outcome
        .alerts
        .iter()
        .map(|a| serde_json::to_value(a).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn hunt_prints_the_rows_of_the_kql(
        shuffled in prop::collection::vec((event(), any::<u8>()), 1..120).prop_shuffle(),
        files in 1usize..4,
        threads in 1usize..3,
    ) {
        let events: Vec<RefEvent> = shuffled.iter().map(|(e, _)| e.clone()).collect();
        let lines: Vec<String> = shuffled.iter().map(|(e, v)| render(e, *v)).collect();
        let got = run_hunt(&lines, files, threads);
        if let Err(why) = check(&kql(&events), &got) {
            return Err(TestCaseError::fail(why));
        }
    }

    #[test]
    fn input_order_never_changes_the_output(
        events in prop::collection::vec((event(), any::<u8>()), 1..100),
        seed in any::<u64>(),
    ) {
        let lines: Vec<String> = events.iter().map(|(e, v)| render(e, *v)).collect();
        let mut reordered = lines.clone();
        // A seeded Fisher-Yates shuffle, independent of proptest's own.
        let mut state = seed | 1;
        for i in (1..reordered.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            reordered.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(run_hunt(&lines, 1, 1), run_hunt(&reordered, 3, 2));
    }
}
