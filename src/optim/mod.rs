//! Optimisers (read gradients, write parameters), learning-rate schedules, gradient clipping.
//!
//! Each optimiser follows its published update equations (written above its `step`), with the
//! hyper-parameters PyTorch uses by default. Their state (momenta, step counts) is serialisable,
//! so a checkpoint can resume training exactly.

mod adam;
mod clip;
mod rmsprop;
mod schedule;
mod sgd;

pub use adam::Adam;
pub use clip::{clip_grad_norm, clip_grad_value, grad_norm};
pub use rmsprop::RmsProp;
pub use schedule::{LrSchedule, Schedule};
pub use sgd::Sgd;

use serde::{Deserialize, Serialize};

use crate::autograd::{Grads, ParamStore};
use crate::error::{Error, Result};
use crate::tensor::{Float, Threads};

/// One of the optimisers, with its state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", bound = "")]
pub enum Optimizer<T: Float> {
    Sgd(Sgd<T>),
    Adam(Adam<T>),
    RmsProp(RmsProp<T>),
}

impl<T: Float> Optimizer<T> {
    /// An optimiser by name (`sgd`, `adam`, `adamw`, `rmsprop`) with the given momentum (SGD
    /// only) and weight decay, and defaults for the rest.
    pub fn by_name(name: &str, momentum: f64, weight_decay: f64) -> Result<Optimizer<T>> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "sgd" => Optimizer::Sgd(Sgd::new(momentum, false, weight_decay)),
            "nesterov" => Optimizer::Sgd(Sgd::new(momentum, true, weight_decay)),
            "adam" => Optimizer::Adam(Adam::new(weight_decay, false)),
            "adamw" => Optimizer::Adam(Adam::new(weight_decay, true)),
            "rmsprop" => Optimizer::RmsProp(RmsProp::new(weight_decay)),
            other => {
                return Err(Error::invalid(format!(
                    "unknown optimizer `{other}`; expected one of sgd, nesterov, adam, adamw, rmsprop"
                )));
            }
        })
    }

    /// Updates every parameter that has a gradient, at learning rate `lr`.
    pub fn step(&mut self, params: &mut ParamStore<T>, grads: &Grads<T>, lr: f64) {
        self.step_threads(params, grads, lr, Threads::ONE)
    }

    /// [`Optimizer::step`] with each large parameter's update split across `threads` (the
    /// result is the same: every element is updated on its own).
    pub fn step_threads(&mut self, params: &mut ParamStore<T>, grads: &Grads<T>, lr: f64, threads: Threads) {
        match self {
            Optimizer::Sgd(o) => o.step(params, grads, lr, threads),
            Optimizer::Adam(o) => o.step(params, grads, lr, threads),
            Optimizer::RmsProp(o) => o.step(params, grads, lr, threads),
        }
    }

    /// The learning rate a user would start from with this optimiser.
    pub fn default_lr(&self) -> f64 {
        match self {
            Optimizer::Sgd(_) => 0.1,
            Optimizer::Adam(_) => 1e-3,
            Optimizer::RmsProp(_) => 1e-3,
        }
    }
}

/// Per-parameter state vectors, created (zeroed) on a parameter's first update.
pub(crate) fn slot<T: Float>(state: &mut Vec<Vec<T>>, index: usize, len: usize) -> &mut Vec<T> {
    if state.len() <= index {
        state.resize_with(index + 1, Vec::new);
    }
    if state[index].len() != len {
        state[index] = vec![T::zero(); len];
    }
    &mut state[index]
}
