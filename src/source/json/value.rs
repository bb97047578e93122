//! Field values as shippers write them: ids as numbers or decimal strings, strings that may
//! be null, and nested JSON held in a string.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::event::Pid;

/// An id field (a process id or an event id): a JSON number or a decimal string; anything
/// else is kept as [`Pid::Invalid`] rather than failing the whole record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JsonId(pub Pid);

impl JsonId {
    /// The id as an event id, when it is one.
    pub fn event_id(self) -> Option<u32> {
        self.0.get().and_then(|id| u32::try_from(id).ok())
    }
}

impl<'de> de::Deserialize<'de> for JsonId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<JsonId, D::Error> {
        d.deserialize_any(IdVisitor).map(JsonId)
    }
}

struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = Pid;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an id")
    }

    fn visit_u64<E>(self, v: u64) -> Result<Pid, E> {
        Ok(Pid::Valid(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Pid, E> {
        Ok(u64::try_from(v).map_or(Pid::Invalid, Pid::Valid))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Pid, E> {
        Ok(Pid::Invalid)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Pid, E> {
        Ok(Pid::Invalid)
    }

    fn visit_str<E>(self, v: &str) -> Result<Pid, E> {
        Ok(Pid::parse(v))
    }

    fn visit_unit<E>(self) -> Result<Pid, E> {
        Ok(Pid::Missing)
    }

    fn visit_none<E>(self) -> Result<Pid, E> {
        Ok(Pid::Missing)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Pid, D::Error> {
        d.deserialize_any(IdVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Pid, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Pid::Invalid)
    }

    /// `{"#text": 1, ...}`: how some `evtx_dump` versions write an `EventID` with qualifiers.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pid, A::Error> {
        let mut found = Pid::Invalid;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "#text" {
                found = map.next_value::<JsonId>()?.0;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// A string field that may be null or absent (both read as `""`, as KQL has no null
/// strings). Numbers and booleans are taken as their text, as shippers sometimes write them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'a> Text<'a> {
    /// The text, or `""`.
    pub fn get(&self) -> &str {
        &self.0
    }

    /// The text, owned or borrowed.
    pub fn into_cow(self) -> Cow<'a, str> {
        self.0
    }
}

impl<'de: 'a, 'a> de::Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'a>, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v.to_string())))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v.to_string())))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v.to_string())))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v.to_string())))
    }

    fn visit_unit<E>(self) -> Result<Text<'de>, E> {
        Ok(Text::default())
    }

    fn visit_none<E>(self) -> Result<Text<'de>, E> {
        Ok(Text::default())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text<'de>, D::Error> {
        d.deserialize_any(TextVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Text<'de>, A::Error> {
        Err(de::Error::custom("expected a string, found an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Text<'de>, A::Error> {
        Err(de::Error::custom("expected a string, found an object"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(json: &str) -> Pid {
        serde_json::from_str::<JsonId>(json).unwrap().0
    }

    #[test]
    fn ids_are_numbers_or_decimal_strings() {
        assert_eq!(id("4242"), Pid::Valid(4242));
        assert_eq!(id("\"4242\""), Pid::Valid(4242));
        assert_eq!(id("null"), Pid::Missing);
        assert_eq!(
            id(r##"{"#text": 1, "#attributes": {"Qualifiers": ""}}"##),
            Pid::Valid(1)
        );
        for bad in [
            "-1",
            "1.5",
            "1e3",
            "\"12a\"",
            "true",
            "[1]",
            "18446744073709551616",
            "{}",
        ] {
            assert_eq!(id(bad), Pid::Invalid, "{bad}");
        }
    }

    #[test]
    fn text_borrows_when_it_can_and_reads_null_as_empty() {
        let plain: Text = serde_json::from_str(r#""C:\\x""#).unwrap();
        assert!(
            matches!(plain.0, Cow::Owned(_)),
            "escapes need an owned copy"
        );
        let json = String::from(r#""abc""#);
        let borrowed: Text = serde_json::from_str(&json).unwrap();
        assert!(matches!(borrowed.0, Cow::Borrowed("abc")));
        assert_eq!(serde_json::from_str::<Text>("null").unwrap().get(), "");
        assert_eq!(serde_json::from_str::<Text>("12").unwrap().get(), "12");
        assert!(serde_json::from_str::<Text>("{}").is_err());
    }
}
