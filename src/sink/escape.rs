//! Escaping of attacker-controlled text for the place it is written to: terminals (no control
//! sequences) and spreadsheets (no formulas).

use std::borrow::Cow;
use std::fmt::Write;

/// Whether a character must not reach a terminal raw: C0 and C1 controls, DEL, and the
/// Unicode controls that reorder or hide text (bidi overrides and isolates, zero-width marks).
pub fn is_unsafe_for_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// A JSON formatter that also writes the characters unsafe for a terminal (C1 controls, DEL,
/// bidi and zero-width controls) as `\uXXXX` escapes: the JSON means the same, and printing
/// it on a terminal sends no control sequence.
#[derive(Debug, Clone, Copy, Default)]
pub struct TerminalSafeJson;

impl serde_json::ser::Formatter for TerminalSafeJson {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_unsafe_for_terminal(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// Serializes `value` as one line of terminal-safe JSON.
pub fn to_json_line(value: &impl serde::Serialize, out: &mut Vec<u8>) -> serde_json::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, TerminalSafeJson);
    value.serialize(&mut serializer)
}

/// The text with every character unsafe for a terminal written as a visible escape
/// (`\x1b`, `\r`, `\u{202e}`); borrowed when nothing needed escaping.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_for_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 && is_unsafe_for_terminal(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe_for_terminal(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A CSV cell that a spreadsheet would take as a formula (starting with `=`, `+`, `-`, `@`,
/// tab or carriage return) prefixed with `'`, as OWASP's CSV-injection advice says.
pub fn for_spreadsheet(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_control_sequences_visibly() {
        assert_eq!(for_terminal("plain é"), "plain é");
        assert_eq!(for_terminal("a\x1b[31mred\x07"), "a\\x1b[31mred\\x07");
        assert_eq!(for_terminal("x\r\ny\tz"), "x\\r\\ny\\tz");
        assert_eq!(for_terminal("\u{9b}31m"), "\\x9b31m");
        assert_eq!(for_terminal("\u{7f}"), "\\x7f");
        assert_eq!(for_terminal("evil\u{202e}fdp.exe"), "evil\\u{202e}fdp.exe");
    }

    #[test]
    fn json_escapes_what_a_terminal_would_run_and_means_the_same() {
        let value = serde_json::json!({"a": "x\u{1b}[2J\u{9b}1m\u{202e}y\u{7f}é"});
        let mut out = Vec::new();
        to_json_line(&value, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, r#"{"a":"x\u001b[2J\u009b1m\u202ey\u007fé"}"#);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn spreadsheet_formulas_are_neutralized() {
        for cell in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(for_spreadsheet(cell), format!("'{cell}"));
        }
        assert_eq!(for_spreadsheet("c:\\x=1"), "c:\\x=1");
        assert_eq!(for_spreadsheet(""), "");
    }
}
