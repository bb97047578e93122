//! The record scanners of JSON documents and XML: never panic, and every mark lies inside
//! its block.
#![no_main]

use foothold::source::framing::{FramedBlocks, JsonScanner, Mark, Scanner, XmlScanner};
use libfuzzer_sys::fuzz_target;

fn check<S: Scanner>(data: &[u8], scanner: S, block: usize, max: usize) {
    let mut blocks = FramedBlocks::new(data, scanner, block, max);
    while let Ok(Some(b)) = blocks.next_block() {
        for mark in &b.marks {
            if let Mark::Record { bytes, .. } = mark {
                assert!(bytes.start <= bytes.end && bytes.end <= b.data.len());
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&knob, data)) = data.split_first() else { return };
    let block = 1 + usize::from(knob & 0x3f) * 17;
    let max = 64 + usize::from(knob >> 6) * 1000;
    check(data, JsonScanner::default(), block, max);
    check(data, XmlScanner::default(), block, max);
});
