//! RMSProp (Hinton's lecture 6e), as `torch.optim.RMSprop` without momentum or centring.

use serde::{Deserialize, Serialize};

use super::{Element, GradientParts, Term, slot};
use crate::autograd::ParamStore;
use crate::tensor::{Float, Threads, update_in_chunks};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct RmsProp<T: Float> {
    pub alpha: f64,
    pub eps: f64,
    pub weight_decay: f64,
    /// The running mean of squared gradients of each parameter.
    #[serde(with = "super::state")]
    square_avg: Vec<Vec<T>>,
}

impl<T: Float> RmsProp<T> {
    /// α = 0.99, ε = 1e-8 (PyTorch's defaults).
    pub fn new(weight_decay: f64) -> RmsProp<T> {
        RmsProp { alpha: 0.99, eps: 1e-8, weight_decay, square_avg: vec![] }
    }

    /// Its settings and state, as a loaded checkpoint must hold them (field, message).
    pub(crate) fn faults(&self, numels: &[usize]) -> Vec<(String, String)> {
        let mut f = super::settings_faults(&[
            ("alpha", self.alpha, 0.0, 1.0),
            ("eps", self.eps, f64::MIN_POSITIVE, f64::MAX),
            ("weight_decay", self.weight_decay, 0.0, f64::MAX),
        ]);
        f.extend(super::state_faults("square_avg", &self.square_avg, numels));
        f
    }

    /// g = ∂E/∂w + λ·w;  s ← α·s + (1 − α)·g²;  w ← w − η·g / (√s + ε).
    pub fn step(&mut self, params: &mut ParamStore<T>, grads: GradientParts<'_, T>, lr: f64, threads: Threads) {
        let (lr, alpha, eps, wd) = (T::of(lr), T::of(self.alpha), T::of(self.eps), T::of(self.weight_decay));
        for (id, grad) in grads {
            let w = params.for_update(id).data_mut();
            let s = slot(&mut self.square_avg, id.0, w.len());
            update_in_chunks(threads, w, &grad, [s], &|w, grad, [s]| {
                let (lr, alpha, eps, wd) = (lr, alpha, eps, wd); // locals, not captures: see Adam's step
                for ((w, &g), s) in w.iter_mut().zip(grad).zip(s.iter_mut()) {
                    let g = g + wd * *w;
                    *s = alpha * *s + (T::one() - alpha) * g * g;
                    *w -= lr * g / (s.sqrt() + eps);
                }
            });
        }
    }
}

impl<T: Float> RmsProp<T> {
    /// The step of one element written out (`self` after it, `before` before it).
    pub(crate) fn terms(&self, before: &RmsProp<T>, e: &Element) -> Vec<Term> {
        let (mut terms, _) = e.start(self.weight_decay, true);
        terms.push(Term::given("α", self.alpha));
        terms.push(Term::given("ε", self.eps));
        terms.push(Term::given("s", e.state(&before.square_avg)));
        terms.push(Term::new("s⁺", "α·s + (1 − α)·g²", e.state(&self.square_avg)));
        terms.push(e.result("w − η·g / (√s⁺ + ε)"));
        terms
    }
}
