//! NDJSON: one alert per line, the KQL's columns in its order; always valid JSON, and safe
//! to print on a terminal.

use std::io::{self, Write};

use super::Sink;
use super::escape::to_json_line;
use crate::summary::Alert;

/// Writes alerts as NDJSON.
pub struct JsonSink<W> {
    out: W,
    line: Vec<u8>,
}

impl<W: Write> JsonSink<W> {
    pub fn new(out: W) -> JsonSink<W> {
        JsonSink {
            out,
            line: Vec::new(),
        }
    }
}

impl<W: Write> Sink for JsonSink<W> {
    fn write(&mut self, alert: &Alert) -> io::Result<()> {
        self.line.clear();
        to_json_line(alert, &mut self.line)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
