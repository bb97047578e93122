//! `watch`: the detection, live. Lines arrive from stdin and followed files; each event is
//! checked against its computer's watermark, fed to the same [`Engine`] as `hunt`, and rows
//! are emitted as soon as they are final (event time, never arrival time). State stays bounded
//! by the window and the allowed lateness; `--state` checkpoints it with the input positions.

pub mod checkpoint;
pub mod follow;

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{RecvTimeoutError, bounded};

use crate::correlate::JoinBy;
use crate::engine::{Engine, EngineCounts};
use crate::event::Event;
use crate::rule::Rule;
use crate::sink::webhook::Webhook;
use crate::source::lines::split_lines;
use crate::source::{Input, Position, Problem, Reject, decode_line};
use crate::stats::Stats;
use crate::summary::Alert;
use crate::time::Span;
use crate::watermark::{Arrival, Watermarks};
use checkpoint::{Checkpoint, InputPosition, StateDir, truncate_to};
use follow::{Feed, FileIdentity, Follow, Resume};

/// What a watch is asked to do.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub rule: Rule,
    pub join_by: JoinBy,
    /// Stdin and files to follow.
    pub inputs: Vec<Input>,
    /// How far behind its computer's latest event an event may arrive and still count.
    pub allowed_lateness: Span,
    /// After how long without events a computer's pending rows are emitted.
    pub idle_flush: Duration,
    /// Also emit a partial row at the first drop of each row.
    pub emit_first: bool,
    /// Where alerts go: a file (appended, flushed per alert), or stdout.
    pub output: Option<PathBuf>,
    /// A URL to POST each alert to.
    pub webhook: Option<String>,
    /// Where late events go.
    pub late_file: Option<PathBuf>,
    /// Where checkpoints go.
    pub state_dir: Option<PathBuf>,
    pub checkpoint_interval: Duration,
    pub stats_interval: Option<Duration>,
    /// How often followed files are checked for new lines.
    pub poll_interval: Duration,
    pub max_record_bytes: usize,
}

impl WatchOptions {
    /// Default settings for these inputs.
    pub fn new(inputs: Vec<Input>) -> WatchOptions {
        WatchOptions {
            rule: Rule::default(),
            join_by: JoinBy::default(),
            inputs,
            allowed_lateness: Span::from_secs(120),
            idle_flush: Duration::from_secs(60),
            emit_first: false,
            output: None,
            webhook: None,
            late_file: None,
            state_dir: None,
            checkpoint_interval: Duration::from_secs(1),
            stats_interval: None,
            poll_interval: Duration::from_millis(200),
            max_record_bytes: 64 << 20,
        }
    }
}

/// A watch that could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("{0}")]
    State(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> WatchError {
    let what = what.into();
    move |source| WatchError::Io { what, source }
}

/// Told of what happens during a watch.
pub trait WatchObserver {
    /// A rejected record.
    fn problem(&mut self, problem: &Problem);
    /// Something about an input (rotation, truncation, resumption).
    fn note(&mut self, message: &str);
    /// A periodic stats line.
    fn stats(&mut self, line: &str);
}

/// What a watch did, at its end.
#[derive(Debug, Default)]
pub struct WatchOutcome {
    pub stats: Stats,
    pub counts: EngineCounts,
    pub alerts: u64,
    pub late: u64,
}

/// Where alerts go.
struct Outputs {
    main: Box<dyn Write>,
    file: Option<PathBuf>,
    webhook: Option<Webhook>,
    line: Vec<u8>,
}

impl Outputs {
    fn emit(&mut self, alert: &Alert) -> Result<(), WatchError> {
        self.line.clear();
        crate::sink::escape::to_json_line(alert, &mut self.line)
            .map_err(io::Error::from)
            .map_err(io_error("alert"))?;
        if let Some(webhook) = &self.webhook {
            webhook
                .queue(&self.line)
                .map_err(io_error("webhook spool"))?;
        }
        self.line.push(b'\n');
        self.main
            .write_all(&self.line)
            .map_err(io_error("output"))?;
        self.main.flush().map_err(io_error("output"))?;
        Ok(())
    }

    fn file_len(&self) -> Option<u64> {
        self.file
            .as_ref()
            .map(|path| std::fs::metadata(path).map_or(0, |m| m.len()))
    }
}

/// The state of one input, as the loop knows it.
#[derive(Debug, Clone)]
struct InputState {
    name: Arc<str>,
    path: Option<PathBuf>,
    identity: FileIdentity,
    offset: u64,
    line: u64,
    ended: bool,
}

/// Runs a watch until its inputs end (stdin) or `stop` is set.
pub fn watch(
    options: WatchOptions,
    stop: Arc<AtomicBool>,
    observer: &mut dyn WatchObserver,
) -> Result<WatchOutcome, WatchError> {
    let state = options
        .state_dir
        .as_deref()
        .map(StateDir::open)
        .transpose()
        .map_err(io_error("state directory"))?;
    let checkpoint = match &state {
        Some(state) => state.load().map_err(WatchError::State)?,
        None => None,
    };
    let spool_path = match &state {
        Some(state) => state.spool(),
        None => {
            std::env::temp_dir().join(format!("foothold-webhook-{}.ndjson", std::process::id()))
        }
    };
    if let Some(cp) = &checkpoint {
        // What was written after the checkpoint is written again from it: cut it off.
        if let (Some(path), Some(len)) = (&options.output, cp.output_len) {
            truncate_to(path, len).map_err(io_error(path.display().to_string()))?;
        }
        if let (Some(path), Some(len)) = (&options.late_file, cp.late_len) {
            truncate_to(path, len).map_err(io_error(path.display().to_string()))?;
        }
        if let Some(len) = cp.spool_len {
            Webhook::truncate_spool(&spool_path, len).map_err(io_error("webhook spool"))?;
        }
    }
    let main: Box<dyn Write> = match &options.output {
        Some(path) => Box::new(append(path)?),
        None => Box::new(io::stdout()),
    };
    let webhook = options
        .webhook
        .clone()
        .map(|url| Webhook::start(url, spool_path.clone()))
        .transpose()
        .map_err(io_error(spool_path.display().to_string()))?;
    let mut outputs = Outputs {
        main,
        file: options.output.clone(),
        webhook,
        line: Vec::new(),
    };
    let mut late_file = options.late_file.as_ref().map(append).transpose()?;

    let now = Instant::now();
    let mut watermarks = Watermarks::new(options.allowed_lateness);
    let mut alerts = 0;
    let mut late = 0;
    let mut resume_positions: Vec<InputPosition> = Vec::new();
    let mut engine = match checkpoint {
        Some(cp) => {
            watermarks.restore(cp.latest, now);
            alerts = cp.alerts;
            late = cp.late;
            let resumed = Engine::restore(
                &options.rule,
                options.join_by,
                options.emit_first,
                cp.engine,
            );
            observer.note(&format!(
                "resumed from the checkpoint in {} ({} rows held, {} open)",
                options
                    .state_dir
                    .as_deref()
                    .map_or_else(String::new, |d| d.display().to_string()),
                resumed.state_size().0,
                resumed.state_size().1
            ));
            resume_positions = cp.inputs;
            resumed
        }
        None => Engine::new(&options.rule, options.join_by, true, options.emit_first),
    };

    // Start the inputs.
    let (tx, rx) = bounded::<Feed>(64);
    let mut inputs: Vec<InputState> = Vec::new();
    for (index, input) in options.inputs.iter().enumerate() {
        let path = input.path().map(Path::to_path_buf);
        inputs.push(InputState {
            name: input.name(),
            path: path.clone(),
            identity: FileIdentity::default(),
            offset: 0,
            line: 1,
            ended: false,
        });
        let tx = tx.clone();
        let max_record = options.max_record_bytes;
        match (path, input) {
            (None, Input::Memory { bytes, .. }) => {
                let bytes = Arc::clone(bytes);
                std::thread::spawn(move || {
                    follow::read_stream(index, std::io::Cursor::new(bytes), tx, max_record)
                });
            }
            (None, _) => {
                std::thread::spawn(move || {
                    follow::read_stream(index, std::io::stdin().lock(), tx, max_record)
                });
            }
            (Some(path), _) => {
                let shown = path.display().to_string();
                let resume = resume_positions
                    .iter()
                    .find(|p| p.path == shown)
                    .map(|p| Resume {
                        identity: p.identity,
                        offset: p.offset,
                        line: p.line,
                    });
                let job = Follow {
                    input: index,
                    path,
                    resume,
                    poll: options.poll_interval,
                    max_record,
                    stop: Arc::clone(&stop),
                };
                std::thread::spawn(move || follow::follow(job, tx));
            }
        }
    }
    drop(tx);

    let mut stats = Stats {
        inputs: inputs.len() as u64,
        ..Stats::default()
    };
    let mut dirty = false;
    let mut last_checkpoint = Instant::now();
    let mut last_stats = (Instant::now(), 0u64);
    let tick = options.poll_interval.min(Duration::from_millis(200));
    while !stop.load(Ordering::Relaxed) {
        match rx.recv_timeout(tick) {
            Ok(Feed::Lines {
                input,
                first_line,
                data,
                end,
            }) => {
                let now = Instant::now();
                let name = Arc::clone(&inputs[input].name);
                let mut number = first_line;
                for line in split_lines(&data) {
                    stats.bytes += line.len() as u64 + 1;
                    let decoded = decode_line(line);
                    let this = number;
                    number += 1;
                    let event = match decoded {
                        None => continue,
                        Some(Ok(event)) => event,
                        Some(Err(reject)) => {
                            stats.count_reject(&reject);
                            observer.problem(&Problem {
                                input: Arc::clone(&name),
                                position: Position::Line(this),
                                reject,
                            });
                            continue;
                        }
                    };
                    stats.count_event(&event);
                    let (computer, time) = match &event {
                        Event::ProcessCreate(p) => (p.computer.to_string(), p.time),
                        Event::FileCreate(f) => (f.computer.to_string(), f.time),
                        Event::Other { .. } | Event::NotSysmon { .. } => continue,
                    };
                    match watermarks.arrive(&computer, time, now) {
                        Arrival::Late { .. } => {
                            late += 1;
                            if let Some(file) = &mut late_file {
                                file.write_all(line).map_err(io_error("late file"))?;
                                file.write_all(b"\n").map_err(io_error("late file"))?;
                            }
                        }
                        Arrival::OnTime {
                            watermark,
                            advanced,
                        } => {
                            if let Some(row) = options.rule.keep(&event) {
                                for partial in engine.add(row) {
                                    outputs.emit(&partial)?;
                                }
                            }
                            if advanced {
                                for alert in engine.close_before(&computer, watermark) {
                                    outputs.emit(&alert)?;
                                    alerts += 1;
                                }
                            }
                        }
                    }
                }
                if let Some(file) = &mut late_file {
                    file.flush().map_err(io_error("late file"))?;
                }
                let state = &mut inputs[input];
                state.offset = end;
                state.line = number;
                dirty = true;
            }
            Ok(Feed::TooLong { input, line }) => {
                let reject = Reject::TooLong {
                    limit: options.max_record_bytes,
                };
                stats.count_reject(&reject);
                observer.problem(&Problem {
                    input: Arc::clone(&inputs[input].name),
                    position: Position::Line(line),
                    reject,
                });
            }
            Ok(Feed::Note { input, message }) => {
                observer.note(&format!("{}: {message}", inputs[input].name));
            }
            Ok(Feed::Opened {
                input,
                identity,
                offset,
                line,
            }) => {
                let state = &mut inputs[input];
                state.identity = identity;
                state.offset = offset;
                state.line = line;
            }
            Ok(Feed::End { input }) => {
                inputs[input].ended = true;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        let now = Instant::now();
        for computer in watermarks.newly_idle(options.idle_flush, now) {
            for alert in engine.flush(&computer) {
                outputs.emit(&alert)?;
                alerts += 1;
            }
        }
        if let (Some(state), true) = (&state, dirty)
            && now.duration_since(last_checkpoint) >= options.checkpoint_interval
        {
            save(
                state,
                &engine,
                &watermarks,
                &inputs,
                &outputs,
                &options,
                alerts,
                late,
            )?;
            dirty = false;
            last_checkpoint = now;
        } else if state.is_none()
            && now.duration_since(last_checkpoint) >= options.checkpoint_interval
        {
            // No checkpoint records the spool's length: it can be emptied at any time.
            if let Some(webhook) = &outputs.webhook {
                webhook.compact();
            }
            last_checkpoint = now;
        }
        let ending = stop.load(Ordering::Relaxed) || inputs.iter().all(|i| i.ended);
        if let Some(every) = options.stats_interval
            && (now.duration_since(last_stats.0) >= every || ending)
        {
            let records = stats.records();
            let rate =
                (records - last_stats.1) as f64 / now.duration_since(last_stats.0).as_secs_f64();
            let (held, open) = engine.state_size();
            let lag: Vec<String> = inputs
                .iter()
                .filter_map(|i| {
                    let path = i.path.as_ref()?;
                    let len = std::fs::metadata(path).map_or(0, |m| m.len());
                    Some(format!("{} {} B", i.name, len.saturating_sub(i.offset)))
                })
                .collect();
            let backlog = outputs.webhook.as_ref().map_or(String::new(), |w| {
                let c = &w.counters;
                format!(
                    ", webhook: {} sent, {} refused, {} failed attempts, backlog {} B",
                    c.sent.load(Ordering::Relaxed),
                    c.refused.load(Ordering::Relaxed),
                    c.failed_attempts.load(Ordering::Relaxed),
                    w.backlog()
                )
            });
            observer.stats(&format!(
                "{rate:.0} events/s, {records} events, {late} late, {alerts} alerts, state {held} rows held + {open} open rows, {} computers, lag: {}{backlog}",
                watermarks.len(),
                if lag.is_empty() { "-".to_string() } else { lag.join(", ") }
            ));
            last_stats = (now, records);
        }
        if ending {
            break;
        }
    }

    match &state {
        // Resumable: keep the open rows in the checkpoint, to be emitted when final.
        Some(state) => save(
            state,
            &engine,
            &watermarks,
            &inputs,
            &outputs,
            &options,
            alerts,
            late,
        )?,
        // Not resumable: emit what is pending.
        None => {
            for alert in engine.drain() {
                outputs.emit(&alert)?;
                alerts += 1;
            }
        }
    }
    if let Some(webhook) = outputs.webhook.take() {
        let counters = Arc::clone(&webhook.counters);
        let left = webhook.finish(Duration::from_secs(5));
        let refused = counters.refused.load(Ordering::Relaxed);
        if refused > 0 {
            observer.note(&format!(
                "the webhook refused {refused} alerts for good; they are in {}",
                spool_path.with_extension("rejected").display()
            ));
        }
        if left > 0 {
            let next = if state.is_some() {
                "the next run with this --state sends them"
            } else {
                "run with --state to have the next run send them"
            };
            observer.note(&format!(
                "{left} bytes of alerts not yet delivered to the webhook wait in {}; {next}",
                spool_path.display()
            ));
        } else if state.is_none() {
            let _ = std::fs::remove_file(&spool_path);
            let _ = std::fs::remove_file(spool_path.with_extension("sent"));
        }
    }
    Ok(WatchOutcome {
        stats,
        counts: engine.counts(),
        alerts,
        late,
    })
}

fn append(path: &PathBuf) -> Result<File, WatchError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io_error(path.display().to_string()))
}

#[allow(clippy::too_many_arguments)]
fn save(
    state: &StateDir,
    engine: &Engine,
    watermarks: &Watermarks,
    inputs: &[InputState],
    outputs: &Outputs,
    options: &WatchOptions,
    alerts: u64,
    late: u64,
) -> Result<(), WatchError> {
    let mut checkpoint = Checkpoint::new(engine.snapshot());
    checkpoint.inputs = inputs
        .iter()
        .filter_map(|i| {
            Some(InputPosition {
                path: i.path.as_ref()?.display().to_string(),
                identity: i.identity,
                offset: i.offset,
                line: i.line,
            })
        })
        .collect();
    checkpoint.latest = watermarks.latest();
    checkpoint.output_len = outputs.file_len();
    checkpoint.late_len = options
        .late_file
        .as_ref()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()));
    checkpoint.spool_len = outputs.webhook.as_ref().map(|w| {
        // Empty a spool sent whole now, before its length is recorded, never after.
        w.compact();
        w.spool_len()
    });
    checkpoint.alerts = alerts;
    checkpoint.late = late;
    state.save(&checkpoint).map_err(io_error("checkpoint"))
}
