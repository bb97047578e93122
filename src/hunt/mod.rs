//! `hunt`: the detection over recorded inputs, start to end. Units of input are scanned on a
//! pool of worker threads while the next ones are read; kept rows go, in input order, into
//! one [`Engine`], whose rows do not depend on that order anyway. Inputs that can be read
//! twice (files) go first through the bounded pass of [`ordered`], which holds only the rows
//! still inside the window when each computer's events come in time order, as recorded logs
//! do; an input out of order is read again with every row held.

mod ordered;

use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::correlate::JoinBy;
use crate::engine::{Engine, EngineCounts};
use crate::rule::{Kept, Rule};
use crate::scan::{Scanned, scan};
use crate::source::detect::InputFormat;
use crate::source::units::{ReadLimits, Units};
use crate::source::{Input, Position, Problem, Reject};
use crate::stats::Stats;
use crate::summary::Alert;
use ordered::InOrder;

/// What a hunt is asked to do.
#[derive(Debug, Clone, Default)]
pub struct HuntOptions {
    pub rule: Rule,
    pub join_by: JoinBy,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Fail at the first rejected record.
    pub strict: bool,
    /// Parse every record in full, even those the rule cannot use (implied by `strict`).
    pub validate: bool,
    /// Hold every kept row from the start, without the bounded pass (inputs known to be out
    /// of time order, which would otherwise be read twice).
    pub unordered: bool,
    /// The record format, or `Auto` to detect it per input.
    pub input_format: InputFormat,
    pub limits: ReadLimits,
}

/// What a hunt found.
#[derive(Debug)]
pub struct HuntOutcome {
    /// Alert rows in output order.
    pub alerts: Vec<Alert>,
    pub stats: Stats,
    pub counts: EngineCounts,
    /// Inputs that could not be opened or read at all.
    pub failed_inputs: u64,
    pub elapsed: Duration,
}

/// A hunt that could not finish.
#[derive(Debug, thiserror::Error)]
pub enum HuntError {
    #[error("{0} (stopped by --strict)")]
    Strict(Problem),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// Told of what happens during a hunt, as it happens.
pub trait Observer {
    /// A rejected record (only the first few of each unit of input; all are counted).
    fn problem(&mut self, problem: &Problem);
    /// A note about the run (not about a record).
    fn note(&mut self, _message: &str) {}
    /// Progress: counts so far, and the bytes read from the input files (before
    /// decompression).
    fn progress(&mut self, _stats: &Stats, _file_bytes: u64) {}
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {
    fn problem(&mut self, _: &Problem) {}
}

/// Runs the rule over `inputs`.
pub fn hunt(
    options: &HuntOptions,
    inputs: Vec<Input>,
    observer: &mut (dyn Observer + Send),
) -> Result<HuntOutcome, HuntError> {
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(|e| HuntError::Threads(e.to_string()))?;
    // Rows go first to the bounded pass, input after input; when an input turns out of
    // order, the inputs read so far are read again into an engine that holds every row, and
    // the rest go there. Standard input cannot be read again: every row is held from the start.
    let mut state = if options.unordered || inputs.contains(&Input::Stdin) {
        Pass::Holding(Engine::new(&options.rule, options.join_by, false, false))
    } else {
        Pass::InOrder(InOrder::new(&options.rule, options.join_by))
    };
    let mut done = Done::default();
    // Groups matter only to the bounded pass; holding every row, the inputs are read as one.
    let groups = match state {
        Pass::InOrder(_) => groups_of(&inputs),
        Pass::Holding(_) => std::iter::once(0..inputs.len()).collect(),
    };
    for group in groups {
        let input = inputs[group.clone()].to_vec();
        match &mut state {
            Pass::InOrder(in_order) => {
                let mut tried = done.clone();
                read(
                    options,
                    &pool,
                    input.clone(),
                    observer,
                    &mut tried,
                    &mut |row| in_order.add(row, Instant::now()),
                )?;
                if !in_order.is_void() {
                    done = tried;
                    continue;
                }
                // Out of order: the groups before are read again unseen, and this one from
                // its start, without showing its problems twice.
                observer.note(
                    "the events are not in time order per computer: reading the inputs so far \
                     again, with every kept row held (--unordered holds them from the start)",
                );
                let shown = tried.problems - done.problems;
                let mut engine = Engine::new(&options.rule, options.join_by, false, false);
                let before = inputs[..group.start].to_vec();
                read(
                    options,
                    &pool,
                    before,
                    &mut Silent,
                    &mut Done::default(),
                    &mut |row| {
                        engine.add(row);
                        true
                    },
                )?;
                let mut rest = SkipFirst {
                    inner: &mut *observer,
                    skip: shown,
                };
                read(options, &pool, input, &mut rest, &mut done, &mut |row| {
                    engine.add(row);
                    true
                })?;
                state = Pass::Holding(engine);
            }
            Pass::Holding(engine) => {
                read(options, &pool, input, observer, &mut done, &mut |row| {
                    engine.add(row);
                    true
                })?;
            }
        }
    }
    let (alerts, counts) = match state {
        Pass::Holding(engine) => {
            let counts = engine.counts();
            (engine.finish(), counts)
        }
        Pass::InOrder(in_order) => in_order.finish().unwrap_or_default(),
    };
    let Done {
        stats,
        failed_inputs,
        ..
    } = done;
    Ok(HuntOutcome {
        alerts,
        stats,
        counts,
        failed_inputs,
        elapsed: started.elapsed(),
    })
}

/// About how many bytes of input the bounded pass reads at a time: many small files share
/// their read (and its threads); a file out of order costs reading again what came before.
const GROUP_BYTES: u64 = 16 << 20;

/// The inputs in consecutive groups of about [`GROUP_BYTES`] (a larger file alone).
fn groups_of(inputs: &[Input]) -> Vec<std::ops::Range<usize>> {
    let mut groups = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, input) in inputs.iter().enumerate() {
        bytes += match input {
            Input::Memory { bytes, .. } => bytes.len() as u64,
            _ => input
                .path()
                .and_then(|p| std::fs::metadata(p).ok())
                .map_or(0, |m| m.len()),
        };
        if bytes >= GROUP_BYTES {
            groups.push(start..i + 1);
            start = i + 1;
            bytes = 0;
        }
    }
    if start < inputs.len() {
        groups.push(start..inputs.len());
    }
    groups
}

/// Where the bounded pass stands.
enum Pass {
    InOrder(InOrder),
    Holding(Engine),
}

/// What the reads so far have found.
#[derive(Default, Clone)]
struct Done {
    stats: Stats,
    /// Problems told to the observer.
    problems: u64,
    /// Inputs that could not be opened or read at all.
    failed_inputs: u64,
    /// Bytes read from the input files, for progress.
    file_bytes: u64,
}

/// An observer that is not told the first `skip` problems (told already).
struct SkipFirst<'a> {
    inner: &'a mut (dyn Observer + Send),
    skip: u64,
}

impl Observer for SkipFirst<'_> {
    fn problem(&mut self, problem: &Problem) {
        if self.skip > 0 {
            self.skip -= 1;
        } else {
            self.inner.problem(problem);
        }
    }

    fn note(&mut self, message: &str) {
        self.inner.note(message);
    }

    fn progress(&mut self, stats: &Stats, file_bytes: u64) {
        self.inner.progress(stats, file_bytes);
    }
}

/// Reads `inputs` through the scanners, reporting problems to `observer` and handing each
/// kept row, in input order, to `keep`, until `keep` says no (the batch in hand is counted
/// whole); adds what it counts to `done`.
fn read(
    options: &HuntOptions,
    pool: &rayon::ThreadPool,
    inputs: Vec<Input>,
    observer: &mut (dyn Observer + Send),
    done: &mut Done,
    keep: &mut (dyn FnMut(Kept) -> bool + Send),
) -> Result<(), HuntError> {
    let threads = pool.current_num_threads();
    let mut units = Units::new(inputs, options.input_format, options.limits);
    let counter = units.counter();
    let mut stats = Stats::default();
    let max_units = threads * 16;
    let max_bytes = options.limits.block_bytes * threads * 4;
    let mut going = true;
    pool.install(|| -> Result<(), HuntError> {
        let mut batch = units.next_batch(max_units, max_bytes);
        while !batch.is_empty() {
            let (next, scanned) = rayon::join(
                || units.next_batch(max_units, max_bytes),
                || {
                    std::mem::take(&mut batch)
                        .into_par_iter()
                        .map(|unit| scan(unit, &options.rule, options.strict || options.validate))
                        .collect::<Vec<Scanned>>()
                },
            );
            for result in scanned {
                for problem in &result.problems {
                    if options.strict {
                        return Err(HuntError::Strict(problem.clone()));
                    }
                    if problem.position == Position::Input
                        && matches!(problem.reject, Reject::Unreadable(_))
                    {
                        done.failed_inputs += 1;
                    }
                    observer.problem(problem);
                    done.problems += 1;
                }
                stats.merge(&result.stats);
                for row in result.kept {
                    if going {
                        going = keep(row);
                    }
                }
            }
            stats.inputs = units.streams;
            let mut so_far = done.stats.clone();
            so_far.merge(&stats);
            observer.progress(&so_far, done.file_bytes + counter.get());
            if !going {
                break;
            }
            batch = next;
        }
        Ok(())
    })?;
    stats.inputs = units.streams;
    done.stats.merge(&stats);
    done.file_bytes += counter.get();
    Ok(())
}
