//! `backprop eval`: a trained model on labelled data — loss, accuracy and a confusion matrix,
//! or regression errors; `--json` for scripts.

use std::path::PathBuf;

use std::fmt::Write;

use clap::Args;

use super::emit;
use crate::data::Targets;
use crate::error::Result;
use crate::metrics::{BinaryScores, confusion};
use crate::pipeline::TrainedModel;
use crate::pipeline::read::load_for_model;
use crate::tensor::{Tensor, Threads};
use crate::train::evaluate_with_outputs;

use crate::present::significant;

/// Evaluate a trained model on labelled data.
///
/// Prints the loss and, for classification, the accuracy and a confusion matrix (rows: true
/// class, columns: predicted) — with two classes also precision, recall, F1 and ROC AUC, the
/// second class positive; for regression R², MAE and RMSE in the target's units. --json
/// prints one JSON object instead: {"loss", "accuracy", "classes", "confusion", "precision",
/// "recall", "f1", "roc_auc"} or {"loss", "r2", "mae", "rmse", "mse"}, plus "samples".
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
    /// Score even when some outputs are NaN or infinite (by default an error naming them).
    #[arg(long)]
    allow_non_finite: bool,
}

pub fn run(args: EvalArgs) -> Result<()> {
    let TrainedModel { info, model, params } = TrainedModel::load(&args.model)?;
    let (data, notes) = load_for_model(&info, &args.data, args.labels.as_ref())?;
    notes.iter().for_each(|n| eprintln!("note: {n}"));
    let mut outputs = Vec::with_capacity(data.len() * model.outputs());
    let e = evaluate_with_outputs(&model, &params, &data, info.loss, Threads::all(), |chunk| {
        outputs.extend_from_slice(chunk)
    })?;
    let outputs = Tensor::new(outputs, [data.len(), model.outputs()]);
    super::finite::check_finite_outputs(&args.data, &outputs, args.allow_non_finite)?;
    let mut out = String::new();
    match (&data.targets, e.regression) {
        (Targets::Classes { labels, names }, _) => {
            let confusion = confusion(labels, &outputs.argmax(1), names.len());
            let binary = (names.len() == 2).then(|| BinaryScores::of_logits(labels, &outputs));
            if args.json {
                let json = serde_json::json!({
                    "loss": e.loss, "accuracy": e.accuracy, "samples": data.len(),
                    "classes": names, "confusion": confusion, "positive_class": binary.map(|_| &names[1]),
                    "precision": binary.map(|b| b.precision), "recall": binary.map(|b| b.recall),
                    "f1": binary.map(|b| b.f1), "roc_auc": binary.map(|b| b.auc),
                });
                let _ = writeln!(out, "{json}");
            } else {
                let _ = writeln!(out, "samples   {}", data.len());
                let _ = writeln!(out, "loss      {:.6}", e.loss);
                let _ = writeln!(out, "accuracy  {:.4}", e.accuracy.unwrap_or(0.0));
                if let Some(b) = binary {
                    let _ = writeln!(out, "positive  {} (class 1)", names[1]);
                    let _ =
                        writeln!(out, "precision {:.4}\nrecall    {:.4}\nf1        {:.4}", b.precision, b.recall, b.f1);
                    let _ = writeln!(out, "roc auc   {:.4}", b.auc);
                }
                write_confusion(&mut out, names, &confusion);
            }
        }
        (Targets::Values { .. }, Some(r)) => {
            if args.json {
                let json = serde_json::json!({
                    "loss": e.loss, "r2": r.r2, "mae": r.mae, "rmse": r.rmse, "mse": r.rmse * r.rmse,
                    "samples": data.len(),
                });
                let _ = writeln!(out, "{json}");
            } else {
                let _ = writeln!(out, "samples {}\nloss    {:.6} (on standardised targets)", data.len(), e.loss);
                let _ = writeln!(out, "r2      {:.4}", r.r2);
                let _ = writeln!(out, "mae     {}\nrmse    {}", significant(r.mae), significant(r.rmse));
            }
        }
        (Targets::Values { .. }, None) => unreachable!("evaluating values gives regression scores"),
    }
    emit(&out)
}

/// The confusion matrix with the class names, rows the true class.
fn write_confusion(out: &mut String, names: &[String], confusion: &[Vec<usize>]) {
    let _ = writeln!(out, "confusion matrix (rows: true class, columns: predicted)");
    let counts = confusion.iter().flatten().map(|c| c.to_string().len());
    let w = names.iter().map(|n| n.chars().count()).chain(counts).max().unwrap_or(1).max(3);
    let _ = write!(out, "{:>w$} ", "");
    names.iter().for_each(|n| {
        let _ = write!(out, " {n:>w$}");
    });
    let _ = writeln!(out);
    for (name, row) in names.iter().zip(confusion) {
        let _ = write!(out, "{name:>w$} ");
        row.iter().for_each(|c| {
            let _ = write!(out, " {c:>w$}");
        });
        let _ = writeln!(out);
    }
}
