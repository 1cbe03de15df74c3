//! What a model is made of on disk: weights as safetensors (named `layers.{i}.weight` [out, in]
//! and `layers.{i}.bias` [out], f32, so `torch.nn.Linear` loads them unchanged) and the
//! description `model.json` ([`ModelInfo`]: everything `eval` and `predict` need:
//! architecture, task, loss, classes, the network's input names and, for tables, the whole
//! preprocessing schema). Where the files live is [`super::ModelDir`]'s business.

use std::collections::HashMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde::{Deserialize, Serialize};

use crate::autograd::ParamStore;
use crate::data::table::{Encoding, FeatureColumn};
use crate::data::{Scale, TableSchema, Task};
use crate::error::{Error, Result};
use crate::loss::Loss;
use crate::nn::Architecture;
use crate::tensor::Tensor;

pub const MODEL_FORMAT: &str = "backprop-model";
/// Version 2 added the table schema (column kinds, categories, medians, the target's scale);
/// version 1 files (numeric CSV columns with a standardiser) are read and upgraded.
pub const MODEL_VERSION: u32 = 2;

/// How the training data was read, so `eval` and `predict` read theirs the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    Csv,
    Idx,
    /// A folder of PNG or JPEG files, one subfolder per class.
    Images,
}

impl std::fmt::Display for InputKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InputKind::Csv => "CSV",
            InputKind::Idx => "IDX",
            InputKind::Images => "image folder",
        })
    }
}

/// `model.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub format: String,
    pub version: u32,
    pub architecture: Architecture,
    pub task: Task,
    pub loss: Loss,
    pub input: InputKind,
    /// The network's inputs, in order: for a table, the encoded features (`island=Biscoe`,
    /// `bill_length_mm`, `bill_length_mm_missing`, …).
    pub features: Vec<String>,
    /// Class names, in output order (classification).
    pub classes: Option<Vec<String>>,
    /// Output names (regression).
    pub outputs: Option<Vec<String>>,
    /// Tables: how each column of a file becomes the network's inputs, and the target's scale.
    pub table: Option<TableSchema>,
    /// Images: [channels, height, width] the network takes (other sizes are resized to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<[usize; 3]>,
    /// Epochs trained, and the epoch these weights come from.
    pub epochs_trained: usize,
    pub weights_from_epoch: usize,
}

/// The weights as safetensors bytes (f32, little-endian, named as in the store).
pub fn params_to_safetensors(params: &ParamStore<f32>, metadata: Option<HashMap<String, String>>) -> Result<Vec<u8>> {
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = params
        .iter()
        .map(|(_, name, t)| {
            (name.to_string(), t.dims().to_vec(), t.data().iter().flat_map(|x| x.to_le_bytes()).collect())
        })
        .collect();
    let views = bytes
        .iter()
        .map(|(name, shape, data)| TensorView::new(Dtype::F32, shape.clone(), data).map(|v| (name.clone(), v)))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::invalid(format!("cannot describe the weights as safetensors: {e}")))?;
    safetensors::serialize(views, metadata).map_err(|e| Error::invalid(format!("cannot write safetensors: {e}")))
}

/// Reads f32 tensors (in the file's order of names) and the file's metadata.
pub fn params_from_safetensors(path: &Path, bytes: &[u8]) -> Result<(ParamStore<f32>, HashMap<String, String>)> {
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| Error::file(path, format!("not a valid safetensors file ({e})")))?;
    let (_, header) =
        SafeTensors::read_metadata(bytes).map_err(|e| Error::file(path, format!("unreadable header ({e})")))?;
    let mut names: Vec<String> = st.names().into_iter().map(str::to_string).collect();
    names.sort_by_key(|n| layer_order(n));
    let mut params = ParamStore::new();
    for name in names {
        let view = st.tensor(&name).map_err(|e| Error::file(path, format!("tensor `{name}`: {e}")))?;
        if view.dtype() != Dtype::F32 {
            return Err(Error::file(path, format!("tensor `{name}` is {:?}; expected F32", view.dtype())));
        }
        let data: Vec<f32> =
            view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        params.insert(name, Tensor::new(data, view.shape()));
    }
    Ok((params, header.metadata().clone().unwrap_or_default()))
}

/// `layers.{i}.weight` before `layers.{i}.bias`, layers in numeric order.
fn layer_order(name: &str) -> (usize, u8, String) {
    let mut parts = name.split('.');
    let index = parts.nth(1).and_then(|i| i.parse().ok()).unwrap_or(usize::MAX);
    let kind = if name.ends_with(".weight") { 0 } else { 1 };
    (index, kind, name.to_string())
}

/// Reads and checks `model.json`: its format and version must be ones this build reads.
pub(super) fn read_info(path: &Path) -> Result<ModelInfo> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_info(path, &text)
}

/// [`read_info`] of `model.json`'s text, named `path` in errors.
pub(super) fn parse_info(path: &Path, text: &str) -> Result<ModelInfo> {
    let at =
        |e: serde_json::Error| Error::data(path, format!("line {}, column {}", e.line(), e.column()), e.to_string());
    let value: serde_json::Value = serde_json::from_str(text).map_err(at)?;
    let (format, version) =
        (value.get("format").and_then(|f| f.as_str()), value.get("version").and_then(|v| v.as_u64()));
    match (format, version) {
        (Some(MODEL_FORMAT), Some(1)) => {
            let old: ModelInfoV1 = serde_json::from_value(value).map_err(at)?;
            old.upgrade(path)
        }
        (Some(MODEL_FORMAT), Some(v)) if v == MODEL_VERSION as u64 => serde_json::from_value(value).map_err(at),
        _ => Err(Error::file(
            path,
            format!(
                "format {:?} version {} is not one this build reads ({MODEL_FORMAT} version {MODEL_VERSION}, or \
                 1); a newer backprop wrote it?",
                format.unwrap_or("?"),
                version.map_or("?".to_string(), |v| v.to_string())
            ),
        )),
    }
}

/// `model.json` version 1: numeric CSV columns, scaled by a standardiser.
#[derive(Deserialize)]
struct ModelInfoV1 {
    architecture: Architecture,
    task: Task,
    loss: Loss,
    input: InputKind,
    features: Vec<String>,
    target_column: Option<String>,
    classes: Option<Vec<String>>,
    outputs: Option<Vec<String>>,
    standardizer: Option<V1Standardizer>,
    epochs_trained: usize,
    weights_from_epoch: usize,
}

#[derive(Deserialize)]
struct V1Standardizer {
    mean: Vec<f32>,
    std: Vec<f32>,
}

impl ModelInfoV1 {
    /// The same model as version 2: each CSV feature a numeric column standardised as before
    /// (version 1 refused missing cells, so their median never mattered: the mean stands in).
    fn upgrade(self, path: &Path) -> Result<ModelInfo> {
        if let Some(s) = &self.standardizer {
            let n = self.features.len();
            for (field, values) in [("standardizer.mean", &s.mean), ("standardizer.std", &s.std)] {
                if values.len() != n {
                    return Err(Error::data(path, field, format!("{} values for {n} features", values.len())));
                }
            }
        }
        let table = match (self.input, self.target_column) {
            (InputKind::Csv, Some(target)) => {
                let columns = self
                    .features
                    .iter()
                    .enumerate()
                    .map(|(j, name)| {
                        let (mean, std) = self.standardizer.as_ref().map_or((0.0, 1.0), |s| (s.mean[j], s.std[j]));
                        let scale = Scale { mean: mean as f64, std: std as f64 };
                        let encoding = Encoding::Numeric { median: mean, scale, missing_indicator: false, clip: false };
                        FeatureColumn { name: name.clone(), missing_in_training: 0, encoding }
                    })
                    .collect();
                Some(TableSchema {
                    columns,
                    ignored: vec![],
                    missing_markers: crate::data::table::MISSING_MARKERS.iter().map(|m| m.to_string()).collect(),
                    target,
                    target_scale: None,
                })
            }
            _ => None,
        };
        Ok(ModelInfo {
            format: MODEL_FORMAT.to_string(),
            version: MODEL_VERSION,
            architecture: self.architecture,
            task: self.task,
            loss: self.loss,
            input: self.input,
            features: self.features,
            classes: self.classes,
            outputs: self.outputs,
            table,
            image: None,
            epochs_trained: self.epochs_trained,
            weights_from_epoch: self.weights_from_epoch,
        })
    }
}
