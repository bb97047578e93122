//! The JSON layouts foothold reads, as one borrowed structure: every top-level key any layout
//! uses, so that one parse serves all of them, and the rules that tell the layouts apart.
//!
//! | layout | recognized by | provider / channel | computer | event time fallbacks |
//! |---|---|---|---|---|
//! | `evtx_dump` | `Event.System` | `Provider.Name`, `Channel` | `Computer` | `TimeCreated.SystemTime` |
//! | Elastic ECS | `winlog` | `winlog.provider_name`, `winlog.channel` | `winlog.computer_name` | `@timestamp` |
//! | winlogbeat 6 | `event_data`, `source_name`, `log_name` or `computer_name` | `source_name`, `log_name` | `computer_name` | `@timestamp` |
//! | Sentinel `WindowsEvent` | `EventData` (a JSON string) | `Provider`, `Channel` | `Computer` | `TimeGenerated` |
//! | NXLog / OTRF flat | `EventID` | `SourceName`, `Channel` | `Hostname` | `TimeCreated`, `@timestamp` |
//! | normalized | `event_id` | (not checked) | `computer` | (none) |

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::normalized::{Normalized, classify_normalized};
use super::value::{JsonId, Text};
use crate::event::Event;
use crate::source::reject::Reject;
use crate::source::sysmon::{Class, EventData, SysmonRecord, classify};

/// Every top-level key of every layout.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AnyLayout<'a> {
    /// `evtx_dump`.
    #[serde(rename = "Event", borrow)]
    pub evtx: Option<EvtxEvent<'a>>,
    /// Elastic ECS.
    #[serde(borrow)]
    pub winlog: Option<Winlog<'a>>,
    /// winlogbeat 6.
    #[serde(borrow)]
    pub event_data: Option<EventData<'a>>,
    #[serde(borrow)]
    pub computer_name: Option<Text<'a>>,
    #[serde(borrow)]
    pub log_name: Option<Text<'a>>,
    #[serde(borrow)]
    pub source_name: Option<Text<'a>>,
    /// winlogbeat 6 and the normalized layout.
    pub event_id: Option<JsonId>,
    #[serde(rename = "@timestamp", borrow)]
    pub at_timestamp: Option<Text<'a>>,
    /// Sentinel `WindowsEvent`: a JSON document in a string (or, in some exports, an object).
    #[serde(rename = "EventData", borrow)]
    pub sentinel_data: Option<NestedEventData<'a>>,
    #[serde(rename = "Provider", borrow)]
    pub provider: Option<Text<'a>>,
    #[serde(rename = "Computer", borrow)]
    pub computer_upper: Option<Text<'a>>,
    #[serde(rename = "TimeGenerated", borrow)]
    pub time_generated_upper: Option<Text<'a>>,
    /// NXLog / OTRF flat, and Sentinel.
    #[serde(rename = "EventID")]
    pub event_id_upper: Option<JsonId>,
    #[serde(rename = "Channel", borrow)]
    pub channel: Option<Text<'a>>,
    #[serde(rename = "SourceName", borrow)]
    pub source_name_upper: Option<Text<'a>>,
    #[serde(rename = "Hostname", borrow)]
    pub hostname: Option<Text<'a>>,
    #[serde(rename = "TimeCreated", borrow)]
    pub time_created: Option<Text<'a>>,
    #[serde(rename = "Message", borrow)]
    pub message: Option<Text<'a>>,
    #[serde(rename = "UtcTime", borrow)]
    pub utc_time: Option<Text<'a>>,
    #[serde(rename = "ProcessId")]
    pub process_id_upper: JsonId,
    #[serde(rename = "ProcessGuid", borrow)]
    pub process_guid_upper: Text<'a>,
    #[serde(rename = "Image", borrow)]
    pub image: Text<'a>,
    #[serde(rename = "CommandLine", borrow)]
    pub command_line_upper: Text<'a>,
    #[serde(rename = "ParentProcessId")]
    pub parent_process_id_upper: JsonId,
    #[serde(rename = "ParentProcessGuid", borrow)]
    pub parent_process_guid_upper: Text<'a>,
    #[serde(rename = "ParentImage", borrow)]
    pub parent_image: Text<'a>,
    #[serde(rename = "ParentCommandLine", borrow)]
    pub parent_command_line_upper: Text<'a>,
    #[serde(rename = "User", borrow)]
    pub user: Text<'a>,
    #[serde(rename = "TargetFilename", borrow)]
    pub target_filename_upper: Text<'a>,
    /// The normalized layout.
    #[serde(borrow)]
    pub time_generated: Option<Text<'a>>,
    #[serde(borrow)]
    pub computer: Text<'a>,
    pub process_id: JsonId,
    #[serde(borrow)]
    pub process_guid: Text<'a>,
    #[serde(borrow)]
    pub process_path: Text<'a>,
    #[serde(borrow)]
    pub command_line: Text<'a>,
    pub parent_process_id: JsonId,
    #[serde(borrow)]
    pub parent_process_guid: Text<'a>,
    #[serde(borrow)]
    pub parent_process_path: Text<'a>,
    #[serde(borrow)]
    pub parent_process_name: Text<'a>,
    #[serde(borrow)]
    pub parent_command_line: Text<'a>,
    #[serde(borrow)]
    pub user_name: Text<'a>,
    #[serde(borrow)]
    pub target_filename: Text<'a>,
    #[serde(borrow)]
    pub file_ext: Text<'a>,
}

/// `evtx_dump`'s `Event`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EvtxEvent<'a> {
    #[serde(rename = "System", borrow)]
    pub system: Option<EvtxSystem<'a>>,
    #[serde(rename = "EventData", borrow)]
    pub event_data: Option<EventData<'a>>,
}

/// `evtx_dump`'s `Event.System`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EvtxSystem<'a> {
    #[serde(rename = "Provider", borrow)]
    pub provider: Option<Attributes<'a>>,
    #[serde(rename = "EventID")]
    pub event_id: JsonId,
    #[serde(rename = "TimeCreated", borrow)]
    pub time_created: Option<Attributes<'a>>,
    #[serde(rename = "Channel", borrow)]
    pub channel: Option<Text<'a>>,
    #[serde(rename = "Computer", borrow)]
    pub computer: Text<'a>,
}

/// An element with attributes, as `evtx_dump` writes it: `{"#attributes": {...}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Attributes<'a> {
    #[serde(rename = "#attributes", borrow)]
    pub attributes: AttributeValues<'a>,
}

/// The attributes the rule needs: `Provider Name` and `TimeCreated SystemTime`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AttributeValues<'a> {
    #[serde(rename = "Name", borrow)]
    pub name: Option<Text<'a>>,
    #[serde(rename = "SystemTime", borrow)]
    pub system_time: Option<Text<'a>>,
}

/// ECS's `winlog`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Winlog<'a> {
    #[serde(borrow)]
    pub event_data: Option<EventData<'a>>,
    pub event_id: JsonId,
    #[serde(borrow)]
    pub computer_name: Text<'a>,
    #[serde(borrow)]
    pub channel: Option<Text<'a>>,
    #[serde(borrow)]
    pub provider_name: Option<Text<'a>>,
}

/// Sentinel's `EventData`: the fields, from a JSON string or an object.
#[derive(Debug)]
pub struct NestedEventData<'a>(pub Result<EventData<'a>, String>);

impl<'de: 'a, 'a> Deserialize<'de> for NestedEventData<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NestedEventData<'a>, D::Error> {
        d.deserialize_any(NestedVisitor)
    }
}

struct NestedVisitor;

impl<'de> Visitor<'de> for NestedVisitor {
    type Value = NestedEventData<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EventData as a JSON string or object")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(NestedEventData(
            serde_json::from_str::<EventData<'_>>(v)
                .map(EventData::into_owned)
                .map_err(|e| format!("EventData string is not a JSON object: {e}")),
        ))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        EventData::deserialize(de::value::MapAccessDeserializer::new(map))
            .map(|d| NestedEventData(Ok(d)))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(NestedEventData(Ok(EventData::default())))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(NestedEventData(Err("EventData is an array".to_string())))
    }
}

fn cow<'a>(text: Option<Text<'a>>) -> Option<Cow<'a, str>> {
    text.map(Text::into_cow)
}

/// The layouts, told apart by which top-level keys a record has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    EvtxDump,
    Ecs,
    Winlogbeat6,
    Sentinel,
    Flat,
    Normalized,
    Unknown,
}

/// Which of the keys that tell the layouts apart a record has.
struct Keys {
    event: bool,
    winlog: bool,
    winlogbeat6: bool,
    sentinel_data: bool,
    event_id_upper: bool,
    normalized: bool,
}

/// The layout of a record, from the presence of its keys; `AnyLayout` and `Envelope` name
/// them alike.
macro_rules! layout_of {
    ($record:expr) => {
        Layout::of(Keys {
            event: $record.evtx.is_some(),
            winlog: $record.winlog.is_some(),
            winlogbeat6: $record.event_data.is_some()
                || $record.source_name.is_some()
                || $record.log_name.is_some()
                || $record.computer_name.is_some(),
            sentinel_data: $record.sentinel_data.is_some(),
            event_id_upper: $record.event_id_upper.is_some(),
            normalized: $record.event_id.is_some() || $record.time_generated.is_some(),
        })
    };
}

impl Layout {
    fn of(keys: Keys) -> Layout {
        if keys.event {
            Layout::EvtxDump
        } else if keys.winlog {
            Layout::Ecs
        } else if keys.winlogbeat6 {
            Layout::Winlogbeat6
        } else if keys.sentinel_data {
            Layout::Sentinel
        } else if keys.event_id_upper {
            Layout::Flat
        } else if keys.normalized {
            Layout::Normalized
        } else {
            Layout::Unknown
        }
    }
}

fn unknown_layout() -> Reject {
    Reject::UnknownLayout(
        "no `Event`, `winlog`, `event_data`, `EventData`, `EventID` or `event_id` key; \
         see the README's input table"
            .to_string(),
    )
}

impl<'a> AnyLayout<'a> {
    fn layout(&self) -> Layout {
        layout_of!(self)
    }

    /// Tells the layout apart and normalizes the record.
    pub fn into_event(self) -> Result<Event<'a>, Reject> {
        match self.layout() {
            Layout::EvtxDump => {
                let evtx = self.evtx.unwrap_or_default();
                let system = evtx.system.unwrap_or_default();
                SysmonRecord {
                    provider: system.provider.and_then(|p| cow(p.attributes.name)),
                    channel: cow(system.channel),
                    event_id: system.event_id,
                    computer: system.computer.into_cow(),
                    time_created: system
                        .time_created
                        .and_then(|t| cow(t.attributes.system_time)),
                    layout_time: None,
                    data: evtx.event_data.unwrap_or_default(),
                    message: None,
                    data_error: None,
                }
                .normalize()
            }
            Layout::Ecs => {
                let winlog = self.winlog.unwrap_or_default();
                SysmonRecord {
                    provider: cow(winlog.provider_name),
                    channel: cow(winlog.channel),
                    event_id: winlog.event_id,
                    computer: winlog.computer_name.into_cow(),
                    time_created: None,
                    layout_time: cow(self.at_timestamp),
                    data: winlog.event_data.unwrap_or_default(),
                    message: None,
                    data_error: None,
                }
                .normalize()
            }
            Layout::Winlogbeat6 => SysmonRecord {
                provider: cow(self.source_name),
                channel: cow(self.log_name),
                event_id: self.event_id.unwrap_or_default(),
                computer: self.computer_name.map(Text::into_cow).unwrap_or_default(),
                time_created: None,
                layout_time: cow(self.at_timestamp),
                data: self.event_data.unwrap_or_default(),
                message: None,
                data_error: None,
            }
            .normalize(),
            Layout::Sentinel => {
                let (data, data_error) = match self.sentinel_data.map(|n| n.0) {
                    Some(Ok(data)) => (data, None),
                    Some(Err(why)) => (EventData::default(), Some(why)),
                    None => (EventData::default(), None),
                };
                SysmonRecord {
                    provider: cow(self.provider),
                    channel: cow(self.channel),
                    event_id: self.event_id_upper.unwrap_or_default(),
                    computer: self.computer_upper.map(Text::into_cow).unwrap_or_default(),
                    time_created: cow(self.time_created),
                    layout_time: cow(self.time_generated_upper),
                    data,
                    message: None,
                    data_error,
                }
                .normalize()
            }
            Layout::Flat => {
                let computer = self.hostname.or(self.computer_upper);
                SysmonRecord {
                    provider: cow(self.source_name_upper).or(cow(self.provider)),
                    channel: cow(self.channel),
                    event_id: self.event_id_upper.unwrap_or_default(),
                    computer: computer.map(Text::into_cow).unwrap_or_default(),
                    time_created: cow(self.time_created),
                    layout_time: cow(self.at_timestamp),
                    data: EventData {
                        utc_time: self.utc_time,
                        process_id: self.process_id_upper,
                        process_guid: self.process_guid_upper,
                        image: self.image,
                        command_line: self.command_line_upper,
                        parent_process_id: self.parent_process_id_upper,
                        parent_process_guid: self.parent_process_guid_upper,
                        parent_image: self.parent_image,
                        parent_command_line: self.parent_command_line_upper,
                        user: self.user,
                        target_filename: self.target_filename_upper,
                    },
                    message: cow(self.message),
                    data_error: None,
                }
                .normalize()
            }
            Layout::Normalized => Normalized {
                event_id: self.event_id,
                time_generated: self.time_generated,
                computer: self.computer,
                process_id: self.process_id,
                process_guid: self.process_guid,
                process_path: self.process_path,
                command_line: self.command_line,
                parent_process_id: self.parent_process_id,
                parent_process_guid: self.parent_process_guid,
                parent_process_path: self.parent_process_path,
                parent_process_name: self.parent_process_name,
                parent_command_line: self.parent_command_line,
                user_name: self.user_name,
                target_filename: self.target_filename,
                file_ext: self.file_ext,
            }
            .into_event(),
            Layout::Unknown => Err(unknown_layout()),
        }
    }
}

/// The few keys that tell a record's layout, id and provider, with everything else skipped
/// unread: enough to set aside, cheaply, the records the rule does not read (most of them).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Envelope<'a> {
    #[serde(rename = "Event", borrow)]
    evtx: Option<EnvelopeEvtx<'a>>,
    #[serde(borrow)]
    winlog: Option<EnvelopeWinlog<'a>>,
    event_data: Option<IgnoredAny>,
    computer_name: Option<IgnoredAny>,
    #[serde(borrow)]
    log_name: Option<Text<'a>>,
    #[serde(borrow)]
    source_name: Option<Text<'a>>,
    event_id: Option<JsonId>,
    time_generated: Option<IgnoredAny>,
    #[serde(rename = "EventData")]
    sentinel_data: Option<IgnoredAny>,
    #[serde(rename = "Provider", borrow)]
    provider: Option<Text<'a>>,
    #[serde(rename = "EventID")]
    event_id_upper: Option<JsonId>,
    #[serde(rename = "Channel", borrow)]
    channel: Option<Text<'a>>,
    #[serde(rename = "SourceName", borrow)]
    source_name_upper: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EnvelopeEvtx<'a> {
    #[serde(rename = "System", borrow)]
    system: Option<EnvelopeSystem<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EnvelopeSystem<'a> {
    #[serde(rename = "Provider", borrow)]
    provider: Option<Attributes<'a>>,
    #[serde(rename = "EventID")]
    event_id: JsonId,
    #[serde(rename = "Channel", borrow)]
    channel: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EnvelopeWinlog<'a> {
    event_id: JsonId,
    #[serde(borrow)]
    channel: Option<Text<'a>>,
    #[serde(borrow)]
    provider_name: Option<Text<'a>>,
}

impl Envelope<'_> {
    /// The event, when the record is not one the rule reads (so its other fields do not
    /// matter); `None` when it must be read in full, or is wrong in a way the full read will
    /// explain.
    pub fn skip(&self) -> Option<Event<'static>> {
        let layout = layout_of!(self);
        let text = |t: &Option<Text<'_>>| t.as_ref().map(|t| t.get().to_string());
        let class = match layout {
            Layout::EvtxDump => {
                let system = self.evtx.as_ref()?.system.as_ref()?;
                let provider = system
                    .provider
                    .as_ref()
                    .and_then(|p| p.attributes.name.as_ref())
                    .map(Text::get);
                let channel = system.channel.as_ref().map(Text::get);
                classify(system.event_id, Some((provider, channel)))
            }
            Layout::Ecs => {
                let winlog = self.winlog.as_ref()?;
                let provider = winlog.provider_name.as_ref().map(Text::get);
                let channel = winlog.channel.as_ref().map(Text::get);
                classify(winlog.event_id, Some((provider, channel)))
            }
            Layout::Winlogbeat6 => {
                let provider = text(&self.source_name);
                let channel = text(&self.log_name);
                classify(
                    self.event_id.unwrap_or_default(),
                    Some((provider.as_deref(), channel.as_deref())),
                )
            }
            Layout::Sentinel => classify(
                self.event_id_upper.unwrap_or_default(),
                Some((
                    self.provider.as_ref().map(Text::get),
                    self.channel.as_ref().map(Text::get),
                )),
            ),
            Layout::Flat => {
                let provider = self
                    .source_name_upper
                    .as_ref()
                    .or(self.provider.as_ref())
                    .map(Text::get);
                classify(
                    self.event_id_upper.unwrap_or_default(),
                    Some((provider, self.channel.as_ref().map(Text::get))),
                )
            }
            Layout::Normalized => classify_normalized(self.event_id),
            Layout::Unknown => return None,
        };
        class.ok().and_then(Class::skipped)
    }
}
