//! End-to-end tests of `foothold watch`: the same rows as `hunt` on streams with bounded
//! disorder (stdin and followed files), late events, early partial rows, restarts after
//! `kill -9` with `--state`, and a webhook whose server goes away and comes back.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};

use common::generate::{SECOND, event, render};
use common::reference::RefEvent;

fn ticks(e: &RefEvent) -> i64 {
    match e {
        RefEvent::Start { ticks, .. }
        | RefEvent::Create { ticks, .. }
        | RefEvent::Other { ticks, .. } => *ticks,
    }
}

/// Generated events in an arrival order whose disorder stays under `lateness_secs`.
fn stream(seed: u64, n: usize, lateness_secs: i64) -> Vec<String> {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &{
            let mut s = [0u8; 32];
            s[..8].copy_from_slice(&seed.to_le_bytes());
            s
        }),
    );
    let events = proptest::collection::vec((event(), 0u8..=255, 0..lateness_secs * SECOND), n)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    let mut arriving: Vec<(i64, String)> = events
        .iter()
        .map(|(e, variant, delay)| (ticks(e) + delay, render(e, *variant)))
        .collect();
    arriving.sort_by_key(|(at, _)| *at);
    arriving.into_iter().map(|(_, line)| line).collect()
}

/// Rows as a multiset of their JSON text.
fn row_set(text: &str) -> BTreeMap<String, usize> {
    let mut set = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        *set.entry(value.to_string()).or_default() += 1;
    }
    set
}

fn hunt_rows(input: &str) -> BTreeMap<String, usize> {
    let out = Command::cargo_bin("foothold")
        .unwrap()
        .args(["hunt", "-f", "json", "-"])
        .write_stdin(input.to_string())
        .output()
        .unwrap();
    row_set(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn watch_on_stdin_gives_the_rows_of_hunt() {
    for seed in 0..12 {
        let lines = stream(seed, 400, 119);
        let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let want = hunt_rows(&input);
        let out = Command::cargo_bin("foothold")
            .unwrap()
            .args(["watch", "--idle-flush", "1h"])
            .write_stdin(input)
            .output()
            .unwrap();
        assert!(out.status.success());
        let got = row_set(&String::from_utf8_lossy(&out.stdout));
        assert!(!want.is_empty());
        assert_eq!(got, want, "seed {seed}");
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("late"),
            "seed {seed}"
        );
    }
}

#[test]
fn late_events_are_counted_and_written_aside() {
    let dir = tempfile::tempdir().unwrap();
    let late = dir.path().join("late.ndjson");
    let fresh = r#"{"event_id":11,"time_generated":"2024-05-01T10:10:00Z","computer":"H","process_id":7,"target_filename":"C:\\Users\\a\\AppData\\Local\\Temp\\x.dll"}"#;
    let stale = r#"{"event_id":1,"time_generated":"2024-05-01T10:07:59Z","computer":"H","process_id":7,"process_path":"C:\\x.exe","parent_process_path":"C:\\Users\\a\\p.exe","parent_process_name":"p.exe"}"#;
    let other_host = r#"{"event_id":1,"time_generated":"2024-05-01T09:00:00Z","computer":"G","process_id":7,"process_path":"C:\\x.exe","parent_process_path":"C:\\Users\\a\\p.exe","parent_process_name":"p.exe"}"#;
    Command::cargo_bin("foothold")
        .unwrap()
        .args(["watch", "--stats-interval", "1ms", "--late-file"])
        .arg(&late)
        .write_stdin(format!("{fresh}\n{stale}\n{other_host}\n"))
        .assert()
        .success()
        .stderr(predicates::str::contains("1 late"));
    assert_eq!(
        std::fs::read_to_string(&late).unwrap(),
        format!("{stale}\n")
    );
}

#[test]
fn emit_first_sends_a_partial_row_before_the_final_one() {
    let start = r#"{"event_id":1,"time_generated":"2024-05-01T10:00:00Z","computer":"H","process_id":7,"process_path":"C:\\x.exe","parent_process_path":"C:\\Users\\a\\p.exe","parent_process_name":"p.exe"}"#;
    let drop = |t: &str, n: u32| {
        format!(
            r#"{{"event_id":11,"time_generated":"2024-05-01T{t}Z","computer":"H","process_id":7,"target_filename":"C:\\Users\\a\\AppData\\Local\\Temp\\{n}.dll"}}"#
        )
    };
    let input = format!(
        "{start}\n{}\n{}\n",
        drop("10:00:10", 1),
        drop("10:00:20", 2)
    );
    let out = Command::cargo_bin("foothold")
        .unwrap()
        .args(["watch", "--emit", "first"])
        .write_stdin(input)
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["partial"], true);
    assert_eq!(rows[0]["drop_events"], 1);
    assert_eq!(rows[1].get("partial"), None);
    assert_eq!(rows[1]["drop_events"], 2);
}

fn spawn_watch(args: &[&str], extra: &[&Path]) -> Child {
    let mut cmd = Process::new(cargo_bin("foothold"));
    cmd.arg("watch").args(args).args(extra);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().unwrap()
}

fn append(path: &Path, lines: &[String]) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for line in lines {
        writeln!(file, "{line}").unwrap();
    }
}

fn signal(child: &Child, sig: &str) {
    let status = Process::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits until `done` holds or `limit` passes.
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done()
}

/// One start and one drop per computer, an hour after everything: closes every bin.
fn closing_events() -> Vec<String> {
    ["WS1", "ws1", "WS2"]
        .iter()
        .map(|c| {
            format!(r#"{{"event_id":3,"time_generated":"2024-05-01T13:00:00Z","computer":"{c}"}}"#)
        })
        .chain(["WS1", "ws1", "WS2"].iter().map(|c| {
            format!(r#"{{"event_id":11,"time_generated":"2024-05-01T13:00:00Z","computer":"{c}","process_id":99,"target_filename":"C:\\nowhere\\x"}}"#)
        }))
        .collect()
}

#[test]
fn a_followed_file_gives_the_rows_of_hunt() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.ndjson");
    let lines = stream(100, 600, 119);
    std::fs::write(&log, "").unwrap();
    let child = spawn_watch(&["--poll-interval", "20ms", "--idle-flush", "1h"], &[&log]);
    for part in lines.chunks(97) {
        append(&log, part);
        std::thread::sleep(Duration::from_millis(30));
    }
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "-TERM");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(
        row_set(&String::from_utf8_lossy(&out.stdout)),
        hunt_rows(&input)
    );
}

#[test]
fn kill_9_and_restart_with_state_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.ndjson");
    let state = dir.path().join("state");
    let alerts = dir.path().join("alerts.ndjson");
    let lines = stream(7, 900, 119);
    // Checkpoints are rare enough that each kill falls after alerts were written and before
    // the next checkpoint: the restart must cut them off and write them again, once.
    let args = [
        "--poll-interval",
        "10ms",
        "--checkpoint-interval",
        "2s",
        "--idle-flush",
        "1h",
        "--state",
        state.to_str().unwrap(),
        "--output",
        alerts.to_str().unwrap(),
    ];
    let (first, rest) = lines.split_at(lines.len() / 2);
    let (second, third) = rest.split_at(rest.len() / 2);
    append(&log, first);
    let mut child = spawn_watch(&args, &[&log]);
    assert!(wait_for(Duration::from_secs(10), || std::fs::metadata(
        &alerts
    )
    .is_ok_and(|m| m.len() > 0)));
    assert!(wait_for(Duration::from_secs(10), || state
        .join("checkpoint.json")
        .is_file()));
    let len = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let before = len(&alerts);
    append(&log, second);
    assert!(wait_for(Duration::from_secs(1), || len(&alerts) > before));
    signal(&child, "-KILL");
    child.wait().unwrap();
    // Restarted twice: once killed again mid-way, then run to the end.
    let mut child = spawn_watch(&args, &[&log]);
    std::thread::sleep(Duration::from_millis(300));
    append(&log, third);
    std::thread::sleep(Duration::from_millis(150));
    signal(&child, "-KILL");
    child.wait().unwrap();
    let child = spawn_watch(&args, &[&log]);
    append(&log, &closing_events());
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let want = hunt_rows(&input);
    let total: usize = want.values().sum();
    assert!(wait_for(Duration::from_secs(20), || {
        std::fs::read_to_string(&alerts).is_ok_and(|t| t.lines().count() >= total)
    }));
    std::thread::sleep(Duration::from_millis(200));
    signal(&child, "-TERM");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(row_set(&std::fs::read_to_string(&alerts).unwrap()), want);
}

/// An HTTP server on 127.0.0.1 that records the bodies it is sent.
struct Receiver {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    fn start(port: u16, bodies: std::sync::Arc<std::sync::Mutex<Vec<String>>>) -> (Receiver, u16) {
        Receiver::answering(port, bodies, |_| 200)
    }

    /// A server that answers the `n`th request (from 0) with `status(n)` and records the
    /// bodies of those it answers with 200.
    fn answering(
        port: u16,
        bodies: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
        status: fn(usize) -> u16,
    ) -> (Receiver, u16) {
        let server = tiny_http::Server::http(("127.0.0.1", port)).unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut n = 0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(Some(mut request)) = server.recv_timeout(Duration::from_millis(20)) {
                    let mut body = String::new();
                    std::io::Read::read_to_string(request.as_reader(), &mut body).unwrap();
                    let code = status(n);
                    n += 1;
                    if code == 200 {
                        bodies.lock().unwrap().push(body);
                    }
                    let _ = request.respond(tiny_http::Response::empty(code));
                }
            }
        });
        (
            Receiver {
                stop,
                thread: Some(thread),
            },
            port,
        )
    }

    fn stop(mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

/// `watch --state STATE --webhook` to a [`Receiver`] on `port`, reading stdin.
fn spawn_with_webhook(state: &Path, port: u16, extra: &[&str]) -> std::process::Child {
    Process::new(cargo_bin("foothold"))
        .args(["watch", "--idle-flush", "1h"])
        .args(extra)
        .arg("--state")
        .arg(state)
        .arg("--webhook")
        .arg(format!("http://127.0.0.1:{port}/hook"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for `watch` to end, stops the receiver, and checks that `watch` succeeded.
fn finish_with_webhook(child: std::process::Child, server: Receiver) -> std::process::Output {
    let out = child.wait_with_output().unwrap();
    server.stop();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// JSON bodies as a set of rows in the form [`row_set`] gives.
fn body_set<'a>(bodies: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    bodies
        .map(|b| {
            let value: serde_json::Value = serde_json::from_str(b).unwrap();
            (value.to_string(), 1)
        })
        .collect()
}

#[test]
fn the_webhook_gets_every_alert_though_its_server_goes_away_and_comes_back() {
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (server, port) = Receiver::start(0, std::sync::Arc::clone(&bodies));
    let dir = tempfile::tempdir().unwrap();
    let lines = stream(3, 900, 119);
    let (first, rest) = lines.split_at(lines.len() / 2);
    let (second, third) = rest.split_at(rest.len() / 2);
    let mut child = spawn_with_webhook(
        &dir.path().join("state"),
        port,
        &["--stats-interval", "200ms"],
    );
    let mut stdin = child.stdin.take().unwrap();
    let feed = |stdin: &mut std::process::ChildStdin, part: &[String]| {
        for line in part {
            writeln!(stdin, "{line}").unwrap();
        }
        stdin.flush().unwrap();
    };
    feed(&mut stdin, first);
    assert!(wait_for(Duration::from_secs(10), || !bodies
        .lock()
        .unwrap()
        .is_empty()));
    server.stop();
    let received_while_up = bodies.lock().unwrap().len();
    feed(&mut stdin, second);
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(
        bodies.lock().unwrap().len(),
        received_while_up,
        "the server is down"
    );
    let (server, _) = Receiver::start(port, std::sync::Arc::clone(&bodies));
    feed(&mut stdin, third);
    feed(&mut stdin, &closing_events());
    drop(stdin);
    let out = finish_with_webhook(child, server);
    let emitted = row_set(&String::from_utf8_lossy(&out.stdout));
    let received = body_set(bodies.lock().unwrap().iter().map(String::as_str));
    assert!(
        emitted.len() > received_while_up,
        "alerts were sent while the server was down"
    );
    let missing: Vec<_> = emitted
        .keys()
        .filter(|k| !received.contains_key(*k))
        .collect();
    let extra: Vec<_> = received
        .keys()
        .filter(|k| !emitted.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} emitted, {} received; missing {missing:?}, extra {extra:?}\n{}",
        emitted.len(),
        received.len(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_alert_the_webhook_refuses_for_good_is_set_aside_and_the_rest_still_arrive() {
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    // The first alert is refused with 400; the second gets a 503 once and is retried.
    let (server, port) = Receiver::answering(0, std::sync::Arc::clone(&bodies), |n| match n {
        0 => 400,
        1 => 503,
        _ => 200,
    });
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let lines = stream(5, 600, 60);
    let input: String = lines
        .iter()
        .chain(closing_events().iter())
        .map(|l| format!("{l}\n"))
        .collect();
    let mut child = spawn_with_webhook(&state, port, &[]);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    let out = finish_with_webhook(child, server);
    let emitted = row_set(&String::from_utf8_lossy(&out.stdout));
    assert!(emitted.len() >= 3, "the stream has alerts to send");
    let rejected = std::fs::read_to_string(state.join("webhook-spool.rejected")).unwrap();
    assert_eq!(rejected.lines().count(), 1, "{rejected}");
    let sent = bodies.lock().unwrap().clone();
    let arrived = body_set(sent.iter().map(String::as_str).chain(rejected.lines()));
    let want: BTreeMap<String, usize> = emitted.keys().map(|k| (k.clone(), 1)).collect();
    assert_eq!(arrived, want);
    assert_eq!(bodies.lock().unwrap().len(), emitted.len() - 1);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused 1 alerts for good"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_idle_computer_has_its_pending_rows_emitted() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.ndjson");
    let start = r#"{"event_id":1,"time_generated":"2024-05-01T10:00:00Z","computer":"H","process_id":7,"process_path":"C:\\x.exe","parent_process_path":"C:\\Users\\a\\p.exe","parent_process_name":"p.exe"}"#;
    let drop = r#"{"event_id":11,"time_generated":"2024-05-01T10:00:10Z","computer":"H","process_id":7,"target_filename":"C:\\Users\\a\\AppData\\Local\\Temp\\x.dll"}"#;
    append(&log, &[start.to_string(), drop.to_string()]);
    let mut child = spawn_watch(
        &["--poll-interval", "20ms", "--idle-flush", "300ms"],
        &[&log],
    );
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let mut reader = std::io::BufReader::new(&mut stdout);
        std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
        tx.send(line).unwrap();
    });
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the row comes without a signal");
    signal(&child, "-TERM");
    child.wait().unwrap();
    let row: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(row["drop_events"], 1);
}

/// Truncates a file to nothing, keeping it (as logrotate's `copytruncate` does).
fn empty_in_place(path: &Path) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(0)
        .unwrap();
}

/// Waits until process `pid` has read its open `path` up to `len` bytes (Linux's
/// `/proc/PID/fdinfo` tells where each open file is), so that a test can act between polls.
fn wait_until_read(pid: u32, path: &Path, len: u64) -> bool {
    let fds = format!("/proc/{pid}/fd");
    let at = |fd: &std::fs::DirEntry| {
        let info = format!("/proc/{pid}/fdinfo/{}", fd.file_name().to_string_lossy());
        std::fs::read_to_string(info).ok().and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("pos:"))
                .and_then(|pos| pos.trim().parse::<u64>().ok())
        })
    };
    wait_for(Duration::from_secs(20), || {
        std::fs::read_dir(&fds).is_ok_and(|entries| {
            entries.flatten().any(|fd| {
                std::fs::read_link(fd.path()).is_ok_and(|target| target == path)
                    && at(&fd) == Some(len)
            })
        })
    })
}

#[cfg(target_os = "linux")]
#[test]
fn a_file_truncated_and_written_past_the_offset_between_two_polls_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.ndjson");
    let lines = stream(12, 600, 119);
    let (first, rest) = lines.split_at(100);
    append(&log, first);
    let child = spawn_watch(
        &["--poll-interval", "1500ms", "--idle-flush", "1h"],
        &[&log],
    );
    // Read to its end, and asleep until the next poll: the file is emptied and refilled,
    // longer.
    let len = std::fs::metadata(&log).unwrap().len();
    assert!(wait_until_read(
        child.id(),
        &log.canonicalize().unwrap(),
        len
    ));
    empty_in_place(&log);
    append(&log, rest);
    std::thread::sleep(Duration::from_millis(2500));
    signal(&child, "-TERM");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains("was truncated"), "{stderr}");
    let rejected = stderr
        .match_indices("events.ndjson:")
        .any(|(at, key)| stderr[at + key.len()..].starts_with(|c: char| c.is_ascii_digit()));
    assert!(!rejected, "no line was read from mid-record: {stderr}");
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(
        row_set(&String::from_utf8_lossy(&out.stdout)),
        hunt_rows(&input)
    );
}

#[test]
fn a_followed_file_that_is_rotated_or_truncated_is_followed_on() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("events.ndjson");
    let lines = stream(11, 600, 119);
    let (first, rest) = lines.split_at(200);
    let (second, third) = rest.split_at(200);
    append(&log, first);
    let child = spawn_watch(&["--poll-interval", "20ms", "--idle-flush", "1h"], &[&log]);
    std::thread::sleep(Duration::from_millis(300));
    // Rotation: the file is renamed away and a new one takes its name.
    std::fs::rename(&log, dir.path().join("events.ndjson.1")).unwrap();
    append(&log, second);
    std::thread::sleep(Duration::from_millis(300));
    // Truncation: the file is emptied in place and written again.
    empty_in_place(&log);
    std::thread::sleep(Duration::from_millis(300));
    append(&log, third);
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "-TERM");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains("was rotated"), "{stderr}");
    assert!(stderr.contains("was truncated"), "{stderr}");
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(
        row_set(&String::from_utf8_lossy(&out.stdout)),
        hunt_rows(&input)
    );
}
