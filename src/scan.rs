//! Scanning: one unit of input decoded, normalized and filtered by the rule into kept rows.
//! Stateless, so units are scanned on worker threads in any order.

use std::sync::Arc;

use crate::event::Event;
use crate::rule::{Kept, Rule};
use crate::source::framing::Mark;
use crate::source::json::quick::Verdict;
use crate::source::lines::numbered_lines;
use crate::source::units::{RecordSyntax, Unit};
use crate::source::{Position, Problem, Reject};
use crate::source::{evtx, json, xml};
use crate::stats::Stats;

/// How many rejected records a unit keeps in full; the rest are only counted.
pub const PROBLEMS_KEPT: usize = 16;

/// What one unit yields.
#[derive(Debug, Default)]
pub struct Scanned {
    pub kept: Vec<Kept>,
    pub stats: Stats,
    /// The unit's first rejected records, in input order (the rest are in `stats`).
    pub problems: Vec<Problem>,
}

impl Scanned {
    fn reject(&mut self, input: &Arc<str>, position: Position, reject: Reject) {
        self.stats.count_reject(&reject);
        if self.problems.len() < PROBLEMS_KEPT {
            self.problems.push(Problem {
                input: Arc::clone(input),
                position,
                reject,
            });
        }
    }

    fn event(&mut self, rule: &Rule, event: &Event<'_>) {
        self.stats.count_event(event);
        if let Some(row) = rule.keep(event) {
            self.kept.push(row);
        }
    }
}

/// Scans one unit. Unless `validate`, records of the normalized layout that the rule cannot
/// use are counted from their id without being parsed ([`json::quick`]).
pub fn scan(unit: Unit, rule: &Rule, validate: bool) -> Scanned {
    let mut out = Scanned::default();
    out.stats.bytes += unit.bytes() as u64;
    match unit {
        Unit::Lines { input, block } => {
            for (number, line) in numbered_lines(&block) {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let decoded = match json::quick::verdict(line) {
                    Verdict::Skip { event_id } if !validate => {
                        out.stats.count_event(&Event::Other { event_id });
                        continue;
                    }
                    Verdict::Decode => json::decode_in_full(line),
                    Verdict::Skip { .. } | Verdict::Unknown => json::decode(line),
                };
                match decoded {
                    Ok(event) => out.event(rule, &event),
                    Err(reject) => out.reject(&input, Position::Line(number), reject),
                }
            }
        }
        Unit::Framed {
            input,
            syntax,
            block,
        } => {
            for mark in &block.marks {
                match mark {
                    Mark::Record { line, bytes } => {
                        let record = &block.data[bytes.clone()];
                        let decoded = match syntax {
                            RecordSyntax::Json => json::decode(record),
                            RecordSyntax::Xml => xml::decode(record),
                        };
                        match decoded {
                            Ok(event) => out.event(rule, &event),
                            Err(reject) => out.reject(&input, Position::Line(*line), reject),
                        }
                    }
                    Mark::Broken { line, why } => out.reject(
                        &input,
                        Position::Line(*line),
                        Reject::Syntax(why.to_string()),
                    ),
                }
            }
        }
        Unit::EvtxChunk {
            input,
            number,
            file,
        } => {
            let mut rejects = Vec::new();
            evtx::decode_chunk(
                number,
                file,
                |event| out.event(rule, event),
                |position, reject| rejects.push((position, reject)),
            );
            for (position, reject) in rejects {
                out.reject(&input, position, reject);
            }
        }
        // Like ripgrep with binary files under a directory: counted, not reported.
        Unit::Skipped => out.stats.skipped_files += 1,
        Unit::Rejected(problem) => {
            out.reject(&problem.input, problem.position, problem.reject);
        }
    }
    out
}
