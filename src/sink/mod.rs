//! Sinks: where alert rows go, each escaping attacker-controlled text for its medium.

mod csv;
pub mod escape;
mod json;
pub mod problems;
pub mod progress;
mod table;
pub mod webhook;

use std::io::{self, Write};

pub use self::csv::CsvSink;
pub use self::json::JsonSink;
pub use self::table::TableSink;
use crate::summary::Alert;

/// Receives alert rows.
pub trait Sink {
    /// Takes one row.
    fn write(&mut self, alert: &Alert) -> io::Result<()>;
    /// No more rows: flush, print what was held back.
    fn finish(&mut self) -> io::Result<()>;
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// A sink of `format` writing to `out`; `width` is the table's width.
pub fn for_format<'a, W: Write + 'a>(format: Format, out: W, width: u16) -> Box<dyn Sink + 'a> {
    match format {
        Format::Table => Box::new(TableSink::new(out, width)),
        Format::Json => Box::new(JsonSink::new(out)),
        Format::Csv => Box::new(CsvSink::new(out)),
    }
}
