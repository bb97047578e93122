//! Windows event XML: one `<Event>` element (as `wevtutil qe /f:xml` or PowerShell's
//! `ToXml()` write it) decoded into the Sysmon fields, then normalized like every layout.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event as XmlEvent};

use crate::event::{Event, Pid};
use crate::source::json::value::{JsonId, Text};
use crate::source::reject::Reject;
use crate::source::sysmon::SysmonRecord;

/// The element a position is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Event,
    System,
    EventData,
    Other,
}

/// The field whose text is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field<'n> {
    EventId,
    Channel,
    Computer,
    Data(&'n str),
}

/// Decodes one `<Event>` element. Invalid UTF-8 is read as U+FFFD.
pub fn decode(bytes: &[u8]) -> Result<Event<'_>, Reject> {
    match std::str::from_utf8(bytes) {
        Ok(text) => decode_text(text),
        Err(_) => {
            let text = crate::source::text::lossy(bytes);
            decode_text(&text).map(Event::into_owned)
        }
    }
}

fn decode_text(text: &str) -> Result<Event<'_>, Reject> {
    let mut record = SysmonRecord::default();
    let mut reader = Reader::from_str(text);
    let mut places: Vec<Place> = Vec::new();
    let mut reading: Option<(Field<'_>, usize, usize)> = None;
    let syntax =
        |e: quick_xml::Error, at: u64| Reject::Syntax(format!("invalid XML at byte {at}: {e}"));
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| syntax(e, reader.error_position()))?;
        match event {
            XmlEvent::Start(e) => {
                let place = enter(&e, places.last().copied(), &mut record, text)?;
                if let Some(field) = field_of(&e, places.last().copied(), text)? {
                    reading = Some((field, reader.buffer_position() as usize, places.len() + 1));
                }
                places.push(place);
            }
            XmlEvent::Empty(e) => {
                enter(&e, places.last().copied(), &mut record, text)?;
                if let Some(field) = field_of(&e, places.last().copied(), text)? {
                    set(&mut record, field, Cow::Borrowed(""));
                }
            }
            XmlEvent::End(_) => {
                if let Some((field, start, depth)) = reading
                    && depth == places.len()
                {
                    let raw = text.get(start..before).unwrap_or("");
                    let value = quick_xml::escape::unescape(raw)
                        .map_err(|e| Reject::Syntax(format!("bad XML escape: {e}")))?;
                    set(&mut record, field, value);
                    reading = None;
                }
                places.pop();
                if places.is_empty() {
                    break;
                }
            }
            XmlEvent::Eof => {
                return Err(Reject::Syntax(
                    "XML record ends inside an element".to_string(),
                ));
            }
            _ => {}
        }
    }
    record.normalize()
}

/// The place an element opens, reading the attributes the rule needs on the way.
fn enter<'a>(
    e: &BytesStart<'a>,
    parent: Option<Place>,
    record: &mut SysmonRecord<'a>,
    text: &'a str,
) -> Result<Place, Reject> {
    let name = e.local_name();
    let name = name.as_ref();
    Ok(match (parent, name) {
        (None, "Event") => Place::Event,
        (None, _) => {
            return Err(Reject::UnknownLayout(
                "XML record is not an <Event> element".to_string(),
            ));
        }
        (Some(Place::Event), "System") => Place::System,
        (Some(Place::Event), "EventData") => Place::EventData,
        (Some(Place::System), "Provider") => {
            record.provider = attribute(e, "Name", text)?;
            Place::Other
        }
        (Some(Place::System), "TimeCreated") => {
            record.time_created = attribute(e, "SystemTime", text)?;
            Place::Other
        }
        _ => Place::Other,
    })
}

/// The field an element holds as text, if the rule reads it.
fn field_of<'a>(
    e: &BytesStart<'a>,
    parent: Option<Place>,
    text: &'a str,
) -> Result<Option<Field<'a>>, Reject> {
    let name = e.local_name();
    Ok(match (parent, name.as_ref()) {
        (Some(Place::System), "EventID") => Some(Field::EventId),
        (Some(Place::System), "Channel") => Some(Field::Channel),
        (Some(Place::System), "Computer") => Some(Field::Computer),
        (Some(Place::EventData), "Data") => match attribute(e, "Name", text)? {
            Some(Cow::Borrowed(name)) => Some(Field::Data(name)),
            // A name with escapes is none the rule reads.
            _ => None,
        },
        _ => None,
    })
}

/// An attribute's unescaped value, borrowed from the record where it has no escapes.
fn attribute<'a>(
    e: &BytesStart<'a>,
    key: &str,
    text: &'a str,
) -> Result<Option<Cow<'a, str>>, Reject> {
    for attr in e.attributes() {
        let attr = attr.map_err(|e| Reject::Syntax(format!("bad XML attribute: {e}")))?;
        if attr.key.local_name().as_ref() != key {
            continue;
        }
        let bad =
            |e: quick_xml::escape::EscapeError| Reject::Syntax(format!("bad XML escape: {e}"));
        return Ok(Some(match reborrow(text, &attr.value) {
            Some(raw) => quick_xml::escape::unescape(raw).map_err(bad)?,
            None => Cow::Owned(
                quick_xml::escape::unescape(&attr.value)
                    .map_err(bad)?
                    .into_owned(),
            ),
        }));
    }
    Ok(None)
}

/// `part` as a slice of `text` with `text`'s lifetime, when it lies inside it.
fn reborrow<'a>(text: &'a str, part: &str) -> Option<&'a str> {
    let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    text.get(start..start.checked_add(part.len())?)
        .filter(|s| std::ptr::eq(s.as_ptr(), part.as_ptr()))
}

fn set<'a>(record: &mut SysmonRecord<'a>, field: Field<'_>, value: Cow<'a, str>) {
    let data = &mut record.data;
    match field {
        Field::EventId => record.event_id = JsonId(Pid::parse(value.trim())),
        Field::Channel => record.channel = Some(value),
        Field::Computer => record.computer = value,
        Field::Data("UtcTime") => data.utc_time = Some(Text(value)),
        Field::Data("ProcessId") => data.process_id = JsonId(Pid::parse(value.trim())),
        Field::Data("ProcessGuid") => data.process_guid = Text(value),
        Field::Data("Image") => data.image = Text(value),
        Field::Data("CommandLine") => data.command_line = Text(value),
        Field::Data("ParentProcessId") => data.parent_process_id = JsonId(Pid::parse(value.trim())),
        Field::Data("ParentProcessGuid") => data.parent_process_guid = Text(value),
        Field::Data("ParentImage") => data.parent_image = Text(value),
        Field::Data("ParentCommandLine") => data.parent_command_line = Text(value),
        Field::Data("User") => data.user = Text(value),
        Field::Data("TargetFilename") => data.target_filename = Text(value),
        Field::Data(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::EventTime;

    const START: &str = r#"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>1</EventID><Version>5</Version><TimeCreated SystemTime='2024-05-01T10:00:01.0000000Z'/><Execution ProcessID='3120' ThreadID='4344'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS1.corp</Computer></System><EventData><Data Name='RuleName'>-</Data><Data Name='UtcTime'>2024-05-01 10:00:00.123</Data><Data Name='ProcessGuid'>{aaaa}</Data><Data Name='ProcessId'>4242</Data><Data Name='Image'>C:\Users\a\x.exe</Data><Data Name='CommandLine'>x.exe &quot;a&amp;b&quot;</Data><Data Name='ParentProcessId'>100</Data><Data Name='ParentImage'>C:\Users\a\Downloads\p.exe</Data><Data Name='ParentCommandLine'/><Data Name='User'>CORP\a</Data></EventData></Event>"#;

    #[test]
    fn event_xml_is_read_with_escapes_and_empty_elements() {
        let Ok(Event::ProcessCreate(p)) = decode(START.as_bytes()) else {
            panic!("{:?}", decode(START.as_bytes()))
        };
        assert_eq!(p.time, EventTime::parse("2024-05-01 10:00:00.123").unwrap());
        assert_eq!(p.computer, "WS1.corp");
        assert_eq!(
            p.process_id,
            Pid::Valid(4242),
            "EventData ProcessId, not Execution ProcessID"
        );
        assert_eq!(p.command_line, "x.exe \"a&b\"");
        assert_eq!(p.parent_process_name, "p.exe");
        assert_eq!(p.parent_command_line, "");
        assert!(
            matches!(p.process_path, Cow::Borrowed(_)),
            "no copy without escapes"
        );
    }

    #[test]
    fn other_providers_and_broken_xml() {
        let other = START.replace(
            "Microsoft-Windows-Sysmon'",
            "Microsoft-Windows-Winsock-AFD'",
        );
        assert_eq!(
            decode(other.as_bytes()).unwrap(),
            Event::NotSysmon { event_id: 1 }
        );
        let cut = &START[..START.len() - 30];
        assert!(matches!(decode(cut.as_bytes()), Err(Reject::Syntax(_))));
        assert!(matches!(decode(b"<Foo/>"), Err(Reject::UnknownLayout(_))));
    }
}
