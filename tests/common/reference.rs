//! A deliberately plain implementation of the seed's KQL, written from the rule document
//! and nothing else: lists, nested loops and full sets. Slow and obvious on purpose, to check
//! foothold's engine against.

use std::collections::{BTreeMap, BTreeSet};

use super::generate::SECOND;

#[derive(Debug, Clone)]
pub enum RefEvent {
    Start {
        ticks: i64,
        computer: String,
        pid: u64,
        image: String,
        command_line: String,
        parent_pid: Option<u64>,
        parent_image: String,
        parent_name: String,
        parent_command_line: String,
        user: Option<String>,
    },
    Create {
        ticks: i64,
        computer: String,
        pid: u64,
        target: String,
        ext: Option<String>,
    },
    Other {
        event_id: u64,
        ticks: i64,
    },
}

const WINDOW: i64 = 180 * SECOND;
const BIN: i64 = 600 * SECOND;
pub const TARGET_CAP: usize = 15;
pub const EXT_CAP: usize = 10;

/// A row of the KQL's output, with full sets (before `make_set`'s caps) and every candidate
/// of `arg_max` (rows tied on the latest drop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefRow {
    pub bin: i64,
    pub computer: String,
    pub process_path: String,
    pub parent_process_path: String,
    pub parent_process_name: String,
    pub user_name: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub drop_events: u64,
    pub targets: BTreeSet<String>,
    pub exts: BTreeSet<String>,
    /// (process_id, parent_process_id, command_line, parent_command_line) of each joined row
    /// with the latest `file_time`.
    pub latest: BTreeSet<(u64, Option<u64>, String, String)>,
}

/// `has`: the haystack split into terms (runs of letters and digits), compared whole.
fn has(haystack: &str, term: &str) -> bool {
    haystack
        .split(|c: char| !c.is_alphanumeric())
        .any(|t| !t.is_empty() && t.to_lowercase() == term.to_lowercase())
}

struct P {
    t: i64,
    computer: String,
    pid: u64,
    process_path: String,
    command_line: String,
    ppid: Option<u64>,
    parent_path: String,
    parent_name: String,
    parent_command_line: String,
    user: String,
}

struct D {
    t: i64,
    computer: String,
    pid: u64,
    target: String,
    ext: String,
}

fn parents(events: &[RefEvent]) -> Vec<P> {
    let allowlist = [
        r"c:\users\shawnspencer\appdata\local\microsoft\onedrive\update\onedrivesetup.exe",
        r"c:\users\shawnspencer\appdata\local\discord\update.exe",
        r"c:\programdata\microsoft\windows defender\platform\4.18.25080.5-0\msmpeng.exe",
        r"c:\users\shawnspencer\appdata\local\microsoft\onedrive\onedrivestandaloneupdater.exe",
    ];
    let mut out = Vec::new();
    for e in events {
        let RefEvent::Start {
            ticks,
            computer,
            pid,
            image,
            command_line,
            parent_pid,
            parent_image,
            parent_name,
            parent_command_line,
            user,
        } = e
        else {
            continue;
        };
        let parent_path = parent_image.to_lowercase();
        if parent_path.is_empty() {
            continue;
        }
        let writable = ["users", "appdata", "programdata", "temp"]
            .iter()
            .any(|t| has(&parent_path, t));
        if !writable || has(&parent_path, "windows") {
            continue;
        }
        if parent_path.contains(r"\appdata\local\discord\") {
            continue;
        }
        if parent_name.to_lowercase() == "werfault.exe" {
            continue;
        }
        if allowlist.contains(&parent_path.as_str()) {
            continue;
        }
        out.push(P {
            t: *ticks,
            computer: computer.clone(),
            pid: *pid,
            process_path: image.to_lowercase(),
            command_line: command_line.clone(),
            ppid: *parent_pid,
            parent_path,
            parent_name: parent_name.clone(),
            parent_command_line: parent_command_line.clone(),
            user: user.clone().unwrap_or_default(),
        });
    }
    out
}

fn drops(events: &[RefEvent]) -> Vec<D> {
    let owner = regex::Regex::new(r"\\~\$.+\.(docx|xlsx|pptx)$").unwrap();
    let ext_re = regex::Regex::new(r"\.([a-z0-9]{1,8})$").unwrap();
    let mut out = Vec::new();
    for e in events {
        let RefEvent::Create {
            ticks,
            computer,
            pid,
            target,
            ext,
        } = e
        else {
            continue;
        };
        let tgt = target.to_lowercase();
        let in_dir = [
            r"\appdata\local\",
            r"\appdata\roaming\",
            r"\local\temp\",
            r"\temp\",
            r"\desktop\",
        ]
        .iter()
        .any(|d| tgt.contains(d));
        if !in_dir {
            continue;
        }
        if tgt.contains(r"\appdata\local\google\chrome\user data\default\cache\")
            || tgt.contains(r"\appdata\local\microsoft\edge\user data\default\cache\")
            || owner.is_match(&tgt)
        {
            continue;
        }
        let given = ext.clone().unwrap_or_default();
        let ext = if given.is_empty() {
            ext_re
                .captures(&tgt)
                .map(|c| c[1].to_string())
                .unwrap_or_default()
        } else {
            given
        };
        out.push(D {
            t: *ticks,
            computer: computer.clone(),
            pid: *pid,
            target: tgt,
            ext,
        });
    }
    out
}

/// The rows the KQL returns for these events, in no particular order.
pub fn kql(events: &[RefEvent]) -> Vec<RefRow> {
    let parents = parents(events);
    let drops = drops(events);
    type Key = (i64, String, String, String, String, String);
    let mut groups: BTreeMap<Key, Vec<(&P, &D)>> = BTreeMap::new();
    for p in &parents {
        for d in &drops {
            if p.computer == d.computer && p.pid == d.pid && d.t >= p.t && d.t <= p.t + WINDOW {
                let bin = d.t - d.t.rem_euclid(BIN);
                let key = (
                    bin,
                    p.computer.clone(),
                    p.process_path.clone(),
                    p.parent_path.clone(),
                    p.parent_name.clone(),
                    p.user.clone(),
                );
                groups.entry(key).or_default().push((p, d));
            }
        }
    }
    groups
        .into_iter()
        .map(
            |(
                (bin, computer, process_path, parent_process_path, parent_process_name, user_name),
                rows,
            )| {
                let last_seen = rows.iter().map(|(_, d)| d.t).max().unwrap();
                RefRow {
                    bin,
                    computer,
                    process_path,
                    parent_process_path,
                    parent_process_name,
                    user_name,
                    first_seen: rows.iter().map(|(_, d)| d.t).min().unwrap(),
                    last_seen,
                    drop_events: rows.len() as u64,
                    targets: rows.iter().map(|(_, d)| d.target.clone()).collect(),
                    exts: rows.iter().map(|(_, d)| d.ext.clone()).collect(),
                    latest: rows
                        .iter()
                        .filter(|(_, d)| d.t == last_seen)
                        .map(|(p, _)| {
                            (
                                p.pid,
                                p.ppid,
                                p.command_line.clone(),
                                p.parent_command_line.clone(),
                            )
                        })
                        .collect(),
                }
            },
        )
        .collect()
}

/// Checks foothold's NDJSON rows against the reference: the same rows, the same columns and
/// values, in `last_seen desc` order. Samples may be any members when a set exceeds its cap,
/// and ids may come from any row tied on the latest drop: the KQL leaves both open.
pub fn check(expected: &[RefRow], got: &[serde_json::Value]) -> Result<(), String> {
    if expected.len() != got.len() {
        return Err(format!(
            "{} rows expected, {} printed:\nexpected {expected:#?}\ngot {got:#?}",
            expected.len(),
            got.len()
        ));
    }
    let ticks = |v: &serde_json::Value, key: &str| -> i64 {
        let text = v[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} is not a string"));
        let ts: jiff::Timestamp = text.parse().unwrap();
        assert!(text.ends_with('Z'), "{key}: {text} is not UTC");
        (ts.as_nanosecond() / 100) as i64
    };
    let columns = [
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
    let mut previous_last = i64::MAX;
    for row in got {
        let keys: Vec<&str> = row
            .as_object()
            .ok_or("a row is not an object")?
            .keys()
            .map(String::as_str)
            .collect();
        if keys != columns {
            return Err(format!("columns {keys:?}"));
        }
        let first = ticks(row, "time_generated");
        let last = ticks(row, "last_seen");
        if last > previous_last {
            return Err("rows are not in last_seen desc order".into());
        }
        previous_last = last;
        let s = |key: &str| row[key].as_str().unwrap_or_default().to_string();
        let bin = last - last.rem_euclid(BIN);
        let Some(want) = expected.iter().find(|r| {
            r.bin == bin
                && r.computer == s("computer")
                && r.process_path == s("process_path")
                && r.parent_process_path == s("parent_process_path")
                && r.parent_process_name == s("parent_process_name")
                && r.user_name == s("user_name")
        }) else {
            return Err(format!("unexpected row {row}"));
        };
        let fail = |what: &str| Err(format!("{what} differs:\nexpected {want:#?}\ngot {row}"));
        if want.first_seen != first || want.last_seen != last {
            return fail("first/last seen");
        }
        if row["drop_events"].as_u64() != Some(want.drop_events) {
            return fail("drop_events");
        }
        for (key, full, cap) in [
            ("sample_targets", &want.targets, TARGET_CAP),
            ("sample_exts", &want.exts, EXT_CAP),
        ] {
            let sample: Vec<String> = row[key]
                .as_array()
                .ok_or("sample is not an array")?
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect();
            let distinct: BTreeSet<String> = sample.iter().cloned().collect();
            if distinct.len() != sample.len() || sample.len() != full.len().min(cap) {
                return fail(key);
            }
            if !distinct.is_subset(full) {
                return fail(key);
            }
        }
        let latest = (
            row["process_id"].as_u64().ok_or("process_id")?,
            row["parent_process_id"].as_u64(),
            s("command_line"),
            s("parent_command_line"),
        );
        if !want.latest.contains(&latest) {
            return fail("arg_max columns");
        }
    }
    Ok(())
}
