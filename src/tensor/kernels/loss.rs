//! The fused loss kernels: cross-entropy and binary cross-entropy from logits, written so that
//! no exponential overflows, and the lecture's half sum of squared errors.

use crate::tensor::{Float, View};

/// log Σ e^x over one row, stably: m + log Σ e^(x−m).
#[inline]
fn log_sum_exp<T: Float>(row: &[T]) -> T {
    let m = row.iter().copied().fold(T::neg_infinity(), T::max);
    m + row.iter().map(|&x| (x - m).exp()).sum::<T>().ln()
}

/// Mean cross-entropy of logits [rows, classes] against class indices, through a stable
/// log-softmax: −(1/N)·Σᵢ log softmax(xᵢ)[tᵢ] = (1/N)·Σᵢ (logΣe^xᵢ − xᵢ[tᵢ]).
pub fn cross_entropy<T: Float>(logits: View<'_, T>, classes: &[usize]) -> T {
    let (rows, cols) = (logits.shape.dim(0), logits.shape.dim(1));
    let total: T = logits.data.chunks_exact(cols.max(1)).zip(classes).map(|(row, &t)| log_sum_exp(row) - row[t]).sum();
    total / T::of(rows.max(1) as f64)
}

/// ½·Σ (t − y)² over every element: the lecture's E. Summed first and halved once, as
/// `((t − y)²).sum() · ½` is (halving is exact, so also as the lecture's Σ ½(t − y)²).
pub fn half_sse<T: Float>(y: &[T], t: &[T]) -> T {
    let total: T = y.iter().zip(t).map(|(&y, &t)| (t - y) * (t - y)).sum();
    total * T::of(0.5)
}

/// Mean binary cross-entropy of logits `z` against targets `t` in [0, 1], written so that no
/// exponential overflows: max(z, 0) − z·t + log(1 + e^−|z|) per element.
pub fn bce_with_logits<T: Float>(z: &[T], t: &[T]) -> T {
    let total: T = z.iter().zip(t).map(|(&z, &t)| z.max(T::zero()) - z * t + (-z.abs()).exp().ln_1p()).sum();
    total / T::of(z.len().max(1) as f64)
}

/// `ga += g·(softmax(x) − onehot(t)) / N`: the gradient of [`cross_entropy`] times `g`.
pub fn acc_cross_entropy<T: Float>(ga: &mut [T], logits: View<'_, T>, classes: &[usize], g: T) {
    let (rows, cols) = (logits.shape.dim(0), logits.shape.dim(1));
    let scale = g / T::of(rows.max(1) as f64);
    for ((ga_row, row), &t) in ga.chunks_exact_mut(cols.max(1)).zip(logits.data.chunks_exact(cols.max(1))).zip(classes)
    {
        let lse = log_sum_exp(row);
        for (j, (o, &x)) in ga_row.iter_mut().zip(row).enumerate() {
            let onehot = if j == t { T::one() } else { T::zero() };
            *o += scale * ((x - lse).exp() - onehot);
        }
    }
}
