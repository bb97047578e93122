//! Renders reference events in every layout foothold reads, the way the shippers write them,
//! with the traps of real data: the shipper's own `ProcessID`, clocks hours apart from
//! `UtcTime`, ids as strings, `EventID` as an object, pids only in the message text.

use std::io::Write;

use serde_json::{Value, json};

use super::generate::SECOND;
use super::reference::RefEvent;

/// Every layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Normalized,
    EvtxDump,
    Flat,
    Nxlog,
    Winlogbeat6,
    Ecs,
    Sentinel,
    XmlWrapped,
    XmlLines,
    JsonArray,
}

pub const LAYOUTS: [Layout; 10] = [
    Layout::Normalized,
    Layout::EvtxDump,
    Layout::Flat,
    Layout::Nxlog,
    Layout::Winlogbeat6,
    Layout::Ecs,
    Layout::Sentinel,
    Layout::XmlWrapped,
    Layout::XmlLines,
    Layout::JsonArray,
];

/// How a file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    Plain,
    Gzip,
    Zstd,
}

/// `UtcTime` as Sysmon writes it, with seven fractional digits so that ticks survive.
fn utc_time(ticks: i64) -> String {
    let secs = ticks.div_euclid(SECOND);
    let frac = ticks.rem_euclid(SECOND);
    let ts = jiff::Timestamp::from_second(secs).unwrap();
    let dt = ts.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{frac:07}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// A shipper clock, hours off Sysmon's.
fn shipper_time(ticks: i64) -> String {
    let ts = jiff::Timestamp::from_second(ticks.div_euclid(SECOND) + 4 * 3600).unwrap();
    ts.to_string()
}

/// An event's id, time, computer and Sysmon `EventData`.
type SysmonFields = (u64, i64, String, Vec<(&'static str, String)>);

/// The Sysmon fields of an event.
fn sysmon_fields(event: &RefEvent) -> Option<SysmonFields> {
    match event {
        RefEvent::Start {
            ticks,
            computer,
            pid,
            image,
            command_line,
            parent_pid,
            parent_image,
            parent_name: _,
            parent_command_line,
            user,
        } => {
            let mut data = vec![
                ("RuleName", "-".to_string()),
                ("UtcTime", utc_time(*ticks)),
                ("ProcessGuid", format!("{{AAAA-{pid}}}")),
                ("ProcessId", pid.to_string()),
                ("Image", image.clone()),
                ("CommandLine", command_line.clone()),
                ("ParentImage", parent_image.clone()),
                ("ParentCommandLine", parent_command_line.clone()),
            ];
            if let Some(ppid) = parent_pid {
                data.push(("ParentProcessId", ppid.to_string()));
            }
            if let Some(user) = user {
                data.push(("User", user.clone()));
            }
            Some((1, *ticks, computer.clone(), data))
        }
        RefEvent::Create {
            ticks,
            computer,
            pid,
            target,
            ext: _,
        } => Some((
            11,
            *ticks,
            computer.clone(),
            vec![
                ("RuleName", "-".to_string()),
                ("UtcTime", utc_time(*ticks)),
                ("ProcessGuid", format!("{{AAAA-{pid}}}")),
                ("ProcessId", pid.to_string()),
                ("Image", r"C:\x.exe".to_string()),
                ("TargetFilename", target.clone()),
                ("CreationUtcTime", utc_time(ticks - 86_400 * SECOND)),
            ],
        )),
        RefEvent::Other { event_id, ticks } => Some((
            *event_id,
            *ticks,
            "WS1".to_string(),
            vec![
                ("UtcTime", utc_time(*ticks)),
                ("ProcessId", "1".to_string()),
            ],
        )),
    }
}

fn object(data: &[(&str, String)], numbers: bool) -> Value {
    let mut map = serde_json::Map::new();
    for (k, v) in data {
        let is_id = k.ends_with("ProcessId");
        map.insert(
            k.to_string(),
            if is_id && numbers {
                json!(v.parse::<u64>().unwrap())
            } else {
                json!(v)
            },
        );
    }
    Value::Object(map)
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// One record in `layout`, from `provider` (Sysmon's, or another one to be skipped).
pub fn record(event: &RefEvent, layout: Layout, provider: &str) -> String {
    if layout == Layout::Normalized {
        return super::generate::render(event, 0);
    }
    let (event_id, ticks, computer, data) = sysmon_fields(event).unwrap();
    let channel = if provider == "Microsoft-Windows-Sysmon" {
        "Microsoft-Windows-Sysmon/Operational".to_string()
    } else {
        format!("{provider}/Operational")
    };
    match layout {
        Layout::Normalized => unreachable!(),
        Layout::EvtxDump => {
            let v = json!({"Event": {
                "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
                "System": {
                    "Provider": {"#attributes": {"Name": provider, "Guid": "5770385F-C22A-43E0-BF4C-06F5698FFBD9"}},
                    "EventID": if ticks % 2 == 0 { json!(event_id) } else { json!({"#attributes": {"Qualifiers": ""}, "#text": event_id}) },
                    "TimeCreated": {"#attributes": {"SystemTime": shipper_time(ticks)}},
                    "Execution": {"#attributes": {"ProcessID": 3120, "ThreadID": 4344}},
                    "Channel": channel,
                    "Computer": computer,
                },
                "EventData": object(&data, true),
            }});
            format!(
                "Record {}\n{}",
                ticks % 1000,
                serde_json::to_string_pretty(&v).unwrap()
            )
        }
        Layout::Flat | Layout::JsonArray => {
            let mut v = object(&data, false);
            v["EventID"] = json!(event_id);
            v["SourceName"] = json!(provider);
            v["Channel"] = json!(channel);
            v["Hostname"] = json!(computer);
            v["ExecutionProcessID"] = json!(3172);
            v["TimeCreated"] = json!(shipper_time(ticks));
            v["@timestamp"] = json!(shipper_time(ticks));
            v.to_string()
        }
        Layout::Nxlog => {
            let message: String = data.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
            let mut v = object(
                &data
                    .iter()
                    .filter(|(k, _)| *k != "ProcessId")
                    .cloned()
                    .collect::<Vec<_>>(),
                false,
            );
            v["EventID"] = json!(event_id);
            v["SourceName"] = json!(provider);
            v["Channel"] = json!(channel);
            v["Hostname"] = json!(computer);
            v["ProcessID"] = json!(3124);
            v["EventTime"] = json!("2018-01-26 17:21:41");
            v["Message"] = json!(format!("Process Create:\r\n{message}"));
            v.to_string()
        }
        Layout::Winlogbeat6 => json!({
            "@timestamp": shipper_time(ticks),
            "computer_name": computer,
            "source_name": provider,
            "log_name": channel,
            "process_id": 1368,
            "event_id": event_id,
            "event_data": object(&data, false),
        })
        .to_string(),
        Layout::Ecs => json!({
            "@timestamp": shipper_time(ticks),
            "host": {"name": "collector"},
            "event": {"code": event_id.to_string()},
            "winlog": {
                "event_id": event_id.to_string(),
                "computer_name": computer,
                "channel": channel,
                "provider_name": provider,
                "process": {"pid": 2000},
                "event_data": object(&data, false),
            },
        })
        .to_string(),
        Layout::Sentinel => json!({
            "TimeGenerated": shipper_time(ticks),
            "Provider": provider,
            "Channel": channel,
            "Computer": computer,
            "EventID": event_id,
            "Type": "WindowsEvent",
            "EventData": object(&data, false).to_string(),
        })
        .to_string(),
        Layout::XmlWrapped | Layout::XmlLines => {
            let data: String = data
                .iter()
                .map(|(k, v)| format!("<Data Name='{k}'>{}</Data>", xml_escape(v)))
                .collect();
            format!(
                "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='{}'/><EventID>{event_id}</EventID><TimeCreated SystemTime='{}'/><Execution ProcessID='4' ThreadID='8'/><Channel>{}</Channel><Computer>{}</Computer></System><EventData>{data}</EventData></Event>",
                xml_escape(provider),
                shipper_time(ticks),
                xml_escape(&channel),
                xml_escape(&computer)
            )
        }
    }
}

/// A whole file of records in `layout`.
pub fn document(records: &[String], layout: Layout) -> Vec<u8> {
    let text = match layout {
        Layout::XmlWrapped => format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Events>\n{}\n</Events>\n",
            records.join("\n")
        ),
        Layout::JsonArray => format!("[\n{}\n]\n", records.join(",\n")),
        _ => records.iter().map(|r| format!("{r}\n")).collect(),
    };
    text.into_bytes()
}

/// The bytes compressed.
pub fn pack(bytes: Vec<u8>, packing: Packing) -> Vec<u8> {
    match packing {
        Packing::Plain => bytes,
        Packing::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&bytes).unwrap();
            enc.finish().unwrap()
        }
        Packing::Zstd => zstd::encode_all(&bytes[..], 1).unwrap(),
    }
}
