//! Unit tests of the join: keys, the inclusive window, order and PID reuse.

use super::*;
use crate::testkit::{at, drop, parent};

const WINDOW: Span = Span::from_secs(180);

/// A kept row of either side, in arrival order.
enum Row {
    P(Parent),
    D(Drop),
}
use Row::{D, P};

fn pairs(rows: Vec<Row>, join_by: JoinBy) -> Vec<(EventTime, EventTime)> {
    let mut correlator = Correlator::new(WINDOW, join_by, false);
    let mut out = Vec::new();
    for row in rows {
        let mut record = |p: &Arc<Parent>, d: &Arc<Drop>| out.push((p.time, d.time));
        let _ = match row {
            P(p) => correlator.add_parent(p, &mut record),
            D(d) => correlator.add_drop(d, &mut record),
        };
    }
    out.sort();
    out
}

#[test]
fn window_is_inclusive_at_both_ends() {
    let got = pairs(
        vec![
            P(parent("H", 7, 0.0)),
            D(drop("H", 7, 0.0, "at-start")),
            D(drop("H", 7, 180.0, "at-end")),
            D(drop("H", 7, 180.000_000_1, "one-tick-late")),
            D(drop("H", 7, -0.000_000_1, "one-tick-early")),
        ],
        JoinBy::ProcessId,
    );
    assert_eq!(got, [(at(0.0), at(0.0)), (at(0.0), at(180.0))]);
}

#[test]
fn arrival_order_does_not_matter() {
    let forward = pairs(
        vec![P(parent("H", 7, 0.0)), D(drop("H", 7, 10.0, "x"))],
        JoinBy::ProcessId,
    );
    let backward = pairs(
        vec![D(drop("H", 7, 10.0, "x")), P(parent("H", 7, 0.0))],
        JoinBy::ProcessId,
    );
    assert_eq!(forward, backward);
    assert_eq!(forward.len(), 1);
}

#[test]
fn pid_reuse_counts_every_matching_start() {
    let got = pairs(
        vec![
            P(parent("H", 7, 0.0)),
            P(parent("H", 7, 100.0)),
            D(drop("H", 7, 150.0, "x")),
        ],
        JoinBy::ProcessId,
    );
    assert_eq!(got.len(), 2);
}

#[test]
fn computer_and_pid_must_both_match_case_sensitively() {
    let got = pairs(
        vec![
            P(parent("HOST", 7, 0.0)),
            D(drop("host", 7, 1.0, "x")),
            D(drop("HOST", 8, 1.0, "x")),
        ],
        JoinBy::ProcessId,
    );
    assert!(got.is_empty());
}

#[test]
fn rows_without_a_pid_are_unjoinable() {
    let mut correlator = Correlator::new(WINDOW, JoinBy::ProcessId, false);
    let mut p = parent("H", 7, 0.0);
    p.process_id = None;
    assert_eq!(correlator.add_parent(p, |_, _| {}), Err(Unjoinable));
    assert!(correlator.is_empty());
}

#[test]
fn guid_join_ignores_pid_reuse_and_normalizes_guids() {
    let mut first = parent("H", 7, 0.0);
    first.process_guid = "{AAAA-1}".into();
    let mut second = parent("H", 7, 100.0);
    second.process_guid = "{BBBB-2}".into();
    let mut create = drop("H", 7, 150.0, "x");
    create.process_guid = "bbbb-2".into();
    create.process_id = None;
    let got = pairs(vec![P(first), P(second), D(create)], JoinBy::ProcessGuid);
    assert_eq!(got, [(at(100.0), at(150.0))]);
}

#[test]
fn eviction_drops_only_rows_that_can_no_longer_join() {
    let mut correlator = Correlator::new(WINDOW, JoinBy::ProcessId, true);
    correlator
        .add_parent(parent("H", 7, 0.0), |_, _| {})
        .unwrap();
    correlator
        .add_drop(drop("H", 9, 50.0, "x"), |_, _| {})
        .unwrap();
    correlator
        .add_parent(parent("G", 7, 0.0), |_, _| {})
        .unwrap();
    // A drop at 180 s can still join the start at 0: nothing of H goes at watermark 180.
    assert_eq!(correlator.evict_before("H", at(50.0)), 0);
    assert_eq!(correlator.evict_before("H", at(180.0)), 1);
    assert_eq!(correlator.evict_before("H", at(180.000_000_1)), 1);
    assert_eq!(correlator.len(), 1, "the other computer keeps its rows");
    let mut joined = 0;
    correlator
        .add_drop(drop("H", 7, 180.0, "late"), |_, _| joined += 1)
        .unwrap();
    assert_eq!(joined, 0);
}
