//! Attacker-controlled text in alerts is escaped for where it is written: no control sequence
//! reaches a terminal, no formula reaches a spreadsheet, and JSON is always valid.

use assert_cmd::Command;

/// A start and a drop whose paths, command line and user carry terminal escapes, a bidi
/// override, a bell, a carriage return and spreadsheet formulas.
fn hostile_events() -> String {
    let start = serde_json::json!({
        "event_id": 1,
        "time_generated": "2024-05-01T10:00:00Z",
        "computer": "=cmd|' /C calc'!A0",
        "process_id": 7,
        "process_path": "C:\\Users\\a\\\u{1b}[2J\u{1b}[31mevil\u{202e}fdp.exe",
        "command_line": "@SUM(1+1)\u{7}\r\u{1b}]0;owned\u{7}",
        "parent_process_id": 1,
        "parent_process_path": "C:\\Users\\a\\Downloads\\p\u{9b}31m.exe",
        "parent_process_name": "p.exe",
        "parent_command_line": "+1-1",
        "user_name": "-2+3\ttab",
    });
    let drop = serde_json::json!({
        "event_id": 11,
        "time_generated": "2024-05-01T10:01:00Z",
        "computer": "=cmd|' /C calc'!A0",
        "process_id": 7,
        "target_filename": "C:\\Users\\a\\AppData\\Local\\Temp\\\u{1b}[5mx.dll",
    });
    format!("{start}\n{drop}\n")
}

fn run(format: &str) -> Vec<u8> {
    let out = Command::cargo_bin("foothold")
        .unwrap()
        .args(["hunt", "--format", format, "-"])
        .write_stdin(hostile_events())
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn the_table_shows_control_characters_escaped() {
    let out = run("table");
    let text = String::from_utf8(out.clone()).unwrap();
    for raw in ['\u{1b}', '\u{7}', '\r', '\u{9b}', '\u{202e}'] {
        assert!(
            !text.contains(raw),
            "raw {raw:?} reached the terminal:\n{text}"
        );
    }
    let joined: String = text.split_whitespace().collect();
    assert!(joined.contains("\\x1b[2j"), "{text}");
    assert!(joined.contains("\\u{202e}"), "{text}");
    assert!(joined.contains("\\x07"), "{text}");
    assert!(joined.contains("\\x9b31m"), "{text}");
}

#[test]
fn csv_neutralizes_formulas_and_quotes_every_cell() {
    let out = run("csv");
    let mut reader = csv::ReaderBuilder::new().from_reader(&out[..]);
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let cell = |name: &str| {
        row.get(headers.iter().position(|h| h == name).unwrap())
            .unwrap()
            .to_string()
    };
    assert_eq!(cell("computer"), "'=cmd|' /C calc'!A0");
    assert!(cell("command_line").starts_with("'@SUM"));
    assert_eq!(cell("parent_command_line"), "'+1-1");
    assert_eq!(cell("user_name"), "'-2+3\ttab");
    for line in String::from_utf8(out).unwrap().lines().take(1) {
        assert!(
            line.starts_with('"') && line.ends_with('"'),
            "every cell quoted: {line}"
        );
    }
}

#[test]
fn json_stays_valid_and_escapes_controls() {
    let out = run("json");
    let text = String::from_utf8(out).unwrap();
    for raw in ['\u{1b}', '\u{7}', '\r', '\u{9b}', '\u{202e}'] {
        assert!(!text.contains(raw), "raw {raw:?} in the JSON:\n{text}");
    }
    let row: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(
        row["process_path"], "c:\\users\\a\\\u{1b}[2j\u{1b}[31mevil\u{202e}fdp.exe",
        "the value itself is kept exactly"
    );
}
