//! The normalized layout: the rule's own columns, one event per object
//! (`event_id`, `time_generated`, `computer`, `process_id`, ...).

use super::value::{JsonId, Text};
use crate::event::{Event, PROCESS_CREATE, Pid};
use crate::event::{FileCreate, ProcessCreate};
use crate::source::reject::Reject;
use crate::source::sysmon::{Class, classify};
use crate::time::EventTime;

/// The normalized columns; every one optional so that a missing one can be named.
#[derive(Debug, Default)]
pub struct Normalized<'a> {
    pub event_id: Option<JsonId>,
    pub time_generated: Option<Text<'a>>,
    pub computer: Text<'a>,
    pub process_id: JsonId,
    pub process_guid: Text<'a>,
    pub process_path: Text<'a>,
    pub command_line: Text<'a>,
    pub parent_process_id: JsonId,
    pub parent_process_guid: Text<'a>,
    pub parent_process_path: Text<'a>,
    pub parent_process_name: Text<'a>,
    pub parent_command_line: Text<'a>,
    pub user_name: Text<'a>,
    pub target_filename: Text<'a>,
    pub file_ext: Text<'a>,
}

/// [`classify`] for the normalized layout, whose id field is `event_id` and which has no
/// provider.
pub fn classify_normalized(event_id: Option<JsonId>) -> Result<Class, Reject> {
    classify(event_id.unwrap_or_default(), None).map_err(|reject| match reject {
        Reject::Missing(_) => Reject::Missing("event_id"),
        Reject::BadValue { why, .. } => Reject::BadValue {
            field: "event_id",
            why,
        },
        other => other,
    })
}

impl<'a> Normalized<'a> {
    /// The event, or why it cannot be one.
    pub fn into_event(self) -> Result<Event<'a>, Reject> {
        let class = classify_normalized(self.event_id)?;
        if let Some(event) = class.skipped() {
            return Ok(event);
        }
        let event_id = match class {
            Class::Read(event_id) | Class::Other(event_id) | Class::NotSysmon(event_id) => event_id,
        };
        let time = match &self.time_generated {
            Some(text) if !text.get().is_empty() => {
                EventTime::parse(text.get()).map_err(|e| Reject::BadValue {
                    field: "time_generated",
                    why: e.to_string(),
                })?
            }
            _ => return Err(Reject::Missing("time_generated")),
        };
        if event_id == PROCESS_CREATE {
            if self.parent_process_id.0 == Pid::Invalid {
                return Err(Reject::BadValue {
                    field: "parent_process_id",
                    why: "not a decimal process id".to_string(),
                });
            }
            Ok(Event::ProcessCreate(ProcessCreate {
                time,
                computer: self.computer.into_cow(),
                process_id: self.process_id.0,
                process_guid: self.process_guid.into_cow(),
                process_path: self.process_path.into_cow(),
                command_line: self.command_line.into_cow(),
                parent_process_id: self.parent_process_id.0,
                parent_process_guid: self.parent_process_guid.into_cow(),
                parent_process_path: self.parent_process_path.into_cow(),
                parent_process_name: self.parent_process_name.into_cow(),
                parent_command_line: self.parent_command_line.into_cow(),
                user_name: self.user_name.into_cow(),
            }))
        } else {
            Ok(Event::FileCreate(FileCreate {
                time,
                computer: self.computer.into_cow(),
                process_id: self.process_id.0,
                process_guid: self.process_guid.into_cow(),
                target_filename: self.target_filename.into_cow(),
                file_ext: self.file_ext.into_cow(),
            }))
        }
    }
}
