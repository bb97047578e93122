//! `make_set(x, N)` with a bounded, order-independent choice of members.
//!
//! KQL leaves open which members a capped set keeps. foothold keeps the `N` distinct values
//! seen earliest in event time (ties by value), so the sample is the same whatever order the
//! input arrives in, and it never holds more than `N` values however many it is offered.

use std::sync::Arc;

use crate::time::EventTime;

/// Up to `cap` distinct values, each with the earliest time it was offered at.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    cap: usize,
    /// Sorted by (time, value); at most `cap` long.
    items: Vec<(EventTime, Arc<str>)>,
}

impl Sample {
    /// An empty sample that keeps at most `cap` values (at least one).
    pub fn new(cap: usize) -> Sample {
        Sample {
            cap: cap.max(1),
            items: Vec::new(),
        }
    }

    /// Offers `value`, seen at `time`.
    pub fn offer(&mut self, time: EventTime, value: &Arc<str>) {
        if let Some(at) = self.items.iter().position(|(_, v)| **v == **value) {
            if time >= self.items[at].0 {
                return;
            }
            self.items.remove(at);
        } else if self.items.len() == self.cap {
            let worst = &self.items[self.cap - 1];
            if (time, &**value) >= (worst.0, &*worst.1) {
                return;
            }
            self.items.pop();
        }
        let at = self
            .items
            .partition_point(|(t, v)| (*t, &**v) < (time, &**value));
        self.items.insert(at, (time, Arc::clone(value)));
    }

    /// The values, earliest first.
    pub fn values(&self) -> Vec<String> {
        self.items.iter().map(|(_, v)| v.to_string()).collect()
    }

    /// How many values the sample holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the sample holds no value.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: i64) -> EventTime {
        EventTime::from_ticks(t)
    }

    fn offer_all(cap: usize, offers: &[(i64, &str)]) -> Vec<String> {
        let mut sample = Sample::new(cap);
        for (t, v) in offers {
            sample.offer(at(*t), &Arc::from(*v));
        }
        sample.values()
    }

    #[test]
    fn keeps_distinct_values_in_time_order() {
        assert_eq!(
            offer_all(5, &[(3, "c"), (1, "a"), (2, "b"), (4, "a")]),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn an_empty_string_is_a_value_like_any_other() {
        assert_eq!(offer_all(5, &[(1, ""), (2, "exe"), (3, "")]), ["", "exe"]);
    }

    #[test]
    fn capped_sample_keeps_the_earliest_whatever_the_order() {
        let offers = [(5, "e"), (1, "a"), (4, "d"), (2, "b"), (3, "c"), (0, "e")];
        let forward = offer_all(3, &offers);
        let mut reversed = offers;
        reversed.reverse();
        assert_eq!(forward, ["e", "a", "b"]);
        assert_eq!(offer_all(3, &reversed), forward);
    }

    #[test]
    fn a_value_evicted_then_seen_earlier_comes_back() {
        assert_eq!(
            offer_all(2, &[(1, "a"), (2, "b"), (0, "c"), (-1, "b")]),
            ["b", "c"]
        );
    }

    #[test]
    fn ties_in_time_are_broken_by_value() {
        assert_eq!(offer_all(2, &[(1, "z"), (1, "y"), (1, "x")]), ["x", "y"]);
    }

    #[test]
    fn never_grows_past_its_cap() {
        let mut sample = Sample::new(15);
        for i in 0..10_000 {
            sample.offer(at(10_000 - i), &Arc::from(i.to_string()));
        }
        assert_eq!(sample.len(), 15);
    }
}
