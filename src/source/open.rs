//! Opening inputs: files and stdin, decompressed on the fly (`.gz`, `.zst`) and unpacked
//! (`.zip`, every member), each recognized by its magic bytes rather than its name.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::{Receiver, bounded};

use super::Input;

/// A readable stream with the name used in messages and its first bytes, for detection.
pub struct Stream {
    pub name: Arc<str>,
    /// Up to [`PEEK_BYTES`] from the start (the reader yields them again).
    pub head: Vec<u8>,
    pub reader: Box<dyn Read + Send>,
}

/// How big the read buffers are: also how much of a stream's start is seen to detect it.
pub const PEEK_BYTES: usize = 256 * 1024;

/// What an input holds.
pub enum Opened {
    /// One stream.
    Stream(Stream),
    /// The members of a zip archive, each a stream of its own.
    Zip(ZipMembers),
}

/// Counts the bytes read from the files themselves (before decompression), for progress.
#[derive(Clone, Default)]
pub struct ByteCounter(Arc<AtomicU64>);

impl ByteCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct Counting<R> {
    inner: R,
    counter: ByteCounter,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Opens an input, unwrapping compression.
pub fn open(input: &Input, counter: &ByteCounter) -> io::Result<Opened> {
    let name = input.name();
    let raw: Box<dyn Read + Send> = match input {
        Input::Stdin => Box::new(Counting {
            inner: io::stdin(),
            counter: counter.clone(),
        }),
        Input::File(path) | Input::Found(path) => Box::new(Counting {
            inner: File::open(path)?,
            counter: counter.clone(),
        }),
        Input::Memory { bytes, .. } => Box::new(Counting {
            inner: Cursor::new(Arc::clone(bytes)),
            counter: counter.clone(),
        }),
    };
    let (head, reader) = peek_start(raw, PEEK_BYTES)?;
    if head.starts_with(ZIP_MAGIC) {
        return match input {
            Input::File(path) | Input::Found(path) => {
                // The archive is read through its central directory, which needs seeking:
                // open it again as a plain file (and count the bytes peeked only once).
                drop(reader);
                counter.0.fetch_sub(head.len() as u64, Ordering::Relaxed);
                let file = Counting {
                    inner: File::open(path)?,
                    counter: counter.clone(),
                };
                Ok(Opened::Zip(ZipMembers::start(name, SeekCounting(file))?))
            }
            Input::Memory { bytes, .. } => Ok(Opened::Zip(ZipMembers::start(
                name,
                Cursor::new(Arc::clone(bytes)),
            )?)),
            Input::Stdin => {
                let mut bytes = Vec::new();
                let mut reader = reader;
                reader.read_to_end(&mut bytes)?;
                Ok(Opened::Zip(ZipMembers::start(name, Cursor::new(bytes))?))
            }
        };
    }
    decompress(name, head, reader).map(Opened::Stream)
}

/// A stream with gzip or zstd compression unwrapped, once or nested.
pub fn decompress(
    name: Arc<str>,
    mut head: Vec<u8>,
    mut reader: Box<dyn Read + Send>,
) -> io::Result<Stream> {
    loop {
        let inner: Box<dyn Read + Send> = if head.starts_with(GZIP_MAGIC) {
            Box::new(flate2::read::MultiGzDecoder::new(reader))
        } else if head.starts_with(ZSTD_MAGIC) {
            Box::new(zstd::stream::read::Decoder::new(reader)?)
        } else {
            return Ok(Stream { name, head, reader });
        };
        (head, reader) = peek_start(inner, PEEK_BYTES)?;
    }
}

/// Reads up to `want` bytes from the start of `reader`; returns them, and a reader that
/// yields the whole stream again, those bytes first. A read error (a truncated compressed
/// stream) is kept for the reader to return after the bytes that came before it.
pub fn peek_start(
    mut reader: Box<dyn Read + Send>,
    want: usize,
) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = vec![0; want];
    let mut got = 0;
    let mut error = None;
    while got < head.len() {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    head.truncate(got);
    let rest: Box<dyn Read + Send> = match error {
        None => reader,
        // Nothing could be read at all: the content is not what its magic bytes promised.
        Some(e) if got == 0 => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("cannot be decompressed: {e}"),
            ));
        }
        Some(e) => Box::new(FailAfter(Some(e))),
    };
    Ok((head.clone(), Box::new(Cursor::new(head).chain(rest))))
}

/// A reader that fails once with the error it holds, then ends.
struct FailAfter(Option<io::Error>);

impl Read for FailAfter {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// Reads until `buf` is full or the stream ends; returns how much was read.
pub fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Seek for a counting file.
struct SeekCounting<R>(Counting<R>);

impl<R: Read> Read for SeekCounting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Seek> Seek for SeekCounting<R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.0.inner.seek(pos)
    }
}

/// What the unpacking thread sends.
enum Message {
    Member(String),
    Data(Vec<u8>),
    End,
    Failed(String),
}

/// The members of a zip archive, unpacked on a thread of their own and handed over as
/// streams, one after the other, through a bounded channel.
pub struct ZipMembers {
    archive: Arc<str>,
    rx: Receiver<Message>,
}

impl ZipMembers {
    fn start<R: Read + Seek + Send + 'static>(
        archive: Arc<str>,
        reader: R,
    ) -> io::Result<ZipMembers> {
        let mut zip = zip::ZipArchive::new(reader).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not a readable zip archive: {e}"),
            )
        })?;
        let (tx, rx) = bounded(8);
        std::thread::spawn(move || {
            for index in 0..zip.len() {
                let mut member = match zip.by_index(index) {
                    Ok(member) => member,
                    Err(e) => {
                        if tx.send(Message::Member(format!("#{index}"))).is_err()
                            || tx.send(Message::Failed(e.to_string())).is_err()
                        {
                            return;
                        }
                        continue;
                    }
                };
                if member.is_dir() {
                    continue;
                }
                let name = member
                    .name()
                    .map_or_else(|_| format!("#{index}"), |n| n.to_string());
                if tx.send(Message::Member(name)).is_err() {
                    return;
                }
                loop {
                    let mut block = vec![0; PEEK_BYTES];
                    match member.read(&mut block) {
                        Ok(0) => {
                            if tx.send(Message::End).is_err() {
                                return;
                            }
                            break;
                        }
                        Ok(n) => {
                            block.truncate(n);
                            if tx.send(Message::Data(block)).is_err() {
                                return;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            if tx.send(Message::Failed(e.to_string())).is_err() {
                                return;
                            }
                            break;
                        }
                    }
                }
            }
        });
        Ok(ZipMembers { archive, rx })
    }

    /// The next member as a stream (decompressed further if it is itself compressed), with
    /// its name, or `None` after the last one.
    pub fn next_member(&mut self) -> Option<(Arc<str>, io::Result<Stream>)> {
        loop {
            match self.rx.recv().ok()? {
                Message::Member(member) => {
                    let name: Arc<str> = Arc::from(format!("{}!{member}", self.archive));
                    let reader: Box<dyn Read + Send> = Box::new(MemberReader {
                        rx: self.rx.clone(),
                        block: Vec::new(),
                        at: 0,
                        done: false,
                    });
                    let stream = peek_start(reader, PEEK_BYTES)
                        .and_then(|(head, reader)| decompress(Arc::clone(&name), head, reader));
                    return Some((name, stream));
                }
                // The rest of a member its reader stopped short of.
                Message::Data(_) | Message::End | Message::Failed(_) => {}
            }
        }
    }
}

/// Reads one member's bytes from the channel.
struct MemberReader {
    rx: Receiver<Message>,
    block: Vec<u8>,
    at: usize,
    done: bool,
}

impl Read for MemberReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.block.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Message::Data(block)) => {
                    self.block = block;
                    self.at = 0;
                }
                Ok(Message::End) | Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
                Ok(Message::Failed(why)) => {
                    self.done = true;
                    return Err(io::Error::new(io::ErrorKind::InvalidData, why));
                }
                Ok(Message::Member(_)) => {
                    // Cannot happen: members are sent whole, one after the other.
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.block.len() - self.at);
        buf[..n].copy_from_slice(&self.block[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
