//! `backprop predict`: a trained model's outputs for new data, as CSV.

use std::path::PathBuf;

use clap::Args;

use super::emit;
use super::input::{check_finite_outputs, load_features_for_model};
use crate::data::Scale;
use crate::error::Result;
use crate::io::{ModelDir, write_atomic};
use crate::tensor::Threads;
use crate::tensor::kernels::argmax;

/// Predict with a trained model and write CSV.
///
/// Classification: one row per sample with the predicted class and each class's probability
/// (columns class, p_<class>...). Regression: the predicted value in the target's units. The
/// data needs the model's input columns, in any order (others, such as the target, are
/// ignored); unseen categories and missing cells are filled as in training and reported. IDX
/// images need no labels.
///
/// Example: backprop predict --model runs/digits --data data/digits.csv --out predictions.csv
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct PredictArgs {
    /// The model directory written by `backprop train`.
    #[arg(long, value_name = "DIR")]
    model: PathBuf,
    /// Inputs, of the kind the model was trained on (CSV, or IDX images).
    #[arg(long)]
    data: PathBuf,
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
    let (info, model, params) = ModelDir::new(&args.model).load_model()?;
    let (features, notes) = load_features_for_model(&info, &args.data)?;
    notes.iter().for_each(|n| eprintln!("note: {n}"));
    let outputs = model.predict(&params, &features, Threads::all());
    check_finite_outputs(&args.data, &outputs, args.allow_non_finite)?;
    let scale = info.table.as_ref().and_then(|t| t.target_scale).unwrap_or(Scale::IDENTITY);
    let width = outputs.dims()[1];
    let mut csv = String::new();
    match &info.classes {
        Some(names) => {
            let probabilities = outputs.softmax(1);
            csv.push_str("class");
            names.iter().for_each(|n| csv.push_str(&format!(",p_{n}")));
            csv.push('\n');
            for row in probabilities.data().chunks_exact(width.max(1)) {
                csv.push_str(&names[argmax(row)]);
                row.iter().for_each(|p| csv.push_str(&format!(",{p}")));
                csv.push('\n');
            }
        }
        None => {
            let names = info.outputs.clone().unwrap_or_else(|| (0..width).map(|i| format!("output_{i}")).collect());
            csv.push_str(&names.join(","));
            csv.push('\n');
            for row in outputs.data().chunks_exact(width.max(1)) {
                // In the file's units: the model predicts standardised targets.
                csv.push_str(&row.iter().map(|&v| scale.invert(v).to_string()).collect::<Vec<_>>().join(","));
                csv.push('\n');
            }
        }
    }
    match &args.out {
        Some(path) => write_atomic(path, csv.as_bytes()),
        None => emit(&csv),
    }
}
