//! End-to-end tests of the `foothold` binary: formats, exit codes, stderr messages, stdin,
//! rule files.

mod common;

use std::io::Write;

use assert_cmd::Command;
use predicates::prelude::*;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

fn foothold() -> Command {
    Command::cargo_bin("foothold").unwrap()
}

fn json_rows(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const START: &str = r#"{"event_id":1,"time_generated":"2024-05-01T10:00:00Z","computer":"H","process_id":7,"process_path":"C:\\x.exe","command_line":"x","parent_process_id":1,"parent_process_path":"C:\\Users\\a\\p.exe","parent_process_name":"p.exe","parent_command_line":"p"}"#;
const DROP: &str = r#"{"event_id":11,"time_generated":"2024-05-01T10:01:00Z","computer":"H","process_id":7,"target_filename":"C:\\Users\\a\\AppData\\Local\\Temp\\x.dll"}"#;

#[test]
fn the_demo_samples_give_their_documented_alerts() {
    let out = foothold()
        .args(["hunt", "--format", "json", "samples/"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows = json_rows(&out);
    let summary: Vec<(String, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["parent_process_name"].as_str().unwrap().to_string(),
                r["drop_events"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("bootstrap.exe".to_string(), 1),
            ("bootstrap.exe".to_string(), 1),
            ("bundle.exe".to_string(), 2),
            ("runner.exe".to_string(), 1),
            ("python.exe".to_string(), 1),
            ("Invoice_2024.exe".to_string(), 3),
        ]
    );
    let invoice = &rows[5];
    assert_eq!(invoice["time_generated"], "2024-05-01T10:00:30.2500000Z");
    assert_eq!(invoice["last_seen"], "2024-05-01T10:03:00.0000000Z");
    assert_eq!(invoice["process_id"], 4242);
    assert_eq!(
        invoice["sample_exts"],
        serde_json::json!(["dll", "exe", "txt"])
    );
}

#[test]
fn alerts_exit_zero_unless_fail_on_alert() {
    let input = format!("{START}\n{DROP}\n");
    foothold()
        .args(["hunt", "-f", "json", "-"])
        .write_stdin(input.clone())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"drop_events\":1"));
    foothold()
        .args(["hunt", "-f", "json", "--fail-on-alert", "-"])
        .write_stdin(input)
        .assert()
        .code(1);
    foothold()
        .args(["hunt", "-f", "json", "--fail-on-alert", "-"])
        .write_stdin(format!("{START}\n"))
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn stdin_is_the_default_input_when_piped() {
    foothold()
        .args(["hunt", "-f", "json"])
        .write_stdin(format!("{DROP}\n{START}\n"))
        .assert()
        .success()
        .stdout(predicate::str::contains("x.dll"));
}

#[test]
fn malformed_lines_are_reported_counted_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.ndjson");
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(file, "{START}").unwrap();
    writeln!(file, "{{\"event_id\":1,").unwrap();
    writeln!(file, r#"{{"event_id":11,"time_generated":"not a time"}}"#).unwrap();
    for _ in 0..12 {
        writeln!(file, "garbage").unwrap();
    }
    writeln!(file, "{DROP}").unwrap();
    drop(file);
    let name = path.display().to_string();
    let assert = foothold()
        .args(["hunt", "-f", "json", "--stats"])
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("x.dll"));
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains(&format!("{name}:2: malformed record: invalid JSON")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{name}:3: bad `time_generated`")),
        "{stderr}"
    );
    assert!(
        stderr.contains("4 more rejected records not shown (14 in all"),
        "{stderr}"
    );
    assert!(stderr.contains("rejected         14"), "{stderr}");
    foothold()
        .args(["hunt", "-f", "json", "--strict"])
        .arg(&path)
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains(format!("{name}:2:"))
                .and(predicate::str::contains("--strict")),
        );
}

#[test]
fn quiet_hides_messages_but_not_counts() {
    foothold()
        .args(["hunt", "-f", "json", "--quiet", "--stats", "-"])
        .write_stdin("garbage\n")
        .assert()
        .success()
        .stderr(
            predicate::str::contains("garbage")
                .not()
                .and(predicate::str::contains("rejected         1")),
        );
}

#[test]
fn a_file_of_no_event_format_is_skipped_under_a_directory_and_rejected_when_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "# notes on the case\n").unwrap();
    std::fs::write(
        dir.path().join("events.ndjson"),
        format!("{START}\n{DROP}\n"),
    )
    .unwrap();
    // Under a directory: counted in --stats, no message, and not a failure under --strict.
    let out = foothold()
        .args(["hunt", "-f", "json", "--strict", "--stats"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(json_rows(&out.stdout).len(), 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skipped (no log) 1"), "{stderr}");
    assert!(!stderr.contains("README.md"), "{stderr}");
    // Named: rejected, with its name and why.
    foothold()
        .args(["hunt", "-f", "json", "--strict"])
        .arg(dir.path().join("README.md"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("README.md")
                .and(predicate::str::contains("not EVTX, event XML or JSON")),
        );
}

#[test]
fn events_out_of_time_order_are_read_again_and_give_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.ndjson");
    // A start half an hour later comes first: the others are then out of order.
    let later = START
        .replace("10:00:00", "10:30:00")
        .replace("\"process_id\":7", "\"process_id\":8");
    // `hunt -f json` with `flags` on `text`, which must succeed: (stdout, stderr).
    let run = |text: String, flags: &[&str]| {
        std::fs::write(&path, text).unwrap();
        let out = foothold()
            .args(["hunt", "-f", "json"])
            .args(flags)
            .arg(&path)
            .assert()
            .success()
            .get_output()
            .clone();
        (out.stdout, String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (rows, stderr) = run(format!("{later}\n{START}\n{DROP}\n"), &[]);
    assert_eq!(json_rows(&rows).len(), 1);
    assert!(stderr.contains("not in time order"), "{stderr}");
    // In order: one pass, no note, the same row.
    let (again, stderr) = run(format!("{START}\n{DROP}\n{later}\n"), &[]);
    assert_eq!(again, rows);
    assert!(stderr.is_empty(), "{stderr}");
    // A malformed line before the disorder is told once, though its file is read twice.
    let bad = format!("{{\"event_id\": oops\n{later}\n{START}\n{DROP}\n{{\"event_id\": 1,\n");
    let (twice, stderr) = run(bad, &["--stats"]);
    assert_eq!(twice, rows);
    assert_eq!(stderr.matches("events.ndjson:1:").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("events.ndjson:5:").count(), 1, "{stderr}");
    assert!(stderr.contains("not in time order"), "{stderr}");
    assert!(stderr.contains("rejected         2"), "{stderr}");
    // Out of order, said so: every row held from the start, read once.
    let (held, stderr) = run(format!("{later}\n{START}\n{DROP}\n"), &["--unordered"]);
    assert_eq!(held, rows);
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn a_missing_input_is_an_error_but_the_others_are_read() {
    foothold()
        .args([
            "hunt",
            "-f",
            "json",
            "no/such/file.ndjson",
            "samples/demo.ndjson",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/file.ndjson"))
        .stdout(predicate::str::contains("Invoice_2024.exe"));
}

#[test]
fn csv_has_a_header_quotes_every_cell_and_joins_arrays() {
    let out = foothold()
        .args(["hunt", "--format", "csv", "samples/demo.ndjson"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "\"time_generated\",\"last_seen\",\"drop_events\",\"computer\",\"user_name\",\"parent_process_name\",\"parent_process_path\",\"parent_process_id\",\"process_path\",\"process_id\",\"command_line\",\"parent_command_line\",\"sample_exts\",\"sample_targets\""
    );
    assert!(text.contains("\"dll;exe;txt\""), "{text}");
    assert_eq!(lines.count(), 6);
}

#[test]
fn table_is_readable_and_counts_alerts() {
    foothold()
        .args(["hunt", "--format", "table", "samples/"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("6 alerts")
                .and(predicate::str::contains("last seen (UTC)"))
                .and(predicate::str::contains("2024-05-01 10:03:00")),
        );
    foothold()
        .args(["hunt", "--format", "table", "-"])
        .write_stdin(format!("{START}\n"))
        .assert()
        .success()
        .stdout("No alerts.\n");
}

#[test]
fn stats_report_every_stage() {
    foothold()
        .args(["hunt", "-f", "json", "--stats", "samples/"])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("sysmon event 1     12")
                .and(predicate::str::contains("sysmon event 11    18"))
                .and(predicate::str::contains("parents kept       7"))
                .and(predicate::str::contains("drops kept         16"))
                .and(predicate::str::contains("joined pairs       9"))
                .and(predicate::str::contains("alerts             6"))
                .and(predicate::str::contains("events per second")),
        );
}

#[test]
fn the_printed_default_rule_loads_and_a_bad_one_is_explained() {
    let out = foothold()
        .arg("rule")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("rule.toml");
    std::fs::write(&good, &out).unwrap();
    foothold()
        .args(["rule", "--check"])
        .arg(&good)
        .assert()
        .success()
        .stdout(predicate::str::contains("window 3m, bin 10m"));
    let text = String::from_utf8(out)
        .unwrap()
        .replace("window = \"3m\"", "window = \"3 weeks\"");
    let line = text
        .lines()
        .position(|l| l.starts_with("window ="))
        .unwrap()
        + 1;
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, text).unwrap();
    foothold()
        .args(["hunt", "--rule"])
        .arg(&bad)
        .arg("samples/")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("unknown time unit")
                .and(predicate::str::contains(format!("line {line}"))),
        );
}

#[test]
fn a_narrower_rule_file_changes_the_alerts() {
    let text = foothold::rule::DEFAULT_RULE_TOML.replace("window = \"3m\"", "window = \"31s\"");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rule.toml");
    std::fs::write(&path, text).unwrap();
    let out = foothold()
        .args(["hunt", "-f", "json", "--rule"])
        .arg(&path)
        .arg("samples/")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows = json_rows(&out);
    let invoice = rows
        .iter()
        .find(|r| r["parent_process_name"] == "Invoice_2024.exe")
        .unwrap();
    assert_eq!(
        invoice["drop_events"], 1,
        "only the drop at +30.25 s is inside 31 s"
    );
}

#[test]
fn help_documents_exit_codes_and_examples() {
    foothold()
        .args(["hunt", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Exit codes:")
                .and(predicate::str::contains("--fail-on-alert"))
                .and(predicate::str::contains("Examples:")),
        );
}

#[test]
fn the_binary_matches_the_reference_on_a_large_generated_set() {
    let mut runner = TestRunner::deterministic();
    let strategy = proptest::collection::vec((common::generate::event(), 0u8..=255), 3000);
    let events = strategy.new_tree(&mut runner).unwrap().current();
    let input: String = events
        .iter()
        .map(|(e, v)| common::generate::render(e, *v) + "\n")
        .collect();
    let out = foothold()
        .args(["hunt", "-f", "json", "-j", "2", "-"])
        .write_stdin(input)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows = json_rows(&out);
    let plain: Vec<_> = events.into_iter().map(|(e, _)| e).collect();
    let expected = common::reference::kql(&plain);
    assert!(expected.len() > 20, "the set should raise many alerts");
    common::reference::check(&expected, &rows).unwrap();
}
