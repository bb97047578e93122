//! The rows of one side of one join key, ordered by `(time, arrival)`: a small sorted vector
//! while there are few (most keys hold one or two rows, and a tree node per key would cost
//! ten times their size), a B-tree once there are many (so that out-of-order arrivals on one
//! busy key stay O(log n)).

use std::collections::BTreeMap;

use crate::time::EventTime;

/// Where a row sorts: its time, then its arrival number.
pub type Order = (EventTime, u64);

/// Past this many rows, a key's side moves from the vector to the tree.
const FEW: usize = 32;

/// Rows ordered by [`Order`].
#[derive(Debug)]
pub enum TimeRows<T> {
    Few(Vec<(Order, T)>),
    Many(BTreeMap<Order, T>),
}

impl<T> Default for TimeRows<T> {
    fn default() -> TimeRows<T> {
        TimeRows::Few(Vec::new())
    }
}

impl<T> TimeRows<T> {
    /// Adds a row (orders are unique: the arrival number is).
    pub fn insert(&mut self, order: Order, row: T) {
        match self {
            TimeRows::Few(rows) if rows.len() < FEW => {
                let at = rows.partition_point(|(o, _)| *o < order);
                rows.insert(at, (order, row));
            }
            TimeRows::Few(rows) => {
                let mut tree: BTreeMap<Order, T> = std::mem::take(rows).into_iter().collect();
                tree.insert(order, row);
                *self = TimeRows::Many(tree);
            }
            TimeRows::Many(tree) => {
                tree.insert(order, row);
            }
        }
    }

    /// Removes the row at `order`; whether there was one.
    pub fn remove(&mut self, order: Order) -> bool {
        match self {
            TimeRows::Few(rows) => match rows.binary_search_by(|(o, _)| o.cmp(&order)) {
                Ok(at) => {
                    rows.remove(at);
                    true
                }
                Err(_) => false,
            },
            TimeRows::Many(tree) => tree.remove(&order).is_some(),
        }
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        match self {
            TimeRows::Few(rows) => rows.is_empty(),
            TimeRows::Many(tree) => tree.is_empty(),
        }
    }

    /// Calls `f` on each row whose time is within `from..=to`, in order.
    pub fn each_between(&self, from: EventTime, to: EventTime, mut f: impl FnMut(&T)) {
        match self {
            TimeRows::Few(rows) => {
                let start = rows.partition_point(|((t, _), _)| *t < from);
                for (_, row) in rows[start..].iter().take_while(|((t, _), _)| *t <= to) {
                    f(row);
                }
            }
            TimeRows::Many(tree) => {
                for row in tree.range((from, 0)..=(to, u64::MAX)).map(|(_, r)| r) {
                    f(row);
                }
            }
        }
    }

    /// Every row with its order, in order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&Order, &T)> + '_> {
        match self {
            TimeRows::Few(rows) => Box::new(rows.iter().map(|(o, r)| (o, r))),
            TimeRows::Many(tree) => Box::new(tree.iter()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> EventTime {
        EventTime::from_ticks(secs * 10_000_000)
    }

    fn between(rows: &TimeRows<u64>, from: i64, to: i64) -> Vec<u64> {
        let mut out = Vec::new();
        rows.each_between(at(from), at(to), |r| out.push(*r));
        out
    }

    #[test]
    fn rows_in_any_order_come_out_by_time_then_arrival_few_or_many() {
        for n in [3u64, 10, 200] {
            let mut rows = TimeRows::default();
            // Times n-1 down to 0, each twice, arriving in reverse time order.
            for seq in 0..2 * n {
                let time = (n - 1 - seq / 2) as i64;
                rows.insert((at(time), seq), seq);
            }
            assert_eq!(matches!(rows, TimeRows::Many(_)), 2 * n > FEW as u64);
            let all: Vec<u64> = rows.iter().map(|(_, r)| *r).collect();
            let mut want: Vec<u64> = (0..2 * n).collect();
            want.sort_by_key(|seq| ((n - 1 - seq / 2), *seq));
            assert_eq!(all, want, "n = {n}");
            // Inclusive bounds on both ends.
            assert_eq!(between(&rows, 1, 2), {
                let mut w: Vec<u64> = want
                    .iter()
                    .copied()
                    .filter(|seq| (1..=2).contains(&(n - 1 - seq / 2)))
                    .collect();
                w.sort_by_key(|seq| ((n - 1 - seq / 2), *seq));
                w
            });
            assert!(rows.remove((at((n - 1) as i64), 0)));
            assert!(!rows.remove((at((n - 1) as i64), 0)));
            assert_eq!(rows.iter().count() as u64, 2 * n - 1);
        }
    }

    #[test]
    fn an_emptied_side_is_empty() {
        let mut rows = TimeRows::default();
        assert!(rows.is_empty());
        rows.insert((at(5), 1), 'a');
        assert!(!rows.is_empty());
        assert!(rows.remove((at(5), 1)));
        assert!(rows.is_empty());
    }
}
