//! The normalized event: the rule's input columns, as every source produces them.
//!
//! Strings borrow from the decoder's buffer where they can; a missing or null string is `""`
//! (KQL strings are never null). Ids are `None` where the source had none or an unusable one.

use std::borrow::Cow;

use crate::time::EventTime;

/// Sysmon's event id for a process start.
pub const PROCESS_CREATE: u32 = 1;
/// Sysmon's event id for a file create.
pub const FILE_CREATE: u32 = 11;

/// One decoded record, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// Sysmon EID 1.
    ProcessCreate(ProcessCreate<'a>),
    /// Sysmon EID 11.
    FileCreate(FileCreate<'a>),
    /// A Sysmon event of another id: counted, not used.
    Other { event_id: u32 },
    /// An event of another provider (Winsock, Security, ... emit ids 1 and 11 too): counted,
    /// skipped.
    NotSysmon { event_id: u32 },
}

fn own(text: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(text.into_owned())
}

impl Event<'_> {
    /// The same event, owning its strings.
    pub fn into_owned(self) -> Event<'static> {
        match self {
            Event::ProcessCreate(p) => Event::ProcessCreate(ProcessCreate {
                time: p.time,
                computer: own(p.computer),
                process_id: p.process_id,
                process_guid: own(p.process_guid),
                process_path: own(p.process_path),
                command_line: own(p.command_line),
                parent_process_id: p.parent_process_id,
                parent_process_guid: own(p.parent_process_guid),
                parent_process_path: own(p.parent_process_path),
                parent_process_name: own(p.parent_process_name),
                parent_command_line: own(p.parent_command_line),
                user_name: own(p.user_name),
            }),
            Event::FileCreate(f) => Event::FileCreate(FileCreate {
                time: f.time,
                computer: own(f.computer),
                process_id: f.process_id,
                process_guid: own(f.process_guid),
                target_filename: own(f.target_filename),
                file_ext: own(f.file_ext),
            }),
            Event::Other { event_id } => Event::Other { event_id },
            Event::NotSysmon { event_id } => Event::NotSysmon { event_id },
        }
    }
}

/// A process id as a source gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pid {
    /// A decimal process id.
    Valid(u64),
    /// The source had no such field.
    #[default]
    Missing,
    /// The field was there but is not a decimal process id (negative, a float, text, too big).
    Invalid,
}

impl Pid {
    /// The id, when there is a usable one.
    pub fn get(self) -> Option<u64> {
        match self {
            Pid::Valid(pid) => Some(pid),
            Pid::Missing | Pid::Invalid => None,
        }
    }

    /// Reads a decimal id written as text (`"4242"`); surrounding spaces are not allowed.
    pub fn parse(text: &str) -> Pid {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Pid::Invalid;
        }
        text.parse().map_or(Pid::Invalid, Pid::Valid)
    }
}

/// Sysmon EID 1, in the columns of the KQL's `Sysmon_1_ProcessCreate()`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessCreate<'a> {
    pub time: EventTime,
    pub computer: Cow<'a, str>,
    pub process_id: Pid,
    pub process_guid: Cow<'a, str>,
    pub process_path: Cow<'a, str>,
    pub command_line: Cow<'a, str>,
    pub parent_process_id: Pid,
    pub parent_process_guid: Cow<'a, str>,
    pub parent_process_path: Cow<'a, str>,
    pub parent_process_name: Cow<'a, str>,
    pub parent_command_line: Cow<'a, str>,
    pub user_name: Cow<'a, str>,
}

/// Sysmon EID 11, in the columns of the KQL's `Sysmon_11_FileCreate()`.
#[derive(Debug, Clone, PartialEq)]
pub struct FileCreate<'a> {
    pub time: EventTime,
    pub computer: Cow<'a, str>,
    pub process_id: Pid,
    pub process_guid: Cow<'a, str>,
    pub target_filename: Cow<'a, str>,
    pub file_ext: Cow<'a, str>,
}

/// The last `\`-separated part of an image path: how Sysmon's `ParentImage` becomes the
/// rule's `parent_process_name`.
pub fn image_name(path: &str) -> &str {
    path.rsplit('\\').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_parse_only_plain_decimals() {
        assert_eq!(Pid::parse("4242"), Pid::Valid(4242));
        assert_eq!(Pid::parse("0"), Pid::Valid(0));
        for bad in ["", "-1", "1.0", " 12", "0x10", "99999999999999999999999"] {
            assert_eq!(Pid::parse(bad), Pid::Invalid, "{bad}");
        }
    }

    #[test]
    fn image_name_is_the_last_backslash_part() {
        assert_eq!(image_name(r"C:\Users\a\Desktop\Evil.exe"), "Evil.exe");
        assert_eq!(image_name("evil.exe"), "evil.exe");
        assert_eq!(image_name(""), "");
        assert_eq!(image_name(r"C:\dir\"), "");
    }
}
