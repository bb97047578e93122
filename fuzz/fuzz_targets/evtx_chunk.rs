//! One EVTX chunk through the reader foothold uses (the `evtx` crate's parser and renderer,
//! then foothold's decoding): never panics, whatever the chunk holds.
#![no_main]

use foothold::source::evtx::{CHUNK_BYTES, HEADER_BYTES, decode_chunk};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A minimal file header, then the fuzzed chunk (padded or cut to a chunk's size).
    let mut file = vec![0u8; HEADER_BYTES];
    file[..8].copy_from_slice(b"ElfFile\0");
    file[32..36].copy_from_slice(&128u32.to_le_bytes());
    file[36..38].copy_from_slice(&1u16.to_le_bytes());
    file[38..40].copy_from_slice(&3u16.to_le_bytes());
    file[40..42].copy_from_slice(&4096u16.to_le_bytes());
    file[42..44].copy_from_slice(&1u16.to_le_bytes());
    let mut chunk = data.to_vec();
    chunk.resize(CHUNK_BYTES, 0);
    file.extend_from_slice(&chunk);
    decode_chunk(0, file, |_| {}, |_, _| {});
});
