//! foothold: a detection engine for Windows Sysmon telemetry.
//!
//! The data flows through the modules in this order:
//! [`source`] (files, formats) → [`event`] (normalized columns) → [`rule`] (predicates,
//! allowlists) → [`correlate`] (the join over the time window) → [`summary`] (bins, samples,
//! alert rows) → [`sink`] (table, NDJSON, CSV). [`hunt`] wires them for recorded data.

pub mod correlate;
pub mod event;
pub mod rule;
pub mod time;
