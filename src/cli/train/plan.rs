//! From arguments and a description of the loaded data to a typed training plan: a pure
//! function, so every default and every refusal is unit-tested without reading a file.

use std::path::PathBuf;

use super::args::TrainArgs;
use crate::data::Task;
use crate::error::{Error, Result};
use crate::io::InputKind;
use crate::loss::Loss;
use crate::nn::MlpSpec;
use crate::optim::{LrSchedule, OptimizerKind, OptimizerSettings, Schedule};
use crate::tensor::Threads;
use crate::train::TrainConfig;

/// What the loaded training data looks like, as far as the plan needs to know.
#[derive(Clone, Debug, PartialEq)]
pub struct DataDescription {
    pub kind: InputKind,
    pub task: Task,
    /// Features per sample.
    pub features: usize,
    /// Model outputs the targets call for (classes, or target columns).
    pub outputs: usize,
}

/// Where the test set comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum TestSet {
    /// Its own file (`--test`).
    File(PathBuf),
    /// This fraction of `--data`, held out.
    HeldOut(f64),
}

/// Everything a training run will do, decided before it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainPlan {
    pub kind: InputKind,
    pub task: Task,
    pub test: TestSet,
    /// The fraction of the training part held out to validate each epoch (0 for none).
    pub val_split: f64,
    /// Whether the features are standardised with the training part's statistics (CSV).
    pub standardize: bool,
    pub architecture: MlpSpec,
    pub optimizer: OptimizerKind,
    pub optimizer_settings: OptimizerSettings,
    /// The loss, the learning-rate schedule, epochs, batch size, clipping, early stopping, seed
    /// and threads.
    pub config: TrainConfig,
}

fn check_fraction(name: &str, f: f64) -> Result<()> {
    if (0.0..1.0).contains(&f) {
        Ok(())
    } else {
        Err(Error::invalid(format!("{name} must be at least 0 and below 1, got {f}")))
    }
}

/// Checks the arguments that need no data, so a bad flag fails before a large file is read.
pub fn check_args(args: &TrainArgs) -> Result<()> {
    check_fraction("--test-split", args.test_split)?;
    check_fraction("--val-split", args.val_split)?;
    if !(0.0..1.0).contains(&args.dropout) {
        return Err(Error::invalid(format!("--dropout must be at least 0 and below 1, got {}", args.dropout)));
    }
    if args.epochs == 0 {
        return Err(Error::invalid("--epochs must be at least 1"));
    }
    if args.batch_size == 0 {
        return Err(Error::invalid("--batch-size must be at least 1"));
    }
    if args.hidden.contains(&0) {
        return Err(Error::invalid("--hidden sizes must be positive"));
    }
    if args.test_labels.is_some() && args.test.is_none() {
        return Err(Error::invalid("--test-labels goes with --test"));
    }
    if args.test.is_none() && args.test_split <= 0.0 {
        return Err(Error::invalid("without --test, --test-split must hold some data out for testing"));
    }
    if let Some(lr) = args.lr
        && !(lr > 0.0 && lr.is_finite())
    {
        return Err(Error::invalid(format!("--lr must be a positive number, got {lr}")));
    }
    Ok(())
}

/// The plan for training on data described by `data` as `args` ask.
pub fn plan(args: &TrainArgs, data: &DataDescription) -> Result<TrainPlan> {
    check_args(args)?;
    let loss = match (args.loss, data.task) {
        (Some(Loss::CrossEntropy), Task::Regress) => {
            return Err(Error::invalid(
                "--loss cross-entropy needs class targets; this target is regression (use mse)",
            ));
        }
        (Some(loss), _) => loss,
        (None, Task::Classify) => Loss::CrossEntropy,
        (None, Task::Regress) => Loss::Mse,
    };
    let mut sizes = vec![data.features];
    sizes.extend(&args.hidden);
    sizes.push(data.outputs);
    let architecture = MlpSpec { dropout: args.dropout, ..MlpSpec::logits(&sizes, args.activation) };
    let lr = args.lr.unwrap_or(args.optimizer.default_lr());
    let schedule = Schedule::for_run(args.schedule, args.epochs as f64, args.warmup);
    let mut config = TrainConfig::new(loss, lr);
    config.epochs = args.epochs;
    config.batch_size = args.batch_size;
    config.lr = LrSchedule { base: lr, schedule, warmup: args.warmup };
    config.clip_norm = args.clip_norm;
    config.early_stop = args.early_stop;
    config.seed = args.seed;
    config.threads = args.threads.map_or(Threads::all(), Threads::new);
    Ok(TrainPlan {
        kind: data.kind,
        task: data.task,
        test: match &args.test {
            Some(path) => TestSet::File(path.clone()),
            None => TestSet::HeldOut(args.test_split),
        },
        val_split: args.val_split,
        standardize: data.kind == InputKind::Csv,
        architecture,
        optimizer: args.optimizer,
        optimizer_settings: OptimizerSettings { momentum: args.momentum, weight_decay: args.weight_decay },
        config,
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::nn::Activation;
    use crate::optim::ScheduleKind;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: TrainArgs,
    }

    fn args(extra: &[&str]) -> TrainArgs {
        let base = ["train", "--data", "d.csv", "--out", "runs/x"];
        Cli::try_parse_from(base.iter().chain(extra)).expect("valid arguments").args
    }

    const DIGITS: DataDescription =
        DataDescription { kind: InputKind::Csv, task: Task::Classify, features: 64, outputs: 10 };
    const PRICES: DataDescription =
        DataDescription { kind: InputKind::Csv, task: Task::Regress, features: 3, outputs: 1 };

    #[test]
    fn defaults_are_one_relu_layer_of_128_adam_and_the_tasks_loss() {
        let p = plan(&args(&[]), &DIGITS).unwrap();
        assert_eq!(p.architecture, MlpSpec::logits(&[64, 128, 10], Activation::Relu));
        assert_eq!((p.optimizer, p.config.lr.base, p.config.loss), (OptimizerKind::Adam, 1e-3, Loss::CrossEntropy));
        assert_eq!((p.config.epochs, p.config.batch_size, p.config.seed), (20, 64, 42));
        assert_eq!((p.test, p.val_split, p.standardize), (TestSet::HeldOut(0.2), 0.1, true));
        assert_eq!(plan(&args(&[]), &PRICES).unwrap().config.loss, Loss::Mse);
    }

    #[test]
    fn every_choice_reaches_the_plan_in_the_librarys_own_types() {
        let a = args(&[
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
        ]);
        let p = plan(&a, &DIGITS).unwrap();
        assert_eq!(p.architecture.sizes, [64, 8, 4, 10]);
        assert_eq!((p.architecture.activation, p.architecture.dropout), (Activation::Tanh, 0.25));
        assert_eq!((p.optimizer, p.optimizer_settings.momentum, p.config.lr.base), (OptimizerKind::Nesterov, 0.5, 0.1));
        assert_eq!(p.config.lr.schedule, Schedule::for_run(ScheduleKind::Cosine, 10.0, 2.0));
        assert_eq!(p.config.lr.schedule, Schedule::Cosine { epochs: 8.0, min_lr: 0.0 });
        assert_eq!((p.config.loss, p.test), (Loss::HalfSse, TestSet::File("t.csv".into())));
    }

    #[test]
    fn idx_images_are_not_standardised() {
        let images = DataDescription { kind: InputKind::Idx, ..DIGITS };
        assert!(!plan(&args(&[]), &images).unwrap().standardize);
    }

    #[test]
    fn refusals_name_the_flag() {
        let refused = |extra: &[&str], data: &DataDescription, needle: &str| {
            let e = plan(&args(extra), data).unwrap_err().to_string();
            assert!(e.contains(needle), "{extra:?}: {e}");
        };
        refused(&["--loss", "cross-entropy"], &PRICES, "--loss cross-entropy needs class targets");
        refused(&["--val-split", "1"], &DIGITS, "--val-split must be at least 0 and below 1");
        refused(&["--test-split", "0"], &DIGITS, "--test-split must hold some data out");
        refused(&["--dropout", "1"], &DIGITS, "--dropout must be");
        refused(&["--epochs", "0"], &DIGITS, "--epochs must be at least 1");
        refused(&["--batch-size", "0"], &DIGITS, "--batch-size must be at least 1");
        refused(&["--hidden", "4,0"], &DIGITS, "--hidden sizes must be positive");
        refused(&["--test-labels", "l.gz"], &DIGITS, "--test-labels goes with --test");
        refused(&["--lr", "0"], &DIGITS, "--lr must be a positive number");
    }
}
