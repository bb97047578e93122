//! Hostile input: truncated, empty, random, huge, deep, badly encoded and out-of-range data.
//! Each case asserts its exact outcome: no panic, the bad part reported and counted, every
//! valid event around it still used, and the same alerts as without the bad part.

mod common;

use std::io::Write;
use std::path::Path;

use assert_cmd::Command;

const START: &str = r#"{"event_id":1,"time_generated":"2024-05-01T10:00:00Z","computer":"H","process_id":7,"process_path":"C:\\x.exe","command_line":"x","parent_process_id":1,"parent_process_path":"C:\\Users\\a\\p.exe","parent_process_name":"p.exe","parent_command_line":"p"}"#;
const DROP: &str = r#"{"event_id":11,"time_generated":"2024-05-01T10:01:00Z","computer":"H","process_id":7,"target_filename":"C:\\Users\\a\\AppData\\Local\\Temp\\x.dll"}"#;

struct Run {
    rows: Vec<serde_json::Value>,
    stderr: String,
    code: Option<i32>,
}

fn hunt(args: &[&str], paths: &[&Path]) -> Run {
    let out = Command::cargo_bin("foothold")
        .unwrap()
        .args(["hunt", "-f", "json", "--stats"])
        .args(args)
        .args(paths)
        .output()
        .unwrap();
    Run {
        rows: String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("stdout is valid JSON"))
            .collect(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
        code: out.status.code(),
    }
}

fn stat(stderr: &str, name: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `{name}` in {stderr}"))
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn good() -> String {
    format!("{START}\n{DROP}\n")
}

/// The alert the good events give.
fn baseline() -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "good.ndjson", good().as_bytes());
    let run = hunt(&[], &[&path]);
    assert_eq!(run.rows.len(), 1);
    run.rows
}

#[test]
fn empty_and_truncated_files() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.evtx", b"");
    let run = hunt(&[], &[&empty]);
    assert_eq!((run.code, run.rows.len()), (Some(0), 0));
    assert_eq!(stat(&run.stderr, "rejected"), 0);
    let cut = format!("{}{}", good(), &START[..START.len() / 2]);
    let path = write(dir.path(), "cut.ndjson", cut.as_bytes());
    let run = hunt(&[], &[&path]);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.rows, baseline());
    assert!(
        run.stderr.contains("cut.ndjson:3: malformed record"),
        "{}",
        run.stderr
    );
    assert_eq!(stat(&run.stderr, "rejected"), 1);
}

#[test]
fn random_bytes_under_every_extension_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let mut noise = vec![0u8; 200_000];
    let mut state = 0x2545F4914F6CDD1Du64;
    for b in &mut noise {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *b = state as u8;
    }
    noise[0] = 0;
    let good_file = write(dir.path(), "good.ndjson", good().as_bytes());
    let mut paths = vec![good_file];
    for ext in ["evtx", "json", "ndjson", "xml", "gz", "zst", "zip", "txt"] {
        paths.push(write(dir.path(), &format!("noise.{ext}"), &noise));
    }
    // Real magic bytes followed by noise.
    for (name, magic) in [
        ("magic.evtx", &b"ElfFile\0"[..]),
        ("magic.gz", &[0x1f, 0x8b][..]),
        ("magic.zst", &[0x28, 0xb5, 0x2f, 0xfd][..]),
        ("magic.zip", &b"PK\x03\x04"[..]),
    ] {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&noise[..50_000]);
        paths.push(write(dir.path(), name, &bytes));
    }
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    let run = hunt(&[], &refs);
    assert_eq!(
        run.code,
        Some(0),
        "damaged files are not failures: {}",
        run.stderr
    );
    assert_eq!(run.rows, baseline());
    for ext in ["evtx", "json", "ndjson", "xml", "gz", "zst", "zip", "txt"] {
        assert!(
            run.stderr.contains(&format!("noise.{ext}: unknown layout")),
            "{ext}: {}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("magic.evtx"), "{}", run.stderr);
    assert_eq!(stat(&run.stderr, "rejected"), 12, "{}", run.stderr);
}

#[test]
fn a_single_line_of_100_mb_is_skipped_and_the_rest_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.ndjson");
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(file, "{START}").unwrap();
    let chunk = "x".repeat(1 << 20);
    write!(file, "{{\"event_id\":3,\"pad\":\"").unwrap();
    for _ in 0..100 {
        file.write_all(chunk.as_bytes()).unwrap();
    }
    writeln!(file, "\"}}").unwrap();
    writeln!(file, "{DROP}").unwrap();
    drop(file);
    let run = hunt(&[], &[&path]);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.rows, baseline());
    assert!(
        run.stderr
            .contains("huge.ndjson:2: line longer than 67108864 bytes"),
        "{}",
        run.stderr
    );
    assert_eq!(stat(&run.stderr, "rejected"), 1);
    // A higher limit reads it.
    let run = hunt(&["--max-record-bytes", "200000000"], &[&path]);
    assert_eq!(stat(&run.stderr, "rejected"), 0);
    assert_eq!(stat(&run.stderr, "sysmon event 3"), 1);
}

#[test]
fn json_nested_100000_deep() {
    let dir = tempfile::tempdir().unwrap();
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let start = START.replacen('{', &format!("{{\"deep\":{},", deep(100_000)), 1);
    let other = format!("{{\"event_id\":3,\"deep\":{}}}", deep(100_000));
    let text = format!("{start}\n{other}\n{DROP}\n");
    let path = write(dir.path(), "deep.ndjson", text.as_bytes());
    let run = hunt(&[], &[&path]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.rows, baseline());
    assert_eq!(stat(&run.stderr, "rejected"), 0);
    // Deep nesting where a string is expected is a bad record, not a crash.
    let bad = START.replace(
        r#""command_line":"x""#,
        &format!(r#""command_line":{}"#, deep(100_000)),
    );
    let path = write(
        dir.path(),
        "bad.ndjson",
        format!("{bad}\n{START}\n{DROP}\n").as_bytes(),
    );
    let run = hunt(&[], &[&path]);
    assert_eq!(run.rows, baseline());
    assert_eq!(stat(&run.stderr, "rejected"), 1);
}

#[test]
fn invalid_utf8_and_lone_surrogates_are_replaced_visibly() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = START
        .replace(r#""command_line":"x""#, "\"command_line\":\"bad \u{0}\"")
        .into_bytes();
    let at = text.windows(4).position(|w| w == b"bad ").unwrap() + 4;
    text[at] = 0xff;
    text.push(b'\n');
    text.extend_from_slice(DROP.replace("x.dll", r"\ud800x.dll").as_bytes());
    text.push(b'\n');
    let path = write(dir.path(), "mangled.ndjson", &text);
    let run = hunt(&[], &[&path]);
    assert_eq!(stat(&run.stderr, "rejected"), 0, "{}", run.stderr);
    assert_eq!(run.rows.len(), 1);
    assert_eq!(run.rows[0]["command_line"], "bad \u{fffd}");
    assert_eq!(
        run.rows[0]["sample_targets"][0],
        "c:\\users\\a\\appdata\\local\\temp\\\u{fffd}x.dll"
    );
}

#[test]
fn unusable_ids_and_times_are_counted_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        START.to_string(),
        DROP.to_string(),
        DROP.replace(
            r#""process_id":7"#,
            r#""process_id":99999999999999999999999"#,
        ),
        DROP.replace(r#""process_id":7"#, r#""process_id":-7"#),
        DROP.replace(r#""process_id":7"#, r#""process_id":7.0"#),
        START.replace(r#""parent_process_id":1"#, r#""parent_process_id":-1"#),
        DROP.replace("2024-05-01T10:01:00Z", "10000-01-01T00:00:00Z"),
        DROP.replace("2024-05-01T10:01:00Z", "2024-05-01T10:01:00+99:00"),
        r#"{"event_id":1e400}"#.to_string(),
        r#"{"event_id":-1}"#.to_string(),
        r#"{"event_id":4294967297}"#.to_string(),
    ];
    let path = write(
        dir.path(),
        "ids.ndjson",
        (lines.join("\n") + "\n").as_bytes(),
    );
    let run = hunt(&[], &[&path]);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.rows, baseline());
    assert_eq!(stat(&run.stderr, "eid 1/11 no pid"), 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("ids.ndjson:6: bad `parent_process_id`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("ids.ndjson:7: bad `time_generated`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("ids.ndjson:8: bad `time_generated`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("ids.ndjson:10: bad `event_id`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("ids.ndjson:11: bad `event_id`"),
        "{}",
        run.stderr
    );
    assert_eq!(stat(&run.stderr, "rejected"), 6, "{}", run.stderr);
}

#[test]
fn a_million_distinct_targets_in_one_group() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.ndjson");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(file, "{START}").unwrap();
    for i in 0..1_000_000u32 {
        writeln!(
            file,
            r#"{{"event_id":11,"time_generated":"2024-05-01T10:0{}:{:02}.{:07}Z","computer":"H","process_id":7,"target_filename":"C:\\Users\\a\\AppData\\Local\\Temp\\{i}.tmp"}}"#,
            i % 3,
            i % 60,
            i
        )
        .unwrap();
    }
    drop(file);
    let run = hunt(&[], &[&path]);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.rows.len(), 1);
    assert_eq!(run.rows[0]["drop_events"], 1_000_000);
    assert_eq!(run.rows[0]["sample_targets"].as_array().unwrap().len(), 15);
    assert_eq!(run.rows[0]["sample_exts"], serde_json::json!(["tmp"]));
}

#[test]
fn a_hundred_thousand_starts_sharing_one_pid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reuse.ndjson");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..100_000u32 {
        let t = format!("2024-05-01T10:00:{:02}.{:07}Z", i % 60, i);
        writeln!(file, "{}", START.replace("2024-05-01T10:00:00Z", &t)).unwrap();
    }
    for t in ["10:01:00", "10:01:30", "10:02:00"] {
        writeln!(file, "{}", DROP.replace("10:01:00", t)).unwrap();
    }
    drop(file);
    let run = hunt(&[], &[&path]);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.rows.len(), 1);
    assert_eq!(
        run.rows[0]["drop_events"], 300_000,
        "every start pairs with every drop"
    );
    assert_eq!(stat(&run.stderr, "joined pairs"), 300_000);
}

/// A real one-chunk EVTX file from the shared data, if it is there.
fn real_evtx() -> Option<Vec<u8>> {
    let dir = common::real::shared_data()?;
    Some(
        std::fs::read(dir.join(
            "fixtures/sbousseaden__EVTX-ATTACK-SAMPLES__AutomatedTestingTools__Malware__rundll32_cmd_schtask.evtx",
        ))
        .unwrap(),
    )
}

#[test]
fn evtx_with_a_bad_chunk_header_a_bad_checksum_or_a_record_past_its_chunk() {
    let Some(file) = real_evtx() else { return };
    let dir = tempfile::tempdir().unwrap();
    let whole = write(dir.path(), "whole.evtx", &file);
    let want = hunt(&[], &[&whole]);
    assert_eq!(stat(&want.stderr, "rejected"), 0);
    let events = stat(&want.stderr, "sysmon event 1");

    // A corrupted chunk header: the chunk's own checksum field and counters scrambled.
    let mut bad_header = file.clone();
    for b in &mut bad_header[4096 + 8..4096 + 120] {
        *b ^= 0x5a;
    }
    let path = write(dir.path(), "header.evtx", &bad_header);
    let run = hunt(&[], &[&path]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("header.evtx: chunk 0"),
        "{}",
        run.stderr
    );

    // A bad checksum only: the records are intact and read.
    let mut bad_sum = file.clone();
    bad_sum[4096 + 124] ^= 0xff;
    let path = write(dir.path(), "checksum.evtx", &bad_sum);
    let run = hunt(&[], &[&path]);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.rows, want.rows);
    assert_eq!(stat(&run.stderr, "sysmon event 1"), events);

    // A record whose size points past the chunk.
    let mut past = file.clone();
    let first = 4096 + 512;
    assert_eq!(&past[first..first + 4], b"**\0\0");
    past[first + 4..first + 8].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
    let path = write(dir.path(), "past.evtx", &past);
    let run = hunt(&[], &[&path]);
    assert_eq!(run.code, Some(0));
    assert!(
        run.stderr
            .contains("past.evtx: chunk 0: malformed record: bad record"),
        "{}",
        run.stderr
    );
    assert!(
        stat(&run.stderr, "sysmon event 1") + 1 >= events,
        "only the broken record is lost"
    );
}
