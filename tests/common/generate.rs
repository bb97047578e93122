//! Random event sets aimed at the rule's edge cases: near-miss paths for `has` and
//! `contains`, window and bin boundaries to the tick, PID reuse, computer case, missing
//! users, given and derived extensions, many distinct targets. Rendered as normalized
//! NDJSON with varied time formats and id types.

use proptest::prelude::*;
use serde_json::{Value, json};

pub use super::reference::RefEvent;

/// 2024-05-01T10:00:00Z in 100 ns ticks since the epoch.
pub const BASE_TICKS: i64 = 1_714_557_600 * 10_000_000;
pub const SECOND: i64 = 10_000_000;

pub const COMPUTERS: &[&str] = &["WS1", "ws1", "WS2"];

pub const PARENT_IMAGES: &[&str] = &[
    r"C:\Users\alice\Downloads\invoice.exe",
    r"C:\USERS\ALICE\DOWNLOADS\INVOICE.EXE",
    r"C:\temp2\tool.exe",
    r"C:\Temp\tool.exe",
    r"C:\Users\alice\AppData\Local\Microsoft\WindowsApps\python.exe",
    r"C:\ProgramData\Microsoft\Windows Defender\Platform\1.0\MsMpEng.exe",
    r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.25080.5-0\MsMpEng.exe",
    r"C:\tools\my_temp\runner.exe",
    r"C:\Users\alice\AppData\Local\Discord\Update.exe",
    r"C:\Users\alice\AppData\Local\Discordia\Update.exe",
    r"C:\Users\ShawnSpencer\AppData\Local\Discord\Update.exe",
    r"C:\Users\shawnspencer\appdata\local\microsoft\onedrive\update\onedrivesetup.exe",
    r"C:\Users\ShawnSpencer\AppData\Local\Microsoft\OneDrive\OneDriveStandaloneUpdater.exe",
    r"C:\Windows\System32\svchost.exe",
    r"C:\Program Files\App\app.exe",
    r"C:\xusers\app.exe",
    r"C:\ÜSERS\ÄppData\Temp\ünï.exe",
    r"C:\Users\alice\Downloads\nxc-windows-latest\nxc.exe",
    "",
];

pub const PARENT_NAMES: &[&str] = &[
    "invoice.exe",
    "WerFault.exe",
    "WERFAULT.EXE",
    "werfault.exe.bak",
    "",
];

pub const IMAGES: &[&str] = &[
    r"C:\Windows\System32\rundll32.exe",
    r"c:\windows\system32\RUNDLL32.EXE",
    r"C:\Users\alice\AppData\Local\Temp\stage.exe",
];

pub const COMMAND_LINES: &[&str] = &["rundll32.exe x.dll,Start", "stage.exe -q", "a \"b\" c"];

pub const USERS: &[Option<&str>] = &[Some(r"CORP\alice"), Some(r"corp\alice"), None, Some("")];

pub const TARGET_DIRS: &[&str] = &[
    r"C:\Users\alice\AppData\Local\",
    r"C:\Users\alice\AppData\Roaming\Microsoft\",
    r"C:\Users\alice\AppData\Local\Temp\",
    r"C:\Windows\Temp\",
    r"C:\Users\alice\Desktop\",
    r"C:\Users\alice\DESKTOP\sub\",
    r"C:\Users\alice\Documents\",
    r"C:\Users\alice\AppData\LocalLow\",
    r"C:\temp2\",
    r"C:\Users\alice\AppData\Local\Google\Chrome\User Data\Default\Cache\",
    r"C:\Users\alice\AppData\Local\Microsoft\Edge\User Data\Default\Cache\",
    r"C:\Users\alice\AppData\Local\Google\Chrome\User Data\Profile 1\Cache\",
];

pub const TARGET_NAMES: &[&str] = &[
    "~$report.docx",
    "~$Book.XLSX",
    "~$.pptx",
    "report.docx",
    "noext",
    "a.toolongext",
    "PAYLOAD.EXE",
    "a.tar.gz",
    "x.ex_e",
];

pub const EXTS: &[Option<&str>] = &[None, None, None, Some(""), Some("EXE"), Some("dll")];

/// A time offset that often lands on a window or bin edge, to the tick.
fn offset() -> impl Strategy<Value = i64> {
    (0i64..=180, prop_oneof![Just(0i64), Just(1), Just(-1)])
        .prop_map(|(tens, jitter)| tens * 10 * SECOND + jitter)
}

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    (0..items.len()).prop_map(move |i| items[i].clone())
}

fn start() -> impl Strategy<Value = RefEvent> {
    (
        offset(),
        pick(COMPUTERS),
        1u64..=4,
        pick(IMAGES),
        pick(COMMAND_LINES),
        1u64..=3,
        pick(PARENT_IMAGES),
        pick(PARENT_NAMES),
        pick(USERS),
    )
        .prop_map(
            |(t, computer, pid, image, cmd, ppid, parent_image, parent_name, user)| {
                RefEvent::Start {
                    ticks: BASE_TICKS + t,
                    computer: computer.to_string(),
                    pid,
                    image: image.to_string(),
                    command_line: format!("{cmd} #{pid}"),
                    parent_pid: Some(ppid),
                    parent_image: parent_image.to_string(),
                    parent_name: parent_name.to_string(),
                    parent_command_line: format!("{parent_name} /run"),
                    user: user.map(str::to_string),
                }
            },
        )
}

fn create() -> impl Strategy<Value = RefEvent> {
    (
        offset(),
        pick(COMPUTERS),
        1u64..=4,
        pick(TARGET_DIRS),
        prop_oneof![
            3 => (0u32..40, 0u32..14).prop_map(|(n, e)| format!("f{n}.e{e}")),
            1 => pick(TARGET_NAMES).prop_map(str::to_string),
        ],
        pick(EXTS),
    )
        .prop_map(|(t, computer, pid, dir, name, ext)| RefEvent::Create {
            ticks: BASE_TICKS + t,
            computer: computer.to_string(),
            pid,
            target: format!("{dir}{name}"),
            ext: ext.map(str::to_string),
        })
}

/// One event: mostly starts and creates, some of other ids.
pub fn event() -> impl Strategy<Value = RefEvent> {
    prop_oneof![
        2 => start(),
        5 => create(),
        1 => (prop_oneof![Just(3u64), Just(13), Just(7)], offset())
            .prop_map(|(event_id, t)| RefEvent::Other { event_id, ticks: BASE_TICKS + t }),
    ]
}

/// How an event's time is written.
#[derive(Debug, Clone, Copy)]
pub enum TimeStyle {
    Zulu7,
    Offset,
    Sysmon,
}

/// Renders a time exactly, in one of the accepted shapes (Sysmon's only when it holds the
/// time to the millisecond).
pub fn render_time(ticks: i64, style: TimeStyle) -> String {
    let secs = ticks.div_euclid(SECOND);
    let frac = ticks.rem_euclid(SECOND);
    let civil = |secs: i64, sep: char| {
        let ts = jiff::Timestamp::from_second(secs).unwrap();
        let dt = ts.to_zoned(jiff::tz::TimeZone::UTC).datetime();
        format!(
            "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        )
    };
    match style {
        TimeStyle::Sysmon if frac % 10_000 == 0 => {
            format!("{}.{:03}", civil(secs, ' '), frac / 10_000)
        }
        TimeStyle::Offset => format!("{}.{frac:07}+02:00", civil(secs + 7200, 'T')),
        _ => format!("{}.{frac:07}Z", civil(secs, 'T')),
    }
}

fn id(n: u64, as_text: bool) -> Value {
    if as_text {
        json!(n.to_string())
    } else {
        json!(n)
    }
}

/// The event as a normalized NDJSON line; `variant` picks time style and id types.
pub fn render(event: &RefEvent, variant: u8) -> String {
    let style = match variant % 3 {
        0 => TimeStyle::Zulu7,
        1 => TimeStyle::Offset,
        _ => TimeStyle::Sysmon,
    };
    let text_ids = variant & 4 != 0;
    let value = match event {
        RefEvent::Start {
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
        } => {
            let mut v = json!({
                "event_id": id(1, text_ids),
                "time_generated": render_time(*ticks, style),
                "computer": computer,
                "process_id": id(*pid, text_ids),
                "process_path": image,
                "command_line": command_line,
                "parent_process_id": parent_pid.map(|p| id(p, !text_ids)),
                "parent_process_path": parent_image,
                "parent_process_name": parent_name,
                "parent_command_line": parent_command_line,
                "noise": {"nested": [1, 2, {"x": null}]},
            });
            if let Some(user) = user {
                v["user_name"] = json!(user);
            }
            v
        }
        RefEvent::Create {
            ticks,
            computer,
            pid,
            target,
            ext,
        } => {
            let mut v = json!({
                "event_id": id(11, text_ids),
                "time_generated": render_time(*ticks, style),
                "computer": computer,
                "process_id": id(*pid, text_ids),
                "target_filename": target,
            });
            if let Some(ext) = ext {
                v["file_ext"] = json!(ext);
            }
            v
        }
        RefEvent::Other { event_id, ticks } => json!({
            "event_id": id(*event_id, text_ids),
            "time_generated": render_time(*ticks, style),
            "computer": "WS1",
        }),
    };
    value.to_string()
}
