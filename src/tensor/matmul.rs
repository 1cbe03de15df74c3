//! The matrix product, on the `gemm` family's kernels (`gemm-f32`, `gemm-f64`, called directly
//! rather than through the umbrella `gemm` crate, which also builds the complex and f16 kernels:
//! 19 s of a fresh build on two cores, most of what kept the quick start over two minutes).
//!
//! Why `gemm` (0.19, `x86-v4` feature): on this project's machines it measured the fastest Rust
//! sgemm for the MLP's shapes (≈ 123–134 GFLOP/s median on one thread, at MKL's level and above
//! OpenBLAS), it takes arbitrary row and column strides so a transposed operand is read in place
//! instead of copied, it handles f32 and f64 alike, and it builds in seconds (faer: ~150 s).
//! `matrixmultiply`/`ndarray` ran ≈ 30 % slower.
//!
//! Products too small to amortise `gemm`'s dispatch (the lecture's 1×2·2×2) take a plain loop.
//! The fused linear layer built on it is in `linear.rs`; its thresholds are in `tuning.rs`.

use super::shape_rules::matmul_shape;
use super::tuning::{SMALL_PRODUCT, THREADED_PRODUCT};
use super::{Float, Threads, View};

/// One factor of a product as it is read: a matrix, or its transpose read in place (never
/// copied). Made from a view with [`View::mat`] or [`View::mat_t`]:
/// `matmul(out, grad.mat(), x.mat_t(), Write::Overwrite, threads)` is `out = grad·xᵀ`.
#[derive(Clone, Copy)]
pub struct Mat<'a, T> {
    pub view: View<'a, T>,
    pub transposed: bool,
}

impl<'a, T: Float> Mat<'a, T> {
    /// This factor transposed (again) when `flag` is set: `x.mat().t_if(trans_b)`.
    #[inline]
    pub fn t_if(self, flag: bool) -> Mat<'a, T> {
        Mat { view: self.view, transposed: self.transposed != flag }
    }
}

impl<'a, T: Float> View<'a, T> {
    /// This view as a factor of a product.
    #[inline]
    pub fn mat(self) -> Mat<'a, T> {
        Mat { view: self, transposed: false }
    }

    /// This view's transpose as a factor of a product, read in place.
    #[inline]
    pub fn mat_t(self) -> Mat<'a, T> {
        Mat { view: self, transposed: true }
    }
}

/// How a product lands in its output: written over it, or added to what is there (a backward
/// rule adding one more contribution to a gradient).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    Overwrite,
    Accumulate,
}

/// A matrix operand of `gemm`: its buffer and how to step through op(X) by row and by column.
struct Operand<'a, T> {
    data: &'a [T],
    row_stride: usize,
    col_stride: usize,
}

/// `out = a·b`, or `out += a·b` with [`Write::Accumulate`] (backward rules add into a
/// gradient), where each factor may be a transpose read in place. `out` has
/// [`matmul_shape`]'s shape.
///
/// Always inlined: what is left here after `gemm`'s path went out of line is a few loads and
/// a branch, and the small products (the lecture's) then run without a call.
#[inline(always)]
pub fn matmul<T: Float>(out: &mut [T], a: Mat<'_, T>, b: Mat<'_, T>, write: Write, threads: Threads) {
    let (Mat { view: a, transposed: trans_a }, Mat { view: b, transposed: trans_b }) = (a, b);
    let accumulate = write == Write::Accumulate;
    // The shapes were checked by `matmul_shape` when the product was recorded (or by the
    // caller); here they are only read.
    let ((batch, ar, ac), (_, br, bc)) = (a.shape.matrices(), b.shape.matrices());
    let (m, k) = if trans_a { (ac, ar) } else { (ar, ac) };
    let n = if trans_b { br } else { bc };
    debug_assert_eq!(matmul_shape(a.shape, trans_a, b.shape, trans_b).numel(), out.len());
    if batch * m * k * n <= SMALL_PRODUCT {
        small_product(out, a.data, trans_a, b.data, trans_b, (batch, m, k, n), accumulate);
    } else {
        batched_product(out, (a.data, trans_a), (b.data, trans_b), (batch, m, k, n), accumulate, threads);
    }
}

/// The products of a batch (or of one matrix pair) on `gemm`, one call per matrix pair. Kept
/// out of line: the small products that [`matmul`] inlines then carry none of its set-up.
#[inline(never)]
fn batched_product<T: Float>(
    out: &mut [T],
    (a, trans_a): (&[T], bool),
    (b, trans_b): (&[T], bool),
    (batch, m, k, n): (usize, usize, usize, usize),
    accumulate: bool,
    threads: Threads,
) {
    for p in 0..batch {
        let lhs = Operand {
            data: &a[p * m * k..(p + 1) * m * k],
            row_stride: if trans_a { 1 } else { k },
            col_stride: if trans_a { m } else { 1 },
        };
        let rhs = Operand {
            data: &b[p * k * n..(p + 1) * k * n],
            row_stride: if trans_b { 1 } else { n },
            col_stride: if trans_b { k } else { 1 },
        };
        product(&mut out[p * m * n..(p + 1) * m * n], m, k, n, &lhs, &rhs, accumulate, threads);
    }
}

/// The product by its definition, for products too small to amortise `gemm`'s dispatch. Also
/// called straight by the tiny linear layer's backward (`linear.rs`), whose shapes and
/// transposes are fixed where it calls, so none of [`matmul`]'s reading of them is needed.
#[inline(always)]
pub(super) fn small_product<T: Float>(
    out: &mut [T],
    a: &[T],
    trans_a: bool,
    b: &[T],
    trans_b: bool,
    (batch, m, k, n): (usize, usize, usize, usize),
    accumulate: bool,
) {
    let (a_row, a_col) = if trans_a { (1, m) } else { (k, 1) };
    let (b_row, b_col) = if trans_b { (1, k) } else { (n, 1) };
    let (a, b, out) = (&a[..batch * m * k], &b[..batch * k * n], &mut out[..batch * m * n]);
    let mut o = 0;
    let mut p = 0;
    while p < batch {
        let mut i = 0;
        while i < m {
            let mut j = 0;
            while j < n {
                let (mut ia, mut ib) = (p * m * k + i * a_row, p * k * n + j * b_col);
                let mut acc = if accumulate { out[o] } else { T::zero() };
                let mut q = 0;
                while q < k {
                    acc += a[ia] * b[ib];
                    ia += a_col;
                    ib += b_row;
                    q += 1;
                }
                out[o] = acc;
                o += 1;
                j += 1;
            }
            i += 1;
        }
        p += 1;
    }
}

/// dst[m×n] (row-major) = (dst if accumulate) + lhs[m×k] · rhs[k×n].
#[allow(clippy::too_many_arguments)]
#[inline]
fn product<T: Float>(
    dst: &mut [T],
    m: usize,
    k: usize,
    n: usize,
    lhs: &Operand<T>,
    rhs: &Operand<T>,
    accumulate: bool,
    threads: Threads,
) {
    let work = m * k * n;
    if work == 0 {
        if !accumulate {
            dst.fill(T::zero());
        }
        return;
    }
    let parallelism = if threads.get() > 1 && work >= THREADED_PRODUCT {
        gemm_common::Parallelism::Rayon(threads.get())
    } else {
        gemm_common::Parallelism::None
    };
    assert!(dst.len() >= m * n);
    assert!(lhs.data.len() > (m - 1) * lhs.row_stride + (k - 1) * lhs.col_stride);
    assert!(rhs.data.len() > (k - 1) * rhs.row_stride + (n - 1) * rhs.col_stride);
    // The kernels want a column-oriented destination, so a row-major dst with more than one
    // column is computed as its transpose, dstᵀ = rhsᵀ·lhsᵀ: the same matrices with the
    // operands' roles swapped and each one's strides read the other way round, as the umbrella
    // `gemm::gemm` does before calling these kernels. (column stride, row stride) as the
    // kernel reads an operand:
    let transpose = n > 1;
    let strides = |o: &Operand<T>| {
        let (rs, cs) = (o.row_stride as isize, o.col_stride as isize);
        if transpose { (rs, cs) } else { (cs, rs) }
    };
    let (rows, cols, dst_cs, dst_rs, a, b) =
        if transpose { (n, m, n as isize, 1, rhs, lhs) } else { (m, n, 1, n as isize, lhs, rhs) };
    let ((a_cs, a_rs), (b_cs, b_rs)) = (strides(a), strides(b));
    let (one, kernel) = (T::one(), T::gemm_kernel());
    // SAFETY: the kernel reads lhs at i·row_stride + p·col_stride for i < m, p < k and rhs at
    // p·row_stride + j·col_stride for p < k, j < n (in either role); the asserts above put the
    // largest such offset inside each slice. It reads (if `accumulate`) and writes dst at
    // i·n + j (row stride n, column stride 1) for i < m, j < n, inside `dst` by the first
    // assert; without `accumulate` dst's old contents are never read. The slices are distinct
    // borrows (one `&mut`), so dst aliases neither input.
    unsafe {
        kernel(
            rows,
            cols,
            k,
            dst.as_mut_ptr(),
            dst_cs,
            dst_rs,
            accumulate,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            one,
            one,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::tensor::{Tensor, Threads};

    /// Reference product by the definition, in f64.
    fn naive(a: &Tensor<f64>, b: &Tensor<f64>) -> Tensor<f64> {
        let (m, k, n) = (a.dims()[0], a.dims()[1], b.dims()[1]);
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|p| a.at(&[i, p]) * b.at(&[p, j])).sum();
            }
        }
        Tensor::new(out, [m, n])
    }

    fn seq(m: usize, n: usize, offset: f64) -> Tensor<f64> {
        let data = (0..m * n).map(|i| ((i as f64 + offset) * 0.37).sin()).collect();
        Tensor::new(data, [m, n])
    }

    #[test]
    fn small_and_large_products_match_the_definition_with_every_transpose() {
        for &(m, k, n) in &[(1, 2, 2), (3, 4, 5), (17, 33, 9), (64, 40, 70)] {
            let (a, b) = (seq(m, k, 0.0), seq(k, n, 1.0));
            let want = naive(&a, &b);
            for ta in [false, true] {
                for tb in [false, true] {
                    let a_in = if ta { a.transpose() } else { a.clone() };
                    let b_in = if tb { b.transpose() } else { b.clone() };
                    let got = a_in.matmul_opts(&b_in, ta, tb, Threads::ONE);
                    assert!(got.max_abs_diff(&want) < 1e-12, "{m}x{k}x{n} ta={ta} tb={tb}");
                }
            }
        }
    }

    #[test]
    fn accumulate_adds_the_product_to_what_is_there() {
        for (m, k, n) in [(2, 2, 2), (20, 30, 40)] {
            let (a, b) = (seq(m, k, 0.0), seq(k, n, 1.0));
            let mut out = vec![1.0; m * n];
            super::matmul(&mut out, a.view().mat(), b.view().mat(), super::Write::Accumulate, Threads::ONE);
            let want = naive(&a, &b).map(|x| x + 1.0);
            assert!(Tensor::new(out, [m, n]).max_abs_diff(&want) < 1e-12);
        }
    }

    #[test]
    #[should_panic(expected = "matmul: shapes [2, 3] and [2, 3] do not fit")]
    fn mismatched_inner_dimensions_name_both_shapes() {
        let a = Tensor::<f32>::zeros([2, 3]);
        a.matmul(&a);
    }
}
