//! The fast path for EVTX chunks: records read straight from their template substitution
//! values, without rendering them to XML or JSON.
//!
//! A record is an instance of a template that the chunk defines once: the template says which
//! substitution is the event id, the provider, the computer, and (in the nested `EventData`
//! template) which is `UtcTime`, `ProcessId`, `Image`, ... foothold reads each template once
//! per chunk, then for every record only the few values the rule needs: a record that is not
//! Sysmon EID 1 or 11 costs a look at its event id and provider. Anything this reader does not
//! understand (an unusual token, an unexpected value type, a damaged record) makes it give up
//! on the chunk, which is then rendered by the `evtx` crate instead, record by record; so the
//! fast path can only ever be faster, never different.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::event::{
    Event, FILE_CREATE, FileCreate, PROCESS_CREATE, Pid, ProcessCreate, image_name,
};
use crate::source::json::value::JsonId;
use crate::source::sysmon::{Class, classify};
use crate::time::EventTime;

/// Why the fast path gave up (the chunk is rendered instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported;

type Fast<T> = Result<T, Unsupported>;

/// Where a template puts a value: a literal in the template, or a substitution.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Slot {
    #[default]
    Absent,
    Literal(String),
    Substitution(u16),
}

/// What the record (System) template says.
#[derive(Debug, Default)]
struct SystemTemplate {
    event_id: Slot,
    provider: Slot,
    channel: Slot,
    computer: Slot,
    time_created: Slot,
    /// The substitution holding the nested `EventData` fragment.
    event_data: Option<u16>,
}

/// What an `EventData` template says: each `<Data Name="...">`'s substitution.
#[derive(Debug, Default)]
struct DataTemplate {
    fields: Vec<(String, u16)>,
}

impl DataTemplate {
    fn index(&self, name: &str) -> Option<u16> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, i)| *i)
    }
}

fn u16_at(b: &[u8], at: usize) -> Fast<u16> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or(Unsupported)
}

fn u32_at(b: &[u8], at: usize) -> Fast<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(Unsupported)
}

fn u64_at(b: &[u8], at: usize) -> Fast<u64> {
    b.get(at..at + 8)
        .map(|s| u64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]))
        .ok_or(Unsupported)
}

/// UTF-16LE bytes without their trailing NULs.
fn trim_nuls(bytes: &[u8]) -> &[u8] {
    let mut end = bytes.len() & !1;
    while end >= 2 && bytes[end - 2] == 0 && bytes[end - 1] == 0 {
        end -= 2;
    }
    &bytes[..end]
}

/// UTF-16LE text as a `String` (unpaired surrogates as U+FFFD), trailing NULs dropped; ASCII,
/// most of what Windows logs, is copied byte for byte.
fn utf16(bytes: &[u8]) -> String {
    let bytes = trim_nuls(bytes);
    let ascii = bytes.chunks_exact(2).all(|c| c[1] == 0 && c[0] < 0x80);
    if ascii {
        let text: Vec<u8> = bytes.chunks_exact(2).map(|c| c[0]).collect();
        // Every byte is ASCII, so this cannot fail.
        return String::from_utf8(text).unwrap_or_default();
    }
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Whether UTF-16LE text equals `expected` (ASCII), ignoring ASCII case, without decoding it.
fn utf16_eq_ignore_ascii_case(bytes: &[u8], expected: &str) -> bool {
    let bytes = trim_nuls(bytes);
    bytes.len() == expected.len() * 2
        && bytes
            .chunks_exact(2)
            .zip(expected.bytes())
            .all(|(c, e)| c[1] == 0 && c[0].eq_ignore_ascii_case(&e))
}

/// A name of the chunk's string table: `next (u32), hash (u16), count (u16), UTF-16`.
fn name_at(chunk: &[u8], offset: usize) -> Fast<String> {
    let count = usize::from(u16_at(chunk, offset + 6)?);
    let chars = chunk
        .get(offset + 8..offset + 8 + count * 2)
        .ok_or(Unsupported)?;
    Ok(utf16(chars))
}

/// Reads a name reference at `at` (chunk-relative), skipping the name when it is stored right
/// there; returns the name and the position after it.
fn name_ref(chunk: &[u8], at: usize) -> Fast<(String, usize)> {
    let offset = u32_at(chunk, at)? as usize;
    let mut after = at + 4;
    if offset == after {
        let count = usize::from(u16_at(chunk, offset + 6)?);
        after = offset + 8 + count * 2 + 2;
    }
    Ok((name_at(chunk, offset)?, after))
}

/// One step of a template's structure.
enum Step {
    Open(String),
    Close,
    Attribute(String),
    /// The end of an element's attributes.
    AttributesEnd,
    Text(String),
    Substitution {
        index: u16,
        kind: u8,
    },
}

/// Walks a template definition's tokens (chunk-relative `start..end`), calling `step` for
/// each; everything else in it makes the template unsupported.
fn walk_template(chunk: &[u8], start: usize, end: usize, mut step: impl FnMut(Step)) -> Fast<()> {
    let mut at = start;
    while at < end {
        let token = *chunk.get(at).ok_or(Unsupported)?;
        match token {
            0x00 => return Ok(()),
            0x0f => at += 4,
            0x01 | 0x41 => {
                // Dependency id (u16), data size (u32), name.
                let (name, after) = name_ref(chunk, at + 7)?;
                at = after + if token == 0x41 { 4 } else { 0 };
                step(Step::Open(name));
            }
            0x02 => {
                at += 1;
                step(Step::AttributesEnd);
            }
            0x03 => {
                at += 1;
                step(Step::AttributesEnd);
                step(Step::Close);
            }
            0x04 => {
                at += 1;
                step(Step::Close);
            }
            0x06 | 0x46 => {
                let (name, after) = name_ref(chunk, at + 1)?;
                at = after;
                step(Step::Attribute(name));
            }
            0x05 | 0x45 => {
                if *chunk.get(at + 1).ok_or(Unsupported)? != 0x01 {
                    return Err(Unsupported);
                }
                let count = usize::from(u16_at(chunk, at + 2)?);
                let text = chunk.get(at + 4..at + 4 + count * 2).ok_or(Unsupported)?;
                step(Step::Text(utf16(text)));
                at += 4 + count * 2;
            }
            0x0d | 0x0e => {
                let index = u16_at(chunk, at + 1)?;
                let kind = *chunk.get(at + 3).ok_or(Unsupported)?;
                step(Step::Substitution { index, kind });
                at += 4;
            }
            _ => return Err(Unsupported),
        }
    }
    Ok(())
}

/// The bounds of the template definition at `offset`: `(data start, data end)`.
fn template_data(chunk: &[u8], offset: usize) -> Fast<(usize, usize)> {
    let size = u32_at(chunk, offset + 20)? as usize;
    let start = offset + 24;
    let end = start.checked_add(size).ok_or(Unsupported)?;
    if end > chunk.len() {
        return Err(Unsupported);
    }
    Ok((start, end))
}

fn system_template(chunk: &[u8], offset: usize) -> Fast<SystemTemplate> {
    let (start, end) = template_data(chunk, offset)?;
    let mut t = SystemTemplate::default();
    let mut path: Vec<String> = Vec::new();
    let mut attribute: Option<String> = None;
    let mut in_system = false;
    walk_template(chunk, start, end, |step| match step {
        Step::Open(name) => {
            attribute = None;
            path.push(name);
        }
        Step::Close => {
            attribute = None;
            path.pop();
        }
        Step::AttributesEnd => attribute = None,
        Step::Attribute(name) => attribute = Some(name),
        Step::Text(text) => {
            let slot = Slot::Literal(text);
            assign(&mut t, &path, attribute.as_deref(), slot);
        }
        Step::Substitution { index, kind } => {
            let slot = Slot::Substitution(index);
            in_system = path.iter().any(|p| p == "System");
            if !in_system && kind == 0x21 && t.event_data.is_none() {
                t.event_data = Some(index);
            } else {
                assign(&mut t, &path, attribute.as_deref(), slot);
            }
        }
    })?;
    Ok(t)
}

/// Files a value of the System template under the field it is.
fn assign(t: &mut SystemTemplate, path: &[String], attribute: Option<&str>, slot: Slot) {
    let element = path.last().map(String::as_str);
    let in_system = path.len() >= 2 && path[path.len() - 2] == "System";
    if !in_system {
        return;
    }
    match (element, attribute) {
        (Some("EventID"), None) => t.event_id = slot,
        (Some("Provider"), Some("Name")) => t.provider = slot,
        (Some("Channel"), None) => t.channel = slot,
        (Some("Computer"), None) => t.computer = slot,
        (Some("TimeCreated"), Some("SystemTime")) => t.time_created = slot,
        _ => {}
    }
}

fn data_template(chunk: &[u8], offset: usize) -> Fast<DataTemplate> {
    let (start, end) = template_data(chunk, offset)?;
    let mut t = DataTemplate::default();
    let mut path: Vec<String> = Vec::new();
    let mut attribute: Option<String> = None;
    let mut data_name: Option<String> = None;
    walk_template(chunk, start, end, |step| match step {
        Step::Open(name) => {
            attribute = None;
            if name == "Data" {
                data_name = None;
            }
            path.push(name);
        }
        Step::Close => {
            attribute = None;
            if path.pop().as_deref() == Some("Data") {
                data_name = None;
            }
        }
        Step::AttributesEnd => attribute = None,
        Step::Attribute(name) => attribute = Some(name),
        Step::Text(text) => {
            if path.last().map(String::as_str) == Some("Data")
                && attribute.as_deref() == Some("Name")
            {
                data_name = Some(text);
            }
        }
        Step::Substitution { index, .. } => {
            if attribute.is_none()
                && path.last().map(String::as_str) == Some("Data")
                && let Some(name) = data_name.take()
            {
                t.fields.push((name, index));
            }
        }
    })?;
    Ok(t)
}

/// A substitution value: its type and bytes.
#[derive(Clone, Copy)]
struct Value<'c> {
    kind: u8,
    bytes: &'c [u8],
}

impl<'c> Value<'c> {
    fn text(self) -> Fast<String> {
        match self.kind {
            0x00 => Ok(String::new()),
            0x01 => Ok(utf16(self.bytes)),
            _ => Err(Unsupported),
        }
    }

    fn number(self) -> Fast<Option<u64>> {
        Ok(match self.kind {
            0x00 => None,
            0x04 => Some(u64::from(*self.bytes.first().ok_or(Unsupported)?)),
            0x06 => Some(u64::from(u16_at(self.bytes, 0)?)),
            0x08 => Some(u64::from(u32_at(self.bytes, 0)?)),
            0x0a => Some(u64_at(self.bytes, 0)?),
            _ => return Err(Unsupported),
        })
    }

    fn guid(self) -> Fast<String> {
        match self.kind {
            0x00 => Ok(String::new()),
            0x0f if self.bytes.len() == 16 => {
                let b = self.bytes;
                let d1 = u32_at(b, 0)?;
                let d2 = u16_at(b, 4)?;
                let d3 = u16_at(b, 6)?;
                Ok(format!(
                    "{{{d1:08x}-{d2:04x}-{d3:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}}}",
                    b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
                ))
            }
            0x01 => self.text(),
            _ => Err(Unsupported),
        }
    }

    fn filetime(self) -> Fast<Option<EventTime>> {
        match self.kind {
            0x00 => Ok(None),
            0x11 => {
                // Ticks since 1601; a value past i64 (attacker-made) is left to the renderer.
                let ticks = i64::try_from(u64_at(self.bytes, 0)?)
                    .map_err(|_| Unsupported)?
                    .checked_sub(116_444_736_000_000_000)
                    .ok_or(Unsupported)?;
                Ok(Some(EventTime::from_ticks(ticks)))
            }
            _ => Err(Unsupported),
        }
    }
}

/// A template instance in `chunk` at `at`: its definition's offset and its values.
struct Instance<'c> {
    definition: usize,
    values: Vec<Value<'c>>,
}

/// Reads a TemplateInstance token at `at` (chunk-relative; `at` points at the 0x0c byte),
/// within `end`.
fn instance(chunk: &[u8], at: usize, end: usize) -> Fast<Instance<'_>> {
    if chunk.get(at) != Some(&0x0c) {
        return Err(Unsupported);
    }
    let definition = u32_at(chunk, at + 6)? as usize;
    let mut pos = at + 10;
    if definition == pos {
        let (_, data_end) = template_data(chunk, definition)?;
        pos = data_end;
    }
    let count = u32_at(chunk, pos)? as usize;
    pos += 4;
    if count > 4096 {
        return Err(Unsupported);
    }
    let mut descriptors = Vec::with_capacity(count);
    for i in 0..count {
        let size = usize::from(u16_at(chunk, pos + i * 4)?);
        let kind = *chunk.get(pos + i * 4 + 2).ok_or(Unsupported)?;
        descriptors.push((size, kind));
    }
    pos += count * 4;
    let mut values = Vec::with_capacity(count);
    for (size, kind) in descriptors {
        let bytes = chunk.get(pos..pos + size).ok_or(Unsupported)?;
        if pos + size > end {
            return Err(Unsupported);
        }
        values.push(Value { kind, bytes });
        pos += size;
    }
    Ok(Instance { definition, values })
}

/// A source name (provider or channel) as [`classify`] needs it, told from the template slot
/// without decoding it: `expected` itself when it is that name, another non-empty name when it
/// is not, `""` when empty, `None` when absent.
fn source_name(
    slot: &Slot,
    values: &[Value<'_>],
    expected: &'static str,
) -> Fast<Option<&'static str>> {
    const OTHER: &str = "\u{0}other";
    Ok(match slot {
        Slot::Absent => None,
        Slot::Literal(text) if text.is_empty() => Some(""),
        Slot::Literal(text) => Some(if text.eq_ignore_ascii_case(expected) {
            expected
        } else {
            OTHER
        }),
        Slot::Substitution(i) => match values.get(usize::from(*i)) {
            None => None,
            Some(v) if v.kind == 0x00 => Some(""),
            Some(v) if v.kind == 0x01 => {
                if trim_nuls(v.bytes).is_empty() {
                    Some("")
                } else if utf16_eq_ignore_ascii_case(v.bytes, expected) {
                    Some(expected)
                } else {
                    Some(OTHER)
                }
            }
            Some(_) => return Err(Unsupported),
        },
    })
}

/// A record's values, by slot.
fn slot_text(slot: &Slot, values: &[Value<'_>]) -> Fast<Option<String>> {
    match slot {
        Slot::Absent => Ok(None),
        Slot::Literal(text) => Ok(Some(text.clone())),
        Slot::Substitution(i) => values
            .get(usize::from(*i))
            .map_or(Ok(None), |v| v.text().map(Some)),
    }
}

/// What the fast path makes of one record.
pub enum Read {
    /// A record the rule does not read: only to be counted.
    Counted(Event<'static>),
    /// A Sysmon EID 1 or 11.
    Event(Event<'static>),
}

/// The templates of one chunk, read as they are met.
#[derive(Default)]
pub struct Templates {
    systems: HashMap<usize, SystemTemplate>,
    data: HashMap<usize, DataTemplate>,
}

/// Reads the record whose BinXML is `chunk[start..end]`.
pub fn read_record(
    chunk: &[u8],
    start: usize,
    end: usize,
    templates: &mut Templates,
) -> Fast<Read> {
    // A fragment header, then the record's template instance.
    if chunk.get(start) != Some(&0x0f) {
        return Err(Unsupported);
    }
    let outer = instance(chunk, start + 4, end)?;
    let system = match templates.systems.entry(outer.definition) {
        Entry::Occupied(e) => e.into_mut(),
        Entry::Vacant(e) => e.insert(system_template(chunk, outer.definition)?),
    };
    let values = &outer.values;
    let event_id = match &system.event_id {
        Slot::Substitution(i) => values
            .get(usize::from(*i))
            .ok_or(Unsupported)?
            .number()?
            .map_or(Pid::Missing, Pid::Valid),
        Slot::Literal(text) => Pid::parse(text.trim()),
        Slot::Absent => Pid::Missing,
    };
    let provider = source_name(&system.provider, values, crate::source::sysmon::PROVIDER)?;
    let channel = source_name(&system.channel, values, crate::source::sysmon::CHANNEL)?;
    let class = classify(JsonId(event_id), Some((provider, channel))).map_err(|_| Unsupported)?;
    let event_id = match class {
        Class::Read(event_id) => event_id,
        other => return other.skipped().map(Read::Counted).ok_or(Unsupported),
    };
    // A Sysmon EID 1 or 11: its EventData, from the nested fragment.
    let data_index = usize::from(system.event_data.ok_or(Unsupported)?);
    let nested = values.get(data_index).ok_or(Unsupported)?;
    if nested.kind != 0x21 {
        return Err(Unsupported);
    }
    let nested_start = nested.bytes.as_ptr() as usize - chunk.as_ptr() as usize;
    let nested_end = nested_start + nested.bytes.len();
    if chunk.get(nested_start) != Some(&0x0f) {
        return Err(Unsupported);
    }
    let inner = instance(chunk, nested_start + 4, nested_end)?;
    let data = match templates.data.entry(inner.definition) {
        Entry::Occupied(e) => e.into_mut(),
        Entry::Vacant(e) => e.insert(data_template(chunk, inner.definition)?),
    };
    let field = |name: &str| -> Option<Value<'_>> {
        data.index(name)
            .and_then(|i| inner.values.get(usize::from(i)).copied())
    };
    let text = |name: &str| -> Fast<String> { field(name).map_or(Ok(String::new()), Value::text) };
    let pid = |name: &str| -> Fast<Pid> {
        Ok(match field(name) {
            None => Pid::Missing,
            Some(v) => v.number()?.map_or(Pid::Missing, Pid::Valid),
        })
    };
    let utc = text("UtcTime")?;
    let time = if !utc.is_empty() {
        EventTime::parse(&utc).map_err(|_| Unsupported)?
    } else {
        match &system.time_created {
            Slot::Substitution(i) => values
                .get(usize::from(*i))
                .ok_or(Unsupported)?
                .filetime()?
                .ok_or(Unsupported)?,
            _ => return Err(Unsupported),
        }
    };
    let computer = Cow::Owned(slot_text(&system.computer, values)?.unwrap_or_default());
    let guid = |name: &str| -> Fast<String> { field(name).map_or(Ok(String::new()), Value::guid) };
    let event = if event_id == PROCESS_CREATE {
        let parent_image = text("ParentImage")?;
        Event::ProcessCreate(ProcessCreate {
            time,
            computer,
            process_id: pid("ProcessId")?,
            process_guid: Cow::Owned(guid("ProcessGuid")?),
            process_path: Cow::Owned(text("Image")?),
            command_line: Cow::Owned(text("CommandLine")?),
            parent_process_id: pid("ParentProcessId")?,
            parent_process_guid: Cow::Owned(guid("ParentProcessGuid")?),
            parent_process_name: Cow::Owned(image_name(&parent_image).to_string()),
            parent_process_path: Cow::Owned(parent_image),
            parent_command_line: Cow::Owned(text("ParentCommandLine")?),
            user_name: Cow::Owned(text("User")?),
        })
    } else if event_id == FILE_CREATE {
        Event::FileCreate(FileCreate {
            time,
            computer,
            process_id: pid("ProcessId")?,
            process_guid: Cow::Owned(guid("ProcessGuid")?),
            target_filename: Cow::Owned(text("TargetFilename")?),
            file_ext: Cow::Borrowed(""),
        })
    } else {
        return Err(Unsupported);
    };
    Ok(Read::Event(event))
}

/// The records of a chunk: `(record id, binxml start, binxml end)`, chunk-relative; `None`
/// when the chunk is anything but a clean run of records (the crate's reader then deals with
/// it, resynchronizing and reporting).
pub fn records(chunk: &[u8]) -> Option<Vec<(u64, usize, usize)>> {
    if !chunk.starts_with(b"ElfChnk\0") {
        return None;
    }
    let last_id = u64_at(chunk, 32).ok()?;
    let free = (u32_at(chunk, 48).ok()? as usize).min(chunk.len());
    let mut out = Vec::new();
    let mut at = 512;
    while at < free {
        if chunk.get(at..at + 4)? != b"**\0\0" {
            return None;
        }
        let size = u32_at(chunk, at + 4).ok()? as usize;
        if size < 28 || at + size > free {
            return None;
        }
        if u32_at(chunk, at + size - 4).ok()? as usize != size {
            return None;
        }
        let id = u64_at(chunk, at + 8).ok()?;
        out.push((id, at + 24, at + size - 4));
        at += size;
        if id == last_id {
            break;
        }
    }
    Some(out)
}

/// Reads every record of a chunk by the fast path, or `None` if any of them needs the
/// crate's reader.
pub fn read_chunk(chunk: &[u8]) -> Option<Vec<Read>> {
    let records = records(chunk)?;
    let mut templates = Templates::default();
    records
        .into_iter()
        .map(|(_, start, end)| read_record(chunk, start, end, &mut templates).ok())
        .collect()
}
