//! `hunt`'s bounded pass: while each computer's kept rows come in event-time order (within a
//! lateness), the engine evicts what can no longer join and closes the rows that are final,
//! as `watch` does, so that memory follows the window rather than the length of the input.
//! A row that comes later than that voids the pass; `hunt` then reads the input again with
//! every row held. Either way the rows are the same.

use std::time::Instant;

use crate::correlate::JoinBy;
use crate::engine::{Engine, EngineCounts};
use crate::rule::{Kept, Rule};
use crate::summary::Alert;
use crate::time::Span;
use crate::watermark::{Arrival, Watermarks};

/// How far back of its computer's latest kept row a row may come and the pass still hold.
pub const LATENESS: Span = Span::from_secs(10 * 60);

/// An engine fed in event-time order.
pub struct InOrder {
    /// `None` once a row came too late.
    engine: Option<Engine>,
    watermarks: Watermarks,
    /// Rows already final.
    closed: Vec<Alert>,
}

impl InOrder {
    pub fn new(rule: &Rule, join_by: JoinBy) -> InOrder {
        InOrder {
            engine: Some(Engine::new(rule, join_by, true, false)),
            watermarks: Watermarks::new(LATENESS),
            closed: Vec::new(),
        }
    }

    /// Adds a kept row; false once the input has turned out of order (the pass is void, and
    /// its state let go).
    pub fn add(&mut self, row: Kept, now: Instant) -> bool {
        let Some(engine) = &mut self.engine else {
            return false;
        };
        match self.watermarks.arrive(row.computer(), row.time(), now) {
            Arrival::Late { .. } => {
                self.engine = None;
                self.closed = Vec::new();
                false
            }
            Arrival::OnTime {
                watermark,
                advanced,
            } => {
                let computer = advanced.then(|| Box::<str>::from(row.computer()));
                engine.add(row);
                if let Some(computer) = computer {
                    self.closed
                        .extend(engine.close_before(&computer, watermark));
                }
                true
            }
        }
    }

    /// Whether a row came too late: the pass is void.
    pub fn is_void(&self) -> bool {
        self.engine.is_none()
    }

    /// The alert rows in output order and the counts; `None` when the input was out of order.
    pub fn finish(self) -> Option<(Vec<Alert>, EngineCounts)> {
        let mut engine = self.engine?;
        let counts = engine.counts();
        let mut alerts = self.closed;
        alerts.extend(engine.drain());
        alerts.sort_by(Alert::output_order);
        Some((alerts, counts))
    }
}
