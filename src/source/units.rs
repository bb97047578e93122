//! Cuts the inputs into units of work (blocks of lines, for now), in input order, so that
//! workers can decode them in parallel while every record keeps its place.

use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;

use super::lines::{Block, LineBlocks, Piece};
use super::{Input, Position, Problem, Reject};

/// One unit of work.
#[derive(Debug)]
pub enum Unit {
    /// Whole lines of a line-oriented input.
    Lines { input: Arc<str>, block: Block },
    /// A record that was rejected before it could be decoded.
    Rejected(Problem),
}

impl Unit {
    /// Bytes of input the unit covers.
    pub fn bytes(&self) -> usize {
        match self {
            Unit::Lines { block, .. } => block.data.len(),
            Unit::Rejected(_) => 0,
        }
    }
}

/// Limits of the reader.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// About how many bytes a unit of lines holds.
    pub block_bytes: usize,
    /// The longest record accepted; longer ones are skipped and reported.
    pub max_record_bytes: usize,
}

impl Default for ReadLimits {
    fn default() -> ReadLimits {
        ReadLimits {
            block_bytes: 1 << 20,
            max_record_bytes: 64 << 20,
        }
    }
}

/// The open input being cut.
struct Current {
    name: Arc<str>,
    lines: LineBlocks<Box<dyn Read + Send>>,
}

/// Yields the units of a list of inputs, one input after the other.
pub struct Units {
    inputs: std::vec::IntoIter<Input>,
    current: Option<Current>,
    limits: ReadLimits,
    /// Inputs opened so far.
    pub opened: u64,
}

impl Units {
    /// Units of `inputs`, read in order.
    pub fn new(inputs: Vec<Input>, limits: ReadLimits) -> Units {
        Units {
            inputs: inputs.into_iter(),
            current: None,
            limits,
            opened: 0,
        }
    }

    /// Up to `max_units` units or about `max_bytes` bytes, whichever comes first; empty at
    /// the end of the last input.
    pub fn next_batch(&mut self, max_units: usize, max_bytes: usize) -> Vec<Unit> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        while batch.len() < max_units && bytes < max_bytes {
            match self.next_unit() {
                Some(unit) => {
                    bytes += unit.bytes();
                    batch.push(unit);
                }
                None => break,
            }
        }
        batch
    }

    fn next_unit(&mut self) -> Option<Unit> {
        loop {
            if let Some(current) = &mut self.current {
                let name = Arc::clone(&current.name);
                match current.lines.next_piece() {
                    Ok(Some(Piece::Lines(block))) => {
                        return Some(Unit::Lines { input: name, block });
                    }
                    Ok(Some(Piece::TooLong { line, .. })) => {
                        return Some(Unit::Rejected(Problem {
                            input: name,
                            position: Position::Line(line),
                            reject: Reject::TooLong {
                                limit: self.limits.max_record_bytes,
                            },
                        }));
                    }
                    Ok(None) => self.current = None,
                    Err(e) => {
                        self.current = None;
                        return Some(Unit::Rejected(Problem {
                            input: name,
                            position: Position::Input,
                            reject: Reject::Unreadable(e.to_string()),
                        }));
                    }
                }
                continue;
            }
            let input = self.inputs.next()?;
            let name = input.name();
            match open(&input) {
                Ok(reader) => {
                    self.opened += 1;
                    self.current = Some(Current {
                        name,
                        lines: LineBlocks::new(
                            reader,
                            self.limits.block_bytes,
                            self.limits.max_record_bytes,
                        ),
                    });
                }
                Err(e) => {
                    return Some(Unit::Rejected(Problem {
                        input: name,
                        position: Position::Input,
                        reject: Reject::Unreadable(e.to_string()),
                    }));
                }
            }
        }
    }
}

fn open(input: &Input) -> io::Result<Box<dyn Read + Send>> {
    match input {
        Input::Stdin => Ok(Box::new(io::stdin())),
        Input::File(path) => Ok(Box::new(File::open(path)?)),
    }
}
