//! `hunt`: the detection over recorded inputs, start to end. Units of input are scanned on a
//! pool of worker threads while the next ones are read; kept rows go, in input order, into
//! one [`Engine`], whose rows do not depend on that order anyway.

use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::correlate::JoinBy;
use crate::engine::{Engine, EngineCounts};
use crate::rule::Rule;
use crate::scan::{Scanned, scan};
use crate::source::detect::InputFormat;
use crate::source::units::{ReadLimits, Units};
use crate::source::{Input, Position, Problem, Reject};
use crate::stats::Stats;
use crate::summary::Alert;

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
    let threads = pool.current_num_threads();
    let mut units = Units::new(inputs, options.input_format, options.limits);
    let counter = units.counter();
    let mut engine = Engine::new(&options.rule, options.join_by, false, false);
    let mut stats = Stats::default();
    let mut failed_inputs = 0;
    let max_units = threads * 16;
    let max_bytes = options.limits.block_bytes * threads * 4;
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
                        failed_inputs += 1;
                    }
                    observer.problem(problem);
                }
                stats.merge(&result.stats);
                for row in result.kept {
                    engine.add(row);
                }
            }
            stats.inputs = units.streams;
            observer.progress(&stats, counter.get());
            batch = next;
        }
        Ok(())
    })?;
    stats.inputs = units.streams;
    let counts = engine.counts();
    Ok(HuntOutcome {
        alerts: engine.finish(),
        stats,
        counts,
        failed_inputs,
        elapsed: started.elapsed(),
    })
}
