//! EVTX files, parsed with the `evtx` crate: the file is cut into its 64 KiB chunks (each is
//! self-contained: its own string and template tables), chunks are decoded on worker threads,
//! and each record is rendered and read like `evtx_dump`'s JSON. A corrupt chunk or record is
//! reported with its position and skipped; the rest of the file is still read.

use std::io::{self, Read};
use std::sync::{Arc, LazyLock};

use evtx::{EvtxChunkData, EvtxFileHeader, ParserSettings};

use crate::event::Event;
use crate::source::json;
use crate::source::open::read_full;
use crate::source::reject::{Position, Reject};

/// The size of an EVTX file header.
pub const HEADER_BYTES: usize = 4096;
/// The size of an EVTX chunk.
pub const CHUNK_BYTES: usize = 65536;
/// The magic bytes an EVTX file starts with.
pub const FILE_MAGIC: &[u8; 8] = b"ElfFile\0";

/// What the chunk reader yields.
#[derive(Debug)]
pub enum Piece {
    Chunk { number: u64, data: Vec<u8> },
    Broken { position: Position, reject: Reject },
}

/// Reads an EVTX stream chunk by chunk.
pub struct EvtxChunks<R> {
    reader: R,
    started: bool,
    next: u64,
    declared_chunks: u64,
    done: bool,
}

impl<R: Read> EvtxChunks<R> {
    pub fn new(reader: R) -> EvtxChunks<R> {
        EvtxChunks {
            reader,
            started: false,
            next: 0,
            declared_chunks: 0,
            done: false,
        }
    }

    /// The chunk to be read next.
    pub fn chunk(&self) -> u64 {
        self.next
    }

    /// The next chunk, or `None` at the end of the file.
    pub fn next_piece(&mut self) -> io::Result<Option<Piece>> {
        if self.done {
            return Ok(None);
        }
        if !self.started {
            self.started = true;
            let mut header = vec![0; HEADER_BYTES];
            let got = read_full(&mut self.reader, &mut header)?;
            match EvtxFileHeader::from_bytes(&header[..got]) {
                Ok(h) if got == HEADER_BYTES => self.declared_chunks = u64::from(h.chunk_count),
                Ok(_) => {
                    self.done = true;
                    return Ok(Some(broken(
                        Position::Offset(0),
                        "EVTX file header cut short",
                    )));
                }
                Err(e) => {
                    self.done = true;
                    return Ok(Some(broken(
                        Position::Offset(0),
                        &format!("bad EVTX file header: {e}"),
                    )));
                }
            }
        }
        loop {
            let number = self.next;
            let mut data = vec![0; CHUNK_BYTES];
            let got = read_full(&mut self.reader, &mut data)?;
            if got == 0 {
                self.done = true;
                return Ok(None);
            }
            self.next += 1;
            if got < CHUNK_BYTES {
                self.done = true;
                if number >= self.declared_chunks && data[..got].iter().all(|b| *b == 0) {
                    return Ok(None);
                }
                return Ok(Some(broken(
                    Position::Chunk(number),
                    &format!(
                        "chunk cut short ({got} of {CHUNK_BYTES} bytes): the file is truncated"
                    ),
                )));
            }
            // Preallocated space: chunks never written.
            if data.iter().all(|b| *b == 0) {
                continue;
            }
            if !data.starts_with(b"ElfChnk\0") {
                if number >= self.declared_chunks {
                    // Past the chunks the header counts: stale or unused space.
                    continue;
                }
                return Ok(Some(broken(
                    Position::Chunk(number),
                    "bad chunk magic: not an EVTX chunk",
                )));
            }
            return Ok(Some(Piece::Chunk { number, data }));
        }
    }
}

fn broken(position: Position, why: &str) -> Piece {
    Piece::Broken {
        position,
        reject: Reject::Syntax(why.to_string()),
    }
}

static SETTINGS: LazyLock<Arc<ParserSettings>> = LazyLock::new(|| {
    Arc::new(
        ParserSettings::new()
            .num_threads(1)
            .indent(false)
            .separate_json_attributes(false),
    )
});

/// Decodes every record of one chunk, calling `on_event` for each normalized event and
/// `on_reject` for each record or chunk problem.
pub fn decode_chunk(
    number: u64,
    data: Vec<u8>,
    mut on_event: impl FnMut(&Event<'_>),
    mut on_reject: impl FnMut(Position, Reject),
) {
    let mut chunk_data = match EvtxChunkData::new(data, false) {
        Ok(chunk) => chunk,
        Err(e) => {
            return on_reject(
                Position::Chunk(number),
                Reject::Syntax(format!("bad chunk: {e}")),
            );
        }
    };
    if !chunk_data.validate_checksum() {
        on_reject(
            Position::Chunk(number),
            Reject::Syntax("chunk checksum mismatch (its records are read anyway)".to_string()),
        );
    }
    let mut chunk = match chunk_data.parse(Arc::clone(&SETTINGS)) {
        Ok(chunk) => chunk,
        Err(e) => {
            return on_reject(
                Position::Chunk(number),
                Reject::Syntax(format!("bad chunk: {e}")),
            );
        }
    };
    for record in chunk.iter() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                on_reject(
                    Position::Chunk(number),
                    Reject::Syntax(format!("bad record: {e}")),
                );
                continue;
            }
        };
        let id = record.event_record_id;
        let position = Position::Record {
            chunk: number,
            record: id,
        };
        match record.into_json_bytes() {
            Ok(rendered) => match json::decode(&rendered.data) {
                Ok(event) => on_event(&event),
                Err(reject) => on_reject(position, reject),
            },
            Err(e) => on_reject(
                position,
                Reject::Syntax(format!("record cannot be rendered: {e}")),
            ),
        }
    }
}
