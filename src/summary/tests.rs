//! Unit tests of the summary: bins, groups, counts, samples, `arg_max` and row order.

use std::sync::Arc;

use super::*;
use crate::rule::{DEFAULT_RULE_TOML, Rule};
use crate::testkit::{at, drop, parent};

fn summarize(pairs: &[(Parent, Drop)]) -> Vec<Alert> {
    summarize_with(&Rule::default(), pairs)
}

fn summarize_with(rule: &Rule, pairs: &[(Parent, Drop)]) -> Vec<Alert> {
    let mut summary = Summary::new(rule);
    for (p, d) in pairs {
        summary.add(&Arc::new(p.clone()), d);
    }
    summary.finish()
}

#[test]
fn bins_are_ten_minutes_floored_in_utc() {
    let p = parent("H", 7, 0.0);
    // 10:09:59.9999999 and 10:10:00 fall in different bins.
    let alerts = summarize(&[
        (p.clone(), drop("H", 7, 599.999_999_9, "a")),
        (p.clone(), drop("H", 7, 600.0, "b")),
        (p, drop("H", 7, 590.0, "c")),
    ]);
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0].bin_start, at(600.0));
    assert_eq!(alerts[0].drop_events, 1);
    assert_eq!(alerts[1].bin_start, at(0.0));
    assert_eq!(alerts[1].drop_events, 2);
    assert_eq!(alerts[1].time_generated, at(590.0));
    assert_eq!(alerts[1].last_seen, at(599.999_999_9));
}

#[test]
fn groups_split_on_every_grouping_column() {
    let base = parent("H", 7, 0.0);
    let mut other_user = base.clone();
    other_user.user_name = "".into();
    let mut other_name = base.clone();
    other_name.parent_process_name = "DROPPER.EXE".into();
    let mut other_pid = base.clone();
    other_pid.process_id = Some(8);
    let alerts = summarize(&[
        (base.clone(), drop("H", 7, 1.0, "a")),
        (other_user, drop("H", 7, 2.0, "a")),
        (other_name, drop("H", 7, 3.0, "a")),
        (other_pid, drop("H", 8, 4.0, "a")),
    ]);
    // A different pid with the same image is the same row: pids are not grouping columns.
    assert_eq!(alerts.len(), 3);
    let merged = alerts.iter().find(|a| a.drop_events == 2).unwrap();
    assert_eq!(
        merged.process_id,
        Some(8),
        "arg_max takes the latest drop's ids"
    );
}

#[test]
fn arg_max_takes_ids_and_command_lines_from_the_latest_drop_together() {
    let mut early = parent("H", 7, 0.0);
    early.command_line = "early".into();
    early.parent_process_id = Some(100);
    let mut late = parent("H", 9, 30.0);
    late.command_line = "late".into();
    late.parent_process_id = Some(200);
    let alerts = summarize(&[
        (late.clone(), drop("H", 9, 40.0, "b")),
        (early.clone(), drop("H", 7, 50.0, "a")),
        (late, drop("H", 9, 45.0, "c")),
    ]);
    let row = &alerts[0];
    assert_eq!(row.command_line, "early");
    assert_eq!(row.process_id, Some(7));
    assert_eq!(row.parent_process_id, Some(100));
}

#[test]
fn arg_max_ties_go_to_the_later_start_in_any_order() {
    let mut first = parent("H", 7, 0.0);
    first.command_line = "first start".into();
    let mut second = parent("H", 7, 60.0);
    second.command_line = "second start".into();
    let d = drop("H", 7, 100.0, "x");
    let forward = summarize(&[(first.clone(), d.clone()), (second.clone(), d.clone())]);
    let backward = summarize(&[(second, d.clone()), (first, d)]);
    assert_eq!(forward, backward);
    assert_eq!(forward[0].command_line, "second start");
    assert_eq!(forward[0].drop_events, 2);
}

#[test]
fn samples_are_distinct_and_capped() {
    let p = parent("H", 7, 0.0);
    let mut pairs = Vec::new();
    for i in 0..40 {
        pairs.push((
            p.clone(),
            drop("H", 7, f64::from(i), &format!("t{i:02}.e{}", i % 13)),
        ));
        pairs.push((
            p.clone(),
            drop("H", 7, f64::from(i), &format!("t{i:02}.e{}", i % 13)),
        ));
    }
    let alerts = summarize(&pairs);
    assert_eq!(alerts[0].drop_events, 80);
    assert_eq!(alerts[0].sample_targets.len(), 15);
    assert_eq!(alerts[0].sample_targets[0], "t00.e0");
    assert_eq!(alerts[0].sample_exts.len(), 10);
    let tighter = DEFAULT_RULE_TOML
        .replace("max_sample_targets = 15", "max_sample_targets = 2")
        .replace("max_sample_exts = 10", "max_sample_exts = 1");
    let rule = Rule::from_toml(&tighter, "test").unwrap();
    let alerts = summarize_with(&rule, &pairs);
    assert_eq!(alerts[0].sample_targets, ["t00.e0", "t01.e1"]);
    assert_eq!(alerts[0].sample_exts, ["e0"]);
}

#[test]
fn rows_are_ordered_by_last_seen_descending_then_by_keys() {
    let mut b = parent("B", 7, 0.0);
    b.computer = "B".into();
    let a = parent("A", 7, 0.0);
    let alerts = summarize(&[
        (b.clone(), drop("B", 7, 10.0, "x")),
        (a.clone(), drop("A", 7, 10.0, "x")),
        (a, drop("A", 7, 5.0, "y")),
        (b, drop("B", 7, 20.0, "x")),
    ]);
    let order: Vec<_> = alerts.iter().map(|a| a.computer.as_str()).collect();
    assert_eq!(order, ["B", "A"]);
    let mut tied = [alerts[1].clone(), alerts[0].clone()];
    tied[0].last_seen = tied[1].last_seen;
    tied.sort_by(Alert::output_order);
    assert_eq!(tied[0].computer, "A", "ties go to the smaller computer");
}

#[test]
fn close_before_emits_only_finished_bins_of_that_computer() {
    let rule = Rule::default();
    let mut summary = Summary::new(&rule);
    let p = Arc::new(parent("H", 7, 0.0));
    let g = Arc::new(parent("G", 7, 0.0));
    assert!(summary.add(&p, &drop("H", 7, 10.0, "a")));
    assert!(!summary.add(&p, &drop("H", 7, 20.0, "b")));
    assert!(summary.add(&p, &drop("H", 7, 610.0, "c")));
    assert!(summary.add(&g, &drop("G", 7, 10.0, "a")));
    assert!(summary.close_before("H", at(599.0)).is_empty());
    let closed = summary.close_before("H", at(600.0));
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].drop_events, 2);
    assert_eq!(summary.len(), 2);
    assert_eq!(summary.drain().len(), 2);
    assert!(summary.is_empty());
}
