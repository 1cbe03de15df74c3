//! Dropout: in training, each unit is zeroed with probability p and the survivors scaled by
//! 1/(1−p) (inverted dropout), so evaluation needs no rescaling and simply passes values through.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::autograd::Var;
use crate::tensor::{Float, Tensor};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dropout {
    pub p: f64,
}

impl Dropout {
    /// On the tape. The mask is an input leaf (no gradient), so ∂E/∂x is grad·mask through the
    /// ordinary `Mul` rule.
    pub fn forward<'t, T: Float>(&self, x: Var<'t, T>, rng: Option<&mut crate::Rng>) -> Var<'t, T> {
        let Some(rng) = rng.filter(|_| self.p > 0.0) else { return x };
        let keep = 1.0 - self.p;
        let shape = x.shape();
        let mask: Vec<T> = (0..shape.numel())
            .map(|_| if rng.random::<f64>() < keep { T::of(1.0 / keep) } else { T::zero() })
            .collect();
        x * x.tape().input(&Tensor::new(mask, shape))
    }
}
