//! Messages about rejected records on stderr: the first few in full, then only a count.

use std::io::Write;

use super::escape::for_terminal;
use crate::source::Problem;

/// How many rejected records are shown in full by default.
pub const SHOWN_BY_DEFAULT: usize = 10;

/// Prints rejected records as they are reported.
pub struct ProblemLog<W> {
    out: W,
    limit: usize,
    shown: u64,
}

impl<W: Write> ProblemLog<W> {
    /// Shows at most `limit` problems in full.
    pub fn new(out: W, limit: usize) -> ProblemLog<W> {
        ProblemLog {
            out,
            limit,
            shown: 0,
        }
    }

    /// Reports one problem.
    pub fn report(&mut self, problem: &Problem) {
        if self.shown < self.limit as u64 {
            let _ = writeln!(self.out, "foothold: {}", for_terminal(&problem.to_string()));
            self.shown += 1;
        }
    }

    /// Ends the run: says how many of `total` problems were not shown.
    pub fn finish(&mut self, total: u64) {
        if total > self.shown {
            let _ = writeln!(
                self.out,
                "foothold: {} more rejected record{} not shown ({} in all; --stats counts them by reason, --strict stops at the first)",
                total - self.shown,
                if total - self.shown == 1 { "" } else { "s" },
                total
            );
        }
    }
}
