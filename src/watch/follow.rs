//! Live inputs: stdin read to its end, and files followed like `tail -F` (appended lines,
//! rotation, truncation), each on a thread of its own, sending whole lines to the watch loop
//! with the position after them.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::Sender;

/// What an input thread sends.
#[derive(Debug)]
pub enum Feed {
    /// Whole lines of input `input`: `data` holds them, the first is line `first_line`, and
    /// `end` is the byte offset just after the last one.
    Lines {
        input: usize,
        first_line: u64,
        data: Vec<u8>,
        end: u64,
    },
    /// A line longer than the limit, skipped.
    TooLong { input: usize, line: u64 },
    /// Something the user should know (rotation, truncation, a read error).
    Note { input: usize, message: String },
    /// A followed file was opened (at the start, or after a rotation): lines that follow are
    /// from this file, from `offset`.
    Opened {
        input: usize,
        identity: FileIdentity,
        offset: u64,
        line: u64,
    },
    /// The input has ended (stdin only: files are followed until the watch stops).
    End { input: usize },
}

/// Where to start reading a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resume {
    pub identity: FileIdentity,
    pub offset: u64,
    pub line: u64,
}

/// Which file a path names: its device and inode, to tell a rotated file from the old one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileIdentity {
    pub device: u64,
    pub inode: u64,
}

impl FileIdentity {
    /// The identity of an open file.
    pub fn of(file: &File) -> io::Result<FileIdentity> {
        identity(&file.metadata()?)
    }

    fn of_path(path: &Path) -> io::Result<FileIdentity> {
        identity(&std::fs::metadata(path)?)
    }
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> io::Result<FileIdentity> {
    use std::os::unix::fs::MetadataExt;
    Ok(FileIdentity {
        device: meta.dev(),
        inode: meta.ino(),
    })
}

#[cfg(not(unix))]
fn identity(meta: &std::fs::Metadata) -> io::Result<FileIdentity> {
    let created = meta
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64);
    Ok(FileIdentity {
        device: 0,
        inode: created,
    })
}

/// Splits complete lines off a buffer of input.
struct LineSplitter {
    input: usize,
    pending: Vec<u8>,
    /// Offset of `pending`'s first byte.
    offset: u64,
    next_line: u64,
    max_record: usize,
    skipping: bool,
}

impl LineSplitter {
    fn new(input: usize, offset: u64, next_line: u64, max_record: usize) -> LineSplitter {
        LineSplitter {
            input,
            pending: Vec::new(),
            offset,
            next_line,
            max_record: max_record.max(1),
            skipping: false,
        }
    }

    /// Takes new bytes; returns what is ready to send.
    fn push(&mut self, bytes: &[u8], out: &mut Vec<Feed>) {
        let mut bytes = bytes;
        if self.skipping {
            match memchr::memchr(b'\n', bytes) {
                Some(at) => {
                    self.offset += at as u64 + 1;
                    self.next_line += 1;
                    self.skipping = false;
                    bytes = &bytes[at + 1..];
                }
                None => {
                    self.offset += bytes.len() as u64;
                    return;
                }
            }
        }
        self.pending.extend_from_slice(bytes);
        if let Some(last) = memchr::memrchr(b'\n', &self.pending) {
            let rest = self.pending.split_off(last + 1);
            let data = std::mem::replace(&mut self.pending, rest);
            let lines = memchr::memchr_iter(b'\n', &data).count() as u64;
            self.offset += data.len() as u64;
            out.push(Feed::Lines {
                input: self.input,
                first_line: self.next_line,
                data,
                end: self.offset,
            });
            self.next_line += lines;
        }
        if self.pending.len() > self.max_record {
            out.push(Feed::TooLong {
                input: self.input,
                line: self.next_line,
            });
            self.offset += self.pending.len() as u64;
            self.pending.clear();
            self.skipping = true;
        }
    }

    /// The input ended: a last line without a newline is sent too.
    fn finish(&mut self, out: &mut Vec<Feed>) {
        if !self.pending.is_empty() && !self.skipping {
            let data = std::mem::take(&mut self.pending);
            self.offset += data.len() as u64;
            out.push(Feed::Lines {
                input: self.input,
                first_line: self.next_line,
                data,
                end: self.offset,
            });
            self.next_line += 1;
        }
        self.pending.clear();
        self.skipping = false;
    }
}

fn send_all(tx: &Sender<Feed>, feeds: &mut Vec<Feed>) -> bool {
    feeds.drain(..).all(|feed| tx.send(feed).is_ok())
}

/// Reads a stream (stdin, or bytes in memory) to its end.
pub fn read_stream(input: usize, mut stdin: impl Read, tx: Sender<Feed>, max_record: usize) {
    let mut splitter = LineSplitter::new(input, 0, 1, max_record);
    let mut buf = vec![0; 256 * 1024];
    let mut out = Vec::new();
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => splitter.push(&buf[..n], &mut out),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                out.push(Feed::Note {
                    input,
                    message: format!("cannot read further: {e}"),
                });
                break;
            }
        }
        if !send_all(&tx, &mut out) {
            return;
        }
    }
    splitter.finish(&mut out);
    out.push(Feed::End { input });
    send_all(&tx, &mut out);
}

/// The last bytes read from a followed file. Its length alone cannot tell a file that only
/// grew from one truncated and written again past the offset between two polls (logrotate's
/// `copytruncate` under a busy writer); these bytes, read again right before the offset, can.
#[derive(Default)]
struct Tail {
    bytes: Vec<u8>,
}

impl Tail {
    const KEEP: usize = 64;

    fn push(&mut self, data: &[u8]) {
        if data.len() >= Self::KEEP {
            self.bytes.clear();
            self.bytes
                .extend_from_slice(&data[data.len() - Self::KEEP..]);
        } else {
            self.bytes.extend_from_slice(data);
            let extra = self.bytes.len().saturating_sub(Self::KEEP);
            self.bytes.drain(..extra);
        }
    }

    /// Whether the file still holds these bytes right before `at` (where it is positioned,
    /// and is left). Unknown (nothing read yet, or a read error) counts as yes.
    fn still_in(&self, file: &mut File, at: u64) -> bool {
        let len = self.bytes.len() as u64;
        if len == 0 || at < len {
            return true;
        }
        let mut now = vec![0; self.bytes.len()];
        let read = file
            .seek(SeekFrom::Start(at - len))
            .and_then(|_| file.read_exact(&mut now));
        let back = file.seek(SeekFrom::Start(at));
        read.is_err() || back.is_err() || now == self.bytes
    }
}

/// How a followed file is read.
pub struct Follow {
    pub input: usize,
    pub path: PathBuf,
    pub resume: Option<Resume>,
    pub poll: Duration,
    pub max_record: usize,
    pub stop: Arc<AtomicBool>,
}

/// Follows a file until `stop` is set or the watch loop goes away.
pub fn follow(job: Follow, tx: Sender<Feed>) {
    let note = |message: String| {
        tx.send(Feed::Note {
            input: job.input,
            message,
        })
        .is_ok()
    };
    let mut out = Vec::new();
    let mut buf = vec![0; 256 * 1024];
    let mut resume = job.resume;
    'reopen: loop {
        let (mut file, identity) = loop {
            if job.stop.load(Ordering::Relaxed) {
                return;
            }
            match File::open(&job.path).and_then(|f| FileIdentity::of(&f).map(|id| (f, id))) {
                Ok(opened) => break opened,
                Err(_) => std::thread::sleep(job.poll),
            }
        };
        let mut splitter = LineSplitter::new(job.input, 0, 1, job.max_record);
        let mut tail = Tail::default();
        if let Some(r) = resume.take() {
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            if r.identity == identity && r.offset <= len {
                if file.seek(SeekFrom::Start(r.offset)).is_ok() {
                    splitter = LineSplitter::new(job.input, r.offset, r.line, job.max_record);
                }
            } else if !note(format!(
                "{} is not the file the checkpoint read (rotated or rewritten): reading it from the start",
                job.path.display()
            )) {
                return;
            }
        }
        let opened = Feed::Opened {
            input: job.input,
            identity,
            offset: splitter.offset,
            line: splitter.next_line,
        };
        if tx.send(opened).is_err() {
            return;
        }
        loop {
            if job.stop.load(Ordering::Relaxed) {
                return;
            }
            match file.read(&mut buf) {
                Ok(0) => {}
                Ok(n) => {
                    splitter.push(&buf[..n], &mut out);
                    tail.push(&buf[..n]);
                    if !send_all(&tx, &mut out) {
                        return;
                    }
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    if !note(format!(
                        "read error: {e}; reopening where the reading stopped"
                    )) {
                        return;
                    }
                    // Go on from the last whole line sent, not from the start.
                    resume = Some(Resume {
                        identity,
                        offset: splitter.offset,
                        line: splitter.next_line,
                    });
                    std::thread::sleep(job.poll);
                    continue 'reopen;
                }
            }
            // At the end of the file: wait, then look for rotation or truncation.
            std::thread::sleep(job.poll);
            match FileIdentity::of_path(&job.path) {
                Ok(now) if now != identity => {
                    // Rotated: lines may have been appended to the old file since the last
                    // read; read it to its end before following the new one.
                    loop {
                        match file.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => splitter.push(&buf[..n], &mut out),
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(_) => break,
                        }
                        if !send_all(&tx, &mut out) {
                            return;
                        }
                    }
                    splitter.finish(&mut out);
                    if !send_all(&tx, &mut out)
                        || !note(format!(
                            "{} was rotated: following the new file",
                            job.path.display()
                        ))
                    {
                        return;
                    }
                    continue 'reopen;
                }
                Ok(_) => {
                    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
                    let at = file.stream_position().unwrap_or(0);
                    if len < at || !tail.still_in(&mut file, at) {
                        tail = Tail::default();
                        if !note(format!(
                            "{} was truncated: reading it from the start",
                            job.path.display()
                        )) {
                            return;
                        }
                        if file.seek(SeekFrom::Start(0)).is_err() {
                            continue 'reopen;
                        }
                        splitter = LineSplitter::new(job.input, 0, 1, job.max_record);
                        let opened = Feed::Opened {
                            input: job.input,
                            identity,
                            offset: 0,
                            line: 1,
                        };
                        if tx.send(opened).is_err() {
                            return;
                        }
                    }
                }
                // Removed, not yet recreated: keep reading the open file.
                Err(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn feed_lines(feeds: &[Feed]) -> Vec<(u64, String, u64)> {
        feeds
            .iter()
            .filter_map(|f| match f {
                Feed::Lines {
                    first_line,
                    data,
                    end,
                    ..
                } => Some((*first_line, String::from_utf8_lossy(data).to_string(), *end)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_tail_tells_a_file_that_grew_from_one_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.log");
        std::fs::write(&path, "first line\nsecond line\n").unwrap();
        let mut file = File::open(&path).unwrap();
        let mut tail = Tail::default();
        let mut text = Vec::new();
        file.read_to_end(&mut text).unwrap();
        for piece in text.chunks(5) {
            tail.push(piece);
        }
        assert_eq!(tail.bytes, text);
        let at = text.len() as u64;
        // Grown: the bytes before the offset are the same.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"third\n")
            .unwrap();
        assert!(tail.still_in(&mut file, at));
        assert_eq!(file.stream_position().unwrap(), at);
        // Truncated and written again past the offset: they are not.
        std::fs::write(&path, "another file, longer than the first one was\n").unwrap();
        assert!(!tail.still_in(&mut file, at));
        assert_eq!(file.stream_position().unwrap(), at);
        // Only the last bytes are kept.
        let mut long = Tail::default();
        long.push(&[b'x'; 100]);
        long.push(b"yz");
        assert_eq!(long.bytes.len(), Tail::KEEP);
        assert!(long.bytes.ends_with(b"xyz"));
    }

    #[test]
    fn only_whole_lines_are_sent_with_their_end_offsets() {
        let mut s = LineSplitter::new(0, 0, 1, 100);
        let mut out = Vec::new();
        s.push(b"a\nb", &mut out);
        s.push(b"b\ncc\n", &mut out);
        s.push(b"tail", &mut out);
        assert_eq!(
            feed_lines(&out),
            [(1, "a\n".to_string(), 2), (2, "bb\ncc\n".to_string(), 8)]
        );
        s.finish(&mut out);
        assert_eq!(feed_lines(&out)[2], (4, "tail".to_string(), 12));
    }

    #[test]
    fn a_long_line_is_skipped_and_offsets_stay_right() {
        let mut s = LineSplitter::new(0, 0, 1, 4);
        let mut out = Vec::new();
        s.push(b"abcdefgh", &mut out);
        s.push(b"ij\nok\n", &mut out);
        assert!(matches!(out[0], Feed::TooLong { line: 1, .. }));
        assert_eq!(feed_lines(&out), [(2, "ok\n".to_string(), 14)]);
    }
}
