//! The rows the rule keeps: the KQL's `parents` and `drops` after their `project`, owned, and
//! only for events that passed their side's filters.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::time::EventTime;

/// A process start whose parent image is in a user-writable path (a row of `parents`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parent {
    /// `p_time`.
    pub time: EventTime,
    pub computer: Box<str>,
    /// `None` where the source had no usable `ProcessId` (such a start can only join by GUID).
    pub process_id: Option<u64>,
    pub process_guid: Box<str>,
    /// Lowercased.
    pub process_path: Box<str>,
    pub command_line: Box<str>,
    pub parent_process_id: Option<u64>,
    /// Lowercased (`parent_path`).
    pub parent_process_path: Box<str>,
    pub parent_process_name: Box<str>,
    pub parent_command_line: Box<str>,
    pub user_name: Box<str>,
}

/// A file create in a staging directory (a row of `drops`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drop {
    /// `file_time`.
    pub time: EventTime,
    pub computer: Box<str>,
    /// `drop_process_id`; `None` where the source had no usable `ProcessId`.
    pub process_id: Option<u64>,
    pub process_guid: Box<str>,
    /// Lowercased (`tgt`).
    pub target_filename: Arc<str>,
    /// As the source gave it, or derived from the lowercased target.
    pub file_ext: Arc<str>,
}

/// A row of either side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    Parent(Parent),
    Drop(Drop),
}

impl Kept {
    /// The row's event time.
    pub fn time(&self) -> EventTime {
        match self {
            Kept::Parent(p) => p.time,
            Kept::Drop(d) => d.time,
        }
    }

    /// The computer the row came from.
    pub fn computer(&self) -> &str {
        match self {
            Kept::Parent(p) => &p.computer,
            Kept::Drop(d) => &d.computer,
        }
    }
}
