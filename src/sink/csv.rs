//! CSV: a header row, then one row per alert; every cell quoted, arrays joined by `;`, and
//! cells that a spreadsheet would run as formulas neutralized.

use std::io::{self, Write};

use super::Sink;
use super::escape::for_spreadsheet;
use crate::summary::{Alert, COLUMNS};

/// Writes alerts as CSV.
pub struct CsvSink<W: Write> {
    out: csv::Writer<W>,
    header_written: bool,
}

impl<W: Write> CsvSink<W> {
    pub fn new(out: W) -> CsvSink<W> {
        CsvSink {
            out: csv::WriterBuilder::new()
                .quote_style(csv::QuoteStyle::Always)
                .from_writer(out),
            header_written: false,
        }
    }

    fn header(&mut self) -> io::Result<()> {
        if !self.header_written {
            self.out.write_record(COLUMNS)?;
            self.header_written = true;
        }
        Ok(())
    }
}

fn id(id: Option<u64>) -> String {
    id.map_or_else(String::new, |n| n.to_string())
}

impl<W: Write> Sink for CsvSink<W> {
    fn write(&mut self, alert: &Alert) -> io::Result<()> {
        self.header()?;
        let cells = [
            alert.time_generated.to_string(),
            alert.last_seen.to_string(),
            alert.drop_events.to_string(),
            for_spreadsheet(&alert.computer).into_owned(),
            for_spreadsheet(&alert.user_name).into_owned(),
            for_spreadsheet(&alert.parent_process_name).into_owned(),
            for_spreadsheet(&alert.parent_process_path).into_owned(),
            id(alert.parent_process_id),
            for_spreadsheet(&alert.process_path).into_owned(),
            id(alert.process_id),
            for_spreadsheet(&alert.command_line).into_owned(),
            for_spreadsheet(&alert.parent_command_line).into_owned(),
            for_spreadsheet(&alert.sample_exts.join(";")).into_owned(),
            for_spreadsheet(&alert.sample_targets.join(";")).into_owned(),
        ];
        self.out.write_record(&cells)?;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.header()?;
        self.out.flush()
    }
}
