//! The model directory as one type, [`ModelDir`]: the only code that knows the directory's file
//! names and writes them. Every file is written atomically (temporary file, fsync, rename), so
//! killing the process mid-save never leaves a half-written model.
//!
//! - `model.safetensors` and `model.json`: the kept weights and their description;
//! - `checkpoint.safetensors`: the last epoch's weights with the training state, for `--resume`;
//! - `metrics.csv` and `curves.svg` / `curves.png`: one row per epoch, and its plot.

use std::path::{Path, PathBuf};

use super::checkpoint::{self, Checkpoint};
use super::model::{self, ModelInfo};
use super::write_atomic;
use crate::autograd::ParamStore;
use crate::error::{Error, Result};
use crate::nn::Sequential;
use crate::train::EpochMetrics;

const WEIGHTS: &str = "model.safetensors";
const DESCRIPTION: &str = "model.json";
const CHECKPOINT: &str = "checkpoint.safetensors";
const METRICS: &str = "metrics.csv";
const CURVES_SVG: &str = "curves.svg";
const CURVES_PNG: &str = "curves.png";

/// A model directory on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelDir {
    path: PathBuf,
}

impl ModelDir {
    pub fn new(path: impl Into<PathBuf>) -> ModelDir {
        ModelDir { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Whether a model or a checkpoint is already here.
    pub fn holds_model(&self) -> bool {
        self.file(DESCRIPTION).exists() || self.file(CHECKPOINT).exists()
    }

    /// Creates the directory, removing temporary files a killed run may have left mid-write
    /// (`.NAME.tmp-PID`; the files they were meant to replace are intact).
    pub fn create(&self) -> Result<()> {
        std::fs::create_dir_all(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let Ok(entries) = std::fs::read_dir(&self.path) else { return Ok(()) };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.contains(".tmp-") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    /// Removes every file a training run writes (to replace a model with `--overwrite`).
    pub fn clear(&self) {
        for name in [DESCRIPTION, WEIGHTS, CHECKPOINT, METRICS, CURVES_SVG, CURVES_PNG] {
            let _ = std::fs::remove_file(self.file(name));
        }
    }

    /// Writes the kept weights and their description (weights first, each atomically).
    pub fn save_model(&self, info: &ModelInfo, params: &ParamStore<f32>) -> Result<()> {
        write_atomic(&self.file(WEIGHTS), &model::params_to_safetensors(params, None)?)?;
        self.save_description(info)
    }

    /// Rewrites `model.json` alone (the weights on disk stay those of the kept epoch).
    pub fn save_description(&self, info: &ModelInfo) -> Result<()> {
        write_atomic(&self.file(DESCRIPTION), description(info)?.as_bytes())
    }

    /// Reads the model: its description, the model, and its weights — checking that the
    /// weights are the ones the description calls for.
    pub fn load_model(&self) -> Result<(ModelInfo, Sequential, ParamStore<f32>)> {
        if !self.path.is_dir() {
            return Err(Error::file(&self.path, "no such model directory (train one with `backprop train --out DIR`)"));
        }
        let info = model::read_info(&self.file(DESCRIPTION))?;
        let weights = self.file(WEIGHTS);
        let bytes = std::fs::read(&weights).map_err(|e| Error::io(&weights, e))?;
        model_of(info, &self.file(DESCRIPTION), &weights, &bytes)
    }

    /// The directory's two model files in memory, `model.json`'s text and
    /// `model.safetensors`'s bytes (what a Python pickle carries), as [`ModelDir::save_model`]
    /// would write them.
    pub fn model_files(info: &ModelInfo, params: &ParamStore<f32>) -> Result<(String, Vec<u8>)> {
        Ok((description(info)?, model::params_to_safetensors(params, None)?))
    }

    /// [`ModelDir::load_model`] of the two files in memory, named `name` in errors.
    pub fn model_from_files(
        name: &Path,
        json: &str,
        weights: &[u8],
    ) -> Result<(ModelInfo, Sequential, ParamStore<f32>)> {
        let info = model::parse_info(&name.join(DESCRIPTION), json)?;
        model_of(info, &name.join(DESCRIPTION), &name.join(WEIGHTS), weights)
    }

    /// Writes `checkpoint.safetensors`: the weights with the training state in its metadata.
    pub fn save_checkpoint(&self, checkpoint: &Checkpoint, params: &ParamStore<f32>) -> Result<()> {
        write_atomic(&self.file(CHECKPOINT), &checkpoint::to_bytes(checkpoint, params)?)
    }

    /// Reads `checkpoint.safetensors`, if there is one.
    pub fn load_checkpoint(&self) -> Result<Option<(Checkpoint, ParamStore<f32>)>> {
        let path = self.file(CHECKPOINT);
        if !path.exists() {
            return Ok(None);
        }
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        checkpoint::from_bytes(&path, &bytes).map(Some)
    }

    /// Writes `metrics.csv`: one row per epoch (epoch, train_loss, train_acc, val_loss, val_acc,
    /// val_r2, val_mae, val_rmse — regression, in the target's units — lr, seconds; an empty
    /// cell where there is no value).
    pub fn save_metrics(&self, history: &[EpochMetrics]) -> Result<()> {
        let path = self.file(METRICS);
        let opt = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
        let mut out = ::csv::Writer::from_writer(Vec::new());
        let fail = |e: ::csv::Error| Error::invalid(format!("cannot write {}: {e}", path.display()));
        let header = ["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "val_r2", "val_mae", "val_rmse", "lr"];
        out.write_record(header.iter().chain(&["seconds"])).map_err(fail)?;
        for m in history {
            out.write_record([
                m.epoch.to_string(),
                m.train_loss.to_string(),
                opt(m.train_accuracy),
                opt(m.val_loss),
                opt(m.val_accuracy),
                opt(m.val_regression.map(|r| r.r2)),
                opt(m.val_regression.map(|r| r.mae)),
                opt(m.val_regression.map(|r| r.rmse)),
                m.lr.to_string(),
                format!("{:.3}", m.seconds),
            ])
            .map_err(fail)?;
        }
        let bytes = out.into_inner().map_err(|e| Error::invalid(format!("cannot write {}: {e}", path.display())))?;
        write_atomic(&path, &bytes)
    }

    /// Draws `curves.svg` and `curves.png` from the history.
    #[cfg(feature = "cli")]
    pub fn save_curves(&self, history: &[EpochMetrics]) -> Result<()> {
        super::plot::write_curves(&self.file(CURVES_SVG), &self.file(CURVES_PNG), history)
    }
}

/// `model.json`'s text.
fn description(info: &ModelInfo) -> Result<String> {
    serde_json::to_string_pretty(info).map_err(|e| Error::invalid(format!("cannot write model.json: {e}")))
}

/// The model of a description and its weights' bytes, checked against each other.
fn model_of(
    info: ModelInfo,
    description: &Path,
    weights: &Path,
    bytes: &[u8],
) -> Result<(ModelInfo, Sequential, ParamStore<f32>)> {
    let (params, _) = model::params_from_safetensors(weights, bytes)?;
    super::check_model(description, &info, &params)?;
    let model = Sequential::from_store(&info.architecture, &params).map_err(|e| Error::file(weights, e.to_string()))?;
    Ok((info, model, params))
}
