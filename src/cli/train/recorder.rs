//! The observer of a `backprop train` run: after every epoch it writes the model directory
//! (the kept weights, the checkpoint, metrics and curves) and prints the epoch's line; between
//! epochs it moves the progress bar.

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::Result;
use crate::io::{Checkpoint, ModelDir, ModelInfo};
use crate::train::{Control, EpochEnd, EpochMetrics, Observer};

/// Writes the model directory after each epoch; shows progress.
pub struct Recorder<'a> {
    pub dir: &'a ModelDir,
    /// `model.json` as it stands (epochs trained, the epoch the kept weights come from).
    pub info: ModelInfo,
    /// The run's arguments, stored in the checkpoint for `--resume`.
    pub settings: serde_json::Value,
    pub bar: Option<ProgressBar>,
    pub quiet: bool,
    /// The epochs the run goes to.
    pub epochs: usize,
}

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
    let val = match (m.val_loss, m.val_accuracy) {
        (Some(l), Some(a)) => format!(" | val loss {l:.4} acc {a:.4}"),
        (Some(l), None) => format!(" | val loss {l:.4}"),
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
    fn on_step(&mut self, epoch: usize, done: usize, steps: usize, loss: f64, accuracy: Option<f64>) {
        let epochs = self.epochs;
        let Some(bar) = &self.bar else { return };
        if done == 1 {
            bar.reset();
            bar.set_length(steps as u64);
            bar.set_prefix(format!("epoch {epoch}/{epochs}"));
        }
        bar.set_position(done as u64);
        let acc = accuracy.map_or(String::new(), |a| format!(" acc {a:.4}"));
        bar.set_message(format!("loss {loss:.4}{acc}"));
    }

    fn on_epoch(&mut self, end: &EpochEnd<'_>) -> Result<Control> {
        let (m, learner) = (end.metrics, end.learner);
        self.info.epochs_trained = m.epoch;
        if end.is_kept() {
            self.info.weights_from_epoch = m.epoch;
            self.dir.save_model(&self.info, &learner.params)?;
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
        let line = epoch_line(m, self.epochs);
        match &self.bar {
            Some(bar) => bar.println(line),
            None if !self.quiet => eprintln!("{line}"),
            None => {}
        }
        Ok(Control::Continue)
    }
}
