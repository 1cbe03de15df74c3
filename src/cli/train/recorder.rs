//! The observer of a `backprop train` run: it writes the model directory (the kept weights,
//! the checkpoint, metrics and curves) after the last epoch and, on the way, whenever
//! [`SAVE_EVERY`] has passed since the last save — every epoch of a large data set, every few
//! hundred of a small table, whose epochs take milliseconds and whose files would otherwise
//! take most of the run. It prints each epoch's line (at most four a second) and moves the
//! progress bar.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::Result;
use crate::io::{Checkpoint, ModelDir, ModelInfo};
use crate::train::{Control, EpochEnd, EpochMetrics, Observer, TrainRequest};

/// Writes the model directory after each epoch; shows progress.
pub struct Recorder<'a> {
    pub dir: &'a ModelDir,
    /// `model.json` as it stands (epochs trained, the epoch the kept weights come from).
    pub info: ModelInfo,
    /// The run's files and spec, stored in the checkpoint for `--resume`.
    pub settings: TrainRequest,
    pub bar: Option<ProgressBar>,
    pub quiet: bool,
    /// The epochs the run goes to.
    pub epochs: usize,
    /// When the directory was last written, and the last epoch line printed.
    pub saved: Option<Instant>,
    pub printed: Option<Instant>,
}

/// Epoch lines come at most this often.
pub const PRINT_EVERY: Duration = Duration::from_millis(250);

/// The longest a run goes without writing its directory: killing it loses at most this much
/// (a resumed run redoes the epochs since, and ends with the same weights).
pub const SAVE_EVERY: Duration = Duration::from_secs(2);

impl Recorder<'_> {
    /// A progress bar for a terminal.
    pub fn progress_bar() -> ProgressBar {
        ProgressBar::new(1).with_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({per_sec}, {eta})")
                .expect("a valid template")
                .progress_chars("=> "),
        )
    }
}

/// One line per epoch, as logs and CI want it.
fn epoch_line(m: &EpochMetrics, epochs: usize) -> String {
    let acc = m.train_accuracy.map_or(String::new(), |a| format!(" acc {a:.4}"));
    let val = match (m.val_loss, m.val_accuracy, m.val_regression) {
        (Some(l), Some(a), _) => format!(" | val loss {l:.4} acc {a:.4}"),
        (Some(l), None, Some(r)) => format!(" | val loss {l:.4} R² {:.4}", r.r2),
        (Some(l), None, None) => format!(" | val loss {l:.4}"),
        _ => String::new(),
    };
    format!(
        "epoch {:>w$}/{epochs}: loss {:.4}{acc}{val} | lr {:.2e} | {:.0} samples/s, {:.1} s",
        m.epoch,
        m.train_loss,
        m.lr,
        m.samples_per_second,
        m.seconds,
        w = epochs.to_string().len()
    )
}

impl Observer for Recorder<'_> {
    fn on_step(&mut self, epoch: usize, done: usize, steps: usize, loss: f64, accuracy: Option<f64>) -> Control {
        let epochs = self.epochs;
        let Some(bar) = &self.bar else { return Control::Continue };
        if done == 1 {
            bar.reset();
            bar.set_length(steps as u64);
            bar.set_prefix(format!("epoch {epoch}/{epochs}"));
        }
        bar.set_position(done as u64);
        let acc = accuracy.map_or(String::new(), |a| format!(" acc {a:.4}"));
        bar.set_message(format!("loss {loss:.4}{acc}"));
        Control::Continue
    }

    fn on_epoch(&mut self, end: &EpochEnd<'_>) -> Result<Control> {
        let (m, learner) = (end.metrics, end.learner);
        // A line per epoch, or — when epochs fly by — one every PRINT_EVERY (metrics.csv has all).
        if end.last || self.printed.is_none_or(|t| t.elapsed() >= PRINT_EVERY) {
            self.printed = Some(Instant::now());
            let line = epoch_line(m, self.epochs);
            match &self.bar {
                Some(bar) => bar.println(line),
                None if !self.quiet => eprintln!("{line}"),
                None => {}
            }
        }
        if !end.last && self.saved.is_some_and(|t| t.elapsed() < SAVE_EVERY) {
            return Ok(Control::Continue);
        }
        self.saved = Some(Instant::now());
        self.info.epochs_trained = m.epoch;
        if self.info.weights_from_epoch != end.kept.0 {
            self.info.weights_from_epoch = end.kept.0;
            self.dir.save_model(&self.info, end.kept_params)?;
        } else {
            // The weights stay those of the kept epoch; the description records the epochs run.
            self.dir.save_description(&self.info)?;
        }
        let checkpoint = Checkpoint {
            epoch: m.epoch,
            optimizer: learner.optimizer.clone(),
            history: end.history.to_vec(),
            best: end.kept.1.map(|loss| (end.kept.0, loss)),
            settings: self.settings.clone(),
        };
        self.dir.save_checkpoint(&checkpoint, &learner.params)?;
        self.dir.save_metrics(end.history)?;
        self.dir.save_curves(end.history)?;
        Ok(Control::Continue)
    }
}
