//! `backprop train`: data in, a model directory out — with progress, metrics, plots,
//! checkpoints and `--resume`. Arguments ([`args`]) → the data read and split ([`data`]) → a
//! plan ([`plan`], pure) → the model built → the library's `train` watched by a [`recorder`]
//! that writes the [`ModelDir`] → the kept weights tested.

mod args;
mod data;
mod plan;
mod recorder;

use std::io::IsTerminal;

pub use args::TrainArgs;
use data::{Parts, load};
use plan::{TestSet, TrainPlan};
use recorder::Recorder;

use crate::autograd::ParamStore;
use crate::data::{Dataset, Targets};
use crate::error::{Error, Result};
use crate::io::{Checkpoint, MODEL_FORMAT, MODEL_VERSION, ModelDir, ModelInfo};
use crate::metrics::BinaryScores;
use crate::nn::Sequential;
use crate::optim::Optimizer;
use crate::tensor::Tensor;
use crate::train::{Best, Learner, Run, evaluate_with_outputs, train};

/// The run as planned and prepared: the data split and encoded, the model built.
struct Prepared {
    plan: TrainPlan,
    parts: Parts,
    info: ModelInfo,
    learner: Learner,
}

/// Builds the model and optimiser the plan calls for, and the class weights it asks for.
fn prepare(mut plan: TrainPlan, parts: Parts) -> Result<Prepared> {
    let seed = plan.config.seed;
    if let (Some(weighting), Targets::Classes { labels, names }) = (plan.class_weight, &parts.train.targets) {
        plan.config.class_weights = Some(weighting.weights(labels, names.len()));
    }
    let mut params = ParamStore::new();
    let model = Sequential::mlp(&plan.architecture, &mut params, &mut crate::rng(seed));
    let optimizer = Optimizer::new(plan.optimizer, plan.optimizer_settings);
    let (classes, outputs) = match &parts.train.targets {
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
        features: parts.train.feature_names.clone(),
        classes,
        outputs,
        table: parts.schema.clone(),
        epochs_trained: 0,
        weights_from_epoch: 0,
    };
    Ok(Prepared { plan, parts, info, learner: Learner { model, params, optimizer } })
}

/// Describes the run before it starts, so the user sees every default that was chosen and
/// what each column became.
fn describe(p: &Prepared, args: &TrainArgs) -> String {
    let (train, parts) = (&p.parts.train, &p.parts);
    let task = match &train.targets {
        Targets::Classes { names, .. } => format!("classification, {} classes", names.len()),
        Targets::Values { names, .. } => format!("regression of {}", names.join(", ")),
    };
    let target = train.target_column.as_deref().map_or(String::new(), |t| format!(", target column {t:?}"));
    let test = match &parts.test_source {
        TestSet::File(path) => format!("{} ({} samples)", path.display(), parts.test.len()),
        TestSet::HeldOut(f) => format!("{} % of the data held out ({} samples)", (f * 100.0).round(), parts.test.len()),
    };
    let mut columns = String::new();
    if let Some(schema) = &parts.schema {
        for line in schema.summary() {
            columns.push_str(&format!("columns: {line}\n"));
        }
    }
    for note in &parts.notes {
        columns.push_str(&format!("note: {note}\n"));
    }
    if let (Some(weights), Targets::Classes { names, .. }) = (&p.plan.config.class_weights, &train.targets) {
        let list: Vec<String> = names.iter().zip(weights).map(|(n, w)| format!("{n} {w:.3}")).collect();
        columns.push_str(&format!("class weights (balanced): {}\n", list.join(", ")));
    }
    let (arch, cfg) = (&p.plan.architecture, &p.plan.config);
    let sizes: Vec<String> = arch.sizes.iter().map(|s| s.to_string()).collect();
    let warmup = if cfg.lr.warmup > 0.0 { format!(", {} warm-up epochs", cfg.lr.warmup) } else { String::new() };
    let early = cfg.early_stop.map_or(String::new(), |e| format!(", early stop after {e}"));
    let dropout = if arch.dropout > 0.0 { format!(", dropout {}", arch.dropout) } else { String::new() };
    format!(
        "data: {} ({}, {} features{target}), {task}\n\
         {columns}\
         split: {} training, {} validation; test: {test}\n\
         model: MLP {} with {} hidden activation{dropout}, {} weights; loss {}\n\
         training: {} epochs, batch {}, {} lr {} ({} schedule{warmup}), seed {}, {} threads{early}",
        args.data.display(),
        p.info.input,
        train.width(),
        train.len(),
        parts.val.as_ref().map_or(0, Dataset::len),
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
    let parts = load(&args)?;
    let plan = plan::plan(&args, &parts.describe())?;
    let mut p = prepare(plan, parts)?;
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
    let mut recorder = Recorder {
        dir: &dir,
        info,
        settings,
        bar: None,
        quiet: args.quiet,
        epochs: p.plan.config.epochs,
        saved: None,
        printed: None,
    };
    if !args.quiet {
        eprintln!("{}", describe(&p, &args));
        if std::io::stderr().is_terminal() {
            recorder.bar = Some(Recorder::progress_bar());
        }
    }
    let cfg = p.plan.config.clone();
    let (train_set, val) = (&p.parts.train, p.parts.val.as_ref());
    let run = Run { data: train_set, val, config: &cfg, start_epoch, history: &history, best: best.as_ref() };
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
    let test_set = &p.parts.test;
    let mut outputs = Vec::with_capacity(test_set.len() * p.learner.model.outputs());
    let test = evaluate_with_outputs(&p.learner.model, &report.kept, test_set, cfg.loss, cfg.threads, |chunk| {
        outputs.extend_from_slice(chunk)
    })?;
    let kept = report.kept_epoch;
    let stopped = if report.stopped_early { ", stopped early" } else { "" };
    let place = format!("model from epoch {kept}{stopped}; saved in {}", dir.path().display());
    let n = test_set.len();
    let line = match (&test_set.targets, test.accuracy, test.regression) {
        (Targets::Classes { labels, names }, Some(a), _) => {
            let binary = if names.len() == 2 {
                let logits = Tensor::new(outputs, [n, 2]);
                let s = BinaryScores::of_logits(labels, &logits);
                format!(
                    "; {} positive: precision {:.3}, recall {:.3}, F1 {:.3}, ROC AUC {:.3}",
                    names[1], s.precision, s.recall, s.f1, s.auc
                )
            } else {
                String::new()
            };
            format!("test accuracy {:.2} % (loss {:.4}){binary} on {n} samples, {place}\n", 100.0 * a, test.loss)
        }
        (_, _, Some(r)) => format!(
            "test R² {:.4}, MAE {}, RMSE {} (loss {:.6}) on {n} samples, {place}\n",
            r.r2,
            crate::present::significant(r.mae),
            crate::present::significant(r.rmse),
            test.loss
        ),
        _ => format!("test loss {:.6} on {n} samples, {place}\n", test.loss),
    };
    super::emit(&line)
}
