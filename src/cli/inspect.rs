//! `backprop inspect`: what a model directory holds.

use std::path::PathBuf;

use std::fmt::Write;

use clap::Args;

use super::emit;
use crate::error::Result;
use crate::io::ModelDir;

use crate::present::significant;

/// Describe a trained model: architecture, parameters, task, classes, each input column's
/// preprocessing, training history.
///
/// Example: backprop inspect --model runs/digits
#[derive(Args)]
pub struct InspectArgs {
    /// The model directory written by `backprop train`.
    #[arg(long, value_name = "DIR")]
    model: PathBuf,
}

pub fn run(args: InspectArgs) -> Result<()> {
    let dir = ModelDir::new(&args.model);
    let (info, _, params) = dir.load_model()?;
    let mut out = String::new();
    let arch = &info.architecture;
    let _ = writeln!(out, "model      {}", args.model.display());
    let _ = writeln!(out, "format     {} version {}", info.format, info.version);
    match arch.as_mlp() {
        Some(mlp) => {
            let sizes: Vec<String> = mlp.sizes.iter().map(|s| s.to_string()).collect();
            let _ =
                writeln!(out, "network    MLP {}, {} hidden, {} output", sizes.join("-"), mlp.activation, mlp.output);
            if mlp.dropout > 0.0 {
                let _ = writeln!(out, "dropout    {}", mlp.dropout);
            }
        }
        None => {
            let _ = writeln!(out, "network    {}", arch.spec());
            let _ = write!(out, "{}", arch.table()?);
        }
    }
    let _ = writeln!(out, "task       {}, loss {}", info.task, info.loss);
    let _ = writeln!(out, "input      {}, {} features", info.input, info.features.len());
    if let Some(table) = &info.table {
        let scale = table.target_scale.map_or(String::new(), |s| {
            format!(" (standardised: mean {}, std {})", significant(s.mean), significant(s.std))
        });
        let _ = writeln!(out, "target     {}{scale}", table.target);
        for line in table.summary() {
            let _ = writeln!(out, "columns    {line}");
        }
    }
    if let Some(c) = &info.classes {
        let _ = writeln!(out, "classes    {}", c.join(", "));
    }
    let _ = writeln!(out, "trained    {} epochs; weights from epoch {}", info.epochs_trained, info.weights_from_epoch);
    // Batch normalisation's running statistics are kept beside the weights but never trained.
    let running: usize =
        params.iter().filter(|(_, name, _)| name.contains(".running_")).map(|(_, _, t)| t.numel()).sum();
    let _ = match running {
        0 => writeln!(out, "parameters {} in all", params.numel()),
        _ => writeln!(out, "parameters {} in all ({running} of them running statistics)", params.numel()),
    };
    for (_, name, t) in params.iter() {
        let _ = writeln!(out, "  {name:<20} {:?}", t.dims());
    }
    if let Some((checkpoint, _)) = dir.load_checkpoint()?
        && let Some(last) = checkpoint.history.last()
    {
        let acc = last.val_accuracy.or(last.train_accuracy).map_or(String::new(), |a| format!(", accuracy {a:.4}"));
        let val = last.val_loss.map_or(String::new(), |v| format!(", validation loss {v:.4}"));
        let _ = writeln!(out, "last epoch {}: train loss {:.4}{val}{acc}", last.epoch, last.train_loss);
    }
    emit(&out)
}
