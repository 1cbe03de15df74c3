//! The fused linear layer `x·Wᵀ + b`, next to the product it is made of: the one kernel whose
//! strategy depends on the batch's size.

use super::{Float, Threads, View, Write, matmul, tuning};

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

/// [`linear`] on `gemm`, by whichever of the two ways is faster for this batch (out of line:
/// [`linear`] inlines only the tiny layer's loop, where the call would cost more than the sums).
#[inline(never)]
fn product_linear<T: Float>(out: &mut [T], x: View<'_, T>, w: View<'_, T>, b: View<'_, T>, threads: Threads) {
    let (rows, outs) = (x.shape.dim(0), w.shape.dim(0));
    if rows <= tuning::TRANSPOSED_LINEAR_ROWS && outs >= tuning::TRANSPOSED_LINEAR_MIN_OUTPUTS {
        T::with_scratch(rows * outs, |yt| {
            matmul(yt, w.mat(), x.mat_t(), Write::Overwrite, threads);
            for (i, row) in out.chunks_exact_mut(outs).enumerate() {
                for (j, (o, &bias)) in row.iter_mut().zip(b.data).enumerate() {
                    *o = yt[j * rows + i] + bias;
                }
            }
        })
    } else {
        out.chunks_exact_mut(b.data.len().max(1)).for_each(|row| row.copy_from_slice(b.data));
        matmul(out, x.mat(), w.mat_t(), Write::Accumulate, threads)
    }
}
