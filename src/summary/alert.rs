//! The alert row: the KQL's final `project`, column for column, and its output order.

use std::cmp::Ordering;

use serde::Serialize;

use crate::time::EventTime;

/// One output row of the rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// `first_seen`: the earliest joined drop of the row.
    pub time_generated: EventTime,
    pub last_seen: EventTime,
    pub drop_events: u64,
    pub computer: String,
    pub user_name: String,
    pub parent_process_name: String,
    pub parent_process_path: String,
    pub parent_process_id: Option<u64>,
    pub process_path: String,
    pub process_id: Option<u64>,
    pub command_line: String,
    pub parent_command_line: String,
    pub sample_exts: Vec<String>,
    pub sample_targets: Vec<String>,
    /// `watch --emit first`: an early notice at a group's first drop; the final row follows.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// The row's `bin(file_time, ...)`; not an output column.
    #[serde(skip)]
    pub bin_start: EventTime,
}

/// The column names of an alert row, in output order (the KQL's final `project`).
pub const COLUMNS: [&str; 14] = [
    "time_generated",
    "last_seen",
    "drop_events",
    "computer",
    "user_name",
    "parent_process_name",
    "parent_process_path",
    "parent_process_id",
    "process_path",
    "process_id",
    "command_line",
    "parent_command_line",
    "sample_exts",
    "sample_targets",
];

impl Alert {
    /// The output order: `order by last_seen desc`, then, to make it total, the group's keys
    /// ascending (computer, process_path, parent_process_path, parent_process_name,
    /// user_name) and its bin.
    pub fn output_order(a: &Alert, b: &Alert) -> Ordering {
        b.last_seen
            .cmp(&a.last_seen)
            .then_with(|| a.computer.cmp(&b.computer))
            .then_with(|| a.process_path.cmp(&b.process_path))
            .then_with(|| a.parent_process_path.cmp(&b.parent_process_path))
            .then_with(|| a.parent_process_name.cmp(&b.parent_process_name))
            .then_with(|| a.user_name.cmp(&b.user_name))
            .then_with(|| a.bin_start.cmp(&b.bin_start))
    }
}
