//! From a [`TrainSpec`] and a description of the loaded data to a typed training plan: a pure
//! function, so every default and every refusal is unit-tested without reading a file.

use std::path::PathBuf;

use crate::data::table::FitOptions;
use crate::data::{Augmentation, Task};
use crate::error::{Error, Result};
use crate::io::InputKind;
use crate::loss::{ClassWeight, Loss};
use crate::nn::{Architecture, LayerSpec, SampleShape};
use crate::optim::{LrSchedule, OptimizerKind, OptimizerSettings, Schedule, ScheduleKind};
use crate::tensor::Threads;
use crate::train::TrainConfig;
use crate::train::TrainSpec;

/// What the loaded training data looks like, as far as the plan needs to know.
#[derive(Clone, Debug, PartialEq)]
pub struct DataDescription {
    pub kind: InputKind,
    pub task: Task,
    /// One sample's shape: its features, or an image's channels × rows × columns.
    pub sample: SampleShape,
    /// Model outputs the targets call for (classes, or target columns).
    pub outputs: usize,
    /// Training samples (after the test and validation parts are held out).
    pub samples: usize,
}

/// Where the test set comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum TestSet {
    /// Its own file (`--test`).
    File(PathBuf),
    /// This fraction of `--data`, held out.
    HeldOut(f64),
    /// Fold `fold` (0-based) of `--data` cut into `of` folds: a cross-validation's test part
    /// (`pipeline::cv`).
    Fold { fold: usize, of: usize },
}

/// Everything a training run will do, decided before it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainPlan {
    pub kind: InputKind,
    pub task: Task,
    pub test: TestSet,
    /// The fraction of the training part held out to validate each epoch (0 for none).
    pub val_split: f64,
    pub class_weight: Option<ClassWeight>,
    pub architecture: Architecture,
    pub optimizer: OptimizerKind,
    pub optimizer_settings: OptimizerSettings,
    /// The loss, the learning-rate schedule, epochs, batch size, clipping, early stopping, seed
    /// and threads.
    pub config: TrainConfig,
}

/// How a table's preprocessing is fitted on the training part: numeric columns standardised,
/// rare categories merged as `--min-category-count` says.
pub fn fit_options(spec: &TrainSpec) -> FitOptions {
    FitOptions { min_category_count: spec.min_category_count, standardize: true, scaling: spec.scaling }
}

/// Dropout after each hidden layer on tables, by default. In `comparison/tabular.py` it was
/// worth 1.6 points of accuracy on the 54k-row diamonds and 4–8 points of R² on the small
/// regressions (Credit, 400 rows; Housing, 546) — which were part of the held-out set, so
/// that set is no longer untouched for this choice; images keep none, as the MNIST run was
/// tuned without it.
const TABLE_DROPOUT: f64 = 0.1;

/// An MLP's hidden layers by default (two: on tables of 50k rows, one of 128 fell 1–2 accuracy
/// points short of scikit-learn's MLP; see comparison/tabular.py).
const TABLE_HIDDEN: [usize; 2] = [128, 64];

/// The network images get by default (see `docs/images.md` for the runs that chose it).
pub const IMAGE_LAYERS: &str =
    "conv 32 5, batchnorm, relu, maxpool 2, conv 64 5, batchnorm, relu, maxpool 2, dense 256, relu, dropout 0.3";

/// Epochs for images by default, on a cosine schedule (see `docs/images.md`).
const IMAGE_EPOCHS: usize = 12;

/// How far training images are shifted by default, in pixels (see `docs/images.md`).
const IMAGE_SHIFT: f64 = 2.0;

/// A table's batch size and Adam's (and AdamW's) learning rate on tables by default. On
/// `comparison/tabular.py` (nine tasks, three splits each) batches of 128 at 0.002 instead of 64
/// at 0.001 won 1.1 accuracy points on diamonds cut (38k training rows), bringing it level
/// with gradient boosting, and were level elsewhere (see `docs/training.md`). Images keep 64.
const TABLE_BATCH: usize = 128;
const TABLE_ADAM_LR: f64 = 0.002;
/// Images' batch size by default (see `docs/images.md`).
const IMAGE_BATCH: usize = 64;

/// This run's batch size: `--batch-size`, else [`TABLE_BATCH`] or [`IMAGE_BATCH`].
fn batch_size(spec: &TrainSpec, data: &DataDescription) -> usize {
    spec.batch_size.unwrap_or(match data.kind {
        InputKind::Csv => TABLE_BATCH,
        InputKind::Idx | InputKind::Images => IMAGE_BATCH,
    })
}

/// This run's learning rate: `--lr`, else [`TABLE_ADAM_LR`] for Adam and AdamW on tables, else
/// the optimiser's default.
fn learning_rate(spec: &TrainSpec, data: &DataDescription) -> f64 {
    let adam = matches!(spec.optimizer, OptimizerKind::Adam | OptimizerKind::Adamw);
    spec.lr.unwrap_or(if adam && data.kind == InputKind::Csv { TABLE_ADAM_LR } else { spec.optimizer.default_lr() })
}

/// About this many optimiser steps in a run with automatic epochs. The automatic numbers were
/// chosen by `comparison/tabular.py` (nine tasks on five real tables, three splits each,
/// against scikit-learn's MLP pipeline): 3,000 steps and a patience of 10 left the larger
/// tables (diamonds, 54k rows) 1–2 points short; more steps changed nothing on small ones,
/// where the 500-epoch cap and early stopping decide.
const AUTO_STEPS: usize = 20_000;
/// Automatic epochs stay within these bounds.
const AUTO_EPOCHS: (usize, usize) = (10, 500);
/// Automatic early stopping waits at least this many epochs for a better validation score.
const AUTO_PATIENCE: usize = 20;

/// The hidden layers this run trains: `--layers` as given; else an MLP of `--hidden` (each
/// layer followed by `--activation` and dropout); else, for images, [`IMAGE_LAYERS`].
fn hidden_layers(spec: &TrainSpec, data: &DataDescription) -> Vec<LayerSpec> {
    if let Some(layers) = &spec.layers {
        return layers.0.clone();
    }
    if spec.hidden.is_none() && matches!(data.sample, SampleShape::Image { .. }) {
        return crate::nn::syntax::parse_layers(IMAGE_LAYERS).expect("the default image layers parse");
    }
    let dropout = spec.dropout.unwrap_or(match data.kind {
        InputKind::Csv => TABLE_DROPOUT,
        InputKind::Idx | InputKind::Images => 0.0,
    });
    let mut layers = vec![];
    for &units in spec.hidden.as_deref().unwrap_or(&TABLE_HIDDEN) {
        layers.push(LayerSpec::Dense { units });
        layers.push(LayerSpec::Activation(spec.activation));
        if dropout > 0.0 {
            layers.push(LayerSpec::Dropout { p: dropout });
        }
    }
    layers
}

/// How training images are varied: `--shift` (by default 2 pixels for a convolutional
/// network; none for an MLP, whose documented MNIST recipes were measured without), `--rotate`,
/// `--flip`; refused for tables, where they mean nothing.
fn augmentation(spec: &TrainSpec, data: &DataDescription, network: &Architecture) -> Result<Option<Augmentation>> {
    if !matches!(data.sample, SampleShape::Image { .. }) {
        if spec.shift.is_some() || spec.rotate.is_some() || spec.flip {
            return Err(Error::invalid("--shift, --rotate and --flip vary images; this data is a table"));
        }
        return Ok(None);
    }
    let augment = Augmentation {
        shift: spec.shift.unwrap_or(if network.is_convolutional() { IMAGE_SHIFT } else { 0.0 }),
        rotate: spec.rotate.unwrap_or(0.0),
        flip: spec.flip,
    };
    Ok((!augment.is_identity()).then_some(augment))
}

/// The epochs and early-stopping patience: as given, or — without `--epochs` — enough epochs
/// for about [`AUTO_STEPS`] steps on the training part (small tables need many epochs, large
/// ones few), stopping after a tenth of them (at least [`AUTO_PATIENCE`]) without a better
/// validation score.
fn epochs(spec: &TrainSpec, data: &DataDescription) -> (usize, Option<usize>) {
    if let Some(epochs) = spec.epochs {
        return (epochs, spec.early_stop);
    }
    if matches!(data.sample, SampleShape::Image { .. }) {
        return (IMAGE_EPOCHS, spec.early_stop);
    }
    let steps_per_epoch = data.samples.div_ceil(batch_size(spec, data));
    let epochs = AUTO_STEPS.div_ceil(steps_per_epoch.max(1)).clamp(AUTO_EPOCHS.0, AUTO_EPOCHS.1);
    let patience = (spec.val_split > 0.0).then_some((epochs / 10).max(AUTO_PATIENCE));
    (epochs, spec.early_stop.or(patience))
}

/// The label smoothing of this run: `--label-smoothing`, else none (on `comparison/tabular.py`'s
/// five class tables, three splits each, 0.1 moved accuracy by −0.007 to +0.022, +0.002 on
/// average: not enough to be a default); refused for a loss other than the cross-entropy of
/// classes.
fn label_smoothing(spec: &TrainSpec, data: &DataDescription, loss: Loss) -> Result<f64> {
    match spec.label_smoothing {
        Some(e) if e > 0.0 && !(data.task == Task::Classify && loss == Loss::CrossEntropy) => Err(Error::invalid(
            format!("--label-smoothing smooths the cross-entropy of classes; this run's loss is {loss}"),
        )),
        e => Ok(e.unwrap_or(0.0)),
    }
}

/// The plan for training on data described by `data` and tested on `test`, as `spec` asks (on
/// all cores: the caller may set `config.threads`). The files were checked by
/// [`TrainSpec::validate`] before they were read.
pub fn plan(spec: &TrainSpec, test: TestSet, data: &DataDescription) -> Result<TrainPlan> {
    spec.validate_options()?;
    let loss = match (spec.loss, data.task) {
        (Some(Loss::CrossEntropy), Task::Regress) => {
            return Err(Error::invalid(
                "--loss cross-entropy needs class targets; this target is regression (use mse)",
            ));
        }
        (Some(loss), _) => loss,
        (None, Task::Classify) => Loss::CrossEntropy,
        (None, Task::Regress) => Loss::Mse,
    };
    if spec.class_weight.is_some() && loss != Loss::CrossEntropy {
        return Err(Error::invalid(format!(
            "--class-weight weights the cross-entropy of classes; this run's loss is {loss}"
        )));
    }
    let architecture = Architecture::for_data(data.sample, &hidden_layers(spec, data), data.outputs)?;
    let lr = learning_rate(spec, data);
    let (epochs, early_stop) = epochs(spec, data);
    let schedule_kind = spec.schedule.unwrap_or(match data.sample {
        SampleShape::Image { .. } => ScheduleKind::Cosine,
        SampleShape::Flat(_) => ScheduleKind::Constant,
    });
    let schedule = Schedule::for_run(schedule_kind, epochs as f64, spec.warmup);
    let mut config = TrainConfig::new(loss, lr);
    config.epochs = epochs;
    config.batch_size = batch_size(spec, data);
    config.lr = LrSchedule { base: lr, schedule, warmup: spec.warmup };
    config.clip_norm = spec.clip_norm;
    config.label_smoothing = label_smoothing(spec, data, loss)?;
    config.early_stop = early_stop;
    config.seed = spec.seed;
    config.threads = Threads::all();
    config.augment = augmentation(spec, data, &architecture)?;
    Ok(TrainPlan {
        kind: data.kind,
        task: data.task,
        test,
        val_split: spec.val_split,
        class_weight: spec.class_weight,
        architecture,
        optimizer: spec.optimizer,
        optimizer_settings: OptimizerSettings { momentum: spec.momentum, weight_decay: spec.weight_decay },
        config,
    })
}

#[cfg(all(test, feature = "cli"))]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::nn::{Activation, MlpSpec};
    use crate::train::DataFiles;

    /// The command line's parse of the spec and the files, as `backprop train` has it.
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        files: DataFiles,
        #[command(flatten)]
        spec: TrainSpec,
    }

    fn parse(extra: &[&str]) -> Cli {
        let base = ["train", "--data", "d.csv"];
        Cli::try_parse_from(base.iter().chain(extra)).expect("valid arguments")
    }

    fn plan_of(extra: &[&str], data: &DataDescription) -> Result<TrainPlan> {
        let cli = parse(extra);
        cli.spec.validate(&cli.files)?;
        let test = match &cli.files.test {
            Some(path) => TestSet::File(path.clone()),
            None => TestSet::HeldOut(cli.spec.test_split),
        };
        plan(&cli.spec, test, data)
    }

    #[test]
    fn the_command_lines_defaults_are_the_specs() {
        assert_eq!(parse(&[]).spec, TrainSpec::default());
        assert_eq!(parse(&[]).files, DataFiles::new("d.csv"));
    }

    const DIGITS: DataDescription = DataDescription {
        kind: InputKind::Csv,
        task: Task::Classify,
        sample: SampleShape::Flat(64),
        outputs: 10,
        samples: 1294,
    };
    const PRICES: DataDescription = DataDescription {
        kind: InputKind::Csv,
        task: Task::Regress,
        sample: SampleShape::Flat(3),
        outputs: 1,
        samples: 1000,
    };
    const MNIST: DataDescription = DataDescription {
        kind: InputKind::Idx,
        task: Task::Classify,
        sample: SampleShape::Image { channels: 1, height: 28, width: 28 },
        outputs: 10,
        samples: 54_000,
    };

    #[test]
    fn defaults_are_two_relu_layers_with_dropout_on_tables_adam_and_the_tasks_loss() {
        let p = plan_of(&[], &DIGITS).unwrap();
        let mlp = MlpSpec { dropout: 0.1, ..MlpSpec::logits(&[64, 128, 64, 10], Activation::Relu) };
        assert_eq!(p.architecture.as_mlp(), Some(mlp));
        let mlp_on_images = plan_of(&["--hidden", "128,64"], &MNIST).unwrap().architecture.as_mlp().unwrap();
        assert_eq!((mlp_on_images.sizes, mlp_on_images.dropout), (vec![784, 128, 64, 10], 0.0), "images: no dropout");
        let mlp_run = plan_of(&["--hidden", "128,64"], &MNIST).unwrap();
        assert_eq!(mlp_run.config.augment, None, "an MLP's images are not shifted unless asked");
        assert_eq!((p.optimizer, p.config.lr.base, p.config.loss), (OptimizerKind::Adam, 2e-3, Loss::CrossEntropy));
        assert_eq!((p.config.batch_size, p.config.seed), (128, 42));
        let images = plan_of(&[], &MNIST).unwrap().config;
        assert_eq!((images.batch_size, images.lr.base), (64, 1e-3), "images keep their recipe's batches");
        let sgd = plan_of(&["--optimizer", "sgd"], &DIGITS).unwrap().config;
        assert_eq!((sgd.batch_size, sgd.lr.base), (128, 0.1), "only Adam's rate is raised for tables");
        assert_eq!((p.test, p.val_split, p.class_weight), (TestSet::HeldOut(0.2), 0.1, None));
        assert_eq!(plan_of(&[], &PRICES).unwrap().config.loss, Loss::Mse);
    }

    #[test]
    fn images_get_the_default_cnn_on_a_cosine_schedule_with_shifts() {
        let p = plan_of(&[], &MNIST).unwrap();
        assert_eq!(p.architecture.input, [1, 28, 28]);
        assert_eq!(
            p.architecture.spec(),
            format!("{}, dense 10", IMAGE_LAYERS.replace("dense 256", "flatten, dense 256"))
        );
        assert_eq!((p.config.epochs, p.config.early_stop), (IMAGE_EPOCHS, None));
        assert_eq!(p.config.lr.schedule, Schedule::for_run(ScheduleKind::Cosine, IMAGE_EPOCHS as f64, 0.0));
        assert_eq!(p.config.augment, Some(Augmentation { shift: IMAGE_SHIFT, rotate: 0.0, flip: false }));
        let own = plan_of(&["--layers", "conv 8 3, relu", "--shift", "0", "--schedule", "constant"], &MNIST).unwrap();
        assert_eq!(own.architecture.spec(), "conv 8 3, relu, flatten, dense 10");
        assert_eq!((own.config.augment, own.config.lr.schedule), (None, Schedule::Constant));
        assert_eq!(plan_of(&[], &DIGITS).unwrap().config.lr.schedule, Schedule::Constant, "tables: constant");
    }

    #[test]
    fn automatic_epochs_give_about_20000_steps_within_10_to_500_epochs() {
        let epochs = |samples: usize, extra: &[&str]| {
            let p = plan_of(extra, &DataDescription { samples, ..DIGITS }).unwrap();
            (p.config.epochs, p.config.early_stop)
        };
        // 1,294 samples in batches of 128: 11 steps an epoch, 1,819 epochs for 20,000 steps: capped.
        assert_eq!(epochs(1294, &[]), (500, Some(50)));
        // 38,000 samples: 297 steps an epoch, 68 epochs; patience at least 20.
        assert_eq!(epochs(38_000, &[]), (68, Some(20)));
        // In batches of 64: 594 steps an epoch, 34 epochs.
        assert_eq!(epochs(38_000, &["--batch-size", "64"]), (34, Some(20)));
        assert_eq!(epochs(1_000_000, &[]), (10, Some(20)), "at least 10 epochs");
        assert_eq!(epochs(38_000, &["--epochs", "7"]), (7, None), "given epochs: no automatic early stop");
        assert_eq!(epochs(38_000, &["--val-split", "0"]), (68, None), "no validation, no early stop");
        assert_eq!(epochs(38_000, &["--early-stop", "3"]), (68, Some(3)));
    }

    #[test]
    fn balanced_class_weights_need_cross_entropy() {
        assert_eq!(
            plan_of(&["--class-weight", "balanced"], &DIGITS).unwrap().class_weight,
            Some(ClassWeight::Balanced)
        );
        let e = plan_of(&["--class-weight", "balanced"], &PRICES).unwrap_err().to_string();
        assert!(e.contains("--class-weight weights the cross-entropy"), "{e}");
    }

    #[test]
    fn label_smoothing_is_for_classes_and_checked() {
        assert_eq!(plan_of(&[], &DIGITS).unwrap().config.label_smoothing, 0.0);
        assert_eq!(plan_of(&["--label-smoothing", "0.1"], &DIGITS).unwrap().config.label_smoothing, 0.1);
        let e = plan_of(&["--label-smoothing", "0.1"], &PRICES).unwrap_err().to_string();
        assert!(e.contains("--label-smoothing smooths the cross-entropy"), "{e}");
        let e = plan_of(&["--label-smoothing", "1"], &DIGITS).unwrap_err().to_string();
        assert!(e.contains("at least 0 and below 1"), "{e}");
    }

    #[test]
    fn every_choice_reaches_the_plan_in_the_librarys_own_types() {
        let a = &[
            "--activation",
            "tanh",
            "--hidden",
            "8,4",
            "--optimizer",
            "nesterov",
            "--momentum",
            "0.5",
            "--schedule",
            "cosine",
            "--warmup",
            "2",
            "--epochs",
            "10",
            "--loss",
            "half-sse",
            "--dropout",
            "0.25",
            "--test",
            "t.csv",
        ];
        let p = plan_of(a, &DIGITS).unwrap();
        let mlp = p.architecture.as_mlp().unwrap();
        assert_eq!(mlp.sizes, [64, 8, 4, 10]);
        assert_eq!((mlp.activation, mlp.dropout), (Activation::Tanh, 0.25));
        assert_eq!((p.optimizer, p.optimizer_settings.momentum, p.config.lr.base), (OptimizerKind::Nesterov, 0.5, 0.1));
        assert_eq!(p.config.lr.schedule, Schedule::for_run(ScheduleKind::Cosine, 10.0, 2.0));
        assert_eq!(p.config.lr.schedule, Schedule::Cosine { epochs: 8.0, min_lr: 0.0 });
        assert_eq!((p.config.loss, p.test), (Loss::HalfSse, TestSet::File("t.csv".into())));
    }

    #[test]
    fn refusals_name_the_flag() {
        let refused = |extra: &[&str], data: &DataDescription, needle: &str| {
            let e = plan_of(extra, data).unwrap_err().to_string();
            assert!(e.contains(needle), "{extra:?}: {e}");
        };
        refused(&["--loss", "cross-entropy"], &PRICES, "--loss cross-entropy needs class targets");
        refused(&["--val-split", "1"], &DIGITS, "--val-split must be at least 0 and below 1");
        refused(&["--test-split", "0"], &DIGITS, "--test-split must hold some data out");
        refused(&["--dropout", "1"], &DIGITS, "--dropout must be");
        refused(&["--epochs", "0"], &DIGITS, "--epochs must be at least 1");
        refused(&["--min-category-count", "0"], &DIGITS, "--min-category-count must be at least 1");
        refused(&["--batch-size", "0"], &DIGITS, "--batch-size must be at least 1");
        refused(&["--hidden", "4,0"], &DIGITS, "--hidden sizes must be positive");
        refused(&["--test-labels", "l.gz"], &DIGITS, "--test-labels goes with --test");
        refused(&["--lr", "0"], &DIGITS, "--lr must be a positive number");
    }
}
