//! Activation functions as layers: each is one engine op, so its derivative is the op's rule.

use serde::{Deserialize, Serialize};

use crate::autograd::Var;
use crate::error::{Error, Result};
use crate::tensor::{Float, Tensor};

/// An elementwise (or, for softmax, row-wise) nonlinearity between layers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// No nonlinearity: a layer's net input passes through (logits, regression outputs).
    Identity,
    Sigmoid,
    Tanh,
    Relu,
    /// `x` where positive, `slope·x` elsewhere.
    LeakyRelu {
        slope: f64,
    },
    /// Softmax over the last axis (class probabilities).
    Softmax,
}

impl Activation {
    /// The slope PyTorch's `LeakyReLU` uses by default.
    pub const LEAKY_SLOPE: f64 = 0.01;

    /// Parses a name as users write it: `relu`, `sigmoid`, `tanh`, `leaky-relu`, `softmax`,
    /// `linear` (or `identity`).
    pub fn parse(name: &str) -> Result<Activation> {
        Ok(match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "identity" | "linear" | "none" => Activation::Identity,
            "sigmoid" => Activation::Sigmoid,
            "tanh" => Activation::Tanh,
            "relu" => Activation::Relu,
            "leaky-relu" | "leakyrelu" => Activation::LeakyRelu { slope: Activation::LEAKY_SLOPE },
            "softmax" => Activation::Softmax,
            other => {
                return Err(Error::invalid(format!(
                    "unknown activation `{other}`; expected one of relu, sigmoid, tanh, leaky-relu, softmax, linear"
                )));
            }
        })
    }

    /// The name `parse` reads back.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "linear",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky-relu",
            Activation::Softmax => "softmax",
        }
    }

    /// On the tape.
    pub fn apply<'t, T: Float>(self, x: Var<'t, T>) -> Var<'t, T> {
        match self {
            Activation::Identity => x,
            Activation::Sigmoid => x.sigmoid(),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.relu(),
            Activation::LeakyRelu { slope } => x.leaky_relu(slope),
            Activation::Softmax => {
                let last = x.shape().rank().saturating_sub(1);
                x.softmax(last)
            }
        }
    }

    /// Without a tape (inference).
    pub fn apply_tensor<T: Float>(self, x: &Tensor<T>) -> Tensor<T> {
        match self {
            Activation::Identity => x.clone(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.relu(),
            Activation::LeakyRelu { slope } => x.map(|v| if v > T::zero() { v } else { T::of(slope) * v }),
            Activation::Softmax => x.softmax(x.shape().rank().saturating_sub(1)),
        }
    }
}
