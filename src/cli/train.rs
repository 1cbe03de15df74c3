//! `backprop train`: data in, a model directory out — with progress, metrics, plots,
//! checkpoints after every epoch and `--resume`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use super::input::{align_classes, load_labelled};
use crate::autograd::ParamStore;
use crate::data::{Dataset, Standardizer, Targets, Task};
use crate::error::{Error, Result};
use crate::io::{self, Checkpoint, InputKind, MODEL_FORMAT, MODEL_VERSION, ModelInfo};
use crate::loss::Loss;
use crate::nn::{Activation, MlpSpec, Sequential};
use crate::optim::{LrSchedule, Optimizer, Schedule};
use crate::tensor::Threads;
use crate::train::{Control, EpochMetrics, Learner, Observer, TrainConfig, evaluate, train_observed};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskArg {
    Classify,
    Regress,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActivationArg {
    Relu,
    Sigmoid,
    Tanh,
    LeakyRelu,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossArg {
    CrossEntropy,
    Bce,
    Mse,
    HalfSse,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerArg {
    Sgd,
    Adam,
    Adamw,
    Rmsprop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleArg {
    Constant,
    Step,
    Exponential,
    Cosine,
}

/// Train a network on a CSV file or on MNIST-style IDX files.
///
/// The data's kind is recognised from the file. With no --test, 20 % of the data is held out
/// for testing; 10 % of the rest validates each epoch (the best model by validation loss is
/// kept). DIR receives model.safetensors, model.json, metrics.csv, curves.svg/png and a
/// checkpoint for --resume.
///
/// Examples:
///   backprop train --data data/digits.csv --out runs/digits
///   backprop train --data train-images-idx3-ubyte.gz --labels train-labels-idx1-ubyte.gz \
///       --test t10k-images-idx3-ubyte.gz --test-labels t10k-labels-idx1-ubyte.gz \
///       --hidden 256,128 --epochs 10 --batch-size 128 --schedule cosine --out runs/mnist
#[derive(Args, Clone, Debug, Serialize, Deserialize)]
#[command(verbatim_doc_comment)]
pub struct TrainArgs {
    /// Training data: a CSV file with a header, or an IDX image file (gzip or raw).
    #[arg(long)]
    data: PathBuf,
    /// The IDX label file that goes with IDX images.
    #[arg(long)]
    labels: Option<PathBuf>,
    /// The CSV target column, by name or 0-based index [default: label, target or class, else the last].
    #[arg(long)]
    target: Option<String>,
    /// Classification or regression [default: classify when the target holds a few integers or text].
    #[arg(long, value_enum)]
    task: Option<TaskArg>,
    /// Test data, read like --data; reported after training.
    #[arg(long)]
    test: Option<PathBuf>,
    /// The IDX label file that goes with --test.
    #[arg(long)]
    test_labels: Option<PathBuf>,
    /// Without --test, the fraction of --data held out for testing.
    #[arg(long, default_value_t = 0.2)]
    test_split: f64,
    /// The fraction of the training data held out to validate each epoch (0 for none).
    #[arg(long, default_value_t = 0.1)]
    val_split: f64,
    /// Hidden layer sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "128")]
    hidden: Vec<usize>,
    /// The hidden layers' activation.
    #[arg(long, value_enum, default_value = "relu")]
    activation: ActivationArg,
    /// The loss [default: cross-entropy for classification, mse for regression].
    #[arg(long, value_enum)]
    loss: Option<LossArg>,
    #[arg(long, value_enum, default_value = "adam")]
    optimizer: OptimizerArg,
    /// Learning rate [default: 0.001 for adam, adamw and rmsprop; 0.1 for sgd].
    #[arg(long)]
    lr: Option<f64>,
    /// SGD momentum.
    #[arg(long, default_value_t = 0.9)]
    momentum: f64,
    #[arg(long, default_value_t = 0.0)]
    weight_decay: f64,
    /// How the learning rate changes over the epochs (step: ×0.1 every third of the run).
    #[arg(long, value_enum, default_value = "constant")]
    schedule: ScheduleArg,
    /// Epochs of linear learning-rate warm-up.
    #[arg(long, default_value_t = 0.0)]
    warmup: f64,
    /// Rescale gradients whose global norm exceeds this.
    #[arg(long)]
    clip_norm: Option<f64>,
    /// Dropout probability after each hidden layer.
    #[arg(long, default_value_t = 0.0)]
    dropout: f64,
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Stop after this many epochs without a lower validation loss.
    #[arg(long)]
    early_stop: Option<usize>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Threads [default: all cores]. Results are reproducible for a given seed and thread count.
    #[arg(long)]
    #[serde(skip)]
    threads: Option<usize>,
    /// Continue the run whose checkpoint is in --out (its settings are reused; --epochs may grow).
    #[arg(long)]
    #[serde(skip)]
    resume: bool,
    /// Replace a model already in --out.
    #[arg(long)]
    #[serde(skip)]
    overwrite: bool,
    /// No progress output.
    #[arg(long)]
    #[serde(skip)]
    quiet: bool,
    /// The model directory to write.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Everything a run prepared: data, model, settings.
struct Prepared {
    train: Dataset,
    val: Option<Dataset>,
    test: Dataset,
    info: ModelInfo,
    learner: Learner,
    cfg: TrainConfig,
}

fn check_fraction(name: &str, f: f64) -> Result<()> {
    if (0.0..1.0).contains(&f) {
        Ok(())
    } else {
        Err(Error::invalid(format!("{name} must be at least 0 and below 1, got {f}")))
    }
}

/// Loads and splits the data, builds the model and the training settings.
fn prepare(args: &TrainArgs) -> Result<Prepared> {
    check_fraction("--test-split", args.test_split)?;
    check_fraction("--val-split", args.val_split)?;
    if !(0.0..1.0).contains(&args.dropout) {
        return Err(Error::invalid(format!("--dropout must be at least 0 and below 1, got {}", args.dropout)));
    }
    if args.epochs == 0 {
        return Err(Error::invalid("--epochs must be at least 1"));
    }
    if args.hidden.contains(&0) {
        return Err(Error::invalid("--hidden sizes must be positive"));
    }
    if args.test_labels.is_some() && args.test.is_none() {
        return Err(Error::invalid("--test-labels goes with --test"));
    }
    let task = args.task.map(|t| if t == TaskArg::Classify { Task::Classify } else { Task::Regress });
    let (data, kind) = load_labelled(&args.data, args.labels.as_ref(), args.target.as_deref(), task)?;
    let task = if data.classes().is_some() { Task::Classify } else { Task::Regress };
    let (rest, test) = match &args.test {
        Some(path) => {
            let (test, test_kind) = load_labelled(path, args.test_labels.as_ref(), args.target.as_deref(), Some(task))?;
            if test_kind != kind {
                return Err(Error::invalid(format!("--test is {test_kind} but --data is {kind}")));
            }
            if test.width() != data.width() {
                return Err(Error::file(path, format!("{} features, but --data has {}", test.width(), data.width())));
            }
            let test = match &data.targets {
                Targets::Classes { names, .. } => align_classes(test, names, path)?,
                Targets::Values { .. } => test,
            };
            (data, test)
        }
        None => {
            if args.test_split <= 0.0 {
                return Err(Error::invalid("without --test, --test-split must hold some data out for testing"));
            }
            let (rest, test) = data.split(args.test_split, &mut crate::rng(args.seed));
            (rest, test)
        }
    };
    let (mut train_set, mut val) = if args.val_split > 0.0 {
        let (t, v) = rest.split(args.val_split, &mut crate::rng(args.seed.wrapping_add(1)));
        (t, Some(v))
    } else {
        (rest, None)
    };
    if train_set.is_empty() {
        return Err(Error::invalid("no training samples left after holding out test and validation data"));
    }
    let mut test = test;
    let standardizer = (kind == InputKind::Csv).then(|| Standardizer::fit(&train_set.features));
    if let Some(s) = &standardizer {
        s.apply(&mut train_set.features);
        val.iter_mut().for_each(|v| s.apply(&mut v.features));
        s.apply(&mut test.features);
    }

    let loss = match (args.loss, task) {
        (Some(LossArg::CrossEntropy), Task::Regress) => {
            return Err(Error::invalid(
                "--loss cross-entropy needs class targets; this target is regression (use mse)",
            ));
        }
        (Some(l), _) => match l {
            LossArg::CrossEntropy => Loss::CrossEntropy,
            LossArg::Bce => Loss::Bce,
            LossArg::Mse => Loss::Mse,
            LossArg::HalfSse => Loss::HalfSse,
        },
        (None, Task::Classify) => Loss::CrossEntropy,
        (None, Task::Regress) => Loss::Mse,
    };
    let activation = match args.activation {
        ActivationArg::Relu => Activation::Relu,
        ActivationArg::Sigmoid => Activation::Sigmoid,
        ActivationArg::Tanh => Activation::Tanh,
        ActivationArg::LeakyRelu => Activation::LeakyRelu { slope: Activation::LEAKY_SLOPE },
    };
    let mut sizes = vec![train_set.width()];
    sizes.extend(&args.hidden);
    sizes.push(train_set.outputs());
    let spec = MlpSpec { dropout: args.dropout, ..MlpSpec::logits(&sizes, activation) };
    let mut params = ParamStore::new();
    let model = Sequential::mlp(&spec, &mut params, &mut crate::rng(args.seed));
    let optimizer_name = match args.optimizer {
        OptimizerArg::Sgd => "sgd",
        OptimizerArg::Adam => "adam",
        OptimizerArg::Adamw => "adamw",
        OptimizerArg::Rmsprop => "rmsprop",
    };
    let optimizer = Optimizer::by_name(optimizer_name, args.momentum, args.weight_decay)?;
    let lr = args.lr.unwrap_or(optimizer.default_lr());
    if !(lr > 0.0 && lr.is_finite()) {
        return Err(Error::invalid(format!("--lr must be a positive number, got {lr}")));
    }
    let epochs = args.epochs as f64;
    let schedule = match args.schedule {
        ScheduleArg::Constant => Schedule::Constant,
        ScheduleArg::Step => Schedule::Step { every: (epochs / 3.0).max(1.0), gamma: 0.1 },
        ScheduleArg::Exponential => Schedule::Exponential { gamma: 0.9 },
        ScheduleArg::Cosine => Schedule::Cosine { epochs: (epochs - args.warmup).max(1.0), min_lr: 0.0 },
    };
    let mut cfg = TrainConfig::new(loss, lr);
    cfg.epochs = args.epochs;
    cfg.batch_size = args.batch_size;
    cfg.lr = LrSchedule { base: lr, schedule, warmup: args.warmup };
    cfg.clip_norm = args.clip_norm;
    cfg.early_stop = args.early_stop;
    cfg.seed = args.seed;
    cfg.threads = args.threads.map_or(Threads::all(), Threads::new);
    if cfg.batch_size == 0 {
        return Err(Error::invalid("--batch-size must be at least 1"));
    }

    let (classes, outputs) = match &train_set.targets {
        Targets::Classes { names, .. } => (Some(names.clone()), None),
        Targets::Values { names, .. } => (None, Some(names.clone())),
    };
    let target_column = match (kind, &train_set.targets) {
        (InputKind::Csv, Targets::Classes { .. }) | (InputKind::Csv, Targets::Values { .. }) => {
            Some(target_name(args, &train_set)?)
        }
        _ => None,
    };
    let info = ModelInfo {
        format: MODEL_FORMAT.to_string(),
        version: MODEL_VERSION,
        architecture: spec,
        task,
        loss,
        input: kind,
        features: train_set.feature_names.clone(),
        target_column,
        classes,
        outputs,
        standardizer,
        epochs_trained: 0,
        weights_from_epoch: 0,
    };
    Ok(Prepared { train: train_set, val, test, info, learner: Learner { model, params, optimizer }, cfg })
}

/// The CSV target column's name (what `eval` will look for).
fn target_name(args: &TrainArgs, data: &Dataset) -> Result<String> {
    let (header, _) = crate::data::open_csv(&args.data)?;
    header
        .into_iter()
        .find(|h| !data.feature_names.contains(h))
        .ok_or_else(|| Error::file(&args.data, "cannot tell which column is the target"))
}

/// Describes the run before it starts, so the user sees every default that was chosen.
fn describe(p: &Prepared, args: &TrainArgs) -> String {
    let task = match &p.train.targets {
        Targets::Classes { names, .. } => format!("classification, {} classes", names.len()),
        Targets::Values { names, .. } => format!("regression of {}", names.join(", ")),
    };
    let target = p.info.target_column.as_deref().map_or(String::new(), |t| format!(", target column {t:?}"));
    let test = match &args.test {
        Some(path) => format!("{} ({} samples)", path.display(), p.test.len()),
        None => format!("{} % of the data held out ({} samples)", (args.test_split * 100.0).round(), p.test.len()),
    };
    let sizes: Vec<String> = p.info.architecture.sizes.iter().map(|s| s.to_string()).collect();
    format!(
        "data: {} ({}, {} features{target}), {task}\n\
         split: {} training, {} validation; test: {test}\n\
         model: MLP {} with {} hidden activation, {} weights; loss {}\n\
         training: {} epochs, batch {}, {} lr {} ({} schedule{}), seed {}, {} threads{}",
        args.data.display(),
        p.info.input,
        p.train.width(),
        p.train.len(),
        p.val.as_ref().map_or(0, Dataset::len),
        sizes.join("-"),
        p.info.architecture.activation.name(),
        p.learner.params.numel(),
        p.info.loss.name(),
        p.cfg.epochs,
        p.cfg.batch_size,
        match p.learner.optimizer {
            Optimizer::Sgd(ref s) => format!("sgd (momentum {})", s.momentum),
            Optimizer::Adam(ref a) if a.decoupled => "adamw".to_string(),
            Optimizer::Adam(_) => "adam".to_string(),
            Optimizer::RmsProp(_) => "rmsprop".to_string(),
        },
        p.cfg.lr.base,
        args.schedule.to_possible_value().map_or(String::new(), |v| v.get_name().to_string()),
        if args.warmup > 0.0 { format!(", {} warm-up epochs", args.warmup) } else { String::new() },
        p.cfg.seed,
        p.cfg.threads.get(),
        p.cfg.early_stop.map_or(String::new(), |e| format!(", early stop after {e}")),
    )
}

/// Writes the model, metrics and checkpoint after each epoch; shows progress.
struct Recorder<'a> {
    dir: &'a Path,
    info: ModelInfo,
    settings: serde_json::Value,
    history: Vec<EpochMetrics>,
    best: Option<(usize, f64)>,
    bar: Option<ProgressBar>,
    quiet: bool,
    epochs: usize,
    error: Option<Error>,
}

impl Recorder<'_> {
    fn save(&mut self, metrics: &EpochMetrics, learner: &Learner) -> Result<()> {
        self.history.push(metrics.clone());
        let improved = match metrics.val_loss {
            Some(v) if v.is_finite() => self.best.is_none_or(|(_, b)| v < b),
            Some(_) => false,
            None => true,
        };
        self.info.epochs_trained = metrics.epoch;
        if improved {
            self.best = metrics.val_loss.map(|v| (metrics.epoch, v));
            self.info.weights_from_epoch = metrics.epoch;
            io::save_model(self.dir, &self.info, &learner.params)?;
        } else {
            // The weights stay those of the best epoch; the description records the epochs run.
            let json = serde_json::to_string_pretty(&self.info).map_err(|e| Error::invalid(e.to_string()))?;
            io::write_atomic(&self.dir.join("model.json"), json.as_bytes())?;
        }
        let checkpoint = Checkpoint {
            epoch: metrics.epoch,
            optimizer: learner.optimizer.clone(),
            history: self.history.clone(),
            best: self.best,
            settings: self.settings.clone(),
        };
        io::save_checkpoint(self.dir, &checkpoint, &learner.params)?;
        io::write_atomic(&self.dir.join("metrics.csv"), metrics_csv(&self.history).as_bytes())?;
        io::write_curves(self.dir, &self.history)
    }
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| format!("{v}"))
}

/// `metrics.csv`: one row per epoch.
fn metrics_csv(history: &[EpochMetrics]) -> String {
    let mut out = String::from("epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds\n");
    for m in history {
        out.push_str(&format!(
            "{},{},{},{},{},{},{:.3}\n",
            m.epoch,
            m.train_loss,
            fmt_opt(m.train_accuracy),
            fmt_opt(m.val_loss),
            fmt_opt(m.val_accuracy),
            m.lr,
            m.seconds
        ));
    }
    out
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
        let Some(bar) = &self.bar else { return };
        if done == 1 {
            bar.reset();
            bar.set_length(steps as u64);
            bar.set_prefix(format!("epoch {epoch}/{}", self.epochs));
        }
        bar.set_position(done as u64);
        let acc = accuracy.map_or(String::new(), |a| format!(" acc {a:.4}"));
        bar.set_message(format!("loss {loss:.4}{acc}"));
    }

    fn on_epoch(&mut self, metrics: &EpochMetrics, learner: &Learner) -> Control {
        if let Err(e) = self.save(metrics, learner) {
            self.error = Some(e);
            return Control::Stop;
        }
        let line = epoch_line(metrics, self.epochs);
        match &self.bar {
            Some(bar) => bar.println(line),
            None if !self.quiet => eprintln!("{line}"),
            None => {}
        }
        Control::Continue
    }
}

/// Removes temporary files a killed run may have left mid-write (`.NAME.tmp-PID`); the files
/// they were meant to replace are intact.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.contains(".tmp-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

pub fn run(args: TrainArgs) -> Result<()> {
    let dir = args.out.clone();
    let resumed = if args.resume {
        match io::load_checkpoint(&dir)? {
            Some(found) => Some(found),
            None => return Err(Error::file(&dir, "no checkpoint here to resume (train without --resume first)")),
        }
    } else {
        if dir.join("model.json").exists() || dir.join("checkpoint.safetensors").exists() {
            if !args.overwrite {
                return Err(Error::file(
                    &dir,
                    "already holds a model; use --resume to continue it, --overwrite to replace it, or another --out",
                ));
            }
            for f in
                ["model.json", "model.safetensors", "checkpoint.safetensors", "metrics.csv", "curves.svg", "curves.png"]
            {
                let _ = std::fs::remove_file(dir.join(f));
            }
        }
        None
    };
    // On resume, the run's own settings come back from the checkpoint; --epochs may extend it.
    let effective = match &resumed {
        Some((checkpoint, _)) => {
            let mut stored: TrainArgs = serde_json::from_value(checkpoint.settings.clone())
                .map_err(|e| Error::file(&dir.join("checkpoint.safetensors"), format!("unreadable settings: {e}")))?;
            stored.epochs = stored.epochs.max(args.epochs);
            (stored.threads, stored.quiet, stored.out) = (args.threads, args.quiet, args.out.clone());
            stored
        }
        None => args.clone(),
    };
    let mut p = prepare(&effective)?;
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    remove_stale_temporaries(&dir);
    let settings = serde_json::to_value(&effective).map_err(|e| Error::invalid(e.to_string()))?;
    let mut start_epoch = 0;
    let mut recorder = Recorder {
        dir: &dir,
        info: p.info.clone(),
        settings,
        history: vec![],
        best: None,
        bar: None,
        quiet: effective.quiet,
        epochs: p.cfg.epochs,
        error: None,
    };
    if let Some((checkpoint, params)) = resumed {
        if params.len() != p.learner.params.len()
            || params.iter().zip(p.learner.params.iter()).any(|(a, b)| a.1 != b.1 || a.2.shape() != b.2.shape())
        {
            return Err(Error::file(&dir.join("checkpoint.safetensors"), "its weights do not fit the run's model"));
        }
        p.learner.params = params;
        p.learner.optimizer = checkpoint.optimizer;
        start_epoch = checkpoint.epoch;
        recorder.history = checkpoint.history;
        recorder.best = checkpoint.best;
        recorder.info.weights_from_epoch = checkpoint.best.map_or(checkpoint.epoch, |b| b.0);
        if !effective.quiet {
            eprintln!("resuming {} after epoch {start_epoch} of {}", dir.display(), p.cfg.epochs);
        }
    }
    if !effective.quiet {
        eprintln!("{}", describe(&p, &effective));
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(1).with_style(
                ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({per_sec}, {eta})")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            recorder.bar = Some(bar);
        }
    }
    let report = train_observed(&mut p.learner, &p.train, p.val.as_ref(), &p.cfg, start_epoch, &mut recorder);
    if let Some(bar) = &recorder.bar {
        bar.finish_and_clear();
    }
    if let Some(e) = recorder.error.take() {
        return Err(e);
    }
    let report =
        report.map_err(|e| Error::invalid(format!("{e}. The last good model is kept in {}", dir.display())))?;
    // Test the kept model (the best epoch's weights, or the last epoch's without validation).
    let (_, model, params) = io::load_model(&dir)?;
    let test = evaluate(&model, &params, &p.test, p.info.loss, p.cfg.threads)?;
    let kept = recorder.info.weights_from_epoch;
    let stopped = if report.stopped_early { ", stopped early" } else { "" };
    let line = match test.accuracy {
        Some(a) => format!(
            "test accuracy {:.2} % (loss {:.4}) on {} samples, model from epoch {kept}{stopped}; saved in {}\n",
            100.0 * a,
            test.loss,
            p.test.len(),
            dir.display()
        ),
        None => format!(
            "test loss {:.6} on {} samples, model from epoch {kept}{stopped}; saved in {}\n",
            test.loss,
            p.test.len(),
            dir.display()
        ),
    };
    super::emit(&line)
}
