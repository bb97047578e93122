//! Repairs of text that attackers or broken shippers mangle: invalid UTF-8 and lone UTF-16
//! surrogate escapes in JSON, each replaced by U+FFFD so that the record can be read and the
//! damage stays visible.

use std::borrow::Cow;

/// The JSON text with invalid UTF-8 and lone surrogate escapes (`\ud800` with no low half,
/// or a low half alone) replaced by U+FFFD; `None` when there is nothing to repair.
pub fn repair_json(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = String::from_utf8_lossy(bytes);
    let mut changed = matches!(text, Cow::Owned(_));
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        // An escape: `\\` stands for itself; `\uXXXX` may be a surrogate.
        if b.get(i + 1) == Some(&b'u')
            && let Some(unit) = hex4(b, i + 2)
        {
            let high = (0xD800..0xDC00).contains(&unit);
            let low = (0xDC00..0xE000).contains(&unit);
            let paired = high
                && b.get(i + 6) == Some(&b'\\')
                && b.get(i + 7) == Some(&b'u')
                && hex4(b, i + 8).is_some_and(|next| (0xDC00..0xE000).contains(&next));
            if paired {
                out.extend_from_slice(&b[i..i + 12]);
                i += 12;
            } else if high || low {
                out.extend_from_slice(b"\\ufffd");
                changed = true;
                i += 6;
            } else {
                out.extend_from_slice(&b[i..i + 6]);
                i += 6;
            }
            continue;
        }
        out.extend_from_slice(&b[i..(i + 2).min(b.len())]);
        i += 2;
    }
    changed.then_some(out)
}

fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let digits = b.get(at..at + 4)?;
    let text = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(text, 16).ok()
}

/// Text as UTF-8, invalid sequences replaced by U+FFFD.
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(json: &[u8]) -> Option<String> {
        repair_json(json).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn invalid_utf8_becomes_the_replacement_character() {
        assert_eq!(repaired(b"\"a\xffb\"").unwrap(), "\"a\u{fffd}b\"");
        assert_eq!(repaired(b"\"plain\""), None);
    }

    #[test]
    fn lone_surrogates_are_replaced_and_pairs_kept() {
        assert_eq!(repaired(br#""\ud800x""#).unwrap(), r#""\ufffdx""#);
        assert_eq!(repaired(br#""\udc00""#).unwrap(), r#""\ufffd""#);
        assert_eq!(repaired(br#""\ud83d\ude00""#), None);
        assert_eq!(
            repaired(br#""\\ud800""#),
            None,
            "an escaped backslash, then text"
        );
        assert_eq!(repaired(br#""\\\ud800""#).unwrap(), r#""\\\ufffd""#);
    }
}
