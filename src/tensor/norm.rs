//! Batch normalisation over [n, c, h, w] in training mode, as PyTorch's `batch_norm` with
//! `training=True`: each channel normalised by the mean and the biased variance of its values
//! across the batch and the image (n·h·w of them), then scaled by γ and shifted by β. The
//! running statistics that evaluation mode uses are the layer's to keep (`nn::BatchNorm`): it
//! reads each batch's [`channel_moments`], and evaluation applies them with
//! [`batch_norm_eval`].

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

/// Per channel of x [n, c, h, w]: (count, mean, Σ (x − mean)²) over every image and
/// position — what a running mean and an unbiased running variance are updated from, and what
/// two shards' moments are merged from (Chan's formula).
pub fn channel_moments<T: Float>(x: View<'_, T>) -> Vec<(f64, f64, f64)> {
    let (n, c, plane) = planes(x.shape);
    (0..c)
        .map(|k| {
            let values =
                || (0..n).flat_map(move |i| x.data[(i * c + k) * plane..(i * c + k + 1) * plane].iter().copied());
            let count = (n * plane) as f64;
            let mean = values().map(|v| v.to_f64().unwrap_or(f64::NAN)).sum::<f64>() / count;
            let m2 = values().map(|v| (v.to_f64().unwrap_or(f64::NAN) - mean).powi(2)).sum::<f64>();
            (count, mean, m2)
        })
        .collect()
}

/// Evaluation mode: y = γ·(x − mean)/√(var + ε) + β per channel, with given (running)
/// statistics, so each channel is one multiply-add.
pub fn batch_norm_eval<T: Float>(out: &mut [T], x: View<'_, T>, [gamma, beta, mean, var]: [&[T]; 4], eps: f64) {
    let (n, c, plane) = planes(x.shape);
    for i in 0..n {
        for k in 0..c {
            let scale = gamma[k] / (var[k] + T::of(eps)).sqrt();
            let shift = beta[k] - mean[k] * scale;
            let at = (i * c + k) * plane..(i * c + k + 1) * plane;
            for (o, &v) in out[at.clone()].iter_mut().zip(&x.data[at]) {
                *o = v * scale + shift;
            }
        }
    }
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

/// What the three gradients share, computed once per backward pass: per channel, over its
/// m = n·h·w values with x̂ = (x − μ)/√(σ² + ε), the statistics and Σ grad and Σ grad·x̂.
pub struct BatchNormBackward<'a, T> {
    x: View<'a, T>,
    grad: &'a [T],
    stats: Vec<(T, T)>,
    sums: Vec<(T, T)>,
}

impl<'a, T: Float> BatchNormBackward<'a, T> {
    pub fn new(grad: &'a [T], x: View<'a, T>, eps: f64) -> Self {
        let (n, c, plane) = planes(x.shape);
        let stats = statistics(x, eps);
        let sums = (0..c)
            .map(|k| {
                let (mean, inv) = stats[k];
                (0..n).fold((T::zero(), T::zero()), |(s, sx), i| {
                    let at = (i * c + k) * plane..(i * c + k + 1) * plane;
                    grad[at.clone()]
                        .iter()
                        .zip(&x.data[at])
                        .fold((s, sx), |(s, sx), (&g, &v)| (s + g, sx + g * (v - mean) * inv))
                })
            })
            .collect();
        BatchNormBackward { x, grad, stats, sums }
    }

    /// ∂E/∂x += γ/√(σ² + ε)·(grad − mean(grad) − x̂·mean(grad·x̂)): the batch's mean and
    /// variance depend on every x too.
    pub fn input(&self, gx: &mut [T], gamma: &[T]) {
        let (n, c, plane) = planes(self.x.shape);
        let m = T::of((n * plane) as f64);
        for i in 0..n {
            for (k, ((&(mean, inv), &(sum, sum_x)), &scale)) in self.stats.iter().zip(&self.sums).zip(gamma).enumerate()
            {
                let at = (i * c + k) * plane..(i * c + k + 1) * plane;
                for ((o, &g), &v) in gx[at.clone()].iter_mut().zip(&self.grad[at.clone()]).zip(&self.x.data[at]) {
                    let xhat = (v - mean) * inv;
                    *o += scale * inv * (g - sum / m - xhat * sum_x / m);
                }
            }
        }
    }

    /// ∂E/∂γ += Σ grad·x̂.
    pub fn gamma(&self, gg: &mut [T]) {
        gg.iter_mut().zip(&self.sums).for_each(|(o, &(_, sum_x))| *o += sum_x);
    }

    /// ∂E/∂β += Σ grad.
    pub fn beta(&self, gb: &mut [T]) {
        gb.iter_mut().zip(&self.sums).for_each(|(o, &(sum, _))| *o += sum);
    }
}
