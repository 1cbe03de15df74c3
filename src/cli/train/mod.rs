//! `backprop train`: data in, a model directory out — with progress, metrics, plots,
//! checkpoints and `--resume`. Arguments ([`args`]: the library's `DataFiles` and `TrainSpec`)
//! → the library's [`Training`] (data read and split, run planned, model built) → trained under
//! a [`recorder`] that writes the [`ModelDir`] → the kept weights tested.

mod args;
mod recorder;

use std::io::IsTerminal;

pub use args::TrainArgs;
use recorder::Recorder;

use crate::autograd::ParamStore;
use crate::error::{Error, Result};
use crate::io::{Checkpoint, ModelDir};
use crate::pipeline::{Resume, TestScores, Training};
use crate::tensor::Threads;
use crate::train::{Best, TrainRequest};

/// A fresh run's directory (refusing to replace a model without `--overwrite`), or the
/// checkpoint of the run to resume.
fn open(dir: &ModelDir, args: &TrainArgs) -> Result<Option<(Checkpoint, ParamStore<f32>)>> {
    if args.resume {
        return match dir.load_checkpoint()? {
            Some(found) => Ok(Some(found)),
            None => Err(Error::file(dir.path(), "no checkpoint here to resume (train without --resume first)")),
        };
    }
    if dir.holds_model() {
        if !args.overwrite {
            return Err(Error::file(
                dir.path(),
                "already holds a model; use --resume to continue it, --overwrite to replace it, or another --out",
            ));
        }
        dir.clear();
    }
    Ok(None)
}

pub fn run(args: TrainArgs) -> Result<()> {
    let dir = ModelDir::new(&args.out);
    let resumed = open(&dir, &args)?;
    // On resume, the run's own files and spec come back from the checkpoint; --epochs may
    // extend it.
    let request = match &resumed {
        Some((checkpoint, _)) => {
            let mut stored = checkpoint.settings.clone();
            stored.spec.epochs = stored.spec.epochs.max(args.spec.epochs);
            stored
        }
        None => TrainRequest { files: args.files.clone(), spec: args.spec.clone() },
    };
    let threads = args.threads.map_or(Threads::all(), Threads::new);
    let mut training = Training::new(request.files.clone(), request.spec.clone(), threads)?;
    dir.create()?;
    let mut from = Resume::default();
    let mut info = training.info.clone();
    if let Some((checkpoint, params)) = resumed {
        let fresh = &training.learner.params;
        if params.len() != fresh.len()
            || params.iter().zip(fresh.iter()).any(|(a, b)| a.1 != b.1 || a.2.shape() != b.2.shape())
        {
            return Err(Error::file(
                &args.out.join("checkpoint.safetensors"),
                "its weights do not fit the run's model",
            ));
        }
        // The best epoch's weights are the kept model's, on disk beside the checkpoint.
        if let Some((epoch, val_loss)) = checkpoint.best {
            let val_accuracy = checkpoint.history.iter().find(|m| m.epoch == epoch).and_then(|m| m.val_accuracy);
            from.best = Some(Best { epoch, val_loss, val_accuracy, params: dir.load_model()?.2 });
        }
        training.learner.params = params;
        training.learner.optimizer = checkpoint.optimizer;
        from.epoch = checkpoint.epoch;
        from.history = checkpoint.history;
        info.weights_from_epoch = checkpoint.best.map_or(checkpoint.epoch, |b| b.0);
        if !args.quiet {
            eprintln!(
                "resuming {} after epoch {} of {}",
                dir.path().display(),
                from.epoch,
                training.plan.config.epochs
            );
        }
    }
    let mut recorder = Recorder {
        dir: &dir,
        info,
        settings: request,
        bar: None,
        quiet: args.quiet,
        epochs: training.plan.config.epochs,
        saved: None,
        printed: None,
    };
    if !args.quiet {
        eprintln!("{}", training.describe());
        if std::io::stderr().is_terminal() {
            recorder.bar = Some(Recorder::progress_bar());
        }
    }
    let report = training.run(&from, &mut recorder);
    if let Some(bar) = &recorder.bar {
        bar.finish_and_clear();
    }
    let report = report.map_err(|e| match e {
        // The run itself gave up (it diverged): what was written so far is a whole model.
        Error::Invalid(message) => {
            Error::invalid(format!("{message}. The last good model is kept in {}", dir.path().display()))
        }
        // Writing the model directory failed: say so as it is.
        other => other,
    })?;
    // Test the kept model (the best epoch's weights, or the last epoch's without validation).
    let scores = training.test(&report.kept)?;
    let stopped = if report.stopped_early { ", stopped early" } else { "" };
    let place = format!("model from epoch {}{stopped}; saved in {}", report.kept_epoch, dir.path().display());
    super::emit(&test_line(&scores, &place))
}

/// The last line of a run: the kept model's test scores, and where it is.
fn test_line(scores: &TestScores, place: &str) -> String {
    let (test, n) = (&scores.evaluation, scores.samples);
    match (test.accuracy, test.regression) {
        (Some(a), _) => {
            let binary = scores.binary.as_ref().map_or(String::new(), |(positive, s)| {
                format!(
                    "; {positive} positive: precision {:.3}, recall {:.3}, F1 {:.3}, ROC AUC {:.3}",
                    s.precision, s.recall, s.f1, s.auc
                )
            });
            format!("test accuracy {:.2} % (loss {:.4}){binary} on {n} samples, {place}\n", 100.0 * a, test.loss)
        }
        (_, Some(r)) => format!(
            "test R² {:.4}, MAE {}, RMSE {} (loss {:.6}) on {n} samples, {place}\n",
            r.r2,
            crate::present::significant(r.mae),
            crate::present::significant(r.rmse),
            test.loss
        ),
        _ => format!("test loss {:.6} on {n} samples, {place}\n", test.loss),
    }
}
