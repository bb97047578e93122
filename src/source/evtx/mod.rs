//! EVTX files, parsed with the `evtx` crate: the file is cut into its 64 KiB chunks (each is
//! self-contained: its own string and template tables), chunks are decoded on worker threads,
//! and each record is rendered and read like `evtx_dump`'s JSON. A corrupt chunk or record is
//! reported with its position and skipped; the rest of the file is still read.

use std::io::{self, Read};
use std::sync::LazyLock;

use evtx::{EvtxFileHeader, EvtxParser, ParserSettings, RenderedChunkItem};

use crate::event::Event;
use crate::source::json;

pub mod binxml;
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
    /// A chunk, as a one-chunk EVTX file: the file's header, then the chunk.
    Chunk {
        number: u64,
        file: Vec<u8>,
    },
    Broken {
        position: Position,
        reject: Reject,
    },
}

/// Reads an EVTX stream chunk by chunk.
pub struct EvtxChunks<R> {
    reader: R,
    header: Vec<u8>,
    started: bool,
    next: u64,
    declared_chunks: u64,
    done: bool,
}

impl<R: Read> EvtxChunks<R> {
    pub fn new(reader: R) -> EvtxChunks<R> {
        EvtxChunks {
            reader,
            header: Vec::new(),
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
                Ok(h) if got == HEADER_BYTES => {
                    self.declared_chunks = u64::from(h.chunk_count);
                    self.header = header;
                }
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
            let mut file = Vec::with_capacity(HEADER_BYTES + CHUNK_BYTES);
            file.extend_from_slice(&self.header);
            file.resize(HEADER_BYTES + CHUNK_BYTES, 0);
            let got = read_full(&mut self.reader, &mut file[HEADER_BYTES..])?;
            let data = &file[HEADER_BYTES..];
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
            return Ok(Some(Piece::Chunk { number, file }));
        }
    }
}

fn broken(position: Position, why: &str) -> Piece {
    Piece::Broken {
        position,
        reject: Reject::Syntax(why.to_string()),
    }
}

static SETTINGS: LazyLock<ParserSettings> = LazyLock::new(|| {
    ParserSettings::new()
        .num_threads(1)
        .indent(false)
        .separate_json_attributes(false)
});

/// Decodes every record of one chunk (given as a one-chunk file), calling `on_event` for
/// each normalized event and `on_reject` for each record or chunk problem.
///
/// The fast path ([`binxml`]) reads the records straight from their template values; a
/// chunk it does not fully understand is rendered by the `evtx` crate instead
/// ([`decode_chunk_rendered`]). Checksums are not verified (as `evtx_dump` does not): a chunk
/// is read for what its records hold.
pub fn decode_chunk(
    number: u64,
    file: Vec<u8>,
    mut on_event: impl FnMut(&Event<'_>),
    on_reject: impl FnMut(Position, Reject),
) {
    if let Some(chunk) = file.get(HEADER_BYTES..)
        && let Some(reads) = binxml::read_chunk(chunk)
    {
        for read in reads {
            match read {
                binxml::Read::Counted(event) | binxml::Read::Event(event) => on_event(&event),
            }
        }
        return;
    }
    decode_chunk_rendered(number, file, on_event, on_reject);
}

/// [`decode_chunk`] through the `evtx` crate's chunk renderer only: records are rendered to
/// JSON (as `evtx_dump` does), a record that is not Sysmon EID 1 or 11 is told apart from the
/// first fields of its rendering, and the others are decoded like `evtx_dump` output.
pub fn decode_chunk_rendered(
    number: u64,
    file: Vec<u8>,
    mut on_event: impl FnMut(&Event<'_>),
    mut on_reject: impl FnMut(Position, Reject),
) {
    let mut parser = match EvtxParser::from_buffer(file) {
        Ok(parser) => parser.with_configuration(SETTINGS.clone()),
        Err(e) => {
            return on_reject(
                Position::Chunk(number),
                Reject::Syntax(format!("bad chunk: {e}")),
            );
        }
    };
    for rendered in parser.chunks_json_bytes(false) {
        let mut start = 0;
        for item in &rendered.items {
            match item {
                RenderedChunkItem::Record {
                    event_record_id,
                    end,
                } => {
                    let record = &rendered.data[start..end.saturating_sub(1)];
                    start = *end;
                    let position = Position::Record {
                        chunk: number,
                        record: *event_record_id,
                    };
                    match classify(record) {
                        Some(event) => on_event(&event),
                        None => match json::decode(record) {
                            Ok(event) => on_event(&event),
                            Err(reject) => on_reject(position, reject),
                        },
                    }
                }
                RenderedChunkItem::Failed(e) => on_reject(
                    Position::Chunk(number),
                    Reject::Syntax(format!("bad record: {e}")),
                ),
            }
        }
    }
}

/// The event a rendered record is, when its first fields show that the rule does not need it
/// (not Sysmon, or not EID 1 or 11); `None` when it must be decoded in full.
fn classify(record: &[u8]) -> Option<Event<'static>> {
    let event_id = rendered_event_id(record)?;
    let provider = string_after(record, br##""Provider":{"#attributes":{"Name":""##)?;
    let sysmon = provider.eq_ignore_ascii_case(crate::source::sysmon::PROVIDER.as_bytes());
    if provider.is_empty() {
        return None;
    }
    if !sysmon {
        return Some(Event::NotSysmon { event_id });
    }
    if event_id == crate::event::PROCESS_CREATE || event_id == crate::event::FILE_CREATE {
        return None;
    }
    Some(Event::Other { event_id })
}

/// `System.EventID`, written as `N` or `{"#attributes":{...},"#text":N}`.
fn rendered_event_id(record: &[u8]) -> Option<u32> {
    let at = memchr::memmem::find(record, br#""EventID":"#)? + 10;
    let rest = &record[at..];
    let digits = if rest.first() == Some(&b'{') {
        let text = memchr::memmem::find(rest, br##""#text":"##)? + 8;
        &rest[text..]
    } else {
        rest
    };
    let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&digits[..len]).ok()?.parse().ok()
}

/// The JSON string that follows `key`, when it has no escapes.
fn string_after<'r>(record: &'r [u8], key: &[u8]) -> Option<&'r [u8]> {
    let at = memchr::memmem::find(record, key)? + key.len();
    let rest = &record[at..];
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    (rest[end] == b'"').then_some(&rest[..end])
}
