//! `backprop predict`: a trained model's outputs for new data, as CSV.

use std::path::PathBuf;

use clap::Args;

use super::emit;
use super::finite::check_finite_outputs;
use crate::error::Result;
use crate::io::write_atomic;
use crate::pipeline::TrainedModel;
use crate::tensor::Threads;

/// Predict with a trained model and write CSV.
///
/// Classification: one row per sample with the predicted class and each class's probability
/// (columns class, p_<class>...). Regression: the predicted value in the target's units. The
/// data needs the model's input columns, in any order (others, such as the target, are
/// ignored); unseen categories and missing cells are filled as in training and reported. IDX
/// images need no labels. A model trained on an image folder takes PNG or JPEG files and
/// folders of them, and each row starts with the file it is for (column file).
///
/// Example: backprop predict --model runs/digits --data data/digits.csv --out predictions.csv
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct PredictArgs {
    /// The model directory written by `backprop train`.
    #[arg(long, value_name = "DIR")]
    model: PathBuf,
    /// Inputs, of the kind the model was trained on: a CSV file, an IDX image file, or for a
    /// model trained on an image folder any number of PNG or JPEG files and folders of them.
    #[arg(long, num_args = 1.., required = true)]
    data: Vec<PathBuf>,
    /// Accepted for symmetry with `eval`; predictions do not need labels.
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Where to write the CSV (atomically) [default: standard output].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Write predictions even when some are NaN or infinite (by default an error naming them).
    #[arg(long)]
    allow_non_finite: bool,
}

pub fn run(args: PredictArgs) -> Result<()> {
    let model = TrainedModel::load(&args.model)?;
    let (predictions, notes) = model.predict_files(&args.data, Threads::all())?;
    notes.iter().for_each(|n| eprintln!("note: {n}"));
    check_finite_outputs(&args.data[0], &predictions.outputs, args.allow_non_finite)?;
    let csv = predictions.to_csv();
    match &args.out {
        Some(path) => write_atomic(path, csv.as_bytes()),
        None => emit(&csv),
    }
}
