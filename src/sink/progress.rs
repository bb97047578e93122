//! A progress bar on stderr for inputs that take more than a moment: bytes and files done,
//! events per second. Drawn only on a terminal.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::stats::Stats;

/// How long a run goes before the bar appears.
const DELAY: Duration = Duration::from_millis(700);

/// The bar, hidden until the run has lasted [`DELAY`].
pub struct Progress {
    bar: Option<ProgressBar>,
    total_bytes: Option<u64>,
    started: Instant,
    enabled: bool,
}

impl Progress {
    /// A bar for inputs of `total_bytes` (when known); `enabled` false draws nothing.
    pub fn new(total_bytes: Option<u64>, enabled: bool) -> Progress {
        Progress {
            bar: None,
            total_bytes,
            started: Instant::now(),
            enabled,
        }
    }

    /// Shows the counts so far.
    pub fn update(&mut self, stats: &Stats, file_bytes: u64) {
        if !self.enabled || self.started.elapsed() < DELAY {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = match self.total_bytes {
                Some(total) => {
                    ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
                }
                None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
            };
            let template = if self.total_bytes.is_some() {
                "{bar:24} {bytes}/{total_bytes} {msg}"
            } else {
                "{spinner} {bytes} {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar
        });
        bar.set_position(file_bytes);
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let records = stats.records();
        bar.set_message(format!(
            "{} files, {:.0} events/s",
            stats.inputs,
            records as f64 / secs
        ));
    }

    /// Removes the bar.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
