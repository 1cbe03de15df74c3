//! `backprop train`: data in, a model directory out — with progress, metrics, plots,
//! checkpoints after every epoch and `--resume`. Arguments ([`args`]) → a plan ([`plan`], pure)
//! → the data split and the model built → the library's `train` watched by a [`recorder`] that
//! writes the [`ModelDir`] → the kept weights tested.

mod args;
mod plan;
mod recorder;

use std::io::IsTerminal;

pub use args::TrainArgs;
use plan::{DataDescription, TestSet, TrainPlan};
use recorder::Recorder;

use super::input::{align_classes, load_labelled};
use crate::autograd::ParamStore;
use crate::data::{Dataset, Standardizer, Targets, Task};
use crate::error::{Error, Result};
use crate::io::{Checkpoint, InputKind, MODEL_FORMAT, MODEL_VERSION, ModelDir, ModelInfo};
use crate::nn::Sequential;
use crate::optim::Optimizer;
use crate::train::{Best, Learner, Run, evaluate, train};

/// The data as read: the training file, and the test file if one was given.
struct Loaded {
    data: Dataset,
    kind: InputKind,
    test: Option<Dataset>,
}

impl Loaded {
    fn describe(&self) -> DataDescription {
        let task = if self.data.classes().is_some() { Task::Classify } else { Task::Regress };
        DataDescription { kind: self.kind, task, features: self.data.width(), outputs: self.data.outputs() }
    }
}

/// Reads `--data` and `--test` (same kind, same features, classes named as the training data's).
fn load(args: &TrainArgs) -> Result<Loaded> {
    let (data, kind) = load_labelled(&args.data, args.labels.as_ref(), args.target.as_deref(), args.task)?;
    let test = match &args.test {
        None => None,
        Some(path) => {
            let task = if data.classes().is_some() { Task::Classify } else { Task::Regress };
            let (test, test_kind) = load_labelled(path, args.test_labels.as_ref(), args.target.as_deref(), Some(task))?;
            if test_kind != kind {
                return Err(Error::invalid(format!("--test is {test_kind} but --data is {kind}")));
            }
            if test.width() != data.width() {
                return Err(Error::file(path, format!("{} features, but --data has {}", test.width(), data.width())));
            }
            Some(match &data.targets {
                Targets::Classes { names, .. } => align_classes(test, names, path)?,
                Targets::Values { .. } => test,
            })
        }
    };
    Ok(Loaded { data, kind, test })
}

/// The run as planned and prepared: the data split and scaled, the model built.
struct Prepared {
    plan: TrainPlan,
    train: Dataset,
    val: Option<Dataset>,
    test: Dataset,
    info: ModelInfo,
    learner: Learner,
}

/// Splits off the test and validation parts, fits the standardiser on the training part, and
/// builds the model and optimiser the plan calls for.
fn prepare(plan: TrainPlan, loaded: Loaded) -> Result<Prepared> {
    let seed = plan.config.seed;
    let (rest, mut test) = match (&plan.test, loaded.test) {
        (TestSet::File(_), Some(test)) => (loaded.data, test),
        (TestSet::HeldOut(fraction), _) => loaded.data.split(*fraction, &mut crate::rng(seed)),
        (TestSet::File(path), None) => unreachable!("{} was loaded with --data", path.display()),
    };
    let (mut train_set, mut val) = if plan.val_split > 0.0 {
        let (t, v) = rest.split(plan.val_split, &mut crate::rng(seed.wrapping_add(1)));
        (t, Some(v))
    } else {
        (rest, None)
    };
    if train_set.is_empty() {
        return Err(Error::invalid("no training samples left after holding out test and validation data"));
    }
    let standardizer = plan.standardize.then(|| Standardizer::fit(&train_set.features));
    if let Some(s) = &standardizer {
        s.apply(&mut train_set.features);
        val.iter_mut().for_each(|v| s.apply(&mut v.features));
        s.apply(&mut test.features);
    }
    let mut params = ParamStore::new();
    let model = Sequential::mlp(&plan.architecture, &mut params, &mut crate::rng(seed));
    let optimizer = Optimizer::new(plan.optimizer, plan.optimizer_settings);
    let (classes, outputs) = match &train_set.targets {
        Targets::Classes { names, .. } => (Some(names.clone()), None),
        Targets::Values { names, .. } => (None, Some(names.clone())),
    };
    let info = ModelInfo {
        format: MODEL_FORMAT.to_string(),
        version: MODEL_VERSION,
        architecture: plan.architecture.clone(),
        task: plan.task,
        loss: plan.config.loss,
        input: plan.kind,
        features: train_set.feature_names.clone(),
        target_column: train_set.target_column.clone(),
        classes,
        outputs,
        standardizer,
        epochs_trained: 0,
        weights_from_epoch: 0,
    };
    Ok(Prepared { plan, train: train_set, val, test, info, learner: Learner { model, params, optimizer } })
}

/// Describes the run before it starts, so the user sees every default that was chosen.
fn describe(p: &Prepared, args: &TrainArgs) -> String {
    let task = match &p.train.targets {
        Targets::Classes { names, .. } => format!("classification, {} classes", names.len()),
        Targets::Values { names, .. } => format!("regression of {}", names.join(", ")),
    };
    let target = p.info.target_column.as_deref().map_or(String::new(), |t| format!(", target column {t:?}"));
    let test = match &p.plan.test {
        TestSet::File(path) => format!("{} ({} samples)", path.display(), p.test.len()),
        TestSet::HeldOut(f) => format!("{} % of the data held out ({} samples)", (f * 100.0).round(), p.test.len()),
    };
    let (arch, cfg) = (&p.plan.architecture, &p.plan.config);
    let sizes: Vec<String> = arch.sizes.iter().map(|s| s.to_string()).collect();
    let warmup = if cfg.lr.warmup > 0.0 { format!(", {} warm-up epochs", cfg.lr.warmup) } else { String::new() };
    let early = cfg.early_stop.map_or(String::new(), |e| format!(", early stop after {e}"));
    format!(
        "data: {} ({}, {} features{target}), {task}\n\
         split: {} training, {} validation; test: {test}\n\
         model: MLP {} with {} hidden activation, {} weights; loss {}\n\
         training: {} epochs, batch {}, {} lr {} ({} schedule{warmup}), seed {}, {} threads{early}",
        args.data.display(),
        p.info.input,
        p.train.width(),
        p.train.len(),
        p.val.as_ref().map_or(0, Dataset::len),
        sizes.join("-"),
        arch.activation,
        p.learner.params.numel(),
        cfg.loss,
        cfg.epochs,
        cfg.batch_size,
        p.learner.optimizer.describe(),
        cfg.lr.base,
        cfg.lr.schedule.name(),
        cfg.seed,
        cfg.threads.get(),
    )
}

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
    // On resume, the run's own settings come back from the checkpoint; --epochs may extend it.
    let args = match &resumed {
        Some((checkpoint, _)) => {
            let mut stored: TrainArgs = serde_json::from_value(checkpoint.settings.clone()).map_err(|e| {
                Error::file(&args.out.join("checkpoint.safetensors"), format!("unreadable settings: {e}"))
            })?;
            stored.epochs = stored.epochs.max(args.epochs);
            (stored.threads, stored.quiet, stored.out) = (args.threads, args.quiet, args.out.clone());
            stored
        }
        None => args,
    };
    plan::check_args(&args)?;
    let loaded = load(&args)?;
    let plan = plan::plan(&args, &loaded.describe())?;
    let mut p = prepare(plan, loaded)?;
    dir.create()?;
    let settings = serde_json::to_value(&args).map_err(|e| Error::invalid(e.to_string()))?;
    let (mut start_epoch, mut history, mut best) = (0, vec![], None);
    let mut info = p.info.clone();
    if let Some((checkpoint, params)) = resumed {
        if params.len() != p.learner.params.len()
            || params.iter().zip(p.learner.params.iter()).any(|(a, b)| a.1 != b.1 || a.2.shape() != b.2.shape())
        {
            return Err(Error::file(
                &args.out.join("checkpoint.safetensors"),
                "its weights do not fit the run's model",
            ));
        }
        // The best epoch's weights are the kept model's, on disk beside the checkpoint.
        if let Some((epoch, val_loss)) = checkpoint.best {
            best = Some(Best { epoch, val_loss, params: dir.load_model()?.2 });
        }
        p.learner.params = params;
        p.learner.optimizer = checkpoint.optimizer;
        start_epoch = checkpoint.epoch;
        history = checkpoint.history;
        info.weights_from_epoch = checkpoint.best.map_or(checkpoint.epoch, |b| b.0);
        if !args.quiet {
            eprintln!("resuming {} after epoch {start_epoch} of {}", dir.path().display(), p.plan.config.epochs);
        }
    }
    let mut recorder =
        Recorder { dir: &dir, info, settings, bar: None, quiet: args.quiet, epochs: p.plan.config.epochs };
    if !args.quiet {
        eprintln!("{}", describe(&p, &args));
        if std::io::stderr().is_terminal() {
            recorder.bar = Some(Recorder::progress_bar());
        }
    }
    let cfg = p.plan.config.clone();
    let run =
        Run { data: &p.train, val: p.val.as_ref(), config: &cfg, start_epoch, history: &history, best: best.as_ref() };
    let report = train(&mut p.learner, run, &mut recorder);
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
    let test = evaluate(&p.learner.model, &report.kept, &p.test, cfg.loss, cfg.threads)?;
    let kept = report.kept_epoch;
    let stopped = if report.stopped_early { ", stopped early" } else { "" };
    let place = format!("model from epoch {kept}{stopped}; saved in {}", dir.path().display());
    let line = match test.accuracy {
        Some(a) => {
            format!("test accuracy {:.2} % (loss {:.4}) on {} samples, {place}\n", 100.0 * a, test.loss, p.test.len())
        }
        None => format!("test loss {:.6} on {} samples, {place}\n", test.loss, p.test.len()),
    };
    super::emit(&line)
}
