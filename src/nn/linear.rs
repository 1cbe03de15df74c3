//! The fully connected layer, stored as PyTorch's `nn.Linear` stores it.

use super::init::Init;
use crate::autograd::{ParamId, ParamStore, Tape, Var};
use crate::error::Error;
use crate::tensor::{Float, Tensor, Threads, View};

/// y = x·Wᵀ + b with W of shape [outputs, inputs] and b of shape [outputs], so the weights load
/// unchanged into `torch.nn.Linear`. The parameters live in a [`ParamStore`] as
/// `{name}.weight` and `{name}.bias`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    pub name: String,
    pub inputs: usize,
    pub outputs: usize,
    pub weight: ParamId,
    pub bias: ParamId,
}

impl Linear {
    /// A new layer whose parameters are added to `store` under `name`.
    pub fn new<T: Float>(
        store: &mut ParamStore<T>,
        name: &str,
        (inputs, outputs): (usize, usize),
        (weight_init, bias_init): (Init, Init),
        rng: &mut impl rand::Rng,
    ) -> Linear {
        let w = weight_init.tensor([outputs, inputs], inputs, outputs, rng);
        let b = bias_init.tensor([outputs], inputs, outputs, rng);
        Linear {
            name: name.to_string(),
            inputs,
            outputs,
            weight: store.insert(format!("{name}.weight"), w),
            bias: store.insert(format!("{name}.bias"), b),
        }
    }

    /// The layer `name` whose parameters are already in `store` (a loaded model), checking
    /// their shapes.
    pub fn from_store<T: Float>(
        store: &ParamStore<T>,
        name: &str,
        (inputs, outputs): (usize, usize),
    ) -> crate::Result<Linear> {
        Ok(Linear {
            name: name.to_string(),
            inputs,
            outputs,
            weight: find_param(store, &format!("{name}.weight"), &[outputs, inputs])?,
            bias: find_param(store, &format!("{name}.bias"), &[outputs])?,
        })
    }

    /// On the tape: one fused `Linear` op.
    pub fn forward<'t, T: Float>(&self, tape: &'t Tape<T>, store: &ParamStore<T>, x: Var<'t, T>) -> Var<'t, T> {
        x.linear(tape.param(store, self.weight), tape.param(store, self.bias))
    }

    /// Without a tape (inference), reading `x` in place.
    pub fn apply<T: Float>(&self, store: &ParamStore<T>, x: View<'_, T>, threads: Threads) -> Tensor<T> {
        x.linear(store.get(self.weight).view(), store.get(self.bias).view(), threads)
    }
}

/// The tensor `name` of a loaded model, which must have the shape `dims`; the error names the
/// tensor and both shapes.
pub(super) fn find_param<T: Float>(store: &ParamStore<T>, name: &str, dims: &[usize]) -> crate::Result<ParamId> {
    let id = store.id(name).ok_or_else(|| Error::invalid(format!("no tensor `{name}`")))?;
    if store.get(id).dims() != dims {
        return Err(Error::invalid(format!(
            "tensor `{name}` has shape {:?}; the architecture needs {dims:?}",
            store.get(id).dims()
        )));
    }
    Ok(id)
}
