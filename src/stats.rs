//! Counters of a run, for `--stats`: what was read, what was rejected and why, what the rule
//! kept, what the join produced.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::engine::EngineCounts;
use crate::event::Event;
use crate::source::Reject;

/// What the sources read. Merged across worker threads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub inputs: u64,
    /// Files found under a directory that hold no event format, skipped (a README).
    pub skipped_files: u64,
    pub bytes: u64,
    /// Sysmon events read, per event id.
    pub by_event_id: BTreeMap<u32, u64>,
    /// Events of other providers (they emit ids 1 and 11 too), skipped.
    pub not_sysmon: u64,
    /// EID 1 and 11 events without a usable `ProcessId`.
    pub without_pid: u64,
    /// Rejected records per reason.
    pub rejected: BTreeMap<&'static str, u64>,
}

impl Stats {
    /// Counts a decoded event.
    pub fn count_event(&mut self, event: &Event<'_>) {
        let id = match event {
            Event::ProcessCreate(p) => {
                self.without_pid += u64::from(p.process_id.get().is_none());
                crate::event::PROCESS_CREATE
            }
            Event::FileCreate(f) => {
                self.without_pid += u64::from(f.process_id.get().is_none());
                crate::event::FILE_CREATE
            }
            Event::Other { event_id } => *event_id,
            Event::NotSysmon { .. } => {
                self.not_sysmon += 1;
                return;
            }
        };
        *self.by_event_id.entry(id).or_default() += 1;
    }

    /// Counts a rejected record.
    pub fn count_reject(&mut self, reject: &Reject) {
        *self.rejected.entry(reject.kind()).or_default() += 1;
    }

    /// All rejected records.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// All records read, used or not (rejected ones included).
    pub fn records(&self) -> u64 {
        self.by_event_id.values().sum::<u64>() + self.not_sysmon + self.rejected_total()
    }

    /// Adds another worker's counts.
    pub fn merge(&mut self, other: &Stats) {
        self.inputs += other.inputs;
        self.skipped_files += other.skipped_files;
        self.bytes += other.bytes;
        for (id, n) in &other.by_event_id {
            *self.by_event_id.entry(*id).or_default() += n;
        }
        self.not_sysmon += other.not_sysmon;
        self.without_pid += other.without_pid;
        for (kind, n) in &other.rejected {
            *self.rejected.entry(kind).or_default() += n;
        }
    }
}

/// The `--stats` report of a whole run.
pub struct Report<'a> {
    pub stats: &'a Stats,
    pub counts: EngineCounts,
    pub alerts: u64,
    pub elapsed: Duration,
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.stats;
        let secs = self.elapsed.as_secs_f64();
        let records = s.records();
        writeln!(f, "foothold stats")?;
        writeln!(f, "  inputs             {}", s.inputs)?;
        if s.skipped_files > 0 {
            writeln!(f, "    skipped (no log) {}", s.skipped_files)?;
        }
        writeln!(f, "  bytes              {}", s.bytes)?;
        writeln!(f, "  records            {records}")?;
        for (id, n) in &s.by_event_id {
            writeln!(f, "    sysmon event {id:<5} {n}")?;
        }
        writeln!(f, "    not sysmon       {}", s.not_sysmon)?;
        writeln!(f, "    rejected         {}", s.rejected_total())?;
        for (kind, n) in &s.rejected {
            writeln!(f, "      {kind:<16} {n}")?;
        }
        writeln!(f, "  eid 1/11 no pid    {}", s.without_pid)?;
        writeln!(f, "  parents kept       {}", self.counts.parents_kept)?;
        writeln!(f, "  drops kept         {}", self.counts.drops_kept)?;
        writeln!(
            f,
            "  unjoinable         {} parents, {} drops",
            self.counts.parents_unjoinable, self.counts.drops_unjoinable
        )?;
        writeln!(f, "  joined pairs       {}", self.counts.pairs)?;
        writeln!(f, "  alerts             {}", self.alerts)?;
        writeln!(f, "  elapsed            {secs:.3} s")?;
        let rate = if secs > 0.0 {
            records as f64 / secs
        } else {
            0.0
        };
        write!(f, "  events per second  {rate:.0}")
    }
}
