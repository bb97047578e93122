//! A plain second reader of the real Sysmon data in `../shared/data`: whole files into
//! `serde_json::Value`s (EVTX through the `evtx` crate's own parser and JSON renderer), each
//! normalized by direct lookups following the rules of the sources issue. Slow and obvious on
//! purpose, to check foothold's readers against.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::reference::RefEvent;

/// The shared data directory, or `None` (with a note) when it is absent outside CI. Under
/// `CI=true` a missing directory fails the test instead.
pub fn shared_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if dir.join("MANIFEST.tsv").is_file() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI=true but the shared test data is missing at {}",
            dir.display()
        );
    }
    eprintln!(
        "note: {} is missing; skipping the real-data test",
        dir.display()
    );
    None
}

/// One row of `MANIFEST.tsv`.
#[derive(Debug, Clone)]
pub struct ManifestRow {
    pub file: String,
    pub sysmon_events: u64,
    pub eid1: u64,
    pub eid11: u64,
}

/// The manifest's rows.
pub fn manifest(dir: &Path) -> Vec<ManifestRow> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (file, sysmon, eid1, eid11) =
        (col("file"), col("sysmon_events"), col("eid1"), col("eid11"));
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            ManifestRow {
                file: cells[file].to_string(),
                sysmon_events: cells[sysmon].parse().unwrap(),
                eid1: cells[eid1].parse().unwrap(),
                eid11: cells[eid11].parse().unwrap(),
            }
        })
        .collect()
}

/// What the plain reader found in a file.
#[derive(Debug, Default)]
pub struct Loaded {
    /// EID 1 and 11 events with a process id (the others cannot join).
    pub events: Vec<RefEvent>,
    pub sysmon_events: u64,
    pub eid1: u64,
    pub eid11: u64,
}

/// Reads a whole file.
pub fn load(path: &Path) -> Loaded {
    let bytes = std::fs::read(path).unwrap();
    let mut values = Vec::new();
    if bytes.starts_with(b"ElfFile\0") {
        let mut parser = evtx::EvtxParser::from_buffer(bytes).unwrap();
        for record in parser.records_json_value() {
            values.push(record.unwrap().data);
        }
    } else if bytes.starts_with(b"PK\x03\x04") {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        for i in 0..zip.len() {
            let mut member = zip.by_index(i).unwrap();
            let mut text = String::new();
            member.read_to_string(&mut text).unwrap();
            json_values(&text, &mut values);
        }
    } else {
        json_values(&String::from_utf8(bytes).unwrap(), &mut values);
    }
    let mut loaded = Loaded::default();
    for value in &values {
        normalize(value, &mut loaded);
    }
    loaded
}

fn json_values(text: &str, out: &mut Vec<Value>) {
    if text.trim_start().starts_with('[') {
        out.extend(serde_json::from_str::<Vec<Value>>(text).unwrap());
        return;
    }
    for value in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        out.push(value.unwrap());
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn id(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        Value::Object(o) => o.get("#text").and_then(id),
        _ => None,
    }
}

/// Ticks of a Sysmon, RFC 3339 or zone-less (UTC) timestamp.
fn ticks(text: &str) -> i64 {
    let nanos = match text.parse::<jiff::Timestamp>() {
        Ok(ts) => ts.as_nanosecond(),
        Err(_) => {
            let dt: jiff::civil::DateTime = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            dt.to_zoned(jiff::tz::TimeZone::UTC)
                .unwrap()
                .timestamp()
                .as_nanosecond()
        }
    };
    (nanos / 100) as i64
}

/// The fields of one record, whatever its layout.
struct Fields<'v> {
    provider: Option<String>,
    channel: Option<String>,
    event_id: Option<u64>,
    computer: String,
    fallback_times: Vec<Option<String>>,
    data: &'v Value,
    message: Option<String>,
}

fn fields(v: &Value) -> Option<Fields<'_>> {
    let s = |v: &Value| text(v);
    if let Some(event) = v.get("Event").filter(|e| e.get("System").is_some()) {
        let system = &event["System"];
        return Some(Fields {
            provider: s(&system["Provider"]["#attributes"]["Name"]),
            channel: s(&system["Channel"]),
            event_id: id(&system["EventID"]),
            computer: s(&system["Computer"]).unwrap_or_default(),
            fallback_times: vec![s(&system["TimeCreated"]["#attributes"]["SystemTime"])],
            data: &event["EventData"],
            message: None,
        });
    }
    if let Some(winlog) = v.get("winlog") {
        return Some(Fields {
            provider: s(&winlog["provider_name"]),
            channel: s(&winlog["channel"]),
            event_id: id(&winlog["event_id"]),
            computer: s(&winlog["computer_name"]).unwrap_or_default(),
            fallback_times: vec![s(&v["@timestamp"])],
            data: &winlog["event_data"],
            message: None,
        });
    }
    if ["event_data", "source_name", "log_name", "computer_name"]
        .iter()
        .any(|k| v.get(k).is_some())
    {
        return Some(Fields {
            provider: s(&v["source_name"]),
            channel: s(&v["log_name"]),
            event_id: id(&v["event_id"]),
            computer: s(&v["computer_name"]).unwrap_or_default(),
            fallback_times: vec![s(&v["@timestamp"])],
            data: &v["event_data"],
            message: None,
        });
    }
    if let Some(Value::String(nested)) = v.get("EventData") {
        // The nested document is parsed by the caller: keep it in the message slot.
        return Some(Fields {
            provider: s(&v["Provider"]),
            channel: s(&v["Channel"]),
            event_id: id(&v["EventID"]),
            computer: s(&v["Computer"]).unwrap_or_default(),
            fallback_times: vec![s(&v["TimeCreated"]), s(&v["TimeGenerated"])],
            data: &Value::Null,
            message: Some(format!("\u{0}{nested}")),
        });
    }
    if v.get("EventID").is_some() {
        return Some(Fields {
            provider: s(&v["SourceName"]).or_else(|| s(&v["Provider"])),
            channel: s(&v["Channel"]),
            event_id: id(&v["EventID"]),
            computer: s(&v["Hostname"])
                .or_else(|| s(&v["Computer"]))
                .unwrap_or_default(),
            fallback_times: vec![s(&v["TimeCreated"]), s(&v["@timestamp"])],
            data: v,
            message: s(&v["Message"]),
        });
    }
    None
}

fn normalize(v: &Value, out: &mut Loaded) {
    let Some(f) = fields(v) else {
        return;
    };
    let sysmon = match (&f.provider, &f.channel) {
        (Some(p), _) if !p.is_empty() => p.eq_ignore_ascii_case("Microsoft-Windows-Sysmon"),
        (_, Some(c)) => c.eq_ignore_ascii_case("Microsoft-Windows-Sysmon/Operational"),
        _ => false,
    };
    if !sysmon {
        return;
    }
    out.sysmon_events += 1;
    let event_id = f.event_id.unwrap();
    if event_id != 1 && event_id != 11 {
        return;
    }
    if event_id == 1 {
        out.eid1 += 1;
    } else {
        out.eid11 += 1;
    }
    let nested: Value;
    let (data, message) = match &f.message {
        Some(m) if m.starts_with('\u{0}') => {
            nested = serde_json::from_str(&m[1..]).unwrap();
            (&nested, None)
        }
        _ => (f.data, f.message.clone()),
    };
    let d = |k: &str| text(&data[k]).unwrap_or_default();
    let utc = d("UtcTime");
    let time = if !utc.is_empty() {
        utc
    } else {
        f.fallback_times
            .iter()
            .flatten()
            .find(|t| !t.is_empty())
            .unwrap()
            .clone()
    };
    let pid = id(&data["ProcessId"]).or_else(|| {
        if data.get("ProcessId").is_some() {
            return None;
        }
        message.as_deref().and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("ProcessId: "))
                .and_then(|n| n.trim().parse().ok())
        })
    });
    let Some(pid) = pid else {
        return;
    };
    let ticks = ticks(&time);
    if event_id == 1 {
        let parent_image = d("ParentImage");
        out.events.push(RefEvent::Start {
            ticks,
            computer: f.computer,
            pid,
            image: d("Image"),
            command_line: d("CommandLine"),
            parent_pid: id(&data["ParentProcessId"]),
            parent_name: parent_image.rsplit('\\').next().unwrap_or("").to_string(),
            parent_image,
            parent_command_line: d("ParentCommandLine"),
            user: Some(d("User")),
        });
    } else {
        out.events.push(RefEvent::Create {
            ticks,
            computer: f.computer,
            pid,
            target: d("TargetFilename"),
            ext: None,
        });
    }
}
