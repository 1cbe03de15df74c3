//! Losses, composed from engine ops so their gradients come from the rules in
//! `autograd::ops`. The two that need care for stability (cross-entropy and binary
//! cross-entropy, both from logits) are single fused ops.

use serde::{Deserialize, Serialize};

use crate::autograd::Var;
use crate::error::{Error, Result};
use crate::tensor::Float;

/// Whether a loss adds its terms up or averages them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reduction {
    Sum,
    Mean,
}

/// The losses a model can train on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Loss {
    /// The lecture's E = Σ ½(T − out)², over every output of every sample.
    HalfSse,
    /// Mean squared error: mean over every element of (out − T)².
    Mse,
    /// Binary cross-entropy of logits against targets in [0, 1].
    Bce,
    /// Cross-entropy of logits against class indices.
    CrossEntropy,
}

impl Loss {
    /// Parses `half-sse`, `mse`, `bce` or `cross-entropy`.
    pub fn parse(name: &str) -> Result<Loss> {
        Ok(match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "half-sse" => Loss::HalfSse,
            "mse" => Loss::Mse,
            "bce" => Loss::Bce,
            "cross-entropy" | "ce" => Loss::CrossEntropy,
            other => {
                return Err(Error::invalid(format!(
                    "unknown loss `{other}`; expected one of cross-entropy, bce, mse, half-sse"
                )));
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Loss::HalfSse => "half-sse",
            Loss::Mse => "mse",
            Loss::Bce => "bce",
            Loss::CrossEntropy => "cross-entropy",
        }
    }

    /// Whether the targets are class indices (otherwise real vectors).
    pub fn takes_classes(self) -> bool {
        self == Loss::CrossEntropy
    }
}

/// The lecture's error, E = Σ ½(T − out)².
pub fn half_sse<'t, T: Float>(out: Var<'t, T>, target: Var<'t, T>) -> Var<'t, T> {
    (target - out).square().sum() * 0.5
}

/// Squared error, (out − T)² summed or averaged over every element.
pub fn mse<'t, T: Float>(out: Var<'t, T>, target: Var<'t, T>, reduction: Reduction) -> Var<'t, T> {
    let squares = (out - target).square();
    match reduction {
        Reduction::Sum => squares.sum(),
        Reduction::Mean => squares.mean(),
    }
}

/// Binary cross-entropy of logits against targets in [0, 1], through the fused, stable op.
pub fn bce_with_logits<'t, T: Float>(logits: Var<'t, T>, target: Var<'t, T>, reduction: Reduction) -> Var<'t, T> {
    let mean = logits.bce_with_logits(target);
    match reduction {
        Reduction::Mean => mean,
        Reduction::Sum => mean * logits.shape().numel() as f64,
    }
}

/// Cross-entropy of logits [rows, classes] against class indices, through the fused
/// log-softmax + negative log-likelihood op.
pub fn cross_entropy<'t, T: Float>(logits: Var<'t, T>, classes: &[usize], reduction: Reduction) -> Var<'t, T> {
    let mean = logits.cross_entropy(classes);
    match reduction {
        Reduction::Mean => mean,
        Reduction::Sum => mean * classes.len() as f64,
    }
}
