//! Event-time progress per computer: the latest event time seen from it, the watermark (that,
//! less the allowed lateness) below which its events are late, and when it last sent anything
//! (for flushing idle computers on wall-clock time).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::time::{EventTime, Span};

/// One computer's progress.
#[derive(Debug, Clone, Copy)]
struct Progress {
    latest: EventTime,
    arrived: Instant,
    /// Whether its rows were flushed for idleness since it last sent something.
    flushed: bool,
}

/// What an arriving event is to the watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// In time; the computer's watermark is now this.
    OnTime {
        watermark: EventTime,
        advanced: bool,
    },
    /// Older than the computer's watermark: its rows may already be out.
    Late { watermark: EventTime },
}

/// Watermarks of all computers.
#[derive(Debug)]
pub struct Watermarks {
    lateness: Span,
    computers: HashMap<Box<str>, Progress>,
}

impl Watermarks {
    pub fn new(lateness: Span) -> Watermarks {
        Watermarks {
            lateness,
            computers: HashMap::new(),
        }
    }

    /// The computer's watermark, if it has sent anything.
    pub fn watermark(&self, computer: &str) -> Option<EventTime> {
        self.computers
            .get(computer)
            .map(|p| p.latest.saturating_sub(self.lateness))
    }

    /// Takes an event of `computer` at `time`, arriving `now`.
    pub fn arrive(&mut self, computer: &str, time: EventTime, now: Instant) -> Arrival {
        let lateness = self.lateness;
        match self.computers.get_mut(computer) {
            Some(p) => {
                let watermark = p.latest.saturating_sub(lateness);
                if time < watermark {
                    return Arrival::Late { watermark };
                }
                p.arrived = now;
                p.flushed = false;
                let advanced = time > p.latest;
                if advanced {
                    p.latest = time;
                }
                Arrival::OnTime {
                    watermark: p.latest.saturating_sub(lateness),
                    advanced,
                }
            }
            None => {
                self.computers.insert(
                    computer.into(),
                    Progress {
                        latest: time,
                        arrived: now,
                        flushed: false,
                    },
                );
                Arrival::OnTime {
                    watermark: time.saturating_sub(lateness),
                    advanced: true,
                }
            }
        }
    }

    /// Computers that have sent nothing for `idle` and are not flushed yet; marks them
    /// flushed.
    pub fn newly_idle(&mut self, idle: Duration, now: Instant) -> Vec<String> {
        let mut out = Vec::new();
        for (computer, p) in &mut self.computers {
            if !p.flushed && now.duration_since(p.arrived) >= idle {
                p.flushed = true;
                out.push(computer.to_string());
            }
        }
        out.sort();
        out
    }

    /// The latest event time of every computer, for a checkpoint.
    pub fn latest(&self) -> Vec<(String, EventTime)> {
        let mut all: Vec<_> = self
            .computers
            .iter()
            .map(|(c, p)| (c.to_string(), p.latest))
            .collect();
        all.sort();
        all
    }

    /// Restores the latest event times of a checkpoint.
    pub fn restore(&mut self, latest: Vec<(String, EventTime)>, now: Instant) {
        for (computer, time) in latest {
            self.computers.insert(
                computer.into(),
                Progress {
                    latest: time,
                    arrived: now,
                    flushed: false,
                },
            );
        }
    }

    /// How many computers are tracked.
    pub fn len(&self) -> usize {
        self.computers.len()
    }

    /// Whether no computer is tracked.
    pub fn is_empty(&self) -> bool {
        self.computers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> EventTime {
        EventTime::from_ticks(secs * 10_000_000)
    }

    #[test]
    fn lateness_is_per_computer_and_relative_to_its_latest_event() {
        let mut w = Watermarks::new(Span::from_secs(120));
        let now = Instant::now();
        assert_eq!(
            w.arrive("A", at(1000), now),
            Arrival::OnTime {
                watermark: at(880),
                advanced: true
            }
        );
        assert_eq!(
            w.arrive("A", at(880), now),
            Arrival::OnTime {
                watermark: at(880),
                advanced: false
            }
        );
        assert_eq!(
            w.arrive("A", at(879), now),
            Arrival::Late { watermark: at(880) }
        );
        assert!(matches!(w.arrive("B", at(10), now), Arrival::OnTime { .. }));
    }

    #[test]
    fn idle_computers_are_reported_once() {
        let mut w = Watermarks::new(Span::from_secs(120));
        let start = Instant::now();
        w.arrive("A", at(1), start);
        let later = start + Duration::from_secs(61);
        assert_eq!(w.newly_idle(Duration::from_secs(60), later), ["A"]);
        assert!(w.newly_idle(Duration::from_secs(60), later).is_empty());
        w.arrive("A", at(2), later);
        assert!(w.newly_idle(Duration::from_secs(60), later).is_empty());
    }
}
