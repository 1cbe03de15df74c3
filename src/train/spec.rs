//! What a user asks of a training run, before any data is read: [`DataFiles`] (where the
//! data is) and [`TrainSpec`] (how to read it, split it, and what to train on it). Both are
//! the library's own types: the command line parses straight into them (clap, behind the `cli`
//! feature), a checkpoint stores them (serde, as one [`TrainRequest`]) to resume the same run,
//! and a library user fills them in with struct-update syntax from [`TrainSpec::default`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::data::Task;
use crate::error::{Error, Result};
use crate::loss::{ClassWeight, Loss};
use crate::nn::Activation;
use crate::optim::{OptimizerKind, ScheduleKind};

/// The files a run trains and tests on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct DataFiles {
    /// Training data: a CSV file with a header, or an IDX image file (gzip or raw).
    #[cfg_attr(feature = "cli", arg(long))]
    pub data: PathBuf,
    /// The IDX label file that goes with IDX images.
    #[cfg_attr(feature = "cli", arg(long))]
    pub labels: Option<PathBuf>,
    /// Test data, read like --data; reported after training.
    #[cfg_attr(feature = "cli", arg(long))]
    pub test: Option<PathBuf>,
    /// The IDX label file that goes with --test.
    #[cfg_attr(feature = "cli", arg(long))]
    pub test_labels: Option<PathBuf>,
}

impl DataFiles {
    /// A CSV (or IDX image file) to train on, with a share of it held out for testing.
    pub fn new(data: impl Into<PathBuf>) -> DataFiles {
        DataFiles { data: data.into(), ..DataFiles::default() }
    }
}

/// How to train: every choice a user can make, each defaulting to what our measurements chose
/// (see the plan's constants and `docs/training.md`). Checked without data by
/// [`TrainSpec::validate`]; what depends on the data (the loss, the epochs, the layer sizes) is
/// decided by `pipeline::plan`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default)]
pub struct TrainSpec {
    /// The CSV target column, by name or 0-based index [default: label, target or class, else the last].
    #[cfg_attr(feature = "cli", arg(long))]
    pub target: Option<String>,
    /// Classification or regression [default: classify when the target holds a few integers or text].
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub task: Option<Task>,
    /// Read these CSV columns as categories (e.g. integer-coded ones), comma-separated.
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ',', value_name = "COLUMN,.."))]
    pub categorical: Vec<String>,
    /// Read these CSV columns as numbers.
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ',', value_name = "COLUMN,.."))]
    pub numeric: Vec<String>,
    /// Leave these CSV columns out.
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ',', value_name = "COLUMN,.."))]
    pub ignore: Vec<String>,
    /// More markers of a missing cell, besides empty, NA, N/A, NaN, nan, null, NULL, None, ? and -.
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ',', value_name = "TOKEN,.."))]
    pub na: Vec<String>,
    /// The CSV field delimiter: , ; | or tab [default: recognised from the header line].
    #[cfg_attr(feature = "cli", arg(long, value_parser = parse_delimiter))]
    pub delimiter: Option<u8>,
    /// Categories seen in fewer training rows merge into "other" [default: 5, or 1 % of the training rows when fewer].
    #[cfg_attr(feature = "cli", arg(long, value_name = "ROWS"))]
    pub min_category_count: Option<usize>,
    /// Weight the classes in the cross-entropy (balanced: n / (classes · n_class), for imbalanced data).
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub class_weight: Option<ClassWeight>,
    /// Without --test, the fraction of --data held out for testing.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.2))]
    pub test_split: f64,
    /// The fraction of the training data held out to validate each epoch (0 for none).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.1))]
    pub val_split: f64,
    /// Hidden layer sizes, comma-separated (two layers: on tables of 50k rows, one of 128 fell
    /// 1–2 accuracy points short of scikit-learn's MLP; see comparison/tabular.py).
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ',', default_value = "128,64"))]
    pub hidden: Vec<usize>,
    /// The hidden layers' activation.
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value = "relu"))]
    pub activation: Activation,
    /// The loss [default: cross-entropy for classification, mse for regression].
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub loss: Option<Loss>,
    /// The optimiser (PyTorch's defaults for its other hyper-parameters).
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value = "adam"))]
    pub optimizer: OptimizerKind,
    /// Learning rate [default: 0.001 for adam, adamw and rmsprop; 0.1 for sgd and nesterov].
    #[cfg_attr(feature = "cli", arg(long))]
    pub lr: Option<f64>,
    /// SGD's and Nesterov's momentum.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.9))]
    pub momentum: f64,
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.0))]
    pub weight_decay: f64,
    /// How the learning rate changes over the epochs (step: ×0.1 every third of the run).
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value = "constant"))]
    pub schedule: ScheduleKind,
    /// Epochs of linear learning-rate warm-up.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.0))]
    pub warmup: f64,
    /// Rescale gradients whose global norm exceeds this.
    #[cfg_attr(feature = "cli", arg(long))]
    pub clip_norm: Option<f64>,
    /// Dropout probability after each hidden layer [default: 0.1 for tables, 0 for images].
    #[cfg_attr(feature = "cli", arg(long))]
    pub dropout: Option<f64>,
    /// Epochs [default: enough for about 20,000 steps, between 10 and 500, with early stopping].
    #[cfg_attr(feature = "cli", arg(long))]
    pub epochs: Option<usize>,
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 64))]
    pub batch_size: usize,
    /// Stop after this many epochs without a lower validation loss [default with automatic epochs: a tenth of them, at least 20].
    #[cfg_attr(feature = "cli", arg(long))]
    pub early_stop: Option<usize>,
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 42))]
    pub seed: u64,
}

/// The command line's defaults, written once: clap's `default_value`s above say the same, and
/// a test holds the two together.
impl Default for TrainSpec {
    fn default() -> TrainSpec {
        TrainSpec {
            target: None,
            task: None,
            categorical: vec![],
            numeric: vec![],
            ignore: vec![],
            na: vec![],
            delimiter: None,
            min_category_count: None,
            class_weight: None,
            test_split: 0.2,
            val_split: 0.1,
            hidden: vec![128, 64],
            activation: Activation::Relu,
            loss: None,
            optimizer: OptimizerKind::Adam,
            lr: None,
            momentum: 0.9,
            weight_decay: 0.0,
            schedule: ScheduleKind::Constant,
            warmup: 0.0,
            clip_norm: None,
            dropout: None,
            epochs: None,
            batch_size: 64,
            early_stop: None,
            seed: 42,
        }
    }
}

fn check_fraction(name: &str, f: f64) -> Result<()> {
    if (0.0..1.0).contains(&f) {
        Ok(())
    } else {
        Err(Error::invalid(format!("{name} must be at least 0 and below 1, got {f}")))
    }
}

/// A training request as a whole: the files and the spec (a checkpoint's settings, in one
/// flat JSON object as the command line's options are).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainRequest {
    #[serde(flatten)]
    pub files: DataFiles,
    #[serde(flatten)]
    pub spec: TrainSpec,
}

impl TrainSpec {
    /// Checks everything that needs no data, so a bad choice fails before a large file is
    /// read; errors name the option (`--val-split`) as the command line spells it.
    pub fn validate(&self, files: &DataFiles) -> Result<()> {
        check_fraction("--test-split", self.test_split)?;
        check_fraction("--val-split", self.val_split)?;
        if let Some(p) = self.dropout
            && !(0.0..1.0).contains(&p)
        {
            return Err(Error::invalid(format!("--dropout must be at least 0 and below 1, got {p}")));
        }
        if self.epochs == Some(0) {
            return Err(Error::invalid("--epochs must be at least 1"));
        }
        if self.min_category_count == Some(0) {
            return Err(Error::invalid("--min-category-count must be at least 1"));
        }
        if self.batch_size == 0 {
            return Err(Error::invalid("--batch-size must be at least 1"));
        }
        if self.hidden.contains(&0) {
            return Err(Error::invalid("--hidden sizes must be positive"));
        }
        if files.test_labels.is_some() && files.test.is_none() {
            return Err(Error::invalid("--test-labels goes with --test"));
        }
        if files.test.is_none() && self.test_split <= 0.0 {
            return Err(Error::invalid("without --test, --test-split must hold some data out for testing"));
        }
        if let Some(lr) = self.lr
            && !(lr > 0.0 && lr.is_finite())
        {
            return Err(Error::invalid(format!("--lr must be a positive number, got {lr}")));
        }
        Ok(())
    }
}

/// `--delimiter`: one ASCII character, or `tab`.
#[cfg(feature = "cli")]
fn parse_delimiter(text: &str) -> Result<u8> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() => Ok(text.as_bytes()[0]),
        _ => Err(Error::invalid(format!("{text:?} is not one character (or \"tab\")"))),
    }
}
