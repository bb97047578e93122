//! The engine against a plain second implementation of the seed's KQL, on random event sets
//! full of edge cases, in random order, split across random numbers of files.

mod common;

use std::io::Write;

use proptest::prelude::*;

use common::generate::{RefEvent, SECOND, event, render};
use common::reference::{check, kql};
use foothold::hunt::{HuntOptions, Observer, Silent, hunt};
use foothold::source::{Input, Problem};

/// An observer that keeps the run's notes.
#[derive(Default)]
struct Notes(Vec<String>);

impl Observer for Notes {
    fn problem(&mut self, _: &Problem) {}
    fn note(&mut self, message: &str) {
        self.0.push(message.to_string());
    }
}

/// Writes the lines, in order, into `files` consecutive files and runs `hunt` over them;
/// returns the rows and the run's notes.
fn run_hunt_in_order(lines: &[String], files: usize) -> (Vec<serde_json::Value>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = Vec::new();
    let per_file = lines.len().div_ceil(files).max(1);
    for (part, chunk) in lines.chunks(per_file).enumerate() {
        let path = dir.path().join(format!("part{part}.ndjson"));
        std::fs::write(
            &path,
            chunk.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
        inputs.push(Input::File(path));
    }
    let mut notes = Notes::default();
    let outcome = hunt(&HuntOptions::default(), inputs, &mut notes).unwrap();
    let rows = outcome
        .alerts
        .iter()
        .map(|a| serde_json::to_value(a).unwrap())
        .collect();
    (rows, notes.0)
}

fn ticks_of(event: &RefEvent) -> i64 {
    match event {
        RefEvent::Start { ticks, .. }
        | RefEvent::Create { ticks, .. }
        | RefEvent::Other { ticks, .. } => *ticks,
    }
}

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

    /// Recorded logs come in time order, give or take: the bounded pass holds (no second
    /// read) and its rows are the KQL's.
    #[test]
    fn events_in_time_order_give_the_rows_of_the_kql_in_one_bounded_pass(
        events in prop::collection::vec((event(), any::<u8>(), 0i64..540), 1..150),
        files in 1usize..4,
    ) {
        let mut events = events;
        // Each event comes up to 9 minutes late: within the pass's 10 minutes.
        events.sort_by_key(|(e, _, late)| ticks_of(e) + late * SECOND);
        let refs: Vec<RefEvent> = events.iter().map(|(e, _, _)| e.clone()).collect();
        let lines: Vec<String> = events.iter().map(|(e, v, _)| render(e, *v)).collect();
        let (got, notes) = run_hunt_in_order(&lines, files);
        prop_assert!(notes.is_empty(), "{:?}", notes);
        if let Err(why) = check(&kql(&refs), &got) {
            return Err(TestCaseError::fail(why));
        }
    }

    /// Events far out of order are read again, with the same rows.
    #[test]
    fn events_far_out_of_order_are_read_again_with_the_rows_of_the_kql(
        events in prop::collection::vec((event(), any::<u8>()), 2..120),
    ) {
        let mut events = events;
        // Latest first: anything more than 10 minutes apart is out of order.
        events.sort_by_key(|(e, _)| std::cmp::Reverse(ticks_of(e)));
        let refs: Vec<RefEvent> = events.iter().map(|(e, _)| e.clone()).collect();
        let lines: Vec<String> = events.iter().map(|(e, v)| render(e, *v)).collect();
        let (got, _) = run_hunt_in_order(&lines, 1);
        if let Err(why) = check(&kql(&refs), &got) {
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
