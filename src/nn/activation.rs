//! The activation functions: the one place that defines each. An activation is one engine op
//! (so its derivative is that op's backward rule in `autograd::ops`), plus what the rest of the
//! library says about it: its name in files and on the command line, the formulas `explain`
//! writes out, and the weight initialisation that suits it. The CLI (`--activation`), model
//! files, network files, `explain` and exports all read this enum and nothing else.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use strum::IntoEnumIterator;

use super::Init;
use crate::autograd::{NodeId, Op, Tape, Var};
use crate::tensor::{Float, Tensor, Threads};

/// An elementwise (or, for softmax, row-wise) nonlinearity after a layer.
///
/// Files spell it by [`Activation::name`] (serde reads and writes that string).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::EnumIter)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Activation {
    Relu,
    Sigmoid,
    Tanh,
    /// x where positive, 0.01·x elsewhere (the slope is `Activation::LEAKY_SLOPE`).
    LeakyRelu,
    /// GELU, tanh form (PyTorch's `approximate="tanh"`).
    Gelu,
    /// SiLU, also called swish: x·σ(x).
    Silu,
    /// No nonlinearity: the net input passes through (as logits and regression outputs do).
    Linear,
    /// Softmax over the last axis (class probabilities): an output layer's, not a hidden one's.
    #[cfg_attr(feature = "cli", value(skip))]
    Softmax,
}

/// What the library says about one activation, beside its op.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    /// As files and the command line spell it (`leaky-relu`).
    pub name: &'static str,
    /// `out = f(net)` written out for a unit, `{}` standing for the unit's net input.
    pub formula: &'static str,
    /// The function's name in LaTeX (`\sigma`), empty for the identity.
    pub latex: &'static str,
    /// dout/dnet as the lecture writes it, in terms of `net` and `out` (`None` for softmax,
    /// whose units are not separable).
    pub derivative: Option<String>,
    /// The weight initialisation that keeps activations' scale through such layers.
    pub init: Init,
}

impl Activation {
    /// The slope PyTorch's `LeakyReLU` uses by default.
    pub const LEAKY_SLOPE: f64 = 0.01;

    /// The op that computes this activation of node `a` (whose last axis is `last`), or `None`
    /// for the identity.
    pub fn op(self, a: NodeId, last: usize) -> Option<Op> {
        Some(match self {
            Activation::Relu => Op::Relu(a),
            Activation::Sigmoid => Op::Sigmoid(a),
            Activation::Tanh => Op::Tanh(a),
            Activation::LeakyRelu => Op::LeakyRelu(a, Activation::LEAKY_SLOPE),
            Activation::Gelu => Op::Gelu(a),
            Activation::Silu => Op::Silu(a),
            Activation::Linear => return None,
            Activation::Softmax => Op::Softmax { a, axis: last },
        })
    }

    /// Everything said about this activation outside the op table.
    pub fn definition(self) -> Definition {
        let (he, xavier) = (Init::HeUniform, Init::XavierUniform);
        let d = |name, formula, latex, derivative: &str, init| Definition {
            name,
            formula,
            latex,
            derivative: Some(derivative.to_string()),
            init,
        };
        match self {
            Activation::Relu => d("relu", "max(0, {})", r"\mathrm{relu}", "relu'(net) = 1 if net > 0, else 0", he),
            Activation::Sigmoid => d("sigmoid", "σ({}) = 1/(1+e^−{})", r"\sigma", "σ'(net) = out·(1 − out)", xavier),
            Activation::Tanh => d("tanh", "tanh({})", r"\tanh", "tanh'(net) = 1 − out²", xavier),
            Activation::LeakyRelu => d(
                "leaky-relu",
                "leaky_relu({})",
                r"\mathrm{leaky\_relu}",
                &format!("leaky_relu'(net) = 1 if net > 0, else {}", Activation::LEAKY_SLOPE),
                he,
            ),
            Activation::Gelu => d(
                "gelu",
                "gelu({}) = ½·{}·(1 + tanh(√(2/π)·({} + 0.044715·{}³)))",
                r"\mathrm{gelu}",
                "gelu'(net) = ½(1 + t) + ½·net·(1 − t²)·√(2/π)·(1 + 0.134145·net²), t = tanh(√(2/π)·(net + 0.044715·net³))",
                he,
            ),
            Activation::Silu => {
                d("silu", "{}·σ({})", r"\mathrm{silu}", "silu'(net) = σ(net)·(1 + net·(1 − σ(net)))", he)
            }
            Activation::Linear => d("linear", "{}", "", "linear'(net) = 1", xavier),
            Activation::Softmax => Definition {
                name: "softmax",
                formula: "softmax({})",
                latex: r"\mathrm{softmax}",
                derivative: None,
                init: xavier,
            },
        }
    }

    /// The name files and the command line use.
    pub fn name(self) -> &'static str {
        self.definition().name
    }

    /// `out_H1 = …` for a unit whose net input is called `net`: [`Definition::formula`] filled in.
    pub fn formula_for(self, net: &str) -> String {
        self.definition().formula.replace("{}", net)
    }

    /// Whether each output depends on its own input alone (all but softmax).
    pub fn is_elementwise(self) -> bool {
        self.definition().derivative.is_some()
    }

    /// On the tape.
    pub fn apply<'t, T: Float>(self, x: Var<'t, T>) -> Var<'t, T> {
        let last = x.shape().rank().saturating_sub(1);
        match self.op(x.id(), last) {
            Some(op) => x.tape().apply(op),
            None => x,
        }
    }

    /// Without a tape (inference): the op's own forward kernel on a tensor.
    pub fn apply_tensor<T: Float>(self, x: &Tensor<T>) -> Tensor<T> {
        let last = x.shape().rank().saturating_sub(1);
        match self.op(0, last) {
            Some(op) => {
                let mut out = Tensor::zeros(x.shape());
                crate::autograd::ops::forward(&op, out.data_mut(), |_| x.view(), Threads::ONE);
                out
            }
            None => x.clone(),
        }
    }

    /// dout/dnet at each of `net`'s elements, by the op's own backward rule (seeded with ones
    /// on a small tape): the local derivative `explain` shows. `None` for softmax.
    pub fn derivative_at(self, net: &Tensor<f64>) -> Option<Tensor<f64>> {
        if !self.is_elementwise() {
            return None;
        }
        let tape = Tape::new();
        let x = tape.variable(net);
        let out = self.apply(x);
        let grads = tape.backward_from(out, &Tensor::ones(net.shape()));
        Some(grads.wrt(x).map_or_else(|| Tensor::zeros(net.shape()), |g| g.to_tensor()))
    }
}

impl Activation {
    /// The activation a file names: its [`Activation::name`], or a spelling an earlier format
    /// wrote (`identity` for `linear`).
    pub fn from_name(name: &str) -> Option<Activation> {
        match name {
            "identity" => Some(Activation::Linear),
            _ => Activation::iter().find(|a| a.name() == name),
        }
    }
}

impl Serialize for Activation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// How files spell an activation: its name, or (model files of the first format) leaky ReLU
/// with its slope, `{"leaky-relu": {"slope": 0.01}}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Spelling {
    Name(String),
    WithSlope(std::collections::BTreeMap<String, Slope>),
}

#[derive(Deserialize)]
struct Slope {
    slope: f64,
}

impl<'de> Deserialize<'de> for Activation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Activation, D::Error> {
        use serde::de::Error;
        let known = || Activation::iter().map(Activation::name).collect::<Vec<_>>().join(", ");
        match Spelling::deserialize(d)? {
            Spelling::Name(name) => Activation::from_name(&name).ok_or_else(|| {
                D::Error::custom(format!(
                    "unknown variant `{name}` (not an activation this build knows); expected one of {}",
                    known()
                ))
            }),
            Spelling::WithSlope(map) => match map.iter().next() {
                Some((name, Slope { slope })) if map.len() == 1 && name == "leaky-relu" => {
                    if *slope == Activation::LEAKY_SLOPE {
                        Ok(Activation::LeakyRelu)
                    } else {
                        Err(D::Error::custom(format!(
                            "leaky-relu with slope {slope}: this build's leaky-relu has slope {}",
                            Activation::LEAKY_SLOPE
                        )))
                    }
                }
                _ => Err(D::Error::custom(format!("not an activation; expected one of {}", known()))),
            },
        }
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
