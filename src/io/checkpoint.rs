//! Checkpoints for `--resume`: one safetensors file holding the current weights and, in its
//! metadata, the epoch, the optimiser state, the metrics so far and the run's settings. One
//! file (written atomically by [`super::ModelDir`]), so weights and state can never disagree.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{params_from_safetensors, params_to_safetensors};
use crate::autograd::ParamStore;
use crate::error::{Error, Result};
use crate::optim::Optimizer;
use crate::train::{EpochMetrics, TrainRequest};

const KEY: &str = "backprop.checkpoint";

/// The training state after an epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Epochs completed.
    pub epoch: usize,
    pub optimizer: Optimizer<f32>,
    pub history: Vec<EpochMetrics>,
    /// The best validation loss so far and its epoch (the weights in `model.safetensors`).
    pub best: Option<(usize, f64)>,
    /// The run's files and spec, to resume the same run.
    pub settings: TrainRequest,
}

/// The checkpoint file's bytes: the weights, with the training state in the metadata.
pub(super) fn to_bytes(checkpoint: &Checkpoint, params: &ParamStore<f32>) -> Result<Vec<u8>> {
    let json =
        serde_json::to_string(checkpoint).map_err(|e| Error::invalid(format!("cannot encode the checkpoint: {e}")))?;
    params_to_safetensors(params, Some(HashMap::from([(KEY.to_string(), json)])))
}

/// Reads a checkpoint file's bytes (`path` names it in errors).
pub(super) fn from_bytes(path: &Path, bytes: &[u8]) -> Result<(Checkpoint, ParamStore<f32>)> {
    let (params, metadata) = params_from_safetensors(path, bytes)?;
    let json = metadata.get(KEY).ok_or_else(|| Error::file(path, "no training state in the file's metadata"))?;
    let checkpoint: Checkpoint =
        serde_json::from_str(json).map_err(|e| Error::file(path, format!("unreadable training state: {e}")))?;
    check(path, &checkpoint, &params)?;
    Ok((checkpoint, params))
}

/// The training state against itself and the weights: epochs against the history, the best
/// epoch, the optimiser's settings and state against the parameters, finite weights.
fn check(path: &Path, c: &Checkpoint, params: &ParamStore<f32>) -> Result<()> {
    let numels: Vec<usize> = params.iter().map(|(_, _, t)| t.numel()).collect();
    let mut faults: Vec<(String, String)> =
        c.optimizer.faults(&numels).into_iter().map(|(f, m)| (format!("optimizer.{f}"), m)).collect();
    if c.history.len() != c.epoch {
        faults.push(("history".into(), format!("{} epochs of metrics for epoch {}", c.history.len(), c.epoch)));
    }
    if let Some((epoch, loss)) = c.best
        && (epoch == 0 || epoch > c.epoch || !loss.is_finite())
    {
        faults.push(("best".into(), format!("epoch {epoch} (loss {loss}) of {} trained", c.epoch)));
    }
    faults.extend(super::validate::non_finite_weights("", params));
    super::validate::refuse(path, "the training state does not fit its weights", &faults)
}
