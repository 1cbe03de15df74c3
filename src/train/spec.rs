//! What a user asks of a training run, before any data is read: [`DataFiles`] (where the
//! data is) and [`TrainSpec`] (how to read it, split it, and what to train on it). Both are
//! the library's own types: the command line parses straight into them (clap, behind the `cli`
//! feature), a checkpoint stores them (serde, as one [`TrainRequest`]) to resume the same run,
//! and a library user fills them in with struct-update syntax from [`TrainSpec::default`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::data::Task;
use crate::data::folder::BadImages;
use crate::data::table::NumericScaling;
use crate::error::{Error, Result};
use crate::loss::{ClassWeight, Loss};
use crate::nn::Activation;
use crate::nn::syntax::LayerList;
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
    /// How numeric columns are scaled: standard, (x − mean)/std; robust, (x − median)/IQR then
    /// smoothly clipped to ±3 (RealMLP's); auto, robust for heavy-tailed columns (a training
    /// value more than 20 IQRs from the median) and standard for the rest.
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value = "auto"))]
    pub scaling: NumericScaling,
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
    /// An MLP's hidden layer sizes, comma-separated [default: 128,64 (two layers: on tables of
    /// 50k rows, one of 128 fell 1–2 accuracy points short of scikit-learn's MLP; see
    /// comparison/tabular.py)].
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ',', value_name = "SIZE,.."))]
    pub hidden: Option<Vec<usize>>,
    /// Any stack of layers, the output layer left out (it is added): e.g. "conv 32 3, relu,
    /// maxpool 2, dense 128, relu, dropout 0.25". Instead of --hidden, --activation and
    /// --dropout [default: an MLP of --hidden for tables; a convolutional network for images].
    #[cfg_attr(feature = "cli", arg(long, value_name = "LAYERS", long_help = layers_help()))]
    pub layers: Option<LayerList>,
    /// The hidden layers' activation.
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value = "relu"))]
    pub activation: Activation,
    /// The loss [default: cross-entropy for classification, mse for regression].
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub loss: Option<Loss>,
    /// The optimiser (PyTorch's defaults for its other hyper-parameters).
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value = "adam"))]
    pub optimizer: OptimizerKind,
    /// Learning rate [default: 0.001 for adam, adamw and rmsprop (0.002 for adam and adamw on
    /// tables); 0.1 for sgd and nesterov].
    #[cfg_attr(feature = "cli", arg(long))]
    pub lr: Option<f64>,
    /// SGD's and Nesterov's momentum.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.9))]
    pub momentum: f64,
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.0))]
    pub weight_decay: f64,
    /// How the learning rate changes over the epochs (step: ×0.1 every third of the run)
    /// [default: constant for tables, cosine for images].
    #[cfg_attr(feature = "cli", arg(long, value_enum))]
    pub schedule: Option<ScheduleKind>,
    /// Epochs of linear learning-rate warm-up.
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0.0))]
    pub warmup: f64,
    /// Rescale gradients whose global norm exceeds this.
    #[cfg_attr(feature = "cli", arg(long))]
    pub clip_norm: Option<f64>,
    /// Classes: spread this share of each training target evenly over all classes, as PyTorch's
    /// label_smoothing [default: 0].
    #[cfg_attr(feature = "cli", arg(long, value_name = "EPSILON"))]
    pub label_smoothing: Option<f64>,
    /// Dropout probability after each hidden layer [default: 0.1 for tables, 0 for images].
    #[cfg_attr(feature = "cli", arg(long))]
    pub dropout: Option<f64>,
    /// Image folders: the size every image is resized to, N or HEIGHTxWIDTH [default: the
    /// first image's].
    #[cfg_attr(feature = "cli", arg(long, value_name = "SIZE", value_parser = parse_image_size))]
    pub image_size: Option<[usize; 2]>,
    /// Image folders: what to do with a file that is not a readable image of the folder's
    /// kind (truncated, not an image, another number of channels).
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value = "skip"))]
    pub bad_images: BadImages,
    /// Images: shift each training image by up to this many pixels along each axis, drawn anew
    /// at every step [default: 2 for images].
    #[cfg_attr(feature = "cli", arg(long, value_name = "PIXELS"))]
    pub shift: Option<f64>,
    /// Images: turn each training image by up to this many degrees [default: 0].
    #[cfg_attr(feature = "cli", arg(long, value_name = "DEGREES"))]
    pub rotate: Option<f64>,
    /// Images: mirror half the training images left to right (not for digits or text).
    #[cfg_attr(feature = "cli", arg(long))]
    pub flip: bool,
    /// Epochs [default: for tables enough for about 20,000 steps, between 10 and 500, with early
    /// stopping; for images 12].
    #[cfg_attr(feature = "cli", arg(long))]
    pub epochs: Option<usize>,
    /// Samples per step [default: 128 for tables, 64 for images].
    #[cfg_attr(feature = "cli", arg(long))]
    pub batch_size: Option<usize>,
    /// Stop after this many epochs without a better validation score (classes: accuracy, then loss; values: loss)
    /// [default with automatic epochs: a tenth of them, at least 20].
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
            scaling: NumericScaling::Auto,
            class_weight: None,
            test_split: 0.2,
            val_split: 0.1,
            hidden: None,
            layers: None,
            activation: Activation::Relu,
            loss: None,
            optimizer: OptimizerKind::Adam,
            lr: None,
            momentum: 0.9,
            weight_decay: 0.0,
            schedule: None,
            warmup: 0.0,
            clip_norm: None,
            label_smoothing: None,
            dropout: None,
            image_size: None,
            bad_images: BadImages::Skip,
            shift: None,
            rotate: None,
            flip: false,
            epochs: None,
            batch_size: None,
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
        self.validate_options()?;
        if files.test_labels.is_some() && files.test.is_none() {
            return Err(Error::invalid("--test-labels goes with --test"));
        }
        if files.test.is_none() && self.test_split <= 0.0 {
            return Err(Error::invalid("without --test, --test-split must hold some data out for testing"));
        }
        Ok(())
    }

    /// The checks of [`TrainSpec::validate`] that concern the options alone (a table handed over
    /// in memory has no files, and may keep no test part: `test_split` 0).
    pub fn validate_options(&self) -> Result<()> {
        check_fraction("--test-split", self.test_split)?;
        check_fraction("--val-split", self.val_split)?;
        if let Some(p) = self.dropout
            && !(0.0..1.0).contains(&p)
        {
            return Err(Error::invalid(format!("--dropout must be at least 0 and below 1, got {p}")));
        }
        if let Some(e) = self.label_smoothing
            && !(0.0..1.0).contains(&e)
        {
            return Err(Error::invalid(format!("--label-smoothing must be at least 0 and below 1, got {e}")));
        }
        for (name, value) in [("--shift", self.shift), ("--rotate", self.rotate)] {
            if let Some(v) = value
                && !(v >= 0.0 && v.is_finite())
            {
                return Err(Error::invalid(format!("{name} must be a number at least 0, got {v}")));
            }
        }
        if self.epochs == Some(0) {
            return Err(Error::invalid("--epochs must be at least 1"));
        }
        if self.min_category_count == Some(0) {
            return Err(Error::invalid("--min-category-count must be at least 1"));
        }
        if self.batch_size == Some(0) {
            return Err(Error::invalid("--batch-size must be at least 1"));
        }
        if self.hidden.as_ref().is_some_and(|h| h.contains(&0)) {
            return Err(Error::invalid("--hidden sizes must be positive"));
        }
        if self.layers.is_some() && (self.hidden.is_some() || self.dropout.is_some()) {
            return Err(Error::invalid(
                "--layers is the whole stack: give its sizes and dropout there, not with --hidden or --dropout",
            ));
        }
        if let Some(lr) = self.lr
            && !(lr > 0.0 && lr.is_finite())
        {
            return Err(Error::invalid(format!("--lr must be a positive number, got {lr}")));
        }
        Ok(())
    }
}

/// `--layers`'s long help: the option's doc and the list of layers.
#[cfg(feature = "cli")]
fn layers_help() -> String {
    format!(
        "Any stack of layers, separated by commas, the output layer left out (it is added): e.g. \"conv 32 3, relu, \
         maxpool 2, dense 128, relu, dropout 0.25\". A flatten goes in wherever a dense layer follows an image. \
         Instead of --hidden, --activation and --dropout [default: an MLP of --hidden for tables; a \
         convolutional network for images].\n\nThe layers: {}",
        crate::nn::syntax::LAYER_NAMES
    )
}

/// `--image-size`: `28` (square) or `32x24` (height × width), each at least 1.
#[cfg(feature = "cli")]
fn parse_image_size(text: &str) -> Result<[usize; 2]> {
    let sides: Vec<&str> = text.split(['x', 'X', '×']).collect();
    let parse = |s: &str| s.trim().parse::<usize>().ok().filter(|&n| n > 0);
    match sides[..] {
        [n] => parse(n).map(|n| [n, n]),
        [h, w] => parse(h).zip(parse(w)).map(|(h, w)| [h, w]),
        _ => None,
    }
    .ok_or_else(|| Error::invalid(format!("{text:?} is not a size: give N or HEIGHTxWIDTH, each at least 1")))
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
