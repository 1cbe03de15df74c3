//! A stack of layers applied in order, and the MLP builder on top of it.

use serde::{Deserialize, Serialize};

use super::{Activation, Dropout, Init, Linear};
use crate::autograd::{ParamStore, Tape, Var};
use crate::tensor::{Float, Tensor, Threads};

/// One layer of a [`Sequential`].
#[derive(Clone, Debug, PartialEq)]
pub enum Layer {
    Linear(Linear),
    Activation(Activation),
    Dropout(Dropout),
}

/// Layers applied one after another.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequential {
    pub layers: Vec<Layer>,
}

/// What an MLP looks like: layer sizes from inputs to outputs, the hidden activation, the output
/// activation (identity for logits), and dropout after each hidden activation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpSpec {
    pub sizes: Vec<usize>,
    pub activation: Activation,
    pub output: Activation,
    pub dropout: f64,
}

impl Sequential {
    /// An MLP with the given sizes: `Linear` layers named `layers.0`, `layers.1`, … (counting
    /// linear layers only, so `layers.{i}.weight` is the i-th weight matrix), each but the last
    /// followed by `spec.activation` (and dropout if asked), the last by `spec.output`. Weights
    /// use He initialisation for ReLU-like activations and Xavier otherwise; biases start at 0.
    pub fn mlp<T: Float>(spec: &MlpSpec, store: &mut ParamStore<T>, rng: &mut impl rand::Rng) -> Sequential {
        assert!(spec.sizes.len() >= 2, "an MLP needs at least input and output sizes, got {:?}", spec.sizes);
        let weight_init = match spec.activation {
            Activation::Relu | Activation::LeakyRelu { .. } => Init::HeUniform,
            _ => Init::XavierUniform,
        };
        let last = spec.sizes.len() - 2;
        let mut layers = vec![];
        for (i, pair) in spec.sizes.windows(2).enumerate() {
            let init = if i == last && weight_init == Init::HeUniform { Init::XavierUniform } else { weight_init };
            layers.push(Layer::Linear(Linear::new(
                store,
                &format!("layers.{i}"),
                (pair[0], pair[1]),
                (init, Init::Zeros),
                rng,
            )));
            if i < last {
                layers.push(Layer::Activation(spec.activation));
                if spec.dropout > 0.0 {
                    layers.push(Layer::Dropout(Dropout { p: spec.dropout }));
                }
            } else if spec.output != Activation::Identity {
                layers.push(Layer::Activation(spec.output));
            }
        }
        Sequential { layers }
    }

    /// The linear layers, in order.
    pub fn linears(&self) -> impl Iterator<Item = &Linear> {
        self.layers.iter().filter_map(|l| match l {
            Layer::Linear(lin) => Some(lin),
            _ => None,
        })
    }

    /// Number of input features.
    pub fn inputs(&self) -> usize {
        self.linears().next().map_or(0, |l| l.inputs)
    }

    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        self.linears().last().map_or(0, |l| l.outputs)
    }

    /// On the tape. `rng` is given in training (dropout draws its masks from it) and `None` in
    /// evaluation.
    pub fn forward<'t, T: Float>(
        &self,
        tape: &'t Tape<T>,
        store: &ParamStore<T>,
        mut x: Var<'t, T>,
        mut rng: Option<&mut crate::Rng>,
    ) -> Var<'t, T> {
        for layer in &self.layers {
            x = match layer {
                Layer::Linear(l) => l.forward(tape, store, x),
                Layer::Activation(a) => a.apply(x),
                Layer::Dropout(d) => d.forward(x, rng.as_deref_mut()),
            };
        }
        x
    }

    /// Without a tape (inference): dropout passes values through.
    pub fn predict<T: Float>(&self, store: &ParamStore<T>, x: &Tensor<T>, threads: Threads) -> Tensor<T> {
        let mut y = x.clone();
        for layer in &self.layers {
            y = match layer {
                Layer::Linear(l) => l.apply(store, &y, threads),
                Layer::Activation(a) => a.apply_tensor(&y),
                Layer::Dropout(_) => y,
            };
        }
        y
    }
}
