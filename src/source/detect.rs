//! Format detection: what a stream holds, from its first bytes (not its name), unless the
//! user says.

use super::evtx::FILE_MAGIC;

/// The record format of an input, as the user may force it (`--input-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputFormat {
    /// Decide from the content.
    #[default]
    Auto,
    Evtx,
    /// `<Event>` elements, one per line or wrapped in `<Events>`.
    Xml,
    /// JSON objects: one per line, in an array, or concatenated.
    Json,
    /// One JSON object per line, strictly.
    Ndjson,
}

/// How a stream is cut into records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Evtx,
    /// One JSON object per line.
    JsonLines,
    /// JSON objects concatenated or in an array, maybe pretty-printed.
    JsonDocument,
    Xml,
    /// None of the formats foothold reads.
    Unknown,
}

/// The framing of a stream that starts with `head`.
pub fn detect(head: &[u8], forced: InputFormat) -> Framing {
    match forced {
        InputFormat::Evtx => return Framing::Evtx,
        InputFormat::Xml => return Framing::Xml,
        InputFormat::Ndjson => return Framing::JsonLines,
        InputFormat::Json => return json_framing(head),
        InputFormat::Auto => {}
    }
    if head.starts_with(FILE_MAGIC) {
        return Framing::Evtx;
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[') => json_framing(text),
        Some(b'<') => Framing::Xml,
        // evtx_dump's JSON output puts a `Record N` line before each object.
        Some(b'R') if text.trim_ascii_start().starts_with(b"Record ") => Framing::JsonDocument,
        _ => Framing::Unknown,
    }
}

/// NDJSON when the first line is one whole JSON object; otherwise a document.
fn json_framing(head: &[u8]) -> Framing {
    let text = head.trim_ascii_start();
    if !text.starts_with(b"{") {
        return Framing::JsonDocument;
    }
    let Some(end) = memchr::memchr(b'\n', text) else {
        // The first line does not end within the bytes seen: frame it as a document, which
        // reads one-per-line input too.
        return Framing::JsonDocument;
    };
    match serde_json::from_slice::<serde::de::IgnoredAny>(&text[..end]) {
        Ok(_) => Framing::JsonLines,
        Err(_) => Framing::JsonDocument,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart_by_content() {
        let auto = |head: &[u8]| detect(head, InputFormat::Auto);
        assert_eq!(auto(b"ElfFile\0rest"), Framing::Evtx);
        assert_eq!(auto(b"{\"a\":1}\n{\"b\":2}\n"), Framing::JsonLines);
        assert_eq!(auto(b"\xEF\xBB\xBF  {\"a\":1}\n"), Framing::JsonLines);
        assert_eq!(auto(b"{\n  \"Event\": {}\n}\n"), Framing::JsonDocument);
        assert_eq!(auto(b"[{\"a\":1}]"), Framing::JsonDocument);
        assert_eq!(auto(b"Record 1\n{\n"), Framing::JsonDocument);
        assert_eq!(auto(b"<?xml version='1.0'?><Events>"), Framing::Xml);
        assert_eq!(auto(b"<Event xmlns='x'>"), Framing::Xml);
        assert_eq!(auto(b"\x00\x01binary"), Framing::Unknown);
        assert_eq!(auto(b""), Framing::Unknown);
    }

    #[test]
    fn a_forced_format_wins() {
        assert_eq!(detect(b"garbage", InputFormat::Evtx), Framing::Evtx);
        assert_eq!(detect(b"{\n", InputFormat::Ndjson), Framing::JsonLines);
        assert_eq!(
            detect(b"{\"a\":1}\n", InputFormat::Json),
            Framing::JsonLines
        );
    }
}
