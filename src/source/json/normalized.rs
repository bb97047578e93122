//! The normalized layout: the rule's own columns, one event per object
//! (`event_id`, `time_generated`, `computer`, `process_id`, ...).

use super::value::{JsonId, Text};
use crate::event::{Event, FILE_CREATE, PROCESS_CREATE, Pid};
use crate::event::{FileCreate, ProcessCreate};
use crate::source::reject::Reject;
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

impl<'a> Normalized<'a> {
    /// The event, or why it cannot be one.
    pub fn into_event(self) -> Result<Event<'a>, Reject> {
        let event_id = match self.event_id {
            None | Some(JsonId(Pid::Missing)) => return Err(Reject::Missing("event_id")),
            Some(id) => id.event_id().ok_or_else(|| Reject::BadValue {
                field: "event_id",
                why: "not a decimal event id".to_string(),
            })?,
        };
        if event_id != PROCESS_CREATE && event_id != FILE_CREATE {
            return Ok(Event::Other { event_id });
        }
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
