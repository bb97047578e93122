//! Event time: KQL's `datetime` (100-nanosecond ticks, UTC), parsed from the shapes Sysmon
//! and its shippers write, printed as RFC 3339 with seven fractional digits.

use std::fmt;
use std::str::FromStr;

use jiff::civil::DateTime;
use jiff::fmt::temporal::DateTimePrinter;
use jiff::tz::TimeZone;

/// Ticks of 100 ns in one second.
const TICKS_PER_SECOND: i64 = 10_000_000;

/// A point in time as KQL holds it: 100 ns ticks since 1970-01-01T00:00:00Z.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct EventTime(i64);

/// A length of time in 100 ns ticks (KQL's `timespan`), never negative.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Span(i64);

/// Why a timestamp could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable timestamp {shown:?}: {why}")]
pub struct TimeError {
    shown: String,
    why: String,
}

impl EventTime {
    /// The time `ticks` 100 ns ticks after the Unix epoch.
    pub const fn from_ticks(ticks: i64) -> EventTime {
        EventTime(ticks)
    }

    /// 100 ns ticks since the Unix epoch.
    pub const fn ticks(self) -> i64 {
        self.0
    }

    /// Reads RFC 3339 with any offset (`2024-05-01T10:00:00.1234567+02:00`) or Sysmon's
    /// zone-less UTC form (`2024-05-01 10:00:00.123`). Digits past the seventh fractional
    /// one are truncated, as KQL's tick precision does.
    pub fn parse(text: &str) -> Result<EventTime, TimeError> {
        let trimmed = text.trim();
        let err = |why: String| TimeError {
            shown: shorten(text),
            why,
        };
        if trimmed.is_empty() {
            return Err(err("empty".to_string()));
        }
        let nanos = if has_offset(trimmed) {
            jiff::Timestamp::from_str(trimmed)
                .map_err(|e| err(e.to_string()))?
                .as_nanosecond()
        } else {
            let civil = DateTime::from_str(trimmed).map_err(|e| err(e.to_string()))?;
            TimeZone::UTC
                .to_timestamp(civil)
                .map_err(|e| err(e.to_string()))?
                .as_nanosecond()
        };
        // jiff's range (years -9999..=9999) keeps this well inside i64 ticks.
        let ticks = i64::try_from(nanos.div_euclid(100)).map_err(|e| err(e.to_string()))?;
        Ok(EventTime(ticks))
    }

    /// `bin(self, width)`: rounds down to a whole multiple of `width` since the epoch.
    pub fn floor_to(self, width: Span) -> EventTime {
        EventTime(self.0 - self.0.rem_euclid(width.0))
    }

    /// `self + span`, saturating at the ends of the range.
    pub fn saturating_add(self, span: Span) -> EventTime {
        EventTime(self.0.saturating_add(span.0))
    }

    /// `self - span`, saturating at the ends of the range.
    pub fn saturating_sub(self, span: Span) -> EventTime {
        EventTime(self.0.saturating_sub(span.0))
    }

    /// The latest representable time.
    pub const MAX: EventTime = EventTime(i64::MAX);

    fn to_jiff(self) -> Option<jiff::Timestamp> {
        let seconds = self.0.div_euclid(TICKS_PER_SECOND);
        let nanos = (self.0.rem_euclid(TICKS_PER_SECOND) * 100) as i32;
        jiff::Timestamp::new(seconds, nanos).ok()
    }
}

/// True when the text ends in an explicit zone: `Z` or `±HH[:MM]` after the time.
fn has_offset(text: &str) -> bool {
    let bytes = text.as_bytes();
    if matches!(bytes.last(), Some(b'Z' | b'z')) {
        return true;
    }
    // An offset sign can only appear after the time part, i.e. after position 10.
    bytes
        .iter()
        .skip(10)
        .any(|&b| b == b'+' || b == b'-' || b == b'[')
}

fn shorten(text: &str) -> String {
    const MAX: usize = 64;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

impl fmt::Display for EventTime {
    /// RFC 3339 in UTC with seven fractional digits, as KQL prints a `datetime`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_jiff() {
            Some(ts) => {
                let printer = DateTimePrinter::new().precision(Some(7));
                let mut out = String::with_capacity(28);
                printer
                    .print_timestamp(&ts, &mut out)
                    .map_err(|_| fmt::Error)?;
                f.write_str(&out)
            }
            None => write!(f, "ticks:{}", self.0),
        }
    }
}

impl serde::Serialize for EventTime {
    /// As its [`Display`](fmt::Display) text.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for EventTime {
    /// From its [`Display`](fmt::Display) text (exact: seven fractional digits are ticks).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        EventTime::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Span {
    /// A span of `ticks` 100 ns ticks; negative values are clamped to zero.
    pub const fn from_ticks(ticks: i64) -> Span {
        Span(if ticks < 0 { 0 } else { ticks })
    }

    /// A span of whole seconds.
    pub const fn from_secs(secs: i64) -> Span {
        Span::from_ticks(secs.saturating_mul(TICKS_PER_SECOND))
    }

    /// 100 ns ticks in the span.
    pub const fn ticks(self) -> i64 {
        self.0
    }

    /// Reads a KQL-style timespan literal: a decimal number and a unit
    /// (`d`, `h`, `m`, `s`, `ms`, `microsecond`/`us`, `tick`), e.g. `3m`, `10m`, `1.5h`.
    pub fn parse(text: &str) -> Result<Span, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let unit_ticks: f64 = match unit.trim() {
            "d" | "day" | "days" => 864_000_000_000.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 36_000_000_000.0,
            "m" | "min" | "minute" | "minutes" => 600_000_000.0,
            "s" | "sec" | "second" | "seconds" => 10_000_000.0,
            "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 10_000.0,
            "us" | "microsecond" | "microseconds" => 10.0,
            "tick" | "ticks" => 1.0,
            "" => {
                return Err(format!(
                    "{text:?} has no unit (write e.g. \"3m\" or \"10m\")"
                ));
            }
            other => return Err(format!("unknown time unit {other:?} in {text:?}")),
        };
        let value: f64 = number
            .parse()
            .map_err(|_| format!("{text:?} is not a number followed by a unit"))?;
        let ticks = (value * unit_ticks).round();
        if !(0.0..=(i64::MAX as f64 / 2.0)).contains(&ticks) {
            return Err(format!("{text:?} is out of range"));
        }
        Ok(Span(ticks as i64))
    }
}

impl fmt::Display for Span {
    /// The shortest exact KQL timespan literal: `3m`, `10m`, `90s`, `1500ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(i64, &str); 6] = [
            (864_000_000_000, "d"),
            (36_000_000_000, "h"),
            (600_000_000, "m"),
            (10_000_000, "s"),
            (10_000, "ms"),
            (10, "us"),
        ];
        for (size, name) in UNITS {
            if self.0 != 0 && self.0 % size == 0 {
                return write!(f, "{}{}", self.0 / size, name);
            }
        }
        if self.0 == 0 {
            f.write_str("0s")
        } else {
            write!(f, "{}tick", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> EventTime {
        EventTime::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn rfc3339_offsets_are_converted_to_utc() {
        assert_eq!(t("2024-05-01T12:00:00+02:00"), t("2024-05-01T10:00:00Z"));
        assert_eq!(t("2024-05-01T05:30:00-04:30"), t("2024-05-01T10:00:00Z"));
        assert_eq!(t("2024-05-01t10:00:00z"), t("2024-05-01T10:00:00Z"));
    }

    #[test]
    fn seven_fractional_digits_are_kept_exactly() {
        let a = t("2024-05-01T10:00:00.1234567Z");
        let b = t("2024-05-01T10:00:00.1234566Z");
        assert_eq!(a.ticks() - b.ticks(), 1);
        assert_eq!(a.to_string(), "2024-05-01T10:00:00.1234567Z");
    }

    #[test]
    fn extra_fractional_digits_are_truncated_to_ticks() {
        assert_eq!(
            t("2024-05-01T10:00:00.123456789Z"),
            t("2024-05-01T10:00:00.1234567Z")
        );
    }

    #[test]
    fn sysmon_form_is_utc() {
        assert_eq!(t("2024-05-01 10:00:00.123"), t("2024-05-01T10:00:00.123Z"));
        assert_eq!(t("2024-05-01 10:00:00"), t("2024-05-01T10:00:00Z"));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in [
            "",
            "yesterday",
            "2024-13-01T00:00:00Z",
            "2024-02-30 00:00:00",
            "99999-01-01T00:00:00Z",
            "2024-05-01T10:00:00+99:00",
        ] {
            assert!(EventTime::parse(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn display_uses_seven_digits_and_z() {
        assert_eq!(
            t("2024-05-01 10:00:00").to_string(),
            "2024-05-01T10:00:00.0000000Z"
        );
        assert_eq!(
            t("1969-12-31T23:59:59.9999999Z").to_string(),
            "1969-12-31T23:59:59.9999999Z"
        );
    }

    #[test]
    fn bin_floors_including_before_the_epoch() {
        let ten = Span::parse("10m").unwrap();
        assert_eq!(
            t("2024-05-01T10:19:59.9999999Z").floor_to(ten),
            t("2024-05-01T10:10:00Z")
        );
        assert_eq!(
            t("2024-05-01T10:20:00Z").floor_to(ten),
            t("2024-05-01T10:20:00Z")
        );
        assert_eq!(
            t("1969-12-31T23:55:00Z").floor_to(ten),
            t("1969-12-31T23:50:00Z")
        );
    }

    #[test]
    fn spans_parse_and_print() {
        assert_eq!(Span::parse("3m").unwrap().ticks(), 1_800_000_000);
        assert_eq!(Span::parse("10m").unwrap().to_string(), "10m");
        assert_eq!(Span::parse("90s").unwrap().to_string(), "90s");
        assert_eq!(Span::parse("1.5h").unwrap().to_string(), "90m");
        assert!(Span::parse("3").is_err());
        assert!(Span::parse("3 fortnights").is_err());
        assert!(Span::parse("-3m").is_err());
    }
}
