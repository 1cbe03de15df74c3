//! Gradient clipping, applied to a step's gradients before the optimiser reads them.

use crate::autograd::Grads;
use crate::tensor::Float;

/// The global L2 norm of every parameter's gradient, √(Σ g²).
pub fn grad_norm<T: Float>(grads: &Grads<T>) -> f64 {
    let sum: f64 =
        grads.params().flat_map(|(_, g)| g.data.iter()).map(|&x| x.to_f64().unwrap_or(f64::NAN).powi(2)).sum();
    sum.sqrt()
}

/// Scales all parameter gradients by min(1, max_norm / norm) so their global norm is at most
/// `max_norm` (as `torch.nn.utils.clip_grad_norm_`). Returns the norm before clipping.
pub fn clip_grad_norm<T: Float>(grads: &mut Grads<T>, max_norm: f64) -> f64 {
    let norm = grad_norm(grads);
    if norm > max_norm {
        let scale = T::of(max_norm / (norm + 1e-6));
        for id in grads.param_ids() {
            grads.param_mut(id).into_iter().flatten().for_each(|g| *g *= scale);
        }
    }
    norm
}

/// Clamps every parameter gradient element to [−limit, limit].
pub fn clip_grad_value<T: Float>(grads: &mut Grads<T>, limit: f64) {
    let limit = T::of(limit);
    for id in grads.param_ids() {
        grads.param_mut(id).into_iter().flatten().for_each(|g| *g = g.max(-limit).min(limit));
    }
}
