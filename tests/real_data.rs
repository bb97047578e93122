//! foothold on the real Sysmon data of `../shared/data`: every file parses with no rejected
//! record, its Sysmon event counts are the manifest's, the known true positives raise alerts,
//! and the rows are the ones the seed's KQL gives on the same events, normalized by a plain
//! second reader.

mod common;

use std::collections::BTreeMap;

use assert_cmd::Command;

use common::real::{load, manifest, shared_data};
use common::reference::{check, kql};

/// `sysmon event N  count` lines of `--stats`.
fn event_counts(stderr: &str) -> BTreeMap<u64, u64> {
    stderr
        .lines()
        .filter_map(|l| l.trim().strip_prefix("sysmon event "))
        .map(|rest| {
            let mut parts = rest.split_whitespace();
            let id = parts.next().unwrap().parse().unwrap();
            let n = parts.next().unwrap().parse().unwrap();
            (id, n)
        })
        .collect()
}

#[test]
fn every_shared_file_gives_the_rows_of_the_kql() {
    let Some(dir) = shared_data() else { return };
    let rows = manifest(&dir);
    assert!(rows.len() > 200, "the manifest lists the data");
    let true_positives: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("TRUE_POSITIVES.json")).unwrap())
            .unwrap();
    let mut failures = Vec::new();
    let mut alerts_total = 0;
    for row in &rows {
        let path = dir.join(&row.file);
        let out = Command::cargo_bin("foothold")
            .unwrap()
            .args(["hunt", "--format", "json", "--stats"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let alerts: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        alerts_total += alerts.len();
        let mut fail = |why: String| failures.push(format!("{}: {why}", row.file));
        if !out.status.success() {
            fail(format!("exit {:?}", out.status.code()));
        }
        if let Some(problem) = stderr.lines().find(|l| l.starts_with("foothold:")) {
            fail(format!("rejected a record: {problem}"));
        }
        let counts = event_counts(&stderr);
        let sysmon: u64 = counts.values().sum();
        let eid = |id| counts.get(&id).copied().unwrap_or(0);
        if (sysmon, eid(1), eid(11)) != (row.sysmon_events, row.eid1, row.eid11) {
            fail(format!(
                "read {sysmon} Sysmon events ({} EID 1, {} EID 11), the manifest says {} ({}, {})",
                eid(1),
                eid(11),
                row.sysmon_events,
                row.eid1,
                row.eid11
            ));
        }
        let loaded = load(&path);
        if (loaded.sysmon_events, loaded.eid1, loaded.eid11)
            != (row.sysmon_events, row.eid1, row.eid11)
        {
            fail("the plain reader disagrees with the manifest".to_string());
        }
        if let Err(why) = check(&kql(&loaded.events), &alerts) {
            fail(why);
        }
        for tp in true_positives[&row.file].as_array().into_iter().flatten() {
            let image = tp["image"].as_str().unwrap().to_lowercase();
            let parent = tp["parent"].as_str().unwrap().to_lowercase();
            if !alerts
                .iter()
                .any(|a| a["process_path"] == image && a["parent_process_path"] == parent)
            {
                fail(format!(
                    "no alert for the true positive {parent} -> {image}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(alerts_total > 0);
}

/// Every chunk of every shared EVTX file gives the same events by foothold's fast path as by
/// the `evtx` crate's renderer, and the fast path reads most of them.
#[test]
fn the_evtx_fast_path_reads_what_the_renderer_reads() {
    let Some(dir) = shared_data() else { return };
    let mut chunks = 0;
    let mut fast = 0;
    for row in manifest(&dir).iter().filter(|r| r.file.ends_with(".evtx")) {
        let bytes = std::fs::read(dir.join(&row.file)).unwrap();
        let header = &bytes[..4096];
        for (n, chunk) in bytes[4096..].chunks_exact(65536).enumerate() {
            if !chunk.starts_with(b"ElfChnk\0") {
                continue;
            }
            chunks += 1;
            let mut file = header.to_vec();
            file.extend_from_slice(chunk);
            let mut rendered = Vec::new();
            foothold::source::evtx::decode_chunk_rendered(
                n as u64,
                file.clone(),
                |e| rendered.push(format!("{e:?}")),
                |_, _| {},
            );
            if let Some(reads) = foothold::source::evtx::binxml::read_chunk(chunk) {
                fast += 1;
                let got: Vec<String> = reads
                    .iter()
                    .map(|r| match r {
                        foothold::source::evtx::binxml::Read::Counted(e)
                        | foothold::source::evtx::binxml::Read::Event(e) => format!("{e:?}"),
                    })
                    .collect();
                assert_eq!(got, rendered, "{} chunk {n}", row.file);
            }
        }
    }
    eprintln!("the fast path read {fast} of {chunks} chunks");
    assert!(
        fast * 10 >= chunks * 9,
        "the fast path read {fast} of {chunks} chunks"
    );
}
