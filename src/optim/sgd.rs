//! Stochastic gradient descent with momentum, Nesterov momentum and weight decay.

use serde::{Deserialize, Serialize};

use super::{Element, GradientParts, Term, slot};
use crate::autograd::ParamStore;
use crate::tensor::{Float, Threads, update_in_chunks};

/// Gradient descent on one number, w ← w − η·g: the lecture's update, plain SGD's, and the one
/// every view that writes an update out (explain's w⁺, check's answers) computes with.
#[inline(always)]
pub fn descend<T: Float>(w: T, g: T, lr: T) -> T {
    w - lr * g
}

/// SGD as PyTorch's `torch.optim.SGD` (dampening 0).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Sgd<T: Float> {
    pub momentum: f64,
    pub nesterov: bool,
    pub weight_decay: f64,
    /// The momentum buffer v of each parameter (by `ParamId` index).
    #[serde(with = "super::state")]
    velocity: Vec<Vec<T>>,
}

impl<T: Float> Sgd<T> {
    pub fn new(momentum: f64, nesterov: bool, weight_decay: f64) -> Sgd<T> {
        Sgd { momentum, nesterov, weight_decay, velocity: Vec::new() }
    }

    /// Its settings and state, as a loaded checkpoint must hold them (field, message).
    pub(crate) fn faults(&self, numels: &[usize]) -> Vec<(String, String)> {
        let mut f = super::settings_faults(&[
            ("momentum", self.momentum, 0.0, 1.0),
            ("weight_decay", self.weight_decay, 0.0, f64::MAX),
        ]);
        f.extend(super::state_faults("velocity", &self.velocity, numels));
        f
    }

    /// g = ∂E/∂w + λ·w;  v ← μ·v + g (v = g on the first step);
    /// w ← w − η·(g + μ·v) with Nesterov, w ← w − η·v without (w ← w − η·g when μ = 0).
    pub fn step(&mut self, params: &mut ParamStore<T>, grads: GradientParts<'_, T>, lr: f64, threads: Threads) {
        let (lr, mu, wd) = (T::of(lr), T::of(self.momentum), T::of(self.weight_decay));
        let (momentum, nesterov) = (self.momentum != 0.0, self.nesterov);
        for (id, grad) in grads {
            let w = params.for_update(id).data_mut();
            let first = self.velocity.get(id.0).is_none_or(|v| v.is_empty());
            let v = slot(&mut self.velocity, id.0, if momentum { w.len() } else { 0 });
            if momentum {
                update_in_chunks(threads, w, &grad, [v], &|w, grad, [v]| {
                    let (lr, mu, wd) = (lr, mu, wd); // locals, not captures: see Adam's step
                    for ((w, &g), v) in w.iter_mut().zip(grad).zip(v.iter_mut()) {
                        let g = g + wd * *w;
                        *v = if first { g } else { mu * *v + g };
                        *w -= lr * if nesterov { g + mu * *v } else { *v };
                    }
                });
            } else {
                // Its own loop: without the momentum branch it vectorises.
                update_in_chunks(threads, w, &grad, [], &|w, grad, []| {
                    let (lr, wd) = (lr, wd);
                    for (w, &g) in w.iter_mut().zip(grad) {
                        *w = descend(*w, g + wd * *w, lr);
                    }
                });
            }
        }
    }
}

impl<T: Float> Sgd<T> {
    /// The step of one element written out (`self` after it, `before` before it).
    pub(crate) fn terms(&self, before: &Sgd<T>, e: &Element) -> Vec<Term> {
        let (mut terms, g) = e.start(self.weight_decay, true);
        if self.momentum == 0.0 {
            terms.push(e.result("w − η·g"));
            return terms;
        }
        terms.push(Term::given("μ", self.momentum));
        let first = before.velocity.get(e.at.0.0).is_none_or(|s| s.is_empty());
        if first {
            terms.push(Term::new("v⁺", "g (the first step)", g));
        } else {
            terms.push(Term::given("v", e.state(&before.velocity)));
            terms.push(Term::new("v⁺", "μ·v + g", e.state(&self.velocity)));
        }
        terms.push(e.result(if self.nesterov { "w − η·(g + μ·v⁺)" } else { "w − η·v⁺" }));
        terms
    }
}
