//! Builders of kept rows for unit tests.

use std::sync::Arc;

use crate::rule::{Drop, Parent};
use crate::time::EventTime;

/// A time `secs` seconds after 2024-05-01T10:00:00Z.
pub fn at(secs: f64) -> EventTime {
    const BASE: i64 = 1_714_557_600 * 10_000_000;
    EventTime::from_ticks(BASE + (secs * 1e7).round() as i64)
}

/// A kept start of `pid` on `computer` at `secs`, child `c:\users\a\evil.exe`.
pub fn parent(computer: &str, pid: u64, secs: f64) -> Parent {
    Parent {
        time: at(secs),
        computer: computer.into(),
        process_id: Some(pid),
        process_guid: format!("{{GUID-{pid}}}").into(),
        process_path: r"c:\users\a\evil.exe".into(),
        command_line: format!("evil.exe {pid}").into(),
        parent_process_id: Some(1),
        parent_process_path: r"c:\users\a\downloads\dropper.exe".into(),
        parent_process_name: "dropper.exe".into(),
        parent_command_line: "dropper.exe".into(),
        user_name: r"CORP\a".into(),
    }
}

/// A kept file create by `pid` on `computer` at `secs`.
pub fn drop(computer: &str, pid: u64, secs: f64, target: &str) -> Drop {
    Drop {
        time: at(secs),
        computer: computer.into(),
        process_id: Some(pid),
        process_guid: format!("{{GUID-{pid}}}").into(),
        target_filename: Arc::from(target),
        file_ext: Arc::from(target.rsplit_once('.').map_or("", |(_, e)| e)),
    }
}
