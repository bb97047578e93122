//! Tests of JSON decoding, layout by layout.

use super::*;
use crate::event::{FileCreate, Pid, ProcessCreate};
use crate::time::EventTime;

fn start(json: &str) -> ProcessCreate<'_> {
    match decode(json.as_bytes()) {
        Ok(Event::ProcessCreate(p)) => p,
        other => panic!("not a process start: {other:?}"),
    }
}

fn create(json: &str) -> FileCreate<'_> {
    match decode(json.as_bytes()) {
        Ok(Event::FileCreate(f)) => f,
        other => panic!("not a file create: {other:?}"),
    }
}

fn reject(json: &str) -> Reject {
    match decode(json.as_bytes()) {
        Err(r) => r,
        Ok(e) => panic!("should be rejected: {e:?}"),
    }
}

#[test]
fn normalized_process_create_reads_every_column() {
    let p = start(
        r#"{"event_id":1,"time_generated":"2024-05-01T10:00:00.5Z","computer":"WS1",
            "process_id":"4242","process_path":"C:\\Users\\a\\x.exe","command_line":"x.exe -a",
            "parent_process_id":100,"parent_process_path":"C:\\Users\\a\\p.exe",
            "parent_process_name":"p.exe","parent_command_line":"p.exe","user_name":"CORP\\a",
            "extra":{"ignored":[1,2]}}"#,
    );
    assert_eq!(p.time, EventTime::parse("2024-05-01T10:00:00.5Z").unwrap());
    assert_eq!(p.computer, "WS1");
    assert_eq!(p.process_id, Pid::Valid(4242));
    assert_eq!(p.process_path, r"C:\Users\a\x.exe");
    assert_eq!(p.parent_process_id, Pid::Valid(100));
    assert_eq!(p.parent_process_name, "p.exe");
    assert_eq!(p.user_name, r"CORP\a");
}

#[test]
fn missing_and_null_strings_are_empty() {
    let p = start(
        r#"{"event_id":"1","time_generated":"2024-05-01 10:00:00","computer":null,"process_id":1}"#,
    );
    assert_eq!(p.user_name, "");
    assert_eq!(p.computer, "");
    assert_eq!(p.parent_process_id, Pid::Missing);
}

#[test]
fn normalized_file_create_keeps_a_given_extension() {
    let f = create(
        r#"{"event_id":11,"time_generated":"2024-05-01T12:00:00+02:00","computer":"WS1",
            "process_id":7,"target_filename":"C:\\x\\a.DLL","file_ext":"DLL"}"#,
    );
    assert_eq!(f.time, EventTime::parse("2024-05-01T10:00:00Z").unwrap());
    assert_eq!(f.file_ext, "DLL");
    assert_eq!(f.process_id, Pid::Valid(7));
}

#[test]
fn other_event_ids_need_nothing_else() {
    assert_eq!(
        decode(br#"{"event_id":3}"#).unwrap(),
        Event::Other { event_id: 3 }
    );
}

#[test]
fn unusable_pids_are_kept_as_such_not_rejected() {
    let p = start(r#"{"event_id":1,"time_generated":"2024-05-01 10:00:00","process_id":-4}"#);
    assert_eq!(p.process_id, Pid::Invalid);
    let p = start(r#"{"event_id":1,"time_generated":"2024-05-01 10:00:00"}"#);
    assert_eq!(p.process_id, Pid::Missing);
}

#[test]
fn bad_records_say_what_is_wrong() {
    assert_eq!(
        reject(r#"{"time_generated":"2024-05-01 10:00:00"}"#),
        Reject::Missing("event_id")
    );
    assert_eq!(
        reject(r#"{"event_id":1}"#),
        Reject::Missing("time_generated")
    );
    assert!(matches!(
        reject(r#"{"event_id":1.5}"#),
        Reject::BadValue {
            field: "event_id",
            ..
        }
    ));
    assert!(matches!(
        reject(r#"{"event_id":11,"time_generated":"soon"}"#),
        Reject::BadValue {
            field: "time_generated",
            ..
        }
    ));
    assert!(matches!(
        reject(r#"{"event_id":1,"time_generated":"2024-05-01 10:00:00","parent_process_id":"x"}"#),
        Reject::BadValue {
            field: "parent_process_id",
            ..
        }
    ));
    let Reject::Syntax(why) = reject(r#"{"event_id":1,"computer":{"a":1}}"#) else {
        panic!()
    };
    assert!(why.contains("computer"), "{why}");
    let Reject::Syntax(why) = reject(r#"{"event_id":1,"#) else {
        panic!()
    };
    assert!(why.contains("invalid JSON"), "{why}");
    let Reject::Syntax(why) = reject(r#"{"event_id":1} {"event_id":2}"#) else {
        panic!()
    };
    assert!(why.contains("trailing"), "{why}");
}

const EVTX_DUMP: &str = r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},
  "System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"5770385F-C22A-43E0-BF4C-06F5698FFBD9"}},
  "EventID":{"#attributes":{"Qualifiers":""},"#text":1},"Version":5,"TimeCreated":{"#attributes":{"SystemTime":"2026-04-08T10:58:06.296740Z"}},
  "Execution":{"#attributes":{"ProcessID":3120,"ThreadID":4344}},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"swachchhanda"},
  "EventData":{"RuleName":"-","UtcTime":"2026-04-08 10:58:06.267","ProcessGuid":"{0bd9ba0b-3c8e-69d6-0b02-000000000700}",
  "ProcessId":7956,"Image":"C:\\Users\\x\\nxc.exe","CommandLine":"nxc smb","ParentProcessId":5228,
  "ParentImage":"C:\\Users\\x\\Downloads\\nxc-windows-latest\\nxc.exe","ParentCommandLine":"nxc","User":"PC\\x"}}}"##;

#[test]
fn evtx_dump_layout_with_event_id_as_text_object() {
    let p = start(EVTX_DUMP);
    assert_eq!(p.computer, "swachchhanda");
    assert_eq!(p.process_id, Pid::Valid(7956), "not Execution.ProcessID");
    assert_eq!(
        p.time,
        EventTime::parse("2026-04-08 10:58:06.267").unwrap(),
        "UtcTime, not TimeCreated"
    );
    assert_eq!(p.parent_process_name, "nxc.exe");
    assert_eq!(p.user_name, r"PC\x");
    assert_eq!(p.process_guid, "{0bd9ba0b-3c8e-69d6-0b02-000000000700}");
}

#[test]
fn flat_layout_takes_process_id_not_process_id_upper_case() {
    let f = create(
        r#"{"EventTime":"2018-01-26 17:21:41","Hostname":"DESKTOP-1","EventID":11,"SourceName":"Microsoft-Windows-Sysmon",
            "ProcessID":3124,"Channel":"Microsoft-Windows-Sysmon/Operational","UtcTime":"2018-01-26 09:21:41.576",
            "ProcessId":"4544","TargetFilename":"C:\\Users\\q\\AppData\\Local\\Temp\\a.ps1","@timestamp":"2018-01-26T17:21:41Z"}"#,
    );
    assert_eq!(f.process_id, Pid::Valid(4544));
    assert_eq!(f.computer, "DESKTOP-1");
    assert_eq!(f.time, EventTime::parse("2018-01-26 09:21:41.576").unwrap());
    assert_eq!(f.file_ext, "", "the rule derives it");
}

#[test]
fn nxlog_without_process_id_takes_it_from_the_message() {
    let p = start(
        r#"{"Hostname":"D","EventID":1,"SourceName":"Microsoft-Windows-Sysmon","ProcessID":3124,
            "Message":"Process Create:\r\nUtcTime: 2018-01-26 09:21:41.576\r\nProcessId: 4544\r\nParentProcessId: 6436",
            "UtcTime":"2018-01-26 09:21:41.576","ParentProcessId":"6436","ParentImage":"C:\\Windows\\explorer.exe"}"#,
    );
    assert_eq!(p.process_id, Pid::Valid(4544));
    assert_eq!(p.parent_process_id, Pid::Valid(6436));
}

#[test]
fn flat_layout_without_any_process_id_cannot_join() {
    let p = start(
        r#"{"EventID":1,"SourceName":"Microsoft-Windows-Sysmon","ExecutionProcessID":3172,"Hostname":"W",
            "ProcessGuid":"{b34bc01c-34db-5f69-7701-000000000900}","UtcTime":"2020-09-21 23:18:51.000"}"#,
    );
    assert_eq!(p.process_id, Pid::Missing);
    assert_eq!(p.process_guid, "{b34bc01c-34db-5f69-7701-000000000900}");
}

#[test]
fn winlogbeat6_ignores_the_beats_own_process_id() {
    let f = create(
        r#"{"@timestamp":"2019-05-18T20:37:03.374Z","computer_name":"HFDC01.shire.com","source_name":"Microsoft-Windows-Sysmon",
            "process_id":1368,"event_data":{"ProcessId":"1168","TargetFilename":"C:\\x\\Temp\\y.tmp","UtcTime":"2019-05-18 20:37:03.363"},
            "event_id":11,"log_name":"Microsoft-Windows-Sysmon/Operational"}"#,
    );
    assert_eq!(f.process_id, Pid::Valid(1168));
    assert_eq!(f.computer, "HFDC01.shire.com");
    assert_eq!(f.time, EventTime::parse("2019-05-18 20:37:03.363").unwrap());
}

#[test]
fn ecs_layout_reads_winlog() {
    let p = start(
        r#"{"@timestamp":"2024-05-01T10:00:05.000Z","host":{"name":"ws1"},"event":{"code":"1"},
            "winlog":{"event_id":"1","computer_name":"WS1.corp","channel":"Microsoft-Windows-Sysmon/Operational",
            "provider_name":"Microsoft-Windows-Sysmon","process":{"pid":2000},
            "event_data":{"UtcTime":"2024-05-01 10:00:00.000","ProcessId":"42","ParentImage":"C:\\Users\\a\\p.exe"}}}"#,
    );
    assert_eq!(p.process_id, Pid::Valid(42));
    assert_eq!(p.computer, "WS1.corp");
    assert_eq!(p.time, EventTime::parse("2024-05-01T10:00:00Z").unwrap());
}

#[test]
fn sentinel_event_data_is_a_json_string() {
    let f = create(
        r#"{"TimeGenerated":"2022-05-13T08:54:06.693Z","Provider":"Microsoft-Windows-Sysmon","Channel":"Microsoft-Windows-Sysmon/Operational",
            "Computer":"WORKSTATION5","EventData":"{\"UtcTime\":\"2022-05-13T08:54:06.6900000Z\",\"ProcessId\":\"3936\",\"TargetFilename\":\"C:\\\\x\\\\a.log\"}",
            "EventID":11,"Type":"WindowsEvent"}"#,
    );
    assert_eq!(f.process_id, Pid::Valid(3936));
    assert_eq!(f.target_filename, r"C:\x\a.log");
    assert_eq!(f.time, EventTime::parse("2022-05-13T08:54:06.69Z").unwrap());
    assert!(matches!(
        reject(r#"{"EventID":11,"Provider":"Microsoft-Windows-Sysmon","EventData":"{not json"}"#),
        Reject::BadValue {
            field: "EventData",
            ..
        }
    ));
}

#[test]
fn other_providers_are_not_sysmon() {
    assert_eq!(
        decode(br#"{"EventID":1,"SourceName":"Microsoft-Windows-Kernel-IO","Channel":"Microsoft-Windows-Kernel-IO/Operational"}"#).unwrap(),
        Event::NotSysmon { event_id: 1 }
    );
    assert_eq!(
        decode(br#"{"EventID":4688,"Channel":"Security"}"#).unwrap(),
        Event::NotSysmon { event_id: 4688 }
    );
}

#[test]
fn unknown_layouts_are_rejected_with_a_hint() {
    assert!(matches!(
        reject(r#"{"hello":"world"}"#),
        Reject::UnknownLayout(_)
    ));
}
