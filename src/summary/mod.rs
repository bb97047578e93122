//! The summary: joined pairs folded into alert rows, one per `bin(file_time, ...)` and group
//! (computer, process_path, parent_process_path, parent_process_name, user_name), as the
//! KQL's `summarize` does.

mod alert;
mod sample;

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use alert::{Alert, COLUMNS};
pub use sample::Sample;

use crate::rule::{Drop, Parent, Rule};
use crate::time::{EventTime, Span};

/// A group of the `summarize ... by`: the bin and the parent's grouping columns, borrowed
/// from the first parent seen in it.
#[derive(Clone)]
struct GroupKey {
    bin_start: EventTime,
    parent: Arc<Parent>,
}

impl GroupKey {
    fn columns(&self) -> (&str, &str, &str, &str, &str) {
        let p = &*self.parent;
        (
            &p.computer,
            &p.process_path,
            &p.parent_process_path,
            &p.parent_process_name,
            &p.user_name,
        )
    }
}

impl PartialEq for GroupKey {
    fn eq(&self, other: &GroupKey) -> bool {
        self.bin_start == other.bin_start
            && (Arc::ptr_eq(&self.parent, &other.parent) || self.columns() == other.columns())
    }
}

impl Eq for GroupKey {}

impl Hash for GroupKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bin_start.hash(state);
        self.columns().hash(state);
    }
}

/// The aggregates of one group.
#[derive(Clone, Serialize, Deserialize)]
struct Group {
    first_seen: EventTime,
    last_seen: EventTime,
    drop_events: u64,
    targets: Sample,
    exts: Sample,
    /// `arg_max(file_time, ...)`: the joined row with the latest drop; ties go to the later
    /// process start, then to the larger ids and command lines, so the choice does not
    /// depend on input order.
    latest: (EventTime, Arc<Parent>),
}

/// The `arg_max` order of joined rows: drop time, then the parent's start and columns.
fn latest_order(
    time: EventTime,
    parent: &Parent,
) -> (EventTime, EventTime, Option<u64>, Option<u64>, &str, &str) {
    (
        time,
        parent.time,
        parent.process_id,
        parent.parent_process_id,
        &parent.command_line,
        &parent.parent_command_line,
    )
}

/// The open rows of a summary, as a checkpoint holds them.
#[derive(Serialize, Deserialize)]
pub struct SummarySnapshot {
    groups: Vec<(EventTime, Arc<Parent>, Group)>,
}

/// Open alert rows, fed one joined pair at a time.
pub struct Summary {
    bin: Span,
    max_targets: usize,
    max_exts: usize,
    groups: HashMap<GroupKey, Group>,
    /// Open groups per computer and bin, so that `watch` can close a computer's finished bins.
    by_bin: HashMap<Box<str>, BTreeMap<EventTime, Vec<GroupKey>>>,
}

impl Summary {
    /// An empty summary with the rule's bin width and sample caps.
    pub fn new(rule: &Rule) -> Summary {
        Summary {
            bin: rule.bin(),
            max_targets: rule.max_sample_targets(),
            max_exts: rule.max_sample_exts(),
            groups: HashMap::new(),
            by_bin: HashMap::new(),
        }
    }

    /// Folds in one joined row. Returns true when it opened a new group (the first drop of a
    /// row, which `watch --emit first` reports early).
    pub fn add(&mut self, parent: &Arc<Parent>, drop: &Drop) -> bool {
        let key = GroupKey {
            bin_start: drop.time.floor_to(self.bin),
            parent: Arc::clone(parent),
        };
        if let Some(group) = self.groups.get_mut(&key) {
            group.first_seen = group.first_seen.min(drop.time);
            group.last_seen = group.last_seen.max(drop.time);
            group.drop_events += 1;
            group.targets.offer(drop.time, &drop.target_filename);
            group.exts.offer(drop.time, &drop.file_ext);
            if latest_order(drop.time, parent) > latest_order(group.latest.0, &group.latest.1) {
                group.latest = (drop.time, Arc::clone(parent));
            }
            return false;
        }
        let mut targets = Sample::new(self.max_targets);
        targets.offer(drop.time, &drop.target_filename);
        let mut exts = Sample::new(self.max_exts);
        exts.offer(drop.time, &drop.file_ext);
        self.by_bin
            .entry(parent.computer.clone())
            .or_default()
            .entry(key.bin_start)
            .or_default()
            .push(key.clone());
        self.groups.insert(
            key,
            Group {
                first_seen: drop.time,
                last_seen: drop.time,
                drop_events: 1,
                targets,
                exts,
                latest: (drop.time, Arc::clone(parent)),
            },
        );
        true
    }

    /// The current state of the group that `parent` and `drop` fall in, as a row marked
    /// partial (for `watch --emit first`).
    pub fn peek(&self, parent: &Arc<Parent>, drop: &Drop) -> Option<Alert> {
        let key = GroupKey {
            bin_start: drop.time.floor_to(self.bin),
            parent: Arc::clone(parent),
        };
        let group = self.groups.get(&key)?;
        let mut alert = row(&key, group);
        alert.partial = true;
        Some(alert)
    }

    /// Number of open rows.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether no row is open.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Closes the rows of `computer` whose bin ends at or before `watermark` (no drop of
    /// theirs can still arrive) and returns them in output order.
    pub fn close_before(&mut self, computer: &str, watermark: EventTime) -> Vec<Alert> {
        let Some(bins) = self.by_bin.get_mut(computer) else {
            return Vec::new();
        };
        let mut alerts = Vec::new();
        while let Some(entry) = bins.first_entry() {
            if entry.key().saturating_add(self.bin) > watermark {
                break;
            }
            for key in entry.remove() {
                if let Some(group) = self.groups.remove(&key) {
                    alerts.push(row(&key, &group));
                }
            }
        }
        if bins.is_empty() {
            self.by_bin.remove(computer);
        }
        alerts.sort_by(Alert::output_order);
        alerts
    }

    /// Closes the rows of `computer`, whatever their bins (an idle computer's).
    pub fn close_all_of(&mut self, computer: &str) -> Vec<Alert> {
        self.close_before(computer, EventTime::MAX)
    }

    /// The open rows, for a checkpoint.
    pub fn snapshot(&self) -> SummarySnapshot {
        SummarySnapshot {
            groups: self
                .groups
                .iter()
                .map(|(key, group)| (key.bin_start, Arc::clone(&key.parent), group.clone()))
                .collect(),
        }
    }

    /// A summary holding the rows of a checkpoint.
    pub fn restore(rule: &Rule, snapshot: SummarySnapshot) -> Summary {
        let mut summary = Summary::new(rule);
        for (bin_start, parent, group) in snapshot.groups {
            let key = GroupKey { bin_start, parent };
            summary
                .by_bin
                .entry(key.parent.computer.clone())
                .or_default()
                .entry(bin_start)
                .or_default()
                .push(key.clone());
            summary.groups.insert(key, group);
        }
        summary
    }

    /// Closes every row and returns them in output order.
    pub fn finish(self) -> Vec<Alert> {
        let mut alerts: Vec<Alert> = self
            .groups
            .iter()
            .map(|(key, group)| row(key, group))
            .collect();
        alerts.sort_by(Alert::output_order);
        alerts
    }

    /// Closes every row of every computer and returns them in output order, leaving the
    /// summary empty (for `watch` at exit).
    pub fn drain(&mut self) -> Vec<Alert> {
        self.by_bin.clear();
        let mut alerts: Vec<Alert> = self
            .groups
            .drain()
            .map(|(key, group)| row(&key, &group))
            .collect();
        alerts.sort_by(Alert::output_order);
        alerts
    }
}

/// The KQL's final `project` of one group.
fn row(key: &GroupKey, group: &Group) -> Alert {
    let grouping = &*key.parent;
    let latest = &*group.latest.1;
    Alert {
        time_generated: group.first_seen,
        last_seen: group.last_seen,
        drop_events: group.drop_events,
        computer: grouping.computer.to_string(),
        user_name: grouping.user_name.to_string(),
        parent_process_name: grouping.parent_process_name.to_string(),
        parent_process_path: grouping.parent_process_path.to_string(),
        parent_process_id: latest.parent_process_id,
        process_path: grouping.process_path.to_string(),
        process_id: latest.process_id,
        command_line: latest.command_line.to_string(),
        parent_command_line: latest.parent_command_line.to_string(),
        sample_exts: group.exts.values(),
        sample_targets: group.targets.values(),
        partial: false,
        bin_start: key.bin_start,
    }
}

#[cfg(test)]
mod tests;
