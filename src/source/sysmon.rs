//! Sysmon records as the shippers lay them out, made into the rule's normalized columns: which
//! provider counts, which clock is the event time, which field is the process id.

use std::borrow::Cow;

use serde::Deserialize;

use crate::event::{
    Event, FILE_CREATE, FileCreate, PROCESS_CREATE, Pid, ProcessCreate, image_name,
};
use crate::source::json::value::{JsonId, Text};
use crate::source::reject::Reject;
use crate::time::EventTime;

/// Sysmon's provider name.
pub const PROVIDER: &str = "Microsoft-Windows-Sysmon";
/// Sysmon's channel.
pub const CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";

/// The `EventData` fields the rule reads, by their Sysmon names (case-sensitive: `ProcessID`
/// and `ProcessId` are different fields, and only the latter is the event's process).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventData<'a> {
    #[serde(rename = "UtcTime", borrow)]
    pub utc_time: Option<Text<'a>>,
    #[serde(rename = "ProcessId")]
    pub process_id: JsonId,
    #[serde(rename = "ProcessGuid", borrow)]
    pub process_guid: Text<'a>,
    #[serde(rename = "Image", borrow)]
    pub image: Text<'a>,
    #[serde(rename = "CommandLine", borrow)]
    pub command_line: Text<'a>,
    #[serde(rename = "ParentProcessId")]
    pub parent_process_id: JsonId,
    #[serde(rename = "ParentProcessGuid", borrow)]
    pub parent_process_guid: Text<'a>,
    #[serde(rename = "ParentImage", borrow)]
    pub parent_image: Text<'a>,
    #[serde(rename = "ParentCommandLine", borrow)]
    pub parent_command_line: Text<'a>,
    #[serde(rename = "User", borrow)]
    pub user: Text<'a>,
    #[serde(rename = "TargetFilename", borrow)]
    pub target_filename: Text<'a>,
}

impl EventData<'_> {
    /// The same fields, owned (for `EventData` that arrived as a nested document).
    pub fn into_owned(self) -> EventData<'static> {
        fn own(t: Text<'_>) -> Text<'static> {
            Text(Cow::Owned(t.0.into_owned()))
        }
        EventData {
            utc_time: self.utc_time.map(own),
            process_id: self.process_id,
            process_guid: own(self.process_guid),
            image: own(self.image),
            command_line: own(self.command_line),
            parent_process_id: self.parent_process_id,
            parent_process_guid: own(self.parent_process_guid),
            parent_image: own(self.parent_image),
            parent_command_line: own(self.parent_command_line),
            user: own(self.user),
            target_filename: own(self.target_filename),
        }
    }
}

/// One record's fields, gathered from whichever layout carried them.
#[derive(Debug, Default)]
pub struct SysmonRecord<'a> {
    /// The provider name, where the layout gives one.
    pub provider: Option<Cow<'a, str>>,
    /// The channel (log name), where the layout gives one.
    pub channel: Option<Cow<'a, str>>,
    pub event_id: JsonId,
    pub computer: Cow<'a, str>,
    /// System `TimeCreated` (the top-level `TimeCreated` in flat layouts).
    pub time_created: Option<Cow<'a, str>>,
    /// The layout's own timestamp (`@timestamp`, `TimeGenerated`): the last resort.
    pub layout_time: Option<Cow<'a, str>>,
    pub data: EventData<'a>,
    /// The rendered message text, where the layout has one (NXLog).
    pub message: Option<Cow<'a, str>>,
    /// Why the layout's `EventData` could not be read, if it could not (Sentinel's nested
    /// document); reported only if the record is one the rule reads.
    pub data_error: Option<String>,
}

/// What a record's id and provider say about it, before its fields are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A Sysmon event of an id the rule does not read.
    Other(u32),
    /// An event of another provider.
    NotSysmon(u32),
    /// A Sysmon EID 1 or 11: its fields are needed.
    Read(u32),
}

impl Class {
    /// The event to count, for a record the rule does not read.
    pub fn skipped(self) -> Option<Event<'static>> {
        match self {
            Class::Other(event_id) => Some(Event::Other { event_id }),
            Class::NotSysmon(event_id) => Some(Event::NotSysmon { event_id }),
            Class::Read(_) => None,
        }
    }
}

/// Classifies a record by its event id and its provider or channel (`None` where its layout
/// has none, as the normalized one, which is taken to be Sysmon's).
pub fn classify(
    event_id: JsonId,
    source: Option<(Option<&str>, Option<&str>)>,
) -> Result<Class, Reject> {
    let event_id = match event_id.0 {
        Pid::Missing => return Err(Reject::Missing("EventID")),
        _ => event_id.event_id().ok_or_else(|| Reject::BadValue {
            field: "EventID",
            why: "not a decimal event id".to_string(),
        })?,
    };
    if let Some((provider, channel)) = source
        && !is_sysmon(provider, channel)
    {
        return Ok(Class::NotSysmon(event_id));
    }
    if event_id != PROCESS_CREATE && event_id != FILE_CREATE {
        return Ok(Class::Other(event_id));
    }
    Ok(Class::Read(event_id))
}

/// Whether the record comes from Sysmon: by provider, or by channel where there is no
/// provider (forwarded events keep their provider but sit in `ForwardedEvents`).
fn is_sysmon(provider: Option<&str>, channel: Option<&str>) -> bool {
    match (provider.filter(|p| !p.is_empty()), channel) {
        (Some(provider), _) => provider.eq_ignore_ascii_case(PROVIDER),
        (None, Some(channel)) => channel.eq_ignore_ascii_case(CHANNEL),
        (None, None) => false,
    }
}

/// `ProcessId: N` from a rendered Sysmon message, as a line of its own.
fn pid_from_message(message: &str) -> Pid {
    for line in message.lines() {
        if let Some(rest) = line.strip_prefix("ProcessId: ") {
            return Pid::parse(rest.trim_end());
        }
    }
    Pid::Missing
}

fn parse_time(field: &'static str, text: &str) -> Result<EventTime, Reject> {
    EventTime::parse(text).map_err(|e| Reject::BadValue {
        field,
        why: e.to_string(),
    })
}

fn present<'t>(text: &'t Option<Cow<'_, str>>) -> Option<&'t str> {
    text.as_deref().filter(|t| !t.trim().is_empty())
}

impl<'a> SysmonRecord<'a> {
    /// The normalized event, or why the record cannot be one.
    ///
    /// The event time is `UtcTime` (Sysmon's own clock); only where it is absent, System
    /// `TimeCreated`, then the layout's timestamp. A `UtcTime` that is there but unreadable
    /// rejects the record rather than falling back to another clock.
    pub fn normalize(self) -> Result<Event<'a>, Reject> {
        let source = Some((self.provider.as_deref(), self.channel.as_deref()));
        let class = classify(self.event_id, source)?;
        if let Some(event) = class.skipped() {
            return Ok(event);
        }
        let event_id = match class {
            Class::Read(event_id) => event_id,
            Class::Other(event_id) | Class::NotSysmon(event_id) => event_id,
        };
        if let Some(why) = self.data_error {
            return Err(Reject::BadValue {
                field: "EventData",
                why,
            });
        }
        let utc_time = self
            .data
            .utc_time
            .as_ref()
            .map(|t| t.get())
            .filter(|t| !t.is_empty());
        let time = if let Some(text) = utc_time {
            parse_time("UtcTime", text)?
        } else if let Some(text) = present(&self.time_created) {
            parse_time("TimeCreated", text)?
        } else if let Some(text) = present(&self.layout_time) {
            parse_time("timestamp", text)?
        } else {
            return Err(Reject::Missing("UtcTime"));
        };
        let data = self.data;
        let process_id = match (data.process_id.0, &self.message) {
            (Pid::Missing, Some(message)) => pid_from_message(message),
            (pid, _) => pid,
        };
        if event_id == PROCESS_CREATE {
            let parent_image = data.parent_image.into_cow();
            let parent_process_name = match &parent_image {
                Cow::Borrowed(path) => Cow::Borrowed(image_name(path)),
                Cow::Owned(path) => Cow::Owned(image_name(path).to_string()),
            };
            Ok(Event::ProcessCreate(ProcessCreate {
                time,
                computer: self.computer,
                process_id,
                process_guid: data.process_guid.into_cow(),
                process_path: data.image.into_cow(),
                command_line: data.command_line.into_cow(),
                parent_process_id: data.parent_process_id.0,
                parent_process_guid: data.parent_process_guid.into_cow(),
                parent_process_path: parent_image,
                parent_process_name,
                parent_command_line: data.parent_command_line.into_cow(),
                user_name: data.user.into_cow(),
            }))
        } else {
            Ok(Event::FileCreate(FileCreate {
                time,
                computer: self.computer,
                process_id,
                process_guid: data.process_guid.into_cow(),
                target_filename: data.target_filename.into_cow(),
                file_ext: Cow::Borrowed(""),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(
        provider: Option<&'static str>,
        channel: Option<&'static str>,
    ) -> SysmonRecord<'static> {
        SysmonRecord {
            provider: provider.map(Cow::Borrowed),
            channel: channel.map(Cow::Borrowed),
            event_id: JsonId(Pid::Valid(11)),
            computer: Cow::Borrowed("H"),
            data: EventData {
                utc_time: Some(Text(Cow::Borrowed("2024-05-01 10:00:00.000"))),
                process_id: JsonId(Pid::Valid(7)),
                ..EventData::default()
            },
            ..SysmonRecord::default()
        }
    }

    #[test]
    fn only_sysmon_counts_by_provider_then_channel() {
        let sysmon = |p, c| matches!(record(p, c).normalize(), Ok(Event::FileCreate(_)));
        assert!(sysmon(
            Some("Microsoft-Windows-Sysmon"),
            Some("ForwardedEvents")
        ));
        assert!(sysmon(Some("microsoft-windows-sysmon"), None));
        assert!(sysmon(None, Some("microsoft-windows-sysmon/operational")));
        assert!(!sysmon(
            Some("Microsoft-Windows-Winsock-WS2HELP"),
            Some(CHANNEL)
        ));
        assert!(!sysmon(None, Some("Security")));
        assert!(!sysmon(None, None));
    }

    #[test]
    fn utc_time_wins_over_the_other_clocks() {
        let mut r = record(Some(PROVIDER), None);
        r.time_created = Some(Cow::Borrowed("2024-05-01T13:00:00Z"));
        r.layout_time = Some(Cow::Borrowed("2024-05-01T14:00:00Z"));
        let Ok(Event::FileCreate(f)) = r.normalize() else {
            panic!()
        };
        assert_eq!(f.time, EventTime::parse("2024-05-01T10:00:00Z").unwrap());
    }

    #[test]
    fn time_created_then_layout_time_only_where_utc_time_is_absent() {
        let mut r = record(Some(PROVIDER), None);
        r.data.utc_time = None;
        r.time_created = Some(Cow::Borrowed("2024-05-01T13:00:00Z"));
        r.layout_time = Some(Cow::Borrowed("2024-05-01T14:00:00Z"));
        let Ok(Event::FileCreate(f)) = r.normalize() else {
            panic!()
        };
        assert_eq!(f.time, EventTime::parse("2024-05-01T13:00:00Z").unwrap());
        let mut r = record(Some(PROVIDER), None);
        r.data.utc_time = None;
        r.layout_time = Some(Cow::Borrowed("2024-05-01T14:00:00Z"));
        let Ok(Event::FileCreate(f)) = r.normalize() else {
            panic!()
        };
        assert_eq!(f.time, EventTime::parse("2024-05-01T14:00:00Z").unwrap());
    }

    #[test]
    fn an_unreadable_utc_time_rejects_the_record() {
        let mut r = record(Some(PROVIDER), None);
        r.data.utc_time = Some(Text(Cow::Borrowed("yesterday")));
        r.time_created = Some(Cow::Borrowed("2024-05-01T13:00:00Z"));
        assert!(matches!(
            r.normalize(),
            Err(Reject::BadValue {
                field: "UtcTime",
                ..
            })
        ));
    }

    #[test]
    fn pid_comes_from_the_message_only_when_event_data_lacks_it() {
        let message =
            "Process Create:\r\nUtcTime: x\r\nParentProcessId: 99\r\nProcessId: 4544\r\nImage: a";
        assert_eq!(pid_from_message(message), Pid::Valid(4544));
        assert_eq!(pid_from_message("ParentProcessId: 99"), Pid::Missing);
        let mut r = record(Some(PROVIDER), None);
        r.data.process_id = JsonId(Pid::Missing);
        r.message = Some(Cow::Borrowed(message));
        let Ok(Event::FileCreate(f)) = r.normalize() else {
            panic!()
        };
        assert_eq!(f.process_id, Pid::Valid(4544));
    }

    #[test]
    fn parent_name_is_the_last_part_of_parent_image() {
        let mut r = record(Some(PROVIDER), None);
        r.event_id = JsonId(Pid::Valid(1));
        r.data.parent_image = Text(Cow::Borrowed(r"C:\Users\a\Desktop\Dropper.EXE"));
        let Ok(Event::ProcessCreate(p)) = r.normalize() else {
            panic!()
        };
        assert_eq!(p.parent_process_name, "Dropper.EXE");
        assert_eq!(p.parent_process_path, r"C:\Users\a\Desktop\Dropper.EXE");
    }
}
