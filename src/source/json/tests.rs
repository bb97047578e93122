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
