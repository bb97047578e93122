//! Correlation: the KQL's `join kind=inner ... on computer, process_id` with
//! `file_time between (p_time .. p_time + window)`, computed incrementally and symmetrically so
//! that kept rows may arrive in any order and each matching pair is produced exactly once.

mod rows;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::rule::{Drop, Parent};
use crate::time::{EventTime, Span};
use rows::TimeRows;

/// What a process start and a file create are joined on, besides the computer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JoinBy {
    /// `process_id`, as the KQL does (PID reuse gives several pairs).
    #[default]
    ProcessId,
    /// Sysmon's `ProcessGuid`: immune to PID reuse, works where the pid was lost. A documented
    /// departure from the KQL.
    ProcessGuid,
}

/// The join key: computer (case-sensitive, as KQL's join) and the process's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct JoinKey {
    computer: Box<str>,
    id: ProcessRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ProcessRef {
    Pid(u64),
    /// Lowercased, without braces.
    Guid(Box<str>),
}

/// A row that has nothing to join on (no usable pid, or no GUID under `JoinBy::ProcessGuid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unjoinable;

/// The rows of one join key, each side ordered by time (ties by arrival).
#[derive(Default)]
struct KeyRows {
    parents: TimeRows<Arc<Parent>>,
    drops: TimeRows<Arc<Drop>>,
}

/// A stored row's place, for eviction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SideOf {
    Parent,
    Drop,
}

/// Per computer, stored rows keyed by the time after which nothing can join them.
type ExpiryQueues = HashMap<Box<str>, BTreeMap<(EventTime, u64), (ProcessRef, SideOf, EventTime)>>;

/// The rows of a correlator, as a checkpoint holds them.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct CorrelatorSnapshot {
    next_seq: u64,
    parents: Vec<(u64, Arc<Parent>)>,
    drops: Vec<(u64, Arc<Drop>)>,
}

/// The join state.
pub struct Correlator {
    window: Span,
    join_by: JoinBy,
    keys: HashMap<JoinKey, KeyRows>,
    next_seq: u64,
    stored: usize,
    /// Per computer, the stored rows by the time after which no future row can join them;
    /// only kept when the correlator evicts (`watch`).
    expiry: Option<ExpiryQueues>,
}

impl Correlator {
    /// A join over `window`. With `evicting`, rows that can no longer join are dropped as
    /// watermarks pass them (`watch`); without, everything is kept until the end (`hunt`).
    pub fn new(window: Span, join_by: JoinBy, evicting: bool) -> Correlator {
        Correlator {
            window,
            join_by,
            keys: HashMap::new(),
            next_seq: 0,
            stored: 0,
            expiry: evicting.then(HashMap::new),
        }
    }

    /// Number of rows held.
    pub fn len(&self) -> usize {
        self.stored
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.stored == 0
    }

    fn key(&self, computer: &str, pid: Option<u64>, guid: &str) -> Result<JoinKey, Unjoinable> {
        let id = match self.join_by {
            JoinBy::ProcessId => ProcessRef::Pid(pid.ok_or(Unjoinable)?),
            JoinBy::ProcessGuid => {
                let guid = guid.trim().trim_start_matches('{').trim_end_matches('}');
                if guid.is_empty() {
                    return Err(Unjoinable);
                }
                ProcessRef::Guid(guid.to_ascii_lowercase().into())
            }
        };
        Ok(JoinKey {
            computer: computer.into(),
            id,
        })
    }

    /// Adds a kept process start and calls `on_pair` for each stored drop it joins with.
    pub fn add_parent(
        &mut self,
        parent: Parent,
        mut on_pair: impl FnMut(&Arc<Parent>, &Arc<Drop>),
    ) -> Result<(), Unjoinable> {
        let key = self.key(&parent.computer, parent.process_id, &parent.process_guid)?;
        let parent = Arc::new(parent);
        let seq = self.next_seq;
        self.next_seq += 1;
        let until = parent.time.saturating_add(self.window);
        self.remember(&key, until, seq, SideOf::Parent, parent.time);
        let rows = self.keys.entry(key).or_default();
        rows.drops
            .each_between(parent.time, until, |drop| on_pair(&parent, drop));
        rows.parents.insert((parent.time, seq), parent);
        self.stored += 1;
        Ok(())
    }

    /// Adds a kept file create and calls `on_pair` for each stored start it joins with.
    pub fn add_drop(
        &mut self,
        drop: Drop,
        mut on_pair: impl FnMut(&Arc<Parent>, &Arc<Drop>),
    ) -> Result<(), Unjoinable> {
        let key = self.key(&drop.computer, drop.process_id, &drop.process_guid)?;
        let drop = Arc::new(drop);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.remember(&key, drop.time, seq, SideOf::Drop, drop.time);
        let since = drop.time.saturating_sub(self.window);
        let rows = self.keys.entry(key).or_default();
        rows.parents
            .each_between(since, drop.time, |parent| on_pair(parent, &drop));
        rows.drops.insert((drop.time, seq), drop);
        self.stored += 1;
        Ok(())
    }

    /// The rows held, for a checkpoint.
    pub fn snapshot(&self) -> CorrelatorSnapshot {
        let mut parents = Vec::new();
        let mut drops = Vec::new();
        for rows in self.keys.values() {
            parents.extend(
                rows.parents
                    .iter()
                    .map(|((_, seq), p)| (*seq, Arc::clone(p))),
            );
            drops.extend(rows.drops.iter().map(|((_, seq), d)| (*seq, Arc::clone(d))));
        }
        parents.sort_by_key(|(seq, _)| *seq);
        drops.sort_by_key(|(seq, _)| *seq);
        CorrelatorSnapshot {
            next_seq: self.next_seq,
            parents,
            drops,
        }
    }

    /// A correlator holding the rows of a checkpoint (they were joined already).
    pub fn restore(
        window: Span,
        join_by: JoinBy,
        evicting: bool,
        snapshot: CorrelatorSnapshot,
    ) -> Correlator {
        let mut correlator = Correlator::new(window, join_by, evicting);
        for (seq, parent) in snapshot.parents {
            if let Ok(key) =
                correlator.key(&parent.computer, parent.process_id, &parent.process_guid)
            {
                let until = parent.time.saturating_add(window);
                correlator.remember(&key, until, seq, SideOf::Parent, parent.time);
                correlator
                    .keys
                    .entry(key)
                    .or_default()
                    .parents
                    .insert((parent.time, seq), parent);
                correlator.stored += 1;
            }
        }
        for (seq, drop) in snapshot.drops {
            if let Ok(key) = correlator.key(&drop.computer, drop.process_id, &drop.process_guid) {
                correlator.remember(&key, drop.time, seq, SideOf::Drop, drop.time);
                correlator
                    .keys
                    .entry(key)
                    .or_default()
                    .drops
                    .insert((drop.time, seq), drop);
                correlator.stored += 1;
            }
        }
        correlator.next_seq = snapshot.next_seq;
        correlator
    }

    /// Files a stored row under the time after which nothing can join it.
    fn remember(
        &mut self,
        key: &JoinKey,
        until: EventTime,
        seq: u64,
        side: SideOf,
        time: EventTime,
    ) {
        if let Some(expiry) = &mut self.expiry {
            expiry
                .entry(key.computer.clone())
                .or_default()
                .insert((until, seq), (key.id.clone(), side, time));
        }
    }

    /// Drops the rows of `computer` that no row at or after `watermark` can join: starts whose
    /// window ended before it, and file creates older than it. Returns how many were dropped.
    pub fn evict_before(&mut self, computer: &str, watermark: EventTime) -> usize {
        let Some(expiry) = &mut self.expiry else {
            return 0;
        };
        let Some(queue) = expiry.get_mut(computer) else {
            return 0;
        };
        let mut evicted = 0;
        while let Some(entry) = queue.first_entry() {
            let (until, seq) = *entry.key();
            if until >= watermark {
                break;
            }
            let (id, side, time) = entry.remove();
            let key = JoinKey {
                computer: computer.into(),
                id,
            };
            if let Some(rows) = self.keys.get_mut(&key) {
                let removed = match side {
                    SideOf::Parent => rows.parents.remove((time, seq)),
                    SideOf::Drop => rows.drops.remove((time, seq)),
                };
                if removed {
                    evicted += 1;
                }
                if rows.parents.is_empty() && rows.drops.is_empty() {
                    self.keys.remove(&key);
                }
            }
        }
        if queue.is_empty() {
            expiry.remove(computer);
        }
        self.stored -= evicted;
        evicted
    }
}

#[cfg(test)]
mod tests;
