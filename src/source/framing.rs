//! Framing of documents that are not one record per line: JSON objects concatenated or in an
//! array (`evtx_dump` writes them pretty-printed), and `<Event>` elements in XML. A scanner
//! finds where each record starts and ends without parsing it, so records can be cut into
//! blocks and decoded in parallel, each with the line it starts on. A record cut short (a
//! truncated file) is reported and the scanner resynchronizes on the next one.

use std::io::{self, Read};
use std::ops::Range;

/// What the scanner found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    /// A whole record: its first line and its bytes in the block.
    Record { line: u64, bytes: Range<usize> },
    /// Something that is not a whole record, and why.
    Broken { line: u64, why: &'static str },
}

/// A run of framed records.
#[derive(Debug, Default)]
pub struct FramedBlock {
    pub data: Vec<u8>,
    pub marks: Vec<Mark>,
}

/// Finds records in a byte stream, incrementally.
pub trait Scanner: Send {
    /// Scans `buf[from..]`, appending the marks of records that end in it. Returns how far it
    /// got: scanning resumes there when more bytes arrive. `eof`: no more bytes will.
    fn scan(&mut self, buf: &[u8], from: usize, eof: bool, out: &mut Vec<Mark>) -> usize;
    /// Where the open record starts, if one is open.
    fn open_start(&self) -> Option<usize>;
    /// The buffer's first `by` bytes were released; offsets move down.
    fn rebase(&mut self, by: usize);
    /// The end of the input: an open record is truncated.
    fn finish(&mut self, out: &mut Vec<Mark>);
    /// Gives up on the open record (too long); scanning goes on after it.
    fn abandon(&mut self, out: &mut Vec<Mark>);
    /// The line the scan has reached.
    fn line(&self) -> u64;
}

/// Where a JSON record is, in a JSON scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonState {
    /// Between records.
    Outside,
    /// Skipping text outside any record, to the end of its line.
    Junk,
    /// Inside a record that started at `start` on `line`, `depth` brackets deep.
    Inside { start: usize, line: u64, depth: u32 },
    /// Inside a record given up on, until it closes.
    Skipping { depth: u32 },
}

/// Frames JSON values: concatenated objects, NDJSON, or the elements of an array.
#[derive(Debug)]
pub struct JsonScanner {
    state: JsonState,
    in_string: bool,
    escaped: bool,
    at_line_start: bool,
    line: u64,
    junk_start: usize,
}

impl Default for JsonScanner {
    fn default() -> JsonScanner {
        JsonScanner {
            state: JsonState::Outside,
            in_string: false,
            escaped: false,
            at_line_start: true,
            line: 1,
            junk_start: 0,
        }
    }
}

impl Scanner for JsonScanner {
    fn scan(&mut self, buf: &[u8], from: usize, _eof: bool, out: &mut Vec<Mark>) -> usize {
        for (i, &b) in buf.iter().enumerate().skip(from) {
            if b == b'\n' {
                if self.state == JsonState::Junk {
                    self.end_junk(&buf[self.junk_start..i], out);
                    self.state = JsonState::Outside;
                }
                self.line += 1;
                // A raw newline cannot be inside a valid JSON string.
                self.in_string = false;
                self.escaped = false;
                self.at_line_start = true;
                continue;
            }
            let line_start = std::mem::replace(&mut self.at_line_start, false);
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match self.state {
                JsonState::Outside => match b {
                    b' ' | b'\t' | b'\r' | b',' | b'[' | b']' => {}
                    0xEF | 0xBB | 0xBF if i < 3 => {}
                    b'{' => {
                        self.state = JsonState::Inside {
                            start: i,
                            line: self.line,
                            depth: 1,
                        }
                    }
                    _ => {
                        self.state = JsonState::Junk;
                        self.junk_start = i;
                    }
                },
                JsonState::Junk => {}
                JsonState::Inside { start, line, depth } => match b {
                    b'"' => self.in_string = true,
                    b'{' if line_start => {
                        // A new record at the start of a line while one is open: the open one
                        // was cut short.
                        out.push(Mark::Broken {
                            line,
                            why: "record cut short (truncated, or missing its closing brace)",
                        });
                        self.state = JsonState::Inside {
                            start: i,
                            line: self.line,
                            depth: 1,
                        };
                    }
                    b'{' | b'[' => {
                        self.state = JsonState::Inside {
                            start,
                            line,
                            depth: depth + 1,
                        }
                    }
                    b'}' | b']' if depth == 1 => {
                        out.push(Mark::Record {
                            line,
                            bytes: start..i + 1,
                        });
                        self.state = JsonState::Outside;
                    }
                    b'}' | b']' => {
                        self.state = JsonState::Inside {
                            start,
                            line,
                            depth: depth - 1,
                        }
                    }
                    _ => {}
                },
                JsonState::Skipping { depth } => match b {
                    b'"' => self.in_string = true,
                    b'{' if line_start => {
                        self.state = JsonState::Inside {
                            start: i,
                            line: self.line,
                            depth: 1,
                        }
                    }
                    b'{' | b'[' => self.state = JsonState::Skipping { depth: depth + 1 },
                    b'}' | b']' if depth == 1 => self.state = JsonState::Outside,
                    b'}' | b']' => self.state = JsonState::Skipping { depth: depth - 1 },
                    _ => {}
                },
            }
        }
        buf.len()
    }

    fn line(&self) -> u64 {
        self.line
    }

    fn open_start(&self) -> Option<usize> {
        match self.state {
            JsonState::Inside { start, .. } => Some(start),
            JsonState::Junk => Some(self.junk_start),
            _ => None,
        }
    }

    fn rebase(&mut self, by: usize) {
        if let JsonState::Inside { start, line, depth } = self.state {
            self.state = JsonState::Inside {
                start: start - by,
                line,
                depth,
            };
        }
        self.junk_start = self.junk_start.saturating_sub(by);
    }

    fn finish(&mut self, out: &mut Vec<Mark>) {
        match self.state {
            JsonState::Inside { line, .. } => out.push(Mark::Broken {
                line,
                why: "record cut short at the end of the input",
            }),
            JsonState::Junk => out.push(Mark::Broken {
                line: self.line,
                why: "text outside any JSON object",
            }),
            _ => {}
        }
        self.state = JsonState::Outside;
    }

    fn abandon(&mut self, out: &mut Vec<Mark>) {
        if let JsonState::Inside { line, depth, .. } = self.state {
            out.push(Mark::Broken {
                line,
                why: "record longer than the limit, skipped (raise it with --max-record-bytes)",
            });
            self.state = JsonState::Skipping { depth };
        } else if self.state == JsonState::Junk {
            out.push(Mark::Broken {
                line: self.line,
                why: "text outside any JSON object",
            });
            self.state = JsonState::Outside;
        }
    }
}

impl JsonScanner {
    /// Text between records: `evtx_dump` writes `Record N` lines there, which are fine;
    /// anything else is reported.
    fn end_junk(&mut self, text: &[u8], out: &mut Vec<Mark>) {
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        let is_record_header = text
            .strip_prefix(b"Record ")
            .is_some_and(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit));
        if !is_record_header && !text.iter().all(u8::is_ascii_whitespace) {
            out.push(Mark::Broken {
                line: self.line,
                why: "text outside any JSON object",
            });
        }
    }
}

/// Frames `<Event>...</Event>` elements, one per line or wrapped in `<Events>`.
#[derive(Debug)]
pub struct XmlScanner {
    open: Option<(usize, u64)>,
    line: u64,
}

impl Default for XmlScanner {
    fn default() -> XmlScanner {
        XmlScanner {
            open: None,
            line: 1,
        }
    }
}

const EVENT_OPEN: &[u8] = b"<Event";
const EVENT_CLOSE: &[u8] = b"</Event>";

impl Scanner for XmlScanner {
    fn scan(&mut self, buf: &[u8], from: usize, eof: bool, out: &mut Vec<Mark>) -> usize {
        let mut at = from;
        while let Some(offset) = memchr::memchr(b'<', &buf[at..]) {
            let lt = at + offset;
            self.line += memchr::memchr_iter(b'\n', &buf[at..lt]).count() as u64;
            let rest = &buf[lt..];
            if rest.len() < EVENT_CLOSE.len() && !eof {
                return lt;
            }
            if rest.starts_with(EVENT_CLOSE) {
                if let Some((start, line)) = self.open.take() {
                    out.push(Mark::Record {
                        line,
                        bytes: start..lt + EVENT_CLOSE.len(),
                    });
                }
                at = lt + EVENT_CLOSE.len();
                continue;
            }
            let starts_event = rest.starts_with(EVENT_OPEN)
                && matches!(
                    rest.get(EVENT_OPEN.len()),
                    Some(b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/')
                );
            if starts_event {
                if let Some((_, line)) = self.open.take() {
                    out.push(Mark::Broken {
                        line,
                        why: "<Event> cut short (no </Event> before the next one)",
                    });
                }
                self.open = Some((lt, self.line));
            }
            at = lt + 1;
        }
        self.line += memchr::memchr_iter(b'\n', &buf[at..]).count() as u64;
        buf.len()
    }

    fn line(&self) -> u64 {
        self.line
    }

    fn open_start(&self) -> Option<usize> {
        self.open.map(|(start, _)| start)
    }

    fn rebase(&mut self, by: usize) {
        if let Some((start, line)) = self.open {
            self.open = Some((start - by, line));
        }
    }

    fn finish(&mut self, out: &mut Vec<Mark>) {
        if let Some((_, line)) = self.open.take() {
            out.push(Mark::Broken {
                line,
                why: "<Event> cut short at the end of the input",
            });
        }
    }

    fn abandon(&mut self, out: &mut Vec<Mark>) {
        if let Some((_, line)) = self.open.take() {
            out.push(Mark::Broken {
                line,
                why: "<Event> longer than the limit, skipped (raise it with --max-record-bytes)",
            });
        }
    }
}

/// Reads a stream as blocks of framed records.
pub struct FramedBlocks<R, S> {
    reader: R,
    scanner: S,
    buf: Vec<u8>,
    scanned: usize,
    marks: Vec<Mark>,
    block_bytes: usize,
    max_record: usize,
    eof: bool,
}

impl<R: Read, S: Scanner> FramedBlocks<R, S> {
    pub fn new(reader: R, scanner: S, block_bytes: usize, max_record: usize) -> Self {
        FramedBlocks {
            reader,
            scanner,
            buf: Vec::new(),
            scanned: 0,
            marks: Vec::new(),
            block_bytes: block_bytes.max(1),
            max_record: max_record.max(1),
            eof: false,
        }
    }

    /// The line the scan has reached.
    pub fn line(&self) -> u64 {
        self.scanner.line()
    }

    /// The next block, or `None` at the end.
    pub fn next_block(&mut self) -> io::Result<Option<FramedBlock>> {
        loop {
            let ready = self.buf.len() >= self.block_bytes || self.marks.len() >= 4096;
            if (ready || self.eof) && !self.marks.is_empty() {
                return Ok(Some(self.cut()));
            }
            if self.eof {
                return Ok(None);
            }
            let open_len = self
                .scanner
                .open_start()
                .map_or(0, |start| self.buf.len() - start);
            if open_len > self.max_record {
                self.scanner.abandon(&mut self.marks);
                if self.marks.len() == 1 {
                    let upto = self.scanned;
                    self.release(upto);
                }
            }
            self.fill()?;
            let first_new = self.marks.len();
            self.scanned = self
                .scanner
                .scan(&self.buf, self.scanned, self.eof, &mut self.marks);
            if self.eof {
                self.scanner.finish(&mut self.marks);
            }
            for mark in &mut self.marks[first_new..] {
                if let Mark::Record { line, bytes } = mark
                    && bytes.len() > self.max_record
                {
                    *mark = Mark::Broken {
                        line: *line,
                        why: "record longer than the limit, skipped (raise it with --max-record-bytes)",
                    };
                }
            }
            if self.scanner.open_start().is_none() && self.marks.is_empty() {
                // Nothing worth keeping before the scan point (whitespace, skipped bytes).
                let upto = self.scanned;
                self.release(upto);
            }
        }
    }

    /// Drops the buffer's first `upto` bytes, which hold no open record and no mark.
    fn release(&mut self, upto: usize) {
        if upto == 0 {
            return;
        }
        self.buf.drain(..upto);
        self.scanned -= upto;
        self.scanner.rebase(upto);
    }

    /// Hands out the bytes of the marked records, keeping the open one.
    fn cut(&mut self) -> FramedBlock {
        let upto = self.scanner.open_start().unwrap_or(self.scanned);
        let rest = self.buf.split_off(upto);
        let data = std::mem::replace(&mut self.buf, rest);
        self.scanned -= upto;
        self.scanner.rebase(upto);
        FramedBlock {
            data,
            marks: std::mem::take(&mut self.marks),
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        let start = self.buf.len();
        self.buf
            .resize(start + self.block_bytes.clamp(4096, 256 * 1024), 0);
        let got = loop {
            match self.reader.read(&mut self.buf[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(start);
                    return Err(e);
                }
            }
        };
        self.buf.truncate(start + got);
        if got == 0 {
            self.eof = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, text) of each record, and (line, why) of each broken one.
    fn frame<S: Scanner>(input: &str, scanner: S, block: usize, max: usize) -> Vec<String> {
        let mut blocks = FramedBlocks::new(input.as_bytes(), scanner, block, max);
        let mut out = Vec::new();
        while let Some(b) = blocks.next_block().unwrap() {
            for mark in &b.marks {
                out.push(match mark {
                    Mark::Record { line, bytes } => {
                        format!("{line}:{}", String::from_utf8_lossy(&b.data[bytes.clone()]))
                    }
                    Mark::Broken { line, why } => format!("{line}!{why}"),
                });
            }
        }
        out
    }

    fn json(input: &str) -> Vec<String> {
        let whole = frame(input, JsonScanner::default(), 1 << 20, 1 << 20);
        for block in [1, 7, 64] {
            assert_eq!(frame(input, JsonScanner::default(), block, 1 << 20), whole);
        }
        whole
    }

    #[test]
    fn concatenated_pretty_objects_with_record_headers() {
        let input = "Record 1\n{\n  \"a\": {\"b\": \"}{\"},\n  \"c\": [1, {\"d\": 2}]\n}\nRecord 2\n{\n  \"e\": \"x\\\"}\"\n}\n";
        assert_eq!(
            json(input),
            [
                "2:{\n  \"a\": {\"b\": \"}{\"},\n  \"c\": [1, {\"d\": 2}]\n}",
                "7:{\n  \"e\": \"x\\\"}\"\n}"
            ]
        );
    }

    #[test]
    fn arrays_one_line_or_many() {
        assert_eq!(
            json("[{\"a\":1},{\"b\":[2]}]"),
            ["1:{\"a\":1}", "1:{\"b\":[2]}"]
        );
        assert_eq!(
            json("[\n  {\"a\":1},\n  {\"b\":2}\n]\n"),
            ["2:{\"a\":1}", "3:{\"b\":2}"]
        );
    }

    #[test]
    fn a_truncated_record_is_reported_and_the_next_one_read() {
        let got = json("{\"a\":1,\n{\"b\":2}\n{\"c\":");
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].starts_with("1!record cut short"));
        assert_eq!(got[1], "2:{\"b\":2}");
        assert!(got[2].starts_with("3!record cut short at the end"));
    }

    #[test]
    fn junk_between_records_is_reported() {
        let got = json("{\"a\":1}\nhello\n{\"b\":2}");
        assert_eq!(got[1], "2!text outside any JSON object");
        assert_eq!(got[2], "3:{\"b\":2}");
    }

    #[test]
    fn an_over_long_record_is_skipped() {
        let long = format!("{{\"a\":\"{}\"}}", "x".repeat(5000));
        let input = format!("{{\"a\":1}}\n{long}\n{{\"b\":2}}\n");
        let got = frame(&input, JsonScanner::default(), 100, 1000);
        assert_eq!(got[0], "1:{\"a\":1}");
        assert!(
            got[1].starts_with("2!record longer than the limit"),
            "{got:?}"
        );
        assert_eq!(got[2], "3:{\"b\":2}");
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn xml_events_wrapped_or_one_per_line() {
        let wrapped = "<?xml version=\"1.0\"?>\n<Events>\n<Event xmlns='x'><System/></Event>\n<Event><EventData/></Event></Events>";
        for block in [1, 5, 1000] {
            assert_eq!(
                frame(wrapped, XmlScanner::default(), block, 1 << 20),
                [
                    "3:<Event xmlns='x'><System/></Event>",
                    "4:<Event><EventData/></Event>"
                ]
            );
        }
        let broken = "<Event><System>\n<Event><a/></Event>\n<Event>";
        let got = frame(broken, XmlScanner::default(), 1000, 1 << 20);
        assert!(got[0].starts_with("1!<Event> cut short"));
        assert_eq!(got[1], "2:<Event><a/></Event>");
        assert!(got[2].starts_with("3!<Event> cut short at the end"));
    }
}
