//! The network file (`backprop explain NETWORK.json`, the API's request bodies): inputs, targets, layers (weights [out][in],
//! biases, activation), loss, learning rate. Activations and losses are the library's own
//! [`Activation`] and [`Loss`], spelled as everywhere else. Every inconsistency is an error
//! naming the file and the field.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Model;
use crate::error::{Error, Result};
use crate::loss::Loss;
use crate::nn::Activation;

/// The most parameters `explain` writes out: every one of them is a derivation.
pub const MAX_PARAMETERS: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerFile {
    /// `weights[j][i]`: from unit i of the layer below to unit j.
    pub weights: Vec<Vec<f64>>,
    pub biases: Vec<f64>,
    pub activation: Activation,
}

/// `parameters`, or why explain will not write a network of that many out (more than
/// [`MAX_PARAMETERS`]): for dense and convolutional networks alike.
pub fn explainable(parameters: usize) -> Result<usize> {
    if parameters > MAX_PARAMETERS {
        return Err(Error::invalid(format!("{parameters} parameters is more than explain writes out (10,000)")));
    }
    Ok(parameters)
}

/// Targets as written: a vector, or (cross-entropy) a class index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TargetsFile {
    Vector(Vec<f64>),
    Class(usize),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkFile {
    pub inputs: Vec<f64>,
    pub targets: TargetsFile,
    pub layers: Vec<LayerFile>,
    pub loss: Loss,
    pub learning_rate: f64,
    #[serde(default)]
    pub update_biases: bool,
}

/// A checked network: every shape agrees, targets are a vector; its layers are the library's
/// model (a `Sequential` with its weights in a store), which every step runs on.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub inputs: Vec<f64>,
    pub targets: Vec<f64>,
    pub model: Model,
    pub loss: Loss,
    pub learning_rate: f64,
    pub update_biases: bool,
}

impl Network {
    /// The network as a file `explain` reads (targets as a vector).
    pub fn file(&self) -> NetworkFile {
        NetworkFile {
            inputs: self.inputs.clone(),
            targets: TargetsFile::Vector(self.targets.clone()),
            layers: self.model.layers(),
            loss: self.loss,
            learning_rate: self.learning_rate,
            update_biases: self.update_biases,
        }
    }

    /// Weights and biases, all layers.
    pub fn parameter_count(&self) -> usize {
        self.model.params.numel()
    }

    /// The parameter count, or why explain will not write this network out (more than
    /// [`MAX_PARAMETERS`]): one bound for the command line and the playground's API.
    pub fn explainable_size(&self) -> Result<usize> {
        explainable(self.parameter_count())
    }

    /// The lecture's network: the same numbers as `lecture-example.json`.
    pub fn lecture() -> Network {
        Network {
            inputs: vec![0.05, 0.10],
            targets: vec![0.01, 0.99],
            model: Model::from_layers(&[
                LayerFile {
                    weights: vec![vec![0.15, 0.20], vec![0.25, 0.30]],
                    biases: vec![0.35, 0.35],
                    activation: Activation::Sigmoid,
                },
                LayerFile {
                    weights: vec![vec![0.40, 0.45], vec![0.50, 0.55]],
                    biases: vec![0.60, 0.60],
                    activation: Activation::Sigmoid,
                },
            ]),
            loss: Loss::HalfSse,
            learning_rate: 0.5,
            update_biases: false,
        }
    }

    /// Reads and checks a network file.
    pub fn load(path: &Path) -> Result<Network> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Network::parse(path, &text)
    }

    /// [`Network::load`] of a file's text, named `path` in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Network> {
        let file: NetworkFile = serde_json::from_str(text)
            .map_err(|e| Error::data(path, format!("line {}, column {}", e.line(), e.column()), e.to_string()))?;
        Network::check(file).map_err(|(field, message)| Error::data(path, field, message))
    }

    /// Checks a parsed file; errors are (field, message).
    pub fn check(f: NetworkFile) -> std::result::Result<Network, (String, String)> {
        let err = |field: &str, msg: String| Err((field.to_string(), msg));
        if f.inputs.is_empty() {
            return err("inputs", "at least one input is needed".into());
        }
        if f.layers.is_empty() {
            return err("layers", "at least one layer is needed".into());
        }
        if !(f.learning_rate.is_finite() && f.learning_rate >= 0.0) {
            return err("learning_rate", format!("{} is not a non-negative number", f.learning_rate));
        }
        let mut width = f.inputs.len();
        let last = f.layers.len() - 1;
        for (l, layer) in f.layers.iter().enumerate() {
            let units = layer.weights.len();
            if units == 0 {
                return err(&format!("layers[{l}].weights"), "a layer needs at least one unit".into());
            }
            for (j, row) in layer.weights.iter().enumerate() {
                if row.len() != width {
                    let below =
                        if l == 0 { format!("{width} inputs") } else { format!("layer {} has {width} units", l - 1) };
                    return err(&format!("layers[{l}].weights[{j}]"), format!("{} weights, but {below}", row.len()));
                }
            }
            if layer.biases.len() != units {
                return err(&format!("layers[{l}].biases"), format!("{} biases for {units} units", layer.biases.len()));
            }
            if layer.activation == Activation::Softmax && l != last {
                return err(&format!("layers[{l}].activation"), "softmax only on the output layer".into());
            }
            let all = layer.weights.iter().flatten().chain(&layer.biases);
            if all.clone().any(|v| !v.is_finite()) {
                return err(&format!("layers[{l}]"), "weights and biases must be finite numbers".into());
            }
            width = units;
        }
        let targets =
            targets_for(f.loss, f.layers[last].activation, &format!("layers[{last}].activation"), f.targets, width)?;
        Ok(Network {
            inputs: f.inputs,
            targets,
            model: Model::from_layers(&f.layers),
            loss: f.loss,
            learning_rate: f.learning_rate,
            update_biases: f.update_biases,
        })
    }
}

/// The targets of a network ending in `output` activation with `outputs` outputs, checked
/// against the loss (cross-entropy with softmax, bce with sigmoid, targets of both in [0, 1]; a
/// class index only for cross-entropy); `activation_field` names the output's activation in
/// errors. For every network file alike.
pub(super) fn targets_for(
    loss: Loss,
    output: Activation,
    activation_field: &str,
    targets: TargetsFile,
    outputs: usize,
) -> std::result::Result<Vec<f64>, (String, String)> {
    let err = |field: &str, msg: String| Err((field.to_string(), msg));
    match (loss, output) {
        (Loss::CrossEntropy, a) if a != Activation::Softmax => {
            return err(activation_field, "cross-entropy needs a softmax output layer".into());
        }
        (l, Activation::Softmax) if l != Loss::CrossEntropy => {
            return err("loss", "a softmax output layer goes with cross-entropy".into());
        }
        (Loss::Bce, a) if a != Activation::Sigmoid => {
            return err(activation_field, "bce needs a sigmoid output layer".into());
        }
        _ => {}
    }
    let targets = match targets {
        TargetsFile::Vector(t) => t,
        TargetsFile::Class(c) if loss == Loss::CrossEntropy => {
            if c >= outputs {
                return err("targets", format!("class {c} for {outputs} outputs"));
            }
            (0..outputs).map(|k| if k == c { 1.0 } else { 0.0 }).collect()
        }
        TargetsFile::Class(_) => {
            return err("targets", "a class index goes with cross-entropy; give a vector".into());
        }
    };
    if targets.len() != outputs {
        return err("targets", format!("{} targets for {outputs} outputs", targets.len()));
    }
    if matches!(loss, Loss::Bce | Loss::CrossEntropy) && targets.iter().any(|t| !(0.0..=1.0).contains(t)) {
        return err("targets", "targets of bce and cross-entropy lie in [0, 1]".into());
    }
    if targets.iter().any(|t| !t.is_finite()) {
        return err("targets", "targets must be finite numbers".into());
    }
    Ok(targets)
}
