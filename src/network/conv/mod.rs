//! A small convolutional network for `explain` and `--check`: one image, a few layers in the
//! `--layers` words with their weights written out ([`file`]), run a step at a time on the
//! engine's tape like any model ([`step`]), every number named in the lecture's manner
//! ([`names`]). What a convolution adds to the lecture: each output's net as kernel × patch,
//! each kernel weight's gradient as the sum over the positions it touched, the input's gradient
//! as the full convolution with the flipped kernel, and a pool's choice.

mod file;
mod layers;
mod lines;
mod names;
mod step;
mod taps;

pub use file::{MAX_INPUT_NUMBERS, is_layered, is_layered_file, parse};
pub use lines::{Grid, Line, Part, Product, Rule, Section, Update};
pub use names::{indexed, map_names};
pub use step::{ConvStep, ConvSteps, ConvTrace, PoolTrace, run, step};
pub use taps::{Tap, conv_taps};

use std::path::Path;

use crate::autograd::{ParamStore, Tape, Var};
use crate::error::{Error, Result};
use crate::loss::Loss;
use crate::nn::{Architecture, SampleShape, Sequential};
use crate::tensor::Tensor;

/// A checked convolutional network: one image [1, channels, rows, columns], its targets, and
/// the layers as the library's `Sequential` with their weights in a store.
#[derive(Clone, Debug)]
pub struct ConvNetwork {
    pub input: Tensor<f64>,
    pub targets: Vec<f64>,
    pub sequential: Sequential,
    pub params: ParamStore<f64>,
    pub loss: Loss,
    pub learning_rate: f64,
    pub update_biases: bool,
}

impl ConvNetwork {
    /// Reads and checks a network file in the convolutional form.
    pub fn load(path: &Path) -> Result<ConvNetwork> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::data(path, format!("line {}, column {}", e.line(), e.column()), e.to_string()))?;
        ConvNetwork::from_value(path, &value)
    }

    /// A network file already parsed as JSON, named `path` in errors.
    pub fn from_value(path: &Path, value: &serde_json::Value) -> Result<ConvNetwork> {
        parse(value).map_err(|(field, message)| Error::data(path, field, message))
    }

    pub fn architecture(&self) -> Architecture {
        self.sequential.architecture()
    }

    /// One sample's shape: [channels, rows, columns].
    pub fn input_shape(&self) -> SampleShape {
        SampleShape::of(&self.input.dims()[1..]).expect("an image")
    }

    /// Weights and biases, all layers.
    pub fn parameter_count(&self) -> usize {
        self.params.numel()
    }

    /// The names of every map: the input's first, then each layer's outputs.
    pub fn names(&self) -> Vec<Vec<String>> {
        let arch = self.architecture();
        let shapes: Vec<SampleShape> = arch.rows().expect("checked when read").iter().map(|r| r.output).collect();
        map_names(self.input_shape(), &arch.layers, &shapes)
    }

    /// The names of the network's outputs (`out_y1`, or `y1` without an output activation).
    pub fn output_names(&self) -> Vec<String> {
        self.names().pop().expect("at least the input")
    }

    /// The forward pass on `tape`, the input a variable (so its gradient is kept): every map's
    /// node (the input's first), E's terms and E.
    pub fn forward<'t>(&self, tape: &'t Tape<f64>) -> Forward<'t> {
        let x = tape.variable(&self.input);
        let mut maps = vec![x];
        let out = self.sequential.forward_visit(tape, &self.params, x, None, |_, _, o| maps.push(o));
        let targets = tape.input(&Tensor::new(self.targets.clone(), [1, self.targets.len()]));
        let terms = self.loss.per_output(out, targets);
        Forward { maps, terms, error: terms.sum() }
    }

    /// E for the network as it stands.
    pub fn error(&self) -> f64 {
        self.forward(&Tape::new()).error.item()
    }
}

/// What [`ConvNetwork::forward`] leaves on the tape.
pub struct Forward<'t> {
    pub maps: Vec<Var<'t, f64>>,
    pub terms: Var<'t, f64>,
    pub error: Var<'t, f64>,
}
