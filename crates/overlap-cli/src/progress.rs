//! Progress bars on standard error, one per stage, drawn only on a terminal.

use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
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
        let bar = match total {
            // A stage without a known size (or with nothing to do) gets a spinner and its time,
            // not an empty bar reading 0/0.
            None | Some(0) => {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                let style = ProgressStyle::with_template("{prefix:>14.bold} {spinner} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner());
                bar.set_style(style);
                bar.enable_steady_tick(std::time::Duration::from_millis(200));
                bar
            }
            Some(t) => {
                let counts = match unit {
                    Unit::Bytes => "{bytes}/{total_bytes}",
                    Unit::Documents => "{human_pos}/{human_len} docs",
                    Unit::Pairs => "{human_pos}/{human_len} pairs",
                    Unit::Steps => "{pos}/{len}",
                };
                let template = format!(
                    "{{prefix:>14.bold}} [{{bar:30}}] {counts} {{rate}} {{elapsed_precise}} (eta {{eta}})"
                );
                let bar = ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr());
                let style = ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .with_key(
                        "rate",
                        move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = w.write_str(&rate(state.per_sec(), unit));
                        },
                    )
                    .progress_chars("=> ");
                bar.set_style(style);
                bar
            }
        };
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

/// A rate as a whole number with its unit: `87 MB/s`, `12,345 docs/s`.
fn rate(per_sec: f64, unit: Unit) -> String {
    let per_sec = if per_sec.is_finite() {
        per_sec.max(0.0)
    } else {
        0.0
    };
    match unit {
        Unit::Bytes => {
            let (value, name) = [(1e9, "GB"), (1e6, "MB"), (1e3, "kB")]
                .into_iter()
                .find(|&(scale, _)| per_sec >= scale)
                .map_or((per_sec, "B"), |(scale, name)| (per_sec / scale, name));
            format!("{value:.0} {name}/s")
        }
        Unit::Documents => format!("{} docs/s", HumanCount(per_sec.round() as u64)),
        Unit::Pairs => format!("{} pairs/s", HumanCount(per_sec.round() as u64)),
        Unit::Steps => format!("{}/s", HumanCount(per_sec.round() as u64)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_whole_numbers_with_units() {
        assert_eq!(rate(87_654_321.5, Unit::Bytes), "88 MB/s");
        assert_eq!(rate(999.4, Unit::Bytes), "999 B/s");
        assert_eq!(rate(2.5e9, Unit::Bytes), "2 GB/s");
        assert_eq!(rate(12_345.678, Unit::Documents), "12,346 docs/s");
        assert_eq!(rate(0.4, Unit::Pairs), "0 pairs/s");
        assert_eq!(rate(f64::NAN, Unit::Steps), "0/s");
    }
}
