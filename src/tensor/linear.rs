//! The fused linear layer `x·Wᵀ + b` and the products of its backward rule, next to the
//! product they are made of: the kernels whose strategy depends on the layer's size.

use super::matmul::small_product;
use super::{Float, Mat, Threads, View, Write, matmul, tuning};

/// `out = x·Wᵀ + b`.
///
/// Why two ways: `gemm` works column-major, so for a row-major `out` it computes `outᵀ = W·xᵀ`
/// and repacks W (all `out × in` weights) on every call, a cost that does not shrink with the
/// batch. For a small batch it is cheaper to compute `W·xᵀ` into a scratch `[out, rows]`
/// buffer, which repacks only x, and transpose that into `out`, adding the bias on the way:
/// measured on the MLP's 784→256 layer at 16 / 32 / 64 rows, 48 / 61 / 76 GFLOP/s the direct
/// way, 88 / 89 / 89 this way (at 256 rows the direct way is ahead). Narrow outputs (the
/// 10 logits) gain nothing and stay direct.
///
/// A tiny layer (the lecture's 2 → 2) is one dot product per output, as the lecture writes it:
/// `H1 = x1·w1 + x2·w2 + b1`, with no product dispatch at all.
#[inline(always)]
pub fn linear<T: Float>(out: &mut [T], x: View<'_, T>, w: View<'_, T>, b: View<'_, T>, threads: Threads) {
    let (rows, ins, outs) = (x.shape.dim(0), x.shape.dim(1), w.shape.dim(0));
    if rows * ins * outs <= tuning::TINY_LINEAR {
        // By index: for a handful of numbers, chunking iterators cost more than the sums.
        let (x, w, b) = (x.data, w.data, b.data);
        for r in 0..rows {
            for o in 0..outs {
                let mut acc = b[o];
                for i in 0..ins {
                    acc += x[r * ins + i] * w[o * ins + i];
                }
                out[r * outs + o] = acc;
            }
        }
    } else {
        product_linear(out, x, w, b, threads);
    }
}

/// `∂x += grad·W` (or `=`, by `write`) for `y = x·Wᵀ + b`: `grad` is `[rows, outs]`, `w`
/// `[outs, ins]`, `gx` `[rows, ins]`.
#[inline(always)]
pub fn linear_grad_input<T: Float>(gx: &mut [T], grad: View<'_, T>, w: View<'_, T>, write: Write, threads: Threads) {
    let dims = (grad.shape.dim(0), grad.shape.dim(1), w.shape.dim(1));
    backward_product(gx, grad.mat(), w.mat(), dims, write, threads);
}

/// `∂W += gradᵀ·x` (or `=`, by `write`) for `y = x·Wᵀ + b`: `grad` is `[rows, outs]`, `x`
/// `[rows, ins]`, `gw` `[outs, ins]`.
#[inline(always)]
pub fn linear_grad_weight<T: Float>(gw: &mut [T], grad: View<'_, T>, x: View<'_, T>, write: Write, threads: Threads) {
    let dims = (grad.shape.dim(1), grad.shape.dim(0), x.shape.dim(1));
    backward_product(gw, grad.mat_t(), x.mat(), dims, write, threads);
}

/// `out (+)= a·b` for one of the linear rule's two products, `a` `[m, k]` and `b` `[k, n]` as
/// read. A tiny layer (the lecture's) goes straight to the product's small loop with the shapes
/// and transposes its caller fixed: on 2 × 2 operands [`matmul`]'s reading of them (views
/// taken apart, batch and shape checks) cost more than the four multiply-adds.
#[inline(always)]
fn backward_product<T: Float>(
    out: &mut [T],
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    (m, k, n): (usize, usize, usize),
    write: Write,
    threads: Threads,
) {
    if m * k * n > tuning::TINY_LINEAR {
        return matmul(out, a, b, write, threads);
    }
    let accumulate = write == Write::Accumulate;
    small_product(out, a.view.data, a.transposed, b.view.data, b.transposed, (1, m, k, n), accumulate);
}

/// [`linear`] on `gemm`, by whichever of the two ways is faster for this batch (out of line:
/// [`linear`] inlines only the tiny layer's loop, where the call would cost more than the sums).
#[inline(never)]
fn product_linear<T: Float>(out: &mut [T], x: View<'_, T>, w: View<'_, T>, b: View<'_, T>, threads: Threads) {
    let (rows, outs) = (x.shape.dim(0), w.shape.dim(0));
    if rows <= tuning::TRANSPOSED_LINEAR_ROWS && outs >= tuning::TRANSPOSED_LINEAR_MIN_OUTPUTS {
        T::with_scratch(rows * outs, |yt| {
            matmul(yt, w.mat(), x.mat_t(), Write::Overwrite, threads);
            transpose_add_bias(out, yt, b.data, rows);
        })
    } else {
        out.chunks_exact_mut(b.data.len().max(1)).for_each(|row| row.copy_from_slice(b.data));
        matmul(out, x.mat(), w.mat_t(), Write::Accumulate, threads)
    }
}

/// `out[i, j] = yt[j, i] + bias[j]` for `yt` `[outs, rows]` and `out` `[rows, outs]`, in
/// bands of 8 rows of `out`: each output column's 8 values (fewer in the last band) are one
/// contiguous read of `yt`, and the band's output rows stay in L1 while every column is
/// written. Element by element, a strided read each, this was 4.8 % of a batch-128 step on one
/// thread; in bands, 1.7 % (`perf`, AVX-512 machine).
fn transpose_add_bias<T: Float>(out: &mut [T], yt: &[T], bias: &[T], rows: usize) {
    const BAND: usize = 8;
    let outs = bias.len();
    if outs == 0 {
        return;
    }
    for (band, out_band) in out.chunks_mut(BAND * outs).enumerate() {
        let (first, height) = (band * BAND, out_band.len() / outs);
        for (j, &b) in bias.iter().enumerate() {
            for (r, &v) in yt[j * rows + first..][..height].iter().enumerate() {
                out_band[r * outs + j] = v + b;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{linear, linear_grad_input, linear_grad_weight, transpose_add_bias};
    use crate::tensor::{Tensor, Threads, Write, matmul};

    fn seq(rows: usize, cols: usize, offset: f64) -> Tensor<f64> {
        let data = (0..rows * cols).map(|i| ((i as f64 + offset) * 0.37).sin() * 1e3).collect();
        Tensor::new(data, [rows, cols])
    }

    /// The tiny layer's backward, calling the product's small loop with the shapes and
    /// transposes it fixes, gives `matmul`'s numbers bit for bit (so it fixes the ones `matmul`
    /// reads off the views), overwriting and accumulating, down to an empty batch.
    #[test]
    fn the_tiny_backward_is_the_product_bit_for_bit() {
        for (rows, ins, outs) in [(1, 2, 2), (3, 2, 4), (4, 4, 4), (2, 1, 5), (5, 3, 4), (0, 2, 2)] {
            let (x, w, grad) = (seq(rows, ins, 0.0), seq(outs, ins, 1.0), seq(rows, outs, 2.0));
            for write in [Write::Overwrite, Write::Accumulate] {
                let (mut gx, mut want_gx) = (seq(rows, ins, 3.0), seq(rows, ins, 3.0));
                linear_grad_input(gx.data_mut(), grad.view(), w.view(), write, Threads::ONE);
                matmul(want_gx.data_mut(), grad.view().mat(), w.view().mat(), write, Threads::ONE);
                assert_eq!(gx.data(), want_gx.data(), "∂x, {rows}×{ins}→{outs}, {write:?}");
                let (mut gw, mut want_gw) = (seq(outs, ins, 4.0), seq(outs, ins, 4.0));
                linear_grad_weight(gw.data_mut(), grad.view(), x.view(), write, Threads::ONE);
                matmul(want_gw.data_mut(), grad.view().mat_t(), x.view().mat(), write, Threads::ONE);
                assert_eq!(gw.data(), want_gw.data(), "∂W, {rows}×{ins}→{outs}, {write:?}");
            }
        }
    }

    /// The banded transpose writes every `out[i, j] = yt[j, i] + bias[j]`, in whole bands and
    /// in a last partial one, down to one row and none.
    #[test]
    fn the_banded_transpose_is_the_transpose_plus_bias() {
        for (rows, outs) in [(0, 3), (1, 64), (7, 5), (8, 64), (9, 70), (16, 3), (17, 256), (128, 256)] {
            let (yt, bias) = (seq(outs, rows, 0.0), seq(1, outs, 1.0));
            let mut out = vec![f64::NAN; rows * outs];
            transpose_add_bias(&mut out, yt.data(), bias.data(), rows);
            for i in 0..rows {
                for j in 0..outs {
                    assert_eq!(
                        out[i * outs + j],
                        yt.data()[j * rows + i] + bias.data()[j],
                        "[{i}, {j}] of {rows}×{outs}"
                    );
                }
            }
        }
    }

    /// Both ways of the fused layer (`(W·xᵀ)ᵀ` up to 128 rows, `x·Wᵀ` beyond) give x·Wᵀ + b as
    /// its definition does, at batch sizes around the band and the threshold.
    #[test]
    fn the_linear_layer_is_its_definition_either_way() {
        for rows in [1, 8, 9, 64, 128, 129] {
            let (ins, outs) = (33, 70);
            let (x, w, b) = (seq(rows, ins, 0.0), seq(outs, ins, 1.0), seq(1, outs, 2.0));
            let mut out = vec![0.0; rows * outs];
            let bias = Tensor::new(b.data().to_vec(), [outs]);
            linear(&mut out, x.view(), w.view(), bias.view(), Threads::ONE);
            for i in 0..rows {
                for j in 0..outs {
                    let want: f64 =
                        b.data()[j] + (0..ins).map(|p| x.data()[i * ins + p] * w.data()[j * ins + p]).sum::<f64>();
                    let got = out[i * outs + j];
                    assert!(
                        (got - want).abs() <= 1e-9 * want.abs().max(1e3),
                        "[{i}, {j}] at {rows} rows: {got} vs {want}"
                    );
                }
            }
        }
    }
}
