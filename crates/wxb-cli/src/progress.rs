//! Keras-style progress: `Epoch 3/10`, then
//! `63/63 ━━━━━━━━━━━━━━━━━━━━ 1s 9ms/step - accuracy: 0.9712 - loss: 0.0934 - val_…`
//! redrawn in place on a terminal (indicatif), or one plain line per epoch otherwise (Keras'
//! `verbose=2`: `63/63 - 1s - 9ms/step - accuracy: 0.9712 - loss: 0.0934`). Progress is status,
//! not a result: it goes to standard error ([`crate::term`] says whether it may redraw and color).
//!
//! The formatting follows `keras/src/utils/progbar.py` (Keras 3.15): values above 1e-3 in absolute
//! value print as `%.4f`, smaller ones as `%.4e`; step times in s, ms or us.

use std::io::Write;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use wxb::Sequential;
use wxb::train::{Callback, Logs, TrainParams};

/// How much `train` prints, as Keras' `verbose`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Verbosity {
    /// Nothing during training.
    #[value(name = "0")]
    Silent,
    /// A progress bar redrawn in place (plain epoch lines when standard error is not a terminal,
    /// or `TERM=dumb`).
    #[value(name = "1")]
    Bar,
    /// One line per epoch.
    #[value(name = "2")]
    Lines,
}

/// The progress callback.
pub struct Progress {
    verbosity: Verbosity,
    color: bool,
    params: Option<TrainParams>,
    bar: Option<ProgressBar>,
    epoch_start: Instant,
    first_step_done: Option<Instant>,
}

impl Progress {
    /// A progress printer on standard error; a bar is drawn only where [`crate::term::redraw`].
    pub fn new(verbosity: Verbosity) -> Self {
        let verbosity = match verbosity {
            Verbosity::Bar if !crate::term::redraw() => Verbosity::Lines,
            v => v,
        };
        let color = crate::term::color();
        Self { verbosity, color, params: None, bar: None, epoch_start: Instant::now(), first_step_done: None }
    }

    /// Seconds per step, ignoring the first (warm-up) step once there are others, as Keras does.
    fn time_per_step(&self, steps_done: usize) -> f64 {
        match (self.first_step_done, steps_done) {
            (_, 0) => 0.0,
            (Some(t), n) if n > 1 => t.elapsed().as_secs_f64() / (n - 1) as f64,
            _ => self.epoch_start.elapsed().as_secs_f64() / steps_done as f64,
        }
    }
}

impl Callback for Progress {
    fn on_train_begin(&mut self, _model: &mut Sequential, params: &TrainParams) {
        self.params = Some(params.clone());
    }

    fn on_epoch_begin(&mut self, _model: &mut Sequential, epoch: usize) {
        let Some(p) = &self.params else { return };
        self.epoch_start = Instant::now();
        self.first_step_done = None;
        if self.verbosity == Verbosity::Silent {
            return;
        }
        eprintln!("Epoch {}/{}", epoch + 1, p.epochs);
        if self.verbosity == Verbosity::Bar {
            let bar = ProgressBar::with_draw_target(Some(p.steps as u64), ProgressDrawTarget::stderr());
            let digits = p.steps.to_string().len();
            let colors = if self.color { ".green/white" } else { "" };
            let template = format!("{{pos:>{digits}}}/{{len}} {{bar:20{colors}}}{{msg}}");
            bar.set_style(ProgressStyle::with_template(&template).expect("valid template").progress_chars("━━━"));
            self.bar = Some(bar);
        }
    }

    fn on_batch_end(&mut self, _model: &mut Sequential, batch: usize, logs: &Logs) {
        if self.first_step_done.is_none() {
            self.first_step_done = Some(Instant::now());
        }
        let (Some(bar), Some(p)) = (&self.bar, &self.params) else { return };
        let done = batch + 1;
        let per_step = self.time_per_step(done);
        let eta = per_step * p.steps.saturating_sub(done) as f64;
        bar.set_position(done as u64);
        bar.set_message(format!(" {}{}{}", format_eta(eta), format_step_time(per_step), format_logs(logs)));
    }

    fn on_epoch_end(&mut self, _model: &mut Sequential, _epoch: usize, logs: &Logs) {
        let Some(p) = &self.params else { return };
        let elapsed = self.epoch_start.elapsed().as_secs_f64();
        let per_step = self.time_per_step(p.steps);
        match self.verbosity {
            Verbosity::Silent => {}
            Verbosity::Bar => {
                if let Some(bar) = self.bar.take() {
                    // indicatif leaves the cursor at the end of a finished bar: the bar is cleared
                    // and its final state printed as a line of its own.
                    bar.finish_and_clear();
                    eprintln!("{}", finished_bar_line(p.steps, elapsed, per_step, logs, self.color));
                    let _ = std::io::stderr().flush();
                }
            }
            Verbosity::Lines => {
                eprintln!("{}", epoch_line(p.steps, elapsed, per_step, logs));
                let _ = std::io::stderr().flush();
            }
        }
    }
}

/// The bar of a finished epoch, as Keras leaves it on a terminal:
/// `63/63 ━━━━━━━━━━━━━━━━━━━━ 1s 9ms/step - accuracy: 0.9712 - loss: 0.0934` (the bar green
/// when `color`).
pub fn finished_bar_line(steps: usize, elapsed_s: f64, per_step_s: f64, logs: &Logs, color: bool) -> String {
    let bar = "━".repeat(20);
    let bar = if color { format!("\x1b[32m{bar}\x1b[0m") } else { bar };
    format!("{steps}/{steps} {bar} {elapsed_s:.0}s{}{}", format_step_time(per_step_s), format_logs(logs))
}

/// Keras' `verbose=2` line: `63/63 - 1s - 9ms/step - accuracy: 0.9712 - loss: 0.0934`.
pub fn epoch_line(steps: usize, elapsed_s: f64, per_step_s: f64, logs: &Logs) -> String {
    format!("{steps}/{steps} - {elapsed_s:.0}s -{}{}", format_step_time(per_step_s), format_logs(logs))
}

/// ` - key: value` for every log, in name order.
pub fn format_logs(logs: &Logs) -> String {
    logs.iter().map(|(k, &v)| format!(" - {k}: {}", format_value(v))).collect()
}

/// `%.4f` above 1e-3 in absolute value, else Python's `%.4e` (`1.2340e-04`).
pub fn format_value(v: f64) -> String {
    if v.abs() > 1e-3 || !v.is_finite() {
        return format!("{v:.4}");
    }
    let s = format!("{v:.4e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// Keras' `_format_time`: ` 1s/step`, ` 9ms/step`, ` 815us/step`.
pub fn format_step_time(seconds: f64) -> String {
    if seconds >= 1.0 || seconds == 0.0 {
        format!(" {seconds:.0}s/step")
    } else if seconds >= 1e-3 {
        format!(" {:.0}ms/step", seconds * 1e3)
    } else {
        format!(" {:.0}us/step", seconds * 1e6)
    }
}

/// Keras' ETA: `5s`, `1:05`, `1:01:05`.
pub fn format_eta(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    if seconds > 3600.0 {
        format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
    } else if seconds > 60.0 {
        format!("{}:{:02}", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_times_format_like_keras() {
        let values = [(0.97123, "0.9712"), (0.000_123_4, "1.2340e-04"), (-2.5, "-2.5000")];
        let step_times = [(0.009, " 9ms/step"), (0.000_815, " 815us/step"), (1.2, " 1s/step")];
        let etas = [(65.0, "1:05"), (3665.0, "1:01:05"), (5.4, "5s")];
        for (format, cases) in
            [(format_value as fn(f64) -> String, values), (format_step_time, step_times), (format_eta, etas)]
        {
            for (v, want) in cases {
                assert_eq!(format(v), want, "{v}");
            }
        }
    }

    #[test]
    fn the_epoch_line_matches_kerass_verbose_2() {
        let mut logs = Logs::new();
        logs.insert("loss".into(), 2.2291);
        logs.insert("accuracy".into(), 0.1531);
        // Keras 3.15: "10/10 - 0s - 815us/step - accuracy: 0.1531 - loss: 2.2291"
        assert_eq!(epoch_line(10, 0.2, 0.000_815, &logs), "10/10 - 0s - 815us/step - accuracy: 0.1531 - loss: 2.2291");
        assert_eq!(
            finished_bar_line(10, 0.2, 0.000_815, &logs, true),
            "10/10 \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m 0s 815us/step - accuracy: 0.1531 - loss: 2.2291"
        );
        // NO_COLOR, TERM=dumb: the same line without escape codes.
        assert_eq!(
            finished_bar_line(10, 0.2, 0.000_815, &logs, false),
            "10/10 ━━━━━━━━━━━━━━━━━━━━ 0s 815us/step - accuracy: 0.1531 - loss: 2.2291"
        );
    }
}
