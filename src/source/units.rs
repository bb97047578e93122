//! Cuts the inputs into units of work, in input order: blocks of lines, blocks of framed
//! records, EVTX chunks. Workers decode units in parallel while every record keeps its place.

use std::io::Read;
use std::sync::Arc;

use super::detect::{Framing, InputFormat, detect};
use super::evtx::{self, EvtxChunks};
use super::framing::{FramedBlock, FramedBlocks, JsonScanner, XmlScanner};
use super::lines::{Block, LineBlocks, Piece};
use super::open::{ByteCounter, Opened, Stream, ZipMembers, open};
use super::{Input, Position, Problem, Reject};

/// How the records of a framed block are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordSyntax {
    Json,
    Xml,
}

/// One unit of work.
#[derive(Debug)]
pub enum Unit {
    /// Whole lines of NDJSON.
    Lines { input: Arc<str>, block: Block },
    /// Whole records of a JSON or XML document.
    Framed {
        input: Arc<str>,
        syntax: RecordSyntax,
        block: FramedBlock,
    },
    /// One EVTX chunk.
    EvtxChunk {
        input: Arc<str>,
        number: u64,
        /// The chunk as a one-chunk file: the file's header, then the chunk.
        file: Vec<u8>,
    },
    /// A problem found while reading, before any record could be decoded.
    Rejected(Problem),
    /// A file found under a directory that holds no event format at all, skipped.
    Skipped,
}

impl Unit {
    /// Bytes of input the unit covers.
    pub fn bytes(&self) -> usize {
        match self {
            Unit::Lines { block, .. } => block.data.len(),
            Unit::Framed { block, .. } => block.data.len(),
            Unit::EvtxChunk { file, .. } => file.len(),
            Unit::Rejected(_) | Unit::Skipped => 0,
        }
    }
}

/// Limits of the reader.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// About how many bytes a unit of lines or records holds.
    pub block_bytes: usize,
    /// The longest record accepted; longer ones are skipped and reported.
    pub max_record_bytes: usize,
}

impl Default for ReadLimits {
    fn default() -> ReadLimits {
        ReadLimits {
            block_bytes: 128 << 10,
            max_record_bytes: 64 << 20,
        }
    }
}

type Reader = Box<dyn Read + Send>;

/// The stream being cut.
enum Cutter {
    Lines(LineBlocks<Reader>),
    Json(FramedBlocks<Reader, JsonScanner>),
    Xml(FramedBlocks<Reader, XmlScanner>),
    Evtx(EvtxChunks<Reader>),
}

impl Cutter {
    /// Where in the stream the cutter is, for a read error.
    fn position(&self) -> Position {
        match self {
            Cutter::Lines(lines) => Position::Line(lines.line()),
            Cutter::Json(framed) => Position::Line(framed.line()),
            Cutter::Xml(framed) => Position::Line(framed.line()),
            Cutter::Evtx(chunks) => Position::Chunk(chunks.chunk()),
        }
    }
}

/// Yields the units of a list of inputs, one input after the other.
pub struct Units {
    inputs: std::vec::IntoIter<Input>,
    members: Option<ZipMembers>,
    current: Option<(Arc<str>, Cutter)>,
    limits: ReadLimits,
    format: InputFormat,
    counter: ByteCounter,
    /// Whether the input being read was found under a directory (see [`Input::Found`]).
    found: bool,
    /// Streams opened so far (files, stdin, archive members).
    pub streams: u64,
}

impl Units {
    /// Units of `inputs`, read in order, in `format` (or each detected).
    pub fn new(inputs: Vec<Input>, format: InputFormat, limits: ReadLimits) -> Units {
        Units {
            inputs: inputs.into_iter(),
            members: None,
            current: None,
            limits,
            format,
            counter: ByteCounter::default(),
            found: false,
            streams: 0,
        }
    }

    /// Counts the bytes read from the inputs' files (compressed, for compressed ones).
    pub fn counter(&self) -> ByteCounter {
        self.counter.clone()
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
            if let Some((name, cutter)) = &mut self.current {
                let name = Arc::clone(name);
                match cut(cutter, &name, self.limits) {
                    Ok(Some(unit)) => return Some(unit),
                    Ok(None) => self.current = None,
                    Err(e) => {
                        let position = cutter.position();
                        self.current = None;
                        return Some(rejected(name, position, Reject::Unreadable(e.to_string())));
                    }
                }
                continue;
            }
            if let Some(members) = &mut self.members {
                match members.next_member() {
                    Some((_, Ok(stream))) => {
                        if let Some(unit) = self.start(stream) {
                            return Some(unit);
                        }
                    }
                    // A damaged member is damaged content, not an unreadable input.
                    Some((name, Err(e))) => {
                        return Some(rejected(
                            name,
                            Position::Offset(0),
                            Reject::Syntax(e.to_string()),
                        ));
                    }
                    None => self.members = None,
                }
                continue;
            }
            let input = self.inputs.next()?;
            self.found = matches!(input, Input::Found(_));
            match open(&input, &self.counter) {
                Ok(Opened::Stream(stream)) => {
                    if let Some(unit) = self.start(stream) {
                        return Some(unit);
                    }
                }
                Ok(Opened::Zip(members)) => self.members = Some(members),
                // The file opened, but its content is not what its first bytes promised.
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    return Some(rejected(
                        input.name(),
                        Position::Offset(0),
                        Reject::Syntax(e.to_string()),
                    ));
                }
                Err(e) => {
                    return Some(rejected(
                        input.name(),
                        Position::Input,
                        Reject::Unreadable(e.to_string()),
                    ));
                }
            }
        }
    }

    /// Starts cutting a stream; a stream of no known format is rejected whole.
    fn start(&mut self, stream: Stream) -> Option<Unit> {
        self.streams += 1;
        let limits = self.limits;
        let cutter = match detect(&stream.head, self.format) {
            Framing::Evtx => Cutter::Evtx(EvtxChunks::new(stream.reader)),
            Framing::JsonLines => Cutter::Lines(LineBlocks::new(
                stream.reader,
                limits.block_bytes,
                limits.max_record_bytes,
            )),
            Framing::JsonDocument => Cutter::Json(FramedBlocks::new(
                stream.reader,
                JsonScanner::default(),
                limits.block_bytes,
                limits.max_record_bytes,
            )),
            Framing::Xml => Cutter::Xml(FramedBlocks::new(
                stream.reader,
                XmlScanner::default(),
                limits.block_bytes,
                limits.max_record_bytes,
            )),
            Framing::Unknown if stream.head.is_empty() => return None,
            Framing::Unknown if self.found => {
                return Some(Unit::Skipped);
            }
            Framing::Unknown => {
                return Some(rejected(
                    stream.name,
                    Position::Input,
                    Reject::UnknownLayout(
                        "not EVTX, event XML or JSON (force a format with --input-format)"
                            .to_string(),
                    ),
                ));
            }
        };
        self.current = Some((stream.name, cutter));
        None
    }
}

fn rejected(input: Arc<str>, position: Position, reject: Reject) -> Unit {
    Unit::Rejected(Problem {
        input,
        position,
        reject,
    })
}

/// The next unit of a stream.
fn cut(cutter: &mut Cutter, name: &Arc<str>, limits: ReadLimits) -> std::io::Result<Option<Unit>> {
    let input = Arc::clone(name);
    Ok(match cutter {
        Cutter::Lines(lines) => lines.next_piece()?.map(|piece| match piece {
            Piece::Lines(block) => Unit::Lines { input, block },
            Piece::TooLong { line, .. } => rejected(
                input,
                Position::Line(line),
                Reject::TooLong {
                    limit: limits.max_record_bytes,
                },
            ),
        }),
        Cutter::Json(framed) => framed.next_block()?.map(|block| Unit::Framed {
            input,
            syntax: RecordSyntax::Json,
            block,
        }),
        Cutter::Xml(framed) => framed.next_block()?.map(|block| Unit::Framed {
            input,
            syntax: RecordSyntax::Xml,
            block,
        }),
        Cutter::Evtx(chunks) => chunks.next_piece()?.map(|piece| match piece {
            evtx::Piece::Chunk { number, file } => Unit::EvtxChunk {
                input,
                number,
                file,
            },
            evtx::Piece::Broken { position, reject } => rejected(input, position, reject),
        }),
    })
}
