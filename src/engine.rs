//! The detection engine: kept rows in, in any order, alert rows out. The correlator and the
//! summary behind one interface, the one core of both `hunt` (batch) and `watch` (streaming).

use std::sync::Arc;

use crate::correlate::{Correlator, CorrelatorSnapshot, JoinBy};
use crate::rule::{Drop, Kept, Parent, Rule};
use crate::summary::{Alert, Summary, SummarySnapshot};
use crate::time::EventTime;

/// What the engine has seen, for `--stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EngineCounts {
    pub parents_kept: u64,
    pub drops_kept: u64,
    /// Kept rows with nothing to join on (no usable pid, or no GUID when joining by GUID).
    pub parents_unjoinable: u64,
    pub drops_unjoinable: u64,
    /// Joined rows (the KQL's join output, before `summarize`).
    pub pairs: u64,
}

/// An engine's state, as a checkpoint holds it.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct EngineSnapshot {
    correlator: CorrelatorSnapshot,
    summary: SummarySnapshot,
    counts: EngineCounts,
}

/// Correlation and summary of one rule.
pub struct Engine {
    correlator: Correlator,
    summary: Summary,
    counts: EngineCounts,
    early: bool,
    opened: Vec<(Arc<Parent>, Arc<Drop>)>,
}

impl Engine {
    /// An engine for `rule`. `evicting` keeps state bounded by the window (for streams whose
    /// watermarks are advanced with [`Engine::close_before`]); `early` makes [`Engine::add`]
    /// return a partial row when a pair opens a new row.
    pub fn new(rule: &Rule, join_by: JoinBy, evicting: bool, early: bool) -> Engine {
        Engine {
            correlator: Correlator::new(rule.window(), join_by, evicting),
            summary: Summary::new(rule),
            counts: EngineCounts::default(),
            early,
            opened: Vec::new(),
        }
    }

    /// Adds one kept row. Returns the partial rows it opened, when the engine is `early`.
    pub fn add(&mut self, row: Kept) -> Vec<Alert> {
        let summary = &mut self.summary;
        let counts = &mut self.counts;
        let opened = &mut self.opened;
        let early = self.early;
        let mut on_pair = |parent: &Arc<Parent>, drop: &Arc<Drop>| {
            counts.pairs += 1;
            if summary.add(parent, drop) && early {
                opened.push((Arc::clone(parent), Arc::clone(drop)));
            }
        };
        match row {
            Kept::Parent(parent) => {
                counts.parents_kept += 1;
                if self.correlator.add_parent(parent, &mut on_pair).is_err() {
                    counts.parents_unjoinable += 1;
                }
            }
            Kept::Drop(drop) => {
                counts.drops_kept += 1;
                if self.correlator.add_drop(drop, &mut on_pair).is_err() {
                    counts.drops_unjoinable += 1;
                }
            }
        }
        let summary = &self.summary;
        self.opened
            .drain(..)
            .filter_map(|(parent, drop)| summary.peek(&parent, &drop))
            .collect()
    }

    /// Advances `computer`'s watermark: no row of it older than `watermark` will be added any
    /// more. Returns the rows that became final, and evicts state that can no longer join.
    pub fn close_before(&mut self, computer: &str, watermark: EventTime) -> Vec<Alert> {
        self.correlator.evict_before(computer, watermark);
        self.summary.close_before(computer, watermark)
    }

    /// Closes the open rows of one computer now, whatever their bins (an idle computer's).
    pub fn flush(&mut self, computer: &str) -> Vec<Alert> {
        self.summary.close_all_of(computer)
    }

    /// The whole state, for a checkpoint.
    pub fn snapshot(&self) -> EngineSnapshot {
        EngineSnapshot {
            correlator: self.correlator.snapshot(),
            summary: self.summary.snapshot(),
            counts: self.counts,
        }
    }

    /// An engine in the state of a checkpoint.
    pub fn restore(rule: &Rule, join_by: JoinBy, early: bool, snapshot: EngineSnapshot) -> Engine {
        Engine {
            correlator: Correlator::restore(rule.window(), join_by, true, snapshot.correlator),
            summary: Summary::restore(rule, snapshot.summary),
            counts: snapshot.counts,
            early,
            opened: Vec::new(),
        }
    }

    /// Closes every open row now (end of a stream).
    pub fn drain(&mut self) -> Vec<Alert> {
        self.summary.drain()
    }

    /// Ends the input: every row, in output order.
    pub fn finish(self) -> Vec<Alert> {
        self.summary.finish()
    }

    /// Counters so far.
    pub fn counts(&self) -> EngineCounts {
        self.counts
    }

    /// Rows held by the join, and alert rows still open: the size of the state.
    pub fn state_size(&self) -> (usize, usize) {
        (self.correlator.len(), self.summary.len())
    }
}
