//! Progress bars on standard error, one per stage, drawn only on a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use overlap::progress::{Progress, Unit};
use std::io::IsTerminal;
use std::sync::Mutex;

/// Draws a bar for each stage of a job.
pub struct Bars {
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
    after_read: Mutex<Option<String>>,
}

impl Bars {
    /// Bars on standard error when it is a terminal and `quiet` is false; nothing otherwise.
    pub fn new(quiet: bool) -> Self {
        Bars {
            enabled: !quiet && std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
            after_read: Mutex::new(None),
        }
    }

    /// Print `message` (on standard error, bars or not) once the inputs have been read and checked:
    /// when the first stage after `read` begins. A run that fails on its input never prints it.
    pub fn after_read(self, message: String) -> Self {
        *self.after_read.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
        self
    }
}

impl Progress for Bars {
    fn start(&self, stage: &str, total: Option<u64>, unit: Unit) {
        if stage != "read" {
            if let Some(message) = self.after_read.lock().ok().and_then(|mut m| m.take()) {
                eprintln!("{message}");
            }
        }
        if !self.enabled {
            return;
        }
        let (counts, rate) = match unit {
            Unit::Bytes => ("{bytes}/{total_bytes}", "{bytes_per_sec}"),
            Unit::Documents => ("{human_pos}/{human_len} docs", "{per_sec}"),
            Unit::Pairs => ("{human_pos}/{human_len} pairs", "{per_sec}"),
            Unit::Steps => ("{pos}/{len}", "{per_sec}"),
        };
        let template = format!(
            "{{prefix:>14.bold}} [{{bar:30}}] {counts} {rate} {{elapsed_precise}} (eta {{eta}})"
        );
        let bar = match total {
            Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(stage.to_string());
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn update(&self, done: u64) {
        if let Ok(slot) = self.bar.lock() {
            if let Some(bar) = slot.as_ref() {
                bar.set_position(done);
            }
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.bar.lock() {
            if let Some(bar) = slot.take() {
                bar.finish();
            }
        }
    }
}
