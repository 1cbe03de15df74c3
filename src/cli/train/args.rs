//! `backprop train`'s arguments: clap parses straight into the library's [`DataFiles`] and
//! [`TrainSpec`] (stored in the checkpoint, so a resumed run continues with the settings it
//! started with), beside the options of this one invocation (threads, resume, output).

use std::path::PathBuf;

use clap::Args;

use crate::pipeline::{DataFiles, TrainSpec};

/// Train a network on a CSV file or on MNIST-style IDX files.
///
/// The data's kind is recognised from the file. With no --test, 20 % of the data is held out
/// for testing; 10 % of the rest validates each epoch (the best model on it is
/// kept). DIR receives model.safetensors, model.json, metrics.csv, curves.svg/png and a
/// checkpoint for --resume.
///
/// Examples:
///   backprop train --data data/digits.csv --out runs/digits
///   backprop train --data train-images-idx3-ubyte.gz --labels train-labels-idx1-ubyte.gz \
///       --test t10k-images-idx3-ubyte.gz --test-labels t10k-labels-idx1-ubyte.gz \
///       --hidden 256,128 --epochs 10 --batch-size 128 --schedule cosine --out runs/mnist
#[derive(Args, Clone, Debug)]
#[command(verbatim_doc_comment)]
pub struct TrainArgs {
    #[command(flatten)]
    pub files: DataFiles,
    #[command(flatten)]
    pub spec: TrainSpec,
    /// Threads [default: all cores]. Results are reproducible for a given seed and thread count.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Continue the run whose checkpoint is in --out (its settings are reused; --epochs may grow).
    #[arg(long)]
    pub resume: bool,
    /// Replace a model already in --out.
    #[arg(long)]
    pub overwrite: bool,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
    /// The model directory to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}
