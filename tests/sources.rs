//! End-to-end tests of reading real-world inputs: archives, truncated and corrupt files,
//! forced formats, GUID correlation.

mod common;

use std::io::Write;

use assert_cmd::Command;
use predicates::prelude::*;

use common::real::shared_data;

fn foothold() -> Command {
    Command::cargo_bin("foothold").unwrap()
}

fn rows(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn demo() -> Vec<u8> {
    std::fs::read("samples/demo.ndjson").unwrap()
}

fn hunt_json(path: &std::path::Path) -> (Vec<serde_json::Value>, String, Option<i32>) {
    let out = foothold()
        .args(["hunt", "-f", "json", "--stats"])
        .arg(path)
        .output()
        .unwrap();
    (
        rows(&out.stdout),
        String::from_utf8_lossy(&out.stderr).to_string(),
        out.status.code(),
    )
}

#[test]
fn zip_members_are_each_read_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let text = demo();
    let lines: Vec<&[u8]> = text.split_inclusive(|b| *b == b'\n').collect();
    let (first, second) = lines.split_at(lines.len() / 2);
    let path = dir.path().join("case.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("part1.json", options).unwrap();
    zip.write_all(&first.concat()).unwrap();
    zip.add_directory("sub/", options).unwrap();
    zip.start_file("sub/part2.json.gz", options).unwrap();
    zip.write_all(&common::layouts::pack(
        second.concat(),
        common::layouts::Packing::Gzip,
    ))
    .unwrap();
    zip.start_file("notes.txt", options).unwrap();
    zip.write_all(b"analyst notes, not events\n").unwrap();
    zip.finish().unwrap();
    let (got, stderr, code) = hunt_json(&path);
    let (want, _, _) = hunt_json(std::path::Path::new("samples/demo.ndjson"));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(got, want);
    assert!(
        stderr.contains("case.zip!notes.txt: unknown layout"),
        "{stderr}"
    );
    assert!(stderr.contains("inputs             3"), "{stderr}");
}

#[test]
fn a_truncated_gzip_keeps_what_came_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let many: Vec<u8> = (0..200).flat_map(|_| demo()).collect();
    let packed = common::layouts::pack(many, common::layouts::Packing::Gzip);
    let path = dir.path().join("cut.ndjson.gz");
    std::fs::write(&path, &packed[..packed.len() * 3 / 4]).unwrap();
    let (got, stderr, code) = hunt_json(&path);
    assert_eq!(
        code,
        Some(0),
        "a damaged file is reported, not fatal: {stderr}"
    );
    let name = path.display().to_string();
    assert!(
        stderr.contains(&format!("{name}:")) && stderr.contains("cannot read further"),
        "{stderr}"
    );
    assert!(
        !got.is_empty(),
        "the alerts from the readable part are kept"
    );
}

#[test]
fn a_forced_format_that_does_not_fit_is_reported() {
    foothold()
        .args([
            "hunt",
            "-f",
            "json",
            "--input-format",
            "evtx",
            "samples/demo.ndjson",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("bad EVTX file header"));
    foothold()
        .args([
            "hunt",
            "-f",
            "json",
            "--input-format",
            "ndjson",
            "samples/demo.ndjson",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Invoice_2024.exe"));
}

#[test]
fn guid_correlation_ignores_pid_reuse_and_joins_without_pids() {
    let start = |t: &str, pid: &str, guid: &str| {
        format!(
            r#"{{"EventID":1,"SourceName":"Microsoft-Windows-Sysmon","Hostname":"H","UtcTime":"2024-05-01 {t}","ProcessId":"{pid}","ProcessGuid":"{guid}","Image":"C:\\x.exe","ParentImage":"C:\\Users\\a\\p.exe"}}"#
        )
    };
    let drop = |t: &str, pid: &str, guid: &str| {
        format!(
            r#"{{"EventID":11,"SourceName":"Microsoft-Windows-Sysmon","Hostname":"H","UtcTime":"2024-05-01 {t}","ProcessId":"{pid}","ProcessGuid":"{guid}","TargetFilename":"C:\\Users\\a\\AppData\\Local\\Temp\\x.dll"}}"#
        )
    };
    let input = [
        start("10:00:00.000", "7", "{AAAA}"),
        start("10:01:00.000", "7", "{BBBB}"),
        drop("10:02:00.000", "7", "{bbbb}"),
        start("10:25:00.000", "", "{CCCC}"),
        drop("10:26:00.000", "", "{CCCC}"),
    ]
    .join("\n");
    let by = |mode: &str| {
        let out = foothold()
            .args(["hunt", "-f", "json", "--correlate-by", mode, "-"])
            .write_stdin(input.clone())
            .output()
            .unwrap();
        rows(&out.stdout)
            .iter()
            .map(|r| r["drop_events"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(by("pid"), [2], "PID reuse counts twice; no pid, no join");
    assert_eq!(by("guid"), [1, 1]);
}

/// A copy of a real EVTX file with one chunk, made three chunks long.
fn three_chunk_evtx(dir: &std::path::Path) -> Option<(std::path::PathBuf, Vec<u8>)> {
    let data = shared_data()?;
    let source = data.join(
        "fixtures/sbousseaden__EVTX-ATTACK-SAMPLES__AutomatedTestingTools__Malware__rundll32_cmd_schtask.evtx",
    );
    let bytes = std::fs::read(source).unwrap();
    assert_eq!(bytes.len(), 4096 + 65536);
    let chunk = &bytes[4096..];
    let mut file = bytes[..4096].to_vec();
    file[42..44].copy_from_slice(&3u16.to_le_bytes());
    for _ in 0..3 {
        file.extend_from_slice(chunk);
    }
    Some((dir.join("three.evtx"), file))
}

#[test]
fn a_corrupt_evtx_chunk_is_reported_and_the_others_read() {
    let dir = tempfile::tempdir().unwrap();
    let Some((path, mut file)) = three_chunk_evtx(dir.path()) else {
        return;
    };
    std::fs::write(&path, &file).unwrap();
    let (whole, stderr, _) = hunt_json(&path);
    assert!(!stderr.contains("foothold:"), "{stderr}");
    assert!(
        stderr.contains("sysmon event 1     24"),
        "three copies of 8 starts: {stderr}"
    );
    assert_eq!(
        whole[0]["drop_events"], 9,
        "each of 3 drops joins each of 3 starts"
    );
    // Break the second chunk's magic.
    file[4096 + 65536] = b'X';
    std::fs::write(&path, &file).unwrap();
    let (rows, stderr, code) = hunt_json(&path);
    let name = path.display().to_string();
    assert_eq!(code, Some(0));
    assert!(
        stderr.contains(&format!(
            "{name}: chunk 1: malformed record: bad chunk magic"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("sysmon event 1     16"), "{stderr}");
    assert_eq!(rows[0]["drop_events"], 4);
}

#[test]
fn a_truncated_evtx_keeps_its_whole_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let Some((path, file)) = three_chunk_evtx(dir.path()) else {
        return;
    };
    std::fs::write(&path, &file[..4096 + 65536 * 2 + 1000]).unwrap();
    let (_, stderr, code) = hunt_json(&path);
    assert_eq!(code, Some(0));
    assert!(
        stderr.contains("chunk 2: malformed record: chunk cut short (1000 of 65536 bytes)"),
        "{stderr}"
    );
    assert!(stderr.contains("sysmon event 1     16"), "{stderr}");
}

#[test]
fn damaged_evtx_records_are_reported_and_the_rest_of_the_chunk_read() {
    let dir = tempfile::tempdir().unwrap();
    let Some((path, mut file)) = three_chunk_evtx(dir.path()) else {
        return;
    };
    // Break the header magic of the first chunk's third record.
    let chunk = 4096..4096 + 65536;
    let third = file[chunk.clone()]
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"**\0\0")
        .nth(2)
        .map(|(at, _)| chunk.start + at)
        .unwrap();
    file[third] = b'#';
    std::fs::write(&path, &file).unwrap();
    let (_, stderr, code) = hunt_json(&path);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("chunk 0: malformed record: bad record"),
        "{stderr}"
    );
    let events: u64 = stderr
        .lines()
        .filter_map(|l| l.trim().strip_prefix("sysmon event "))
        .map(|l| l.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(
        events, 149,
        "two whole chunks and all but one record of the third\n{stderr}"
    );
}
