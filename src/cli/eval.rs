//! `backprop eval`: a trained model on labelled data — loss, accuracy and a confusion matrix,
//! or regression errors; `--json` for scripts.

use std::path::PathBuf;

use std::fmt::Write;

use clap::Args;

use super::emit;
use super::input::load_for_model;
use crate::data::Targets;
use crate::error::Result;
use crate::io::ModelDir;
use crate::tensor::{Tensor, Threads};
use crate::train::evaluate_with_outputs;

/// Evaluate a trained model on labelled data.
///
/// Prints the loss and, for classification, the accuracy and a confusion matrix (rows: true
/// class, columns: predicted); for regression, MSE, MAE and R². --json prints one JSON object
/// instead: {"loss", "accuracy"} or {"loss", "mse", "mae", "r2"}, plus "samples".
///
/// Example: backprop eval --model runs/digits --data data/digits.csv --json
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct EvalArgs {
    /// The model directory written by `backprop train`.
    #[arg(long, value_name = "DIR")]
    model: PathBuf,
    /// Labelled data, of the kind the model was trained on (CSV, or IDX images).
    #[arg(long)]
    data: PathBuf,
    /// The IDX label file that goes with IDX images.
    #[arg(long)]
    labels: Option<PathBuf>,
    /// One JSON object on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: EvalArgs) -> Result<()> {
    let (info, model, params) = ModelDir::new(&args.model).load_model()?;
    let data = load_for_model(&info, &args.data, args.labels.as_ref())?;
    let mut outputs = Vec::with_capacity(data.len() * model.outputs());
    let e = evaluate_with_outputs(&model, &params, &data, info.loss, Threads::all(), |chunk| {
        outputs.extend_from_slice(chunk)
    })?;
    let outputs = Tensor::new(outputs, [data.len(), model.outputs()]);
    let mut out = String::new();
    match &data.targets {
        Targets::Classes { labels, names } => {
            let k = names.len();
            let mut confusion = vec![vec![0usize; k]; k];
            for (&truth, predicted) in labels.iter().zip(outputs.argmax(1)) {
                confusion[truth][predicted] += 1;
            }
            if args.json {
                let json = serde_json::json!({
                    "loss": e.loss, "accuracy": e.accuracy, "samples": data.len(),
                    "classes": names, "confusion": confusion,
                });
                let _ = writeln!(out, "{json}");
            } else {
                let _ = writeln!(out, "samples  {}", data.len());
                let _ = writeln!(out, "loss     {:.6}", e.loss);
                let _ = writeln!(out, "accuracy {:.4}", e.accuracy.unwrap_or(0.0));
                let _ = writeln!(out, "confusion matrix (rows: true class, columns: predicted)");
                let counts = confusion.iter().flatten().map(|c| c.to_string().len());
                let w = names.iter().map(String::len).chain(counts).max().unwrap_or(1).max(3);
                let _ = write!(out, "{:>w$} ", "");
                names.iter().for_each(|n| {
                    let _ = write!(out, " {n:>w$}");
                });
                let _ = writeln!(out);
                for (name, row) in names.iter().zip(&confusion) {
                    let _ = write!(out, "{name:>w$} ");
                    row.iter().for_each(|c| {
                        let _ = write!(out, " {c:>w$}");
                    });
                    let _ = writeln!(out);
                }
            }
        }
        Targets::Values { values, .. } => {
            let (y, p) = (values.data(), outputs.data());
            let n = y.len().max(1) as f64;
            let mse = y.iter().zip(p).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>() / n;
            let mae = y.iter().zip(p).map(|(a, b)| ((a - b) as f64).abs()).sum::<f64>() / n;
            let mean = y.iter().map(|&a| a as f64).sum::<f64>() / n;
            let total = y.iter().map(|&a| (a as f64 - mean).powi(2)).sum::<f64>();
            let r2 = if total > 0.0 { 1.0 - mse * n / total } else { f64::NAN };
            if args.json {
                let json = serde_json::json!({"loss": e.loss, "mse": mse, "mae": mae, "r2": r2, "samples": data.len()});
                let _ = writeln!(out, "{json}");
            } else {
                let _ = writeln!(out, "samples {}\nloss    {:.6}", data.len(), e.loss);
                let _ = writeln!(out, "mse     {mse:.6}\nmae     {mae:.6}\nr2      {r2:.4}");
            }
        }
    }
    emit(&out)
}
