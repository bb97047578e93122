//! Splits a byte stream into blocks of whole lines, numbered, so that line-oriented inputs can
//! be decoded on several threads while every record keeps its line number.

use std::io::{self, Read};

/// A run of whole lines (the last one may lack its newline at the end of the input).
#[derive(Debug, Default)]
pub struct Block {
    /// The number of the block's first line, from 1.
    pub first_line: u64,
    pub data: Vec<u8>,
}

/// What the reader yields.
#[derive(Debug)]
pub enum Piece {
    Lines(Block),
    /// A line longer than the limit, skipped unread: its number and length.
    TooLong {
        line: u64,
        bytes: u64,
    },
}

/// Reads a stream as [`Piece`]s of about `block_bytes` each.
pub struct LineBlocks<R> {
    reader: R,
    pending: Vec<u8>,
    next_line: u64,
    block_bytes: usize,
    max_line: usize,
    eof: bool,
}

impl<R: Read> LineBlocks<R> {
    /// Blocks of about `block_bytes`; a line longer than `max_line` is skipped and reported.
    pub fn new(reader: R, block_bytes: usize, max_line: usize) -> LineBlocks<R> {
        LineBlocks {
            reader,
            pending: Vec::new(),
            next_line: 1,
            block_bytes: block_bytes.max(1),
            max_line: max_line.max(1),
            eof: false,
        }
    }

    /// The number of the next line to be handed out.
    pub fn line(&self) -> u64 {
        self.next_line
    }

    /// The next piece, or `None` at the end of the stream.
    pub fn next_piece(&mut self) -> io::Result<Option<Piece>> {
        loop {
            let last_newline = memchr::memrchr(b'\n', &self.pending);
            let enough = self.pending.len() >= self.block_bytes;
            if let Some(at) = last_newline.filter(|_| enough || self.eof) {
                // The next block starts with the partial line after `at`, with room to grow.
                let mut rest = Vec::with_capacity(self.block_bytes + 64 * 1024);
                rest.extend_from_slice(&self.pending[at + 1..]);
                self.pending.truncate(at + 1);
                return Ok(Some(Piece::Lines(self.take_block(rest))));
            }
            if self.eof {
                if self.pending.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(Piece::Lines(self.take_block(Vec::new()))));
            }
            if last_newline.is_none() && self.pending.len() > self.max_line {
                return self.skip_long_line().map(Some);
            }
            self.fill()?;
        }
    }

    fn take_block(&mut self, rest: Vec<u8>) -> Block {
        let data = std::mem::replace(&mut self.pending, rest);
        let first_line = self.next_line;
        self.next_line += memchr::memchr_iter(b'\n', &data).count() as u64;
        Block { first_line, data }
    }

    /// Reads more input onto `pending`: a block's worth, or what is left of the stream.
    fn fill(&mut self) -> io::Result<()> {
        let start = self.pending.len();
        let want = self.block_bytes.max(64 * 1024);
        self.pending.reserve(want);
        let result = (&mut self.reader)
            .take(want as u64)
            .read_to_end(&mut self.pending);
        match result {
            Ok(got) => {
                // `take` stops early only at the end of the stream.
                if got < want {
                    self.eof = true;
                }
                Ok(())
            }
            Err(e) => {
                self.pending.truncate(start);
                Err(e)
            }
        }
    }

    /// Discards the over-long line at the start of `pending`, through its newline.
    fn skip_long_line(&mut self) -> io::Result<Piece> {
        let line = self.next_line;
        let mut bytes = self.pending.len() as u64;
        self.pending.clear();
        loop {
            self.fill()?;
            if let Some(at) = memchr::memchr(b'\n', &self.pending) {
                bytes += at as u64;
                self.pending.drain(..=at);
                self.next_line += 1;
                break;
            }
            bytes += self.pending.len() as u64;
            self.pending.clear();
            if self.eof {
                break;
            }
        }
        Ok(Piece::TooLong { line, bytes })
    }
}

/// The lines of a block with their numbers; a trailing `\r` is removed.
pub fn numbered_lines(block: &Block) -> impl Iterator<Item = (u64, &[u8])> {
    split_lines(&block.data)
        .zip(block.first_line..)
        .map(|(line, n)| (n, line.strip_suffix(b"\r").unwrap_or(line)))
}

/// The lines of `data` (a final newline ends the last line rather than starting an empty one),
/// found with SIMD search.
pub fn split_lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', body);
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let end = match ends.next() {
            Some(end) => end,
            None => {
                done = true;
                body.len()
            }
        };
        let line = &body[start..end];
        start = end + 1;
        Some(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(input: &str, block: usize, max_line: usize) -> Vec<String> {
        let mut reader = LineBlocks::new(input.as_bytes(), block, max_line);
        let mut out = Vec::new();
        while let Some(piece) = reader.next_piece().unwrap() {
            match piece {
                Piece::Lines(b) => {
                    for (n, line) in numbered_lines(&b) {
                        out.push(format!("{n}:{}", String::from_utf8_lossy(line)));
                    }
                }
                Piece::TooLong { line, bytes } => out.push(format!("{line}:too long ({bytes})")),
            }
        }
        out
    }

    #[test]
    fn lines_keep_their_numbers_across_blocks() {
        let input = "a\nbb\r\nccc\n\ndddd";
        for block in [1, 2, 3, 5, 100] {
            assert_eq!(
                pieces(input, block, 100),
                ["1:a", "2:bb", "3:ccc", "4:", "5:dddd"],
                "block size {block}"
            );
        }
    }

    #[test]
    fn an_over_long_line_is_skipped_and_counted() {
        let long = "x".repeat(300_000);
        let input = format!("a\n{long}\nb\n");
        assert_eq!(
            pieces(&input, 10, 1000),
            ["1:a", "2:too long (300000)", "3:b"]
        );
    }

    #[test]
    fn an_over_long_last_line_without_newline_is_skipped() {
        let input = format!("a\n{}", "x".repeat(200_000));
        assert_eq!(pieces(&input, 10, 1000), ["1:a", "2:too long (200000)"]);
    }

    #[test]
    fn empty_input_has_no_pieces() {
        assert!(pieces("", 10, 10).is_empty());
    }
}
