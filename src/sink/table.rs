//! A table for people: aligned columns, long values shortened in the middle, control
//! characters shown escaped. Rows are collected and printed at the end so they align.

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets};

use super::Sink;
use super::escape::for_terminal;
use crate::summary::Alert;

/// How many sample targets a row shows.
const TARGETS_SHOWN: usize = 3;

/// Writes alerts as a table.
pub struct TableSink<W> {
    out: W,
    width: u16,
    rows: Vec<Alert>,
}

impl<W: Write> TableSink<W> {
    /// A table at most `width` columns wide.
    pub fn new(out: W, width: u16) -> TableSink<W> {
        TableSink {
            out,
            width,
            rows: Vec::new(),
        }
    }
}

/// `text` escaped for a terminal and cut to `max` characters, keeping its start and its end
/// (where a path's file name is).
pub fn shorten(text: &str, max: usize) -> String {
    let safe = for_terminal(text);
    let count = safe.chars().count();
    if count <= max {
        return safe.into_owned();
    }
    let keep = max.saturating_sub(1);
    let head = keep / 3;
    let tail = keep - head;
    let start: String = safe.chars().take(head).collect();
    let end: String = safe.chars().skip(count - tail).collect();
    format!("{start}…{end}")
}

/// A time to the second, for reading.
fn when(alert_time: &crate::time::EventTime) -> String {
    let text = alert_time.to_string();
    text.get(..19).unwrap_or(&text).replace('T', " ")
}

fn pid(id: Option<u64>) -> String {
    id.map_or_else(|| "-".to_string(), |n| n.to_string())
}

impl<W: Write> Sink for TableSink<W> {
    fn write(&mut self, alert: &Alert) -> io::Result<()> {
        self.rows.push(alert.clone());
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.rows.is_empty() {
            writeln!(self.out, "No alerts.")?;
            return self.out.flush();
        }
        let mut table = Table::new();
        table
            .load_style(presets::UTF8_HORIZONTAL_ONLY)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(self.width)
            .set_header([
                "last seen (UTC)",
                "drops",
                "computer / user",
                "parent → process (pid)",
                "command line",
                "exts",
                "sample targets",
            ]);
        for a in &self.rows {
            let mut targets: Vec<String> = a
                .sample_targets
                .iter()
                .take(TARGETS_SHOWN)
                .map(|t| shorten(t, 60))
                .collect();
            if a.sample_targets.len() > TARGETS_SHOWN {
                targets.push(format!(
                    "(+{} more)",
                    a.sample_targets.len() - TARGETS_SHOWN
                ));
            }
            let exts: Vec<String> = a
                .sample_exts
                .iter()
                .map(|e| {
                    if e.is_empty() {
                        "(none)".to_string()
                    } else {
                        shorten(e, 10)
                    }
                })
                .collect();
            table.add_row([
                format!("{}\nfirst {}", when(&a.last_seen), when(&a.time_generated)),
                a.drop_events.to_string(),
                format!(
                    "{}\n{}",
                    shorten(&a.computer, 30),
                    shorten(&a.user_name, 30)
                ),
                format!(
                    "{} ({})\n→ {} ({})",
                    shorten(&a.parent_process_path, 60),
                    pid(a.parent_process_id),
                    shorten(&a.process_path, 60),
                    pid(a.process_id)
                ),
                shorten(&a.command_line, 80),
                exts.join(" "),
                targets.join("\n"),
            ]);
        }
        writeln!(self.out, "{table}")?;
        let n = self.rows.len();
        writeln!(self.out, "{n} alert{}", if n == 1 { "" } else { "s" })?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_keep_their_start_and_end() {
        let path = r"c:\users\someone\appdata\local\temp\very\deep\folder\payload.exe";
        let short = shorten(path, 30);
        assert_eq!(short.chars().count(), 30);
        assert!(short.starts_with(r"c:\users\"));
        assert!(short.ends_with("payload.exe"));
        assert_eq!(shorten("short", 30), "short");
    }

    #[test]
    fn shortened_values_are_escaped_first() {
        assert_eq!(shorten("a\x1b[2Jb", 30), "a\\x1b[2Jb");
    }
}
