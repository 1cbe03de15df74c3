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

use super::input::{align_classes, kind_of, load_images};
use crate::autograd::ParamStore;
use crate::data::table::{CsvOptions, Overrides, ReadOptions, TableSchema, TargetColumn, TrainingTable};
use crate::data::{Dataset, Targets, Task, split_indices};
use crate::error::{Error, Result};
use crate::io::{Checkpoint, InputKind, MODEL_FORMAT, MODEL_VERSION, ModelDir, ModelInfo};
use crate::metrics::BinaryScores;
use crate::nn::Sequential;
use crate::optim::Optimizer;
use crate::tensor::Tensor;
use crate::train::{Best, Learner, Run, evaluate_with_outputs, train};

/// The data split into its parts, encoded and ready to train on.
struct Parts {
    kind: InputKind,
    train: Dataset,
    val: Option<Dataset>,
    test: Dataset,
    test_source: TestSet,
    /// A table's preprocessing, fitted on the training part.
    schema: Option<TableSchema>,
    /// What the user should hear about the data before training (rows dropped, test file notes).
    notes: Vec<String>,
}

impl Parts {
    fn describe(&self) -> DataDescription {
        let task = if self.train.classes().is_some() { Task::Classify } else { Task::Regress };
        DataDescription {
            kind: self.kind,
            task,
            features: self.train.width(),
            outputs: self.train.outputs(),
            samples: self.train.len(),
        }
    }
}

/// Where the test set comes from, as the arguments say.
fn test_source(args: &TrainArgs) -> TestSet {
    match &args.test {
        Some(path) => TestSet::File(path.clone()),
        None => TestSet::HeldOut(args.test_split),
    }
}

/// Reads `--data` (and `--test`) and splits them: a table's rows are split first and its
/// preprocessing fitted on the training rows alone; images are split as they are.
fn load(args: &TrainArgs) -> Result<Parts> {
    let kind = kind_of(&args.data)?;
    if let Some(test) = &args.test {
        let test_kind = kind_of(test)?;
        if test_kind != kind {
            return Err(Error::invalid(format!("--test is {test_kind} but --data is {kind}")));
        }
    }
    match kind {
        InputKind::Csv => load_table(args),
        InputKind::Idx => load_image_parts(args),
    }
}

fn load_table(args: &TrainArgs) -> Result<Parts> {
    if args.labels.is_some() {
        return Err(Error::invalid(format!(
            "--labels goes with IDX image files; {} is CSV (its target is a column: --target)",
            args.data.display()
        )));
    }
    let options = CsvOptions {
        target: args.target.as_deref().map(TargetColumn::parse),
        task: args.task,
        read: ReadOptions { delimiter: args.delimiter, missing: args.na.clone(), only: None },
        overrides: Overrides {
            categorical: args.categorical.clone(),
            numeric: args.numeric.clone(),
            ignore: args.ignore.clone(),
        },
    };
    let table = TrainingTable::read(&args.data, &options)?;
    let mut notes = Vec::new();
    if table.dropped() > 0 {
        notes.push(format!("{} rows without a target value left out", table.dropped()));
    }
    let seed = args.seed;
    let source = test_source(args);
    let (rest, test_rows) = match &source {
        TestSet::File(_) => (table.rows.clone(), vec![]),
        TestSet::HeldOut(fraction) => split_indices(&table.rows, *fraction, &mut crate::rng(seed)),
    };
    let (train_rows, val_rows) = if args.val_split > 0.0 {
        split_indices(&rest, args.val_split, &mut crate::rng(seed.wrapping_add(1)))
    } else {
        (rest, vec![])
    };
    if train_rows.is_empty() {
        return Err(Error::invalid("no training samples left after holding out test and validation data"));
    }
    let fit = plan::fit_options(args);
    let schema = table.fit(&train_rows, fit);
    // One-hot features are dense: say so when they grow large, and how to make them smaller.
    let width = schema.feature_names().len();
    let bytes = (table.rows.len() * width * 4) as f64;
    if bytes > 1e9 {
        notes.push(format!(
            "the encoded features take {:.1} GB ({} rows × {width} columns, one-hot columns included); \
             merge rare categories with --min-category-count or leave columns out with --ignore",
            bytes / 1e9,
            table.rows.len()
        ));
    }
    let (train, _) = table.dataset(&schema, &train_rows)?;
    let val = if val_rows.is_empty() { None } else { Some(table.dataset(&schema, &val_rows)?.0) };
    let test = match &source {
        TestSet::HeldOut(_) => table.dataset(&schema, &test_rows)?.0,
        TestSet::File(path) => {
            let classes = match &train.targets {
                Targets::Classes { names, .. } => Some(names.as_slice()),
                Targets::Values { .. } => None,
            };
            let file = schema.read(path, table.task, classes)?;
            let (test, report, dropped) = schema.dataset(&file)?;
            notes.extend(super::input::notes(&file.table, &report, path));
            if dropped > 0 {
                notes.push(format!("{}: {dropped} rows without a target value left out", path.display()));
            }
            test
        }
    };
    Ok(Parts { kind: InputKind::Csv, train, val, test, test_source: source, schema: Some(schema), notes })
}

fn load_image_parts(args: &TrainArgs) -> Result<Parts> {
    let data = load_images(&args.data, args.labels.as_ref(), args.task)?;
    let source = test_source(args);
    let seed = args.seed;
    let (rest, test) = match &source {
        TestSet::File(path) => {
            let test = load_images(path, args.test_labels.as_ref(), Some(Task::Classify))?;
            if test.width() != data.width() {
                return Err(Error::file(path, format!("{} features, but --data has {}", test.width(), data.width())));
            }
            let Targets::Classes { names, .. } = &data.targets else { unreachable!("IDX labels are classes") };
            let test = align_classes(test, &names.clone(), path)?;
            (data, test)
        }
        TestSet::HeldOut(fraction) => data.split(*fraction, &mut crate::rng(seed)),
    };
    let (train, val) = if args.val_split > 0.0 {
        let (t, v) = rest.split(args.val_split, &mut crate::rng(seed.wrapping_add(1)));
        (t, Some(v))
    } else {
        (rest, None)
    };
    if train.is_empty() {
        return Err(Error::invalid("no training samples left after holding out test and validation data"));
    }
    Ok(Parts { kind: InputKind::Idx, train, val, test, test_source: source, schema: None, notes: vec![] })
}

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
            super::significant(r.mae),
            super::significant(r.rmse),
            test.loss
        ),
        _ => format!("test loss {:.6} on {n} samples, {place}\n", test.loss),
    };
    super::emit(&line)
}
