//! `backprop train`'s arguments, parsed by clap straight into the library's own types
//! (activation, loss, optimiser, schedule, task). Stored as JSON in the checkpoint, so a
//! resumed run continues with the settings it started with.

use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Serialize};

use crate::data::Task;
use crate::loss::{ClassWeight, Loss};
use crate::nn::Activation;
use crate::optim::{OptimizerKind, ScheduleKind};

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
    pub data: PathBuf,
    /// The IDX label file that goes with IDX images.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// The CSV target column, by name or 0-based index [default: label, target or class, else the last].
    #[arg(long)]
    pub target: Option<String>,
    /// Classification or regression [default: classify when the target holds a few integers or text].
    #[arg(long, value_enum)]
    pub task: Option<Task>,
    /// Read these CSV columns as categories (e.g. integer-coded ones), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "COLUMN,..")]
    #[serde(default)]
    pub categorical: Vec<String>,
    /// Read these CSV columns as numbers.
    #[arg(long, value_delimiter = ',', value_name = "COLUMN,..")]
    #[serde(default)]
    pub numeric: Vec<String>,
    /// Leave these CSV columns out.
    #[arg(long, value_delimiter = ',', value_name = "COLUMN,..")]
    #[serde(default)]
    pub ignore: Vec<String>,
    /// More markers of a missing cell, besides empty, NA, N/A, NaN, nan, null, NULL, None, ? and -.
    #[arg(long, value_delimiter = ',', value_name = "TOKEN,..")]
    #[serde(default)]
    pub na: Vec<String>,
    /// The CSV field delimiter: , ; | or tab [default: recognised from the header line].
    #[arg(long, value_parser = parse_delimiter)]
    #[serde(default)]
    pub delimiter: Option<u8>,
    /// Categories seen in fewer training rows merge into "other" [default: 5, or 1 % of the training rows when fewer].
    #[arg(long, value_name = "ROWS")]
    #[serde(default)]
    pub min_category_count: Option<usize>,
    /// Weight the classes in the cross-entropy (balanced: n / (classes · n_class), for imbalanced data).
    #[arg(long, value_enum)]
    #[serde(default)]
    pub class_weight: Option<ClassWeight>,
    /// Test data, read like --data; reported after training.
    #[arg(long)]
    pub test: Option<PathBuf>,
    /// The IDX label file that goes with --test.
    #[arg(long)]
    pub test_labels: Option<PathBuf>,
    /// Without --test, the fraction of --data held out for testing.
    #[arg(long, default_value_t = 0.2)]
    pub test_split: f64,
    /// The fraction of the training data held out to validate each epoch (0 for none).
    #[arg(long, default_value_t = 0.1)]
    pub val_split: f64,
    /// Hidden layer sizes, comma-separated (two layers: on tables of 50k rows, one of 128 fell
    /// 1–2 accuracy points short of scikit-learn's MLP; see comparison/tabular.py).
    #[arg(long, value_delimiter = ',', default_value = "128,64")]
    pub hidden: Vec<usize>,
    /// The hidden layers' activation.
    #[arg(long, value_enum, default_value = "relu")]
    pub activation: Activation,
    /// The loss [default: cross-entropy for classification, mse for regression].
    #[arg(long, value_enum)]
    pub loss: Option<Loss>,
    /// The optimiser (PyTorch's defaults for its other hyper-parameters).
    #[arg(long, value_enum, default_value = "adam")]
    pub optimizer: OptimizerKind,
    /// Learning rate [default: 0.001 for adam, adamw and rmsprop; 0.1 for sgd and nesterov].
    #[arg(long)]
    pub lr: Option<f64>,
    /// SGD's and Nesterov's momentum.
    #[arg(long, default_value_t = 0.9)]
    pub momentum: f64,
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f64,
    /// How the learning rate changes over the epochs (step: ×0.1 every third of the run).
    #[arg(long, value_enum, default_value = "constant")]
    pub schedule: ScheduleKind,
    /// Epochs of linear learning-rate warm-up.
    #[arg(long, default_value_t = 0.0)]
    pub warmup: f64,
    /// Rescale gradients whose global norm exceeds this.
    #[arg(long)]
    pub clip_norm: Option<f64>,
    /// Dropout probability after each hidden layer [default: 0.1 for tables, 0 for images].
    #[arg(long)]
    pub dropout: Option<f64>,
    /// Epochs [default: enough for about 20,000 steps, between 10 and 500, with early stopping].
    #[arg(long)]
    pub epochs: Option<usize>,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Stop after this many epochs without a lower validation loss [default with automatic epochs: a tenth of them, at least 20].
    #[arg(long)]
    pub early_stop: Option<usize>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Threads [default: all cores]. Results are reproducible for a given seed and thread count.
    #[arg(long)]
    #[serde(skip)]
    pub threads: Option<usize>,
    /// Continue the run whose checkpoint is in --out (its settings are reused; --epochs may grow).
    #[arg(long)]
    #[serde(skip)]
    pub resume: bool,
    /// Replace a model already in --out.
    #[arg(long)]
    #[serde(skip)]
    pub overwrite: bool,
    /// No progress output.
    #[arg(long)]
    #[serde(skip)]
    pub quiet: bool,
    /// The model directory to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `--delimiter`: one ASCII character, or `tab`.
fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() => Ok(text.as_bytes()[0]),
        _ => Err(format!("{text:?} is not one character (or \"tab\")")),
    }
}
