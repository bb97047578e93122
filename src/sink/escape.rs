//! Escaping of attacker-controlled text for the place it is written to: terminals (no control
//! sequences) and spreadsheets (no formulas).

use std::borrow::Cow;
use std::fmt::Write;

/// Whether a character must not reach a terminal raw: C0 and C1 controls, DEL, and the
/// Unicode controls that reorder or hide text (bidi overrides and isolates, zero-width marks).
fn is_unsafe_for_terminal(c: char) -> bool {
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
    fn spreadsheet_formulas_are_neutralized() {
        for cell in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(for_spreadsheet(cell), format!("'{cell}"));
        }
        assert_eq!(for_spreadsheet("c:\\x=1"), "c:\\x=1");
        assert_eq!(for_spreadsheet(""), "");
    }
}
