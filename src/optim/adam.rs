//! Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019).

use serde::{Deserialize, Serialize};

use super::{Element, GradientParts, Term, slot};
use crate::autograd::ParamStore;
use crate::tensor::{Float, Threads, update_in_chunks};

/// Adam with bias correction, as `torch.optim.Adam`; with `decoupled` weight decay it is AdamW.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Adam<T: Float> {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    /// AdamW: decay the weights directly instead of adding λ·w to the gradient.
    pub decoupled: bool,
    /// First and second moments m, v and the step count t of each parameter.
    #[serde(with = "super::state")]
    m: Vec<Vec<T>>,
    #[serde(with = "super::state")]
    v: Vec<Vec<T>>,
    t: Vec<u64>,
}

impl<T: Float> Adam<T> {
    /// β1 = 0.9, β2 = 0.999, ε = 1e-8 (the paper's and PyTorch's defaults).
    pub fn new(weight_decay: f64, decoupled: bool) -> Adam<T> {
        Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay, decoupled, m: vec![], v: vec![], t: vec![] }
    }

    /// Its settings and state, as a loaded checkpoint must hold them (field, message).
    pub(crate) fn faults(&self, numels: &[usize]) -> Vec<(String, String)> {
        let mut f = super::settings_faults(&[
            ("beta1", self.beta1, 0.0, 1.0),
            ("beta2", self.beta2, 0.0, 1.0),
            ("eps", self.eps, f64::MIN_POSITIVE, f64::MAX),
            ("weight_decay", self.weight_decay, 0.0, f64::MAX),
        ]);
        f.extend(super::state_faults("m", &self.m, numels));
        f.extend(super::state_faults("v", &self.v, numels));
        if self.t.len() > numels.len() {
            f.push(("t".into(), format!("{} step counts for {} parameters", self.t.len(), numels.len())));
        }
        f
    }

    /// t ← t + 1;  g = ∂E/∂w (+ λ·w for Adam);  w ← w − η·λ·w first for AdamW;
    /// m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
    /// w ← w − η·m̂ / (√v̂ + ε) with m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ).
    ///
    /// Computed in PyTorch's order, the same quantity: w ← w − (η / c1)·m / (√v / √c2 + ε)
    /// with c1 = 1 − β1ᵗ, c2 = 1 − β2ᵗ. Two divisions and a square root per weight instead of
    /// three and one; the dividers are what bound this loop.
    pub fn step(&mut self, params: &mut ParamStore<T>, grads: GradientParts<'_, T>, lr: f64, threads: Threads) {
        let (b1, b2) = (self.beta1, self.beta2);
        for (id, grad) in grads {
            let w = params.for_update(id).data_mut();
            if self.t.len() <= id.0 {
                self.t.resize(id.0 + 1, 0);
            }
            self.t[id.0] += 1;
            let t = self.t[id.0] as i32;
            let (c1, c2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
            let (lr_t, b1_t, b2_t, eps, wd) =
                (T::of(lr), T::of(b1), T::of(b2), T::of(self.eps), T::of(self.weight_decay));
            let (step_size, sqrt_c2, one) = (T::of(lr / c1), T::of(c2.sqrt()), T::one());
            let decoupled = self.decoupled;
            let m = slot(&mut self.m, id.0, w.len());
            let v = slot(&mut self.v, id.0, w.len());
            update_in_chunks(threads, w, &grad, [m, v], &|w, grad, [m, v]| {
                // Copied into locals: read through the closure's captures, the compiler cannot
                // tell them apart from the stores to w, m and v, and leaves the loop scalar.
                let (lr_t, b1_t, b2_t, eps, wd, step_size, sqrt_c2) = (lr_t, b1_t, b2_t, eps, wd, step_size, sqrt_c2);
                for (((w, &g), m), v) in w.iter_mut().zip(grad).zip(m.iter_mut()).zip(v.iter_mut()) {
                    let g = if decoupled {
                        *w -= lr_t * wd * *w;
                        g
                    } else {
                        g + wd * *w
                    };
                    *m = b1_t * *m + (one - b1_t) * g;
                    *v = b2_t * *v + (one - b2_t) * g * g;
                    let denom = v.sqrt() / sqrt_c2 + eps;
                    *w -= step_size * (*m / denom);
                }
            });
        }
    }
}

impl<T: Float> Adam<T> {
    /// The step of one element written out (`self` after it, `before` before it): the moments,
    /// their bias corrections and the step, in the paper's notation.
    pub(crate) fn terms(&self, before: &Adam<T>, e: &Element) -> Vec<Term> {
        let (b1, b2, eps, wd) = (self.beta1, self.beta2, self.eps, self.weight_decay);
        let (mut terms, _) = e.start(wd, !self.decoupled);
        terms.extend([Term::given("β1", b1), Term::given("β2", b2), Term::given("ε", eps)]);
        if self.decoupled && wd != 0.0 {
            terms.push(Term::new("w′", "w − η·λ·w", e.w - e.lr * wd * e.w));
        }
        let t = self.t.get(e.at.0.0).copied().unwrap_or(0);
        let (m, v) = (e.state(&self.m), e.state(&self.v));
        let (c1, c2) = (1.0 - b1.powi(t as i32), 1.0 - b2.powi(t as i32));
        let m_hat = m / c1;
        let v_hat = v / c2;
        terms.extend([
            Term::new("t", "steps taken, this one included", t as f64),
            Term::given("m", e.state(&before.m)),
            Term::given("v", e.state(&before.v)),
            Term::new("m⁺", "β1·m + (1 − β1)·g", m),
            Term::new("v⁺", "β2·v + (1 − β2)·g²", v),
            Term::new("m̂", "m⁺ / (1 − β1ᵗ)", m_hat),
            Term::new("v̂", "v⁺ / (1 − β2ᵗ)", v_hat),
            Term::new("Δw", "η·m̂ / (√v̂ + ε)", e.lr * m_hat / (v_hat.sqrt() + eps)),
            e.result(if self.decoupled && wd != 0.0 { "w′ − Δw" } else { "w − Δw" }),
        ]);
        terms
    }
}
