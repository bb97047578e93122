//! foothold: a detection engine for Windows Sysmon telemetry.
//!
//! The data flows through the modules in this order:
//! [`source`] (files, formats) → [`event`] (normalized columns) → [`rule`] (predicates,
//! allowlists) → [`correlate`] (the join over the time window) → [`summary`] (bins, samples,
//! alert rows) → [`sink`] (table, NDJSON, CSV). [`scan`] runs the stateless first stages on
//! worker threads; [`engine`] holds correlation and summary together, the one core of both
//! [`hunt`] (recorded data) and `watch` (streams).

pub mod correlate;
pub mod engine;
pub mod event;
pub mod generate;
pub mod hunt;
pub mod rule;
pub mod scan;
pub mod sink;
pub mod source;
pub mod stats;
pub mod summary;
pub mod time;
pub mod watch;
pub mod watermark;

#[cfg(test)]
mod testkit;
