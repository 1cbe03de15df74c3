//! `backprop export`: a trained model directory as a file other tools run.

use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, Result};
use crate::export::ExportFormat;
use crate::io::{ModelDir, write_atomic};
use crate::pipeline::TrainedModel;

/// Export a trained model for other tools.
///
/// onnx: one self-contained model.onnx for onnxruntime — one input per column of the training
/// file, named after it (float [N, 1] for numeric and 0/1 columns, NaN for a missing cell;
/// string [N, 1] for categorical and yes/no columns, a missing cell as the file wrote it),
/// the preprocessing and the network inside; outputs `label` (the class name, or the value in
/// the target's units) and, for classification, `probabilities`.
///
/// torch: a folder (--out) with model.py — an nn.Module with the same layers, the
/// preprocessing as constants, load() and predict() — model.safetensors and README.txt.
///
/// Example: backprop export --model runs/penguins --format onnx --out penguins.onnx
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct ExportArgs {
    /// The model directory written by `backprop train`.
    #[arg(long, value_name = "DIR")]
    model: PathBuf,
    #[arg(long, value_enum, default_value = "onnx")]
    format: ExportFormat,
    /// The file (onnx) or folder (torch) to write; every file is written atomically.
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// Replace --out if it exists.
    #[arg(long)]
    overwrite: bool,
}

pub fn run(args: ExportArgs) -> Result<()> {
    if args.out.exists() && !args.overwrite {
        return Err(Error::file(&args.out, "already exists; use --overwrite to replace it"));
    }
    let dir = ModelDir::new(&args.model);
    let model = TrainedModel::load(&args.model)?;
    let mut extra = vec![];
    if let Some((checkpoint, _)) = dir.load_checkpoint()? {
        let settings = serde_json::to_string(&checkpoint.settings)
            .map_err(|e| Error::invalid(format!("cannot describe the training settings: {e}")))?;
        extra.push(("training_settings".to_string(), settings));
    }
    match args.format {
        ExportFormat::Onnx => {
            let bytes = model.export_onnx(extra)?;
            write_atomic(&args.out, &bytes)?;
            super::emit(&format!("wrote {} ({} bytes)\n", args.out.display(), bytes.len()))
        }
        ExportFormat::Torch => {
            let files = model.export_torch()?;
            std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
            for (name, bytes) in &files {
                write_atomic(&args.out.join(name), bytes)?;
            }
            let names: Vec<&str> = files.iter().map(|f| f.0).collect();
            super::emit(&format!("wrote {}: {}\n", args.out.display(), names.join(", ")))
        }
    }
}
