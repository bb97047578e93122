//! Rejected records: where a bad record is, and why it could not be used.

use std::fmt;
use std::sync::Arc;

/// Why a record could not be used. Every variant is counted in the stats under its
/// [`Reject::kind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reject {
    /// The record is not well-formed in its format (JSON, XML, EVTX, ...).
    Syntax(String),
    /// Well-formed, but in no layout foothold knows.
    UnknownLayout(String),
    /// A field the record needs is missing.
    Missing(&'static str),
    /// A field is there but its value is unusable.
    BadValue { field: &'static str, why: String },
    /// A line longer than the configured limit; skipped without being parsed.
    TooLong { limit: usize },
    /// The input could not be read further (truncated, corrupt, I/O error).
    Unreadable(String),
}

impl Reject {
    /// A short stable name of the reason, the key under which `--stats` counts it.
    pub fn kind(&self) -> &'static str {
        match self {
            Reject::Syntax(_) => "syntax",
            Reject::UnknownLayout(_) => "unknown layout",
            Reject::Missing(_) => "missing field",
            Reject::BadValue { .. } => "bad value",
            Reject::TooLong { .. } => "line too long",
            Reject::Unreadable(_) => "unreadable input",
        }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reject::Syntax(why) => write!(f, "malformed record: {why}"),
            Reject::UnknownLayout(why) => write!(f, "unknown layout: {why}"),
            Reject::Missing(field) => write!(f, "missing field `{field}`"),
            Reject::BadValue { field, why } => write!(f, "bad `{field}`: {why}"),
            Reject::TooLong { limit } => write!(
                f,
                "line longer than {limit} bytes, skipped (raise the limit with --max-record-bytes)"
            ),
            Reject::Unreadable(why) => write!(f, "cannot read further: {why}"),
        }
    }
}

/// A place in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Position {
    /// The whole input.
    Input,
    /// A 1-based line.
    Line(u64),
    /// A byte offset.
    Offset(u64),
    /// An EVTX record, by its record id, in a chunk.
    Record { chunk: u64, record: u64 },
    /// An EVTX chunk.
    Chunk(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Input => Ok(()),
            Position::Line(n) => write!(f, ":{n}"),
            Position::Offset(n) => write!(f, ": byte {n}"),
            Position::Record { chunk, record } => write!(f, ": chunk {chunk}, record {record}"),
            Position::Chunk(n) => write!(f, ": chunk {n}"),
        }
    }
}

/// A rejected record: the input it is in, its position, and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub input: Arc<str>,
    pub position: Position,
    pub reject: Reject,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}: {}", self.input, self.position, self.reject)
    }
}
