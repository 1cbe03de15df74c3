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
pub fn linear<T: Float>(out: &mut [T], x: View<'_, T>, w: View<'_, T>, b: View<'_, T>, threads: Threads) {
    let (rows, ins, outs) = (x.shape.dim(0), x.shape.dim(1), w.shape.dim(0));
    if rows * ins * outs <= tuning::TINY_LINEAR {
        for (row, x) in out.chunks_exact_mut(outs).zip(x.data.chunks_exact(ins)) {
            for ((o, w), &bias) in row.iter_mut().zip(w.data.chunks_exact(ins)).zip(b.data) {
                *o = x.iter().zip(w).fold(bias, |acc, (&x, &w)| acc + x * w);
            }
        }
    } else if rows <= tuning::TRANSPOSED_LINEAR_ROWS && outs >= tuning::TRANSPOSED_LINEAR_MIN_OUTPUTS {
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
