//! Batch normalisation over [n, c, h, w] in training mode, as PyTorch's `batch_norm` with
//! `training=True`: each channel normalised by the mean and the biased variance of its values
//! across the batch and the image (n·h·w of them), then scaled by γ and shifted by β. The
//! running statistics that evaluation mode uses are the layer's to keep, not this kernel's.

use super::{Float, Shape, View};

/// Per channel: (mean, 1/√(variance + ε)) over every image and position.
fn statistics<T: Float>(x: View<'_, T>, eps: f64) -> Vec<(T, T)> {
    let (n, c, plane) = planes(x.shape);
    let m = T::of((n * plane) as f64);
    (0..c)
        .map(|k| {
            let values =
                || (0..n).flat_map(move |i| x.data[(i * c + k) * plane..(i * c + k + 1) * plane].iter().copied());
            let mean = values().sum::<T>() / m;
            let var = values().map(|v| (v - mean) * (v - mean)).sum::<T>() / m;
            (mean, T::one() / (var + T::of(eps)).sqrt())
        })
        .collect()
}

/// (images, channels, positions per plane) of a [n, c, h, w] shape.
fn planes(s: Shape) -> (usize, usize, usize) {
    (s.dim(0), s.dim(1), s.dim(2) * s.dim(3))
}

/// Checks x [n, c, h, w], γ [c], β [c]; panics naming the shapes otherwise.
pub fn batch_norm_shape(x: Shape, gamma: Shape, beta: Shape) -> Shape {
    if x.rank() != 4 || gamma.dims() != [x.dim(1)] || beta.dims() != [x.dim(1)] || x.dim(0) * x.dim(2) * x.dim(3) < 2 {
        panic!("batch_norm2d: input {x}, γ {gamma}, β {beta}: expected [n, c, h, w] with n·h·w ≥ 2, and [c] each");
    }
    x
}

/// y = γ·(x − μ)/√(σ² + ε) + β, per channel.
pub fn batch_norm<T: Float>(out: &mut [T], x: View<'_, T>, gamma: &[T], beta: &[T], eps: f64) {
    let (n, c, plane) = planes(x.shape);
    let stats = statistics(x, eps);
    for i in 0..n {
        for k in 0..c {
            let (mean, inv) = stats[k];
            let at = (i * c + k) * plane..(i * c + k + 1) * plane;
            for (o, &v) in out[at.clone()].iter_mut().zip(&x.data[at]) {
                *o = gamma[k] * (v - mean) * inv + beta[k];
            }
        }
    }
}

/// The three gradients, per channel over its m = n·h·w values, with x̂ = (x − μ)/√(σ² + ε):
/// ∂E/∂x += γ/√(σ² + ε)·(grad − mean(grad) − x̂·mean(grad·x̂)) (the batch's mean and variance
/// depend on every x too), ∂E/∂γ += Σ grad·x̂, ∂E/∂β += Σ grad. Each is skipped when `None`.
pub fn batch_norm_backward<T: Float>(
    gx: Option<&mut [T]>,
    ggamma: Option<&mut [T]>,
    gbeta: Option<&mut [T]>,
    grad: &[T],
    x: View<'_, T>,
    gamma: &[T],
    eps: f64,
) {
    let (n, c, plane) = planes(x.shape);
    let m = T::of((n * plane) as f64);
    let stats = statistics(x, eps);
    let at = |i: usize, k: usize| (i * c + k) * plane..(i * c + k + 1) * plane;
    // Σ grad and Σ grad·x̂ per channel.
    let sums: Vec<(T, T)> = (0..c)
        .map(|k| {
            let (mean, inv) = stats[k];
            (0..n).fold((T::zero(), T::zero()), |(s, sx), i| {
                grad[at(i, k)]
                    .iter()
                    .zip(&x.data[at(i, k)])
                    .fold((s, sx), |(s, sx), (&g, &v)| (s + g, sx + g * (v - mean) * inv))
            })
        })
        .collect();
    if let Some(gx) = gx {
        for i in 0..n {
            for k in 0..c {
                let ((mean, inv), (sum, sum_x)) = (stats[k], sums[k]);
                let range = at(i, k);
                for ((o, &g), &v) in gx[range.clone()].iter_mut().zip(&grad[range.clone()]).zip(&x.data[range]) {
                    let xhat = (v - mean) * inv;
                    *o += gamma[k] * inv * (g - sum / m - xhat * sum_x / m);
                }
            }
        }
    }
    if let Some(gg) = ggamma {
        gg.iter_mut().zip(&sums).for_each(|(o, &(_, sum_x))| *o += sum_x);
    }
    if let Some(gb) = gbeta {
        gb.iter_mut().zip(&sums).for_each(|(o, &(sum, _))| *o += sum);
    }
}
