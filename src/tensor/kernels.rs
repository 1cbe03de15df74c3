//! Kernels: plain loops over contiguous row-major slices. Forward kernels overwrite their
//! output; the `acc_` kernels add into it (backward rules accumulate ∂E/∂input, so fan-out
//! needs no extra buffers). Shapes are checked by the `*_shape` functions, which panic naming
//! the op and both shapes: such an error is a bug in the model code, caught on the first step.

use super::{Float, MAX_RANK, Shape, Threads, View, matmul, matmul_shape};

/// Below this many elements an elementwise update stays on the calling thread (waking a second
/// thread costs more than it saves).
const PARALLEL_UPDATE: usize = 1 << 14;

/// Runs an elementwise update `f(w, g, state)` over a buffer `w`, a same-length input `g` and
/// `N` same-length state buffers, cut into one contiguous chunk per thread (the optimiser step
/// and the sum of the shards' gradients). Each element sees the same arithmetic whatever the
/// cut, so the result does not depend on the thread count.
pub fn update_in_chunks<T: Float, const N: usize>(
    threads: Threads,
    w: &mut [T],
    g: &[T],
    state: [&mut [T]; N],
    f: &(impl Fn(&mut [T], &[T], [&mut [T]; N]) + Sync),
) {
    assert!(
        g.len() == w.len() && state.iter().all(|s| s.len() == w.len()),
        "update: buffers of {} elements, input of {}, state of {:?}",
        w.len(),
        g.len(),
        state.iter().map(|s| s.len()).collect::<Vec<_>>()
    );
    let parts = if w.len() >= PARALLEL_UPDATE { threads.get() } else { 1 };
    split_update(parts, w, g, state, f);
}

fn split_update<T: Float, const N: usize>(
    parts: usize,
    w: &mut [T],
    g: &[T],
    state: [&mut [T]; N],
    f: &(impl Fn(&mut [T], &[T], [&mut [T]; N]) + Sync),
) {
    if parts <= 1 {
        return f(w, g, state);
    }
    let mid = w.len() * (parts / 2) / parts;
    let (w_lo, w_hi) = w.split_at_mut(mid);
    let (g_lo, g_hi) = g.split_at(mid);
    let mut lo: [&mut [T]; N] = std::array::from_fn(|_| &mut [][..]);
    let mut hi: [&mut [T]; N] = std::array::from_fn(|_| &mut [][..]);
    for (i, s) in state.into_iter().enumerate() {
        (lo[i], hi[i]) = s.split_at_mut(mid);
    }
    rayon::join(|| split_update(parts / 2, w_lo, g_lo, lo, f), || split_update(parts - parts / 2, w_hi, g_hi, hi, f));
}

/// The numpy broadcast of two shapes, or a panic naming the op and both shapes.
#[inline]
pub fn broadcast_shape(op: &str, a: Shape, b: Shape) -> Shape {
    if a == b || is_suffix(b, a) {
        return a;
    }
    if is_suffix(a, b) {
        return b;
    }
    Shape::broadcast(&a, &b).unwrap_or_else(|| panic!("{op}: shapes {a} and {b} do not broadcast"))
}

/// The shape a reduction over `axis` produces.
pub fn reduced_shape(shape: Shape, axis: usize, keepdim: bool) -> Shape {
    if keepdim { shape.with_dim(axis, 1) } else { shape.without_dim(axis) }
}

/// The shape with its last two axes swapped.
pub fn transposed_shape(s: Shape) -> Shape {
    assert!(s.rank() >= 2, "transpose needs at least 2 dimensions, the shape is {s}");
    let r = s.rank();
    s.with_dim(r - 2, s.dim(r - 1)).with_dim(r - 1, s.dim(r - 2))
}

/// The shape of `x·Wᵀ + b`, or a panic naming the three shapes.
pub fn linear_shape(x: Shape, w: Shape, b: Shape) -> Shape {
    let y = matmul_shape(x, false, w, true);
    assert!(
        y.rank() == 2 && b.dims() == [y.dim(1)],
        "linear: input {x}, weight {w} and bias {b} do not fit (expected [rows, in], [out, in], [out])"
    );
    y
}

/// Up to this many multiply-adds, [`linear`] is a plain loop.
const TINY_LINEAR: usize = 64;

/// Up to this many rows, [`linear`] computes `(x·Wᵀ)ᵀ` and transposes it (see there).
const TRANSPOSED_LINEAR_ROWS: usize = 128;

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
    if rows * ins * outs <= TINY_LINEAR {
        for (row, x) in out.chunks_exact_mut(outs).zip(x.data.chunks_exact(ins)) {
            for ((o, w), &bias) in row.iter_mut().zip(w.data.chunks_exact(ins)).zip(b.data) {
                *o = x.iter().zip(w).fold(bias, |acc, (&x, &w)| acc + x * w);
            }
        }
    } else if rows <= TRANSPOSED_LINEAR_ROWS && outs >= 64 {
        T::with_scratch(rows * outs, |yt| {
            matmul(yt, w, false, x, true, false, threads);
            for (i, row) in out.chunks_exact_mut(outs).enumerate() {
                for (j, (o, &bias)) in row.iter_mut().zip(b.data).enumerate() {
                    *o = yt[j * rows + i] + bias;
                }
            }
        })
    } else {
        out.chunks_exact_mut(b.data.len().max(1)).for_each(|row| row.copy_from_slice(b.data));
        matmul(out, x, false, w, true, true, threads)
    }
}

/// `out[i] = f(a[i])`.
#[inline]
pub fn map<T: Float>(out: &mut [T], a: &[T], f: impl Fn(T) -> T) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = f(x);
    }
}

/// `ga[i] += f(g[i])`.
#[inline]
pub fn acc_map<T: Float>(ga: &mut [T], g: &[T], f: impl Fn(T) -> T) {
    for (o, &x) in ga.iter_mut().zip(g) {
        *o += f(x);
    }
}

/// `ga[i] += f(g[i], v[i])`: the shape of most elementwise backward rules.
#[inline]
pub fn acc_map2<T: Float>(ga: &mut [T], g: &[T], v: &[T], f: impl Fn(T, T) -> T) {
    for ((o, &x), &y) in ga.iter_mut().zip(g).zip(v) {
        *o += f(x, y);
    }
}

/// Whether `short`'s dimensions are the last dimensions of `long`, so it repeats whole (the
/// common broadcast: a bias row against a batch).
#[inline]
fn is_suffix(short: Shape, long: Shape) -> bool {
    short.rank() <= long.rank() && short.numel() > 0 && short.dims() == &long.dims()[long.rank() - short.rank()..]
}

/// Calls `f(row, offset_a, stride_a, offset_b, stride_b)` for each innermost row of `shape`,
/// with the offsets and last-axis strides at which two broadcast operands are read.
fn for_each_broadcast_row(
    shape: Shape,
    sa: &[usize; MAX_RANK],
    sb: &[usize; MAX_RANK],
    mut f: impl FnMut(usize, usize, usize, usize, usize),
) {
    let rank = shape.rank();
    let dims = shape.dims();
    let last = dims[rank - 1];
    if last == 0 {
        return;
    }
    let rows = shape.numel() / last;
    let mut idx = [0usize; MAX_RANK];
    let (mut oa, mut ob) = (0, 0);
    for row in 0..rows {
        f(row, oa, sa[rank - 1], ob, sb[rank - 1]);
        for d in (0..rank - 1).rev() {
            idx[d] += 1;
            oa += sa[d];
            ob += sb[d];
            if idx[d] < dims[d] {
                break;
            }
            oa -= sa[d] * dims[d];
            ob -= sb[d] * dims[d];
            idx[d] = 0;
        }
    }
}

/// `out = f(a, b)` elementwise with numpy broadcasting; `out` has the broadcast shape.
pub fn zip<T: Float>(out: &mut [T], a: View<'_, T>, b: View<'_, T>, f: impl Fn(T, T) -> T) {
    let (sa, sb, ad, bd) = (a.shape, b.shape, a.data, b.data);
    if sa == sb {
        for ((o, &x), &y) in out.iter_mut().zip(ad).zip(bd) {
            *o = f(x, y);
        }
    } else if is_suffix(sb, sa) {
        for (o, x) in out.chunks_exact_mut(bd.len()).zip(ad.chunks_exact(bd.len())) {
            for ((o, &x), &y) in o.iter_mut().zip(x).zip(bd) {
                *o = f(x, y);
            }
        }
    } else if is_suffix(sa, sb) {
        for (o, y) in out.chunks_exact_mut(ad.len()).zip(bd.chunks_exact(ad.len())) {
            for ((o, &y), &x) in o.iter_mut().zip(y).zip(ad) {
                *o = f(x, y);
            }
        }
    } else {
        let shape = broadcast_shape("zip", sa, sb);
        let last = shape.dims()[shape.rank() - 1];
        let (ast, bst) = (sa.broadcast_strides(&shape), sb.broadcast_strides(&shape));
        for_each_broadcast_row(shape, &ast, &bst, |row, oa, ia, ob, ib| {
            for (j, o) in out[row * last..(row + 1) * last].iter_mut().enumerate() {
                *o = f(ad[oa + j * ia], bd[ob + j * ib]);
            }
        });
    }
}

/// `ga += sum_to(f(g, other), shape_a)`: the backward of a broadcasting binary op for input a.
/// `g` has the op's output shape; `other` and `shape_a` each broadcast to it. Summing back over
/// the broadcast dimensions is what makes a bias's gradient the sum over the batch.
#[inline]
pub fn acc_zip<T: Float>(ga: &mut [T], shape_a: Shape, g: View<'_, T>, other: View<'_, T>, f: impl Fn(T, T) -> T) {
    acc_zip_y(ga, shape_a, g, g.data, other, |g, _, o| f(g, o));
}

/// [`acc_zip`] where `f` also reads `y`, a tensor of the output's shape (the op's value).
pub fn acc_zip_y<T: Float>(
    ga: &mut [T],
    shape_a: Shape,
    g: View<'_, T>,
    y: &[T],
    other: View<'_, T>,
    f: impl Fn(T, T, T) -> T,
) {
    let (so, gd, od) = (g.shape, g.data, other.data);
    if shape_a == so && other.shape == so {
        for (((o, &gv), &yv), &ov) in ga.iter_mut().zip(gd).zip(y).zip(od) {
            *o += f(gv, yv, ov);
        }
    } else if shape_a == so && is_suffix(other.shape, so) {
        let n = od.len();
        for ((o, gc), yc) in ga.chunks_exact_mut(n).zip(gd.chunks_exact(n)).zip(y.chunks_exact(n)) {
            for (((o, &gv), &yv), &ov) in o.iter_mut().zip(gc).zip(yc).zip(od) {
                *o += f(gv, yv, ov);
            }
        }
    } else if is_suffix(shape_a, so) && other.shape == so {
        let n = ga.len();
        for ((gc, yc), oc) in gd.chunks_exact(n).zip(y.chunks_exact(n)).zip(od.chunks_exact(n)) {
            for (((o, &gv), &yv), &ov) in ga.iter_mut().zip(gc).zip(yc).zip(oc) {
                *o += f(gv, yv, ov);
            }
        }
    } else {
        let last = so.dims()[so.rank() - 1];
        let (ast, ost) = (shape_a.broadcast_strides(&so), other.shape.broadcast_strides(&so));
        for_each_broadcast_row(so, &ast, &ost, |row, oa, ia, ob, ib| {
            for j in 0..last {
                let i = row * last + j;
                ga[oa + j * ia] += f(gd[i], y[i], od[ob + j * ib]);
            }
        });
    }
}

/// One line of a tensor along an axis: elements `start + i·stride` for `i < len`. Softmax,
/// max and their rules work lane by lane.
#[derive(Clone, Copy, Debug)]
pub struct Lane {
    pub start: usize,
    pub stride: usize,
    pub len: usize,
}

impl Lane {
    #[inline]
    pub fn at(&self, i: usize) -> usize {
        self.start + i * self.stride
    }

    /// Position along the lane of its largest value (the first one, on ties).
    pub fn argmax<T: Float>(&self, data: &[T]) -> usize {
        let mut best = 0;
        for i in 1..self.len {
            if data[self.at(i)] > data[self.at(best)] {
                best = i;
            }
        }
        best
    }
}

/// Every lane of `shape` along `axis`, in the row-major order of the reduced shape.
pub fn lanes(shape: Shape, axis: usize) -> impl Iterator<Item = Lane> {
    let (outer, len, inner) = shape.split_at_axis(axis);
    (0..outer * inner).map(move |r| Lane { start: (r / inner) * len * inner + r % inner, stride: inner, len })
}

/// `out = Σ_axis a` (out has the reduced shape).
pub fn sum_axis<T: Float>(out: &mut [T], a: View<'_, T>, axis: usize) {
    for (o, lane) in out.iter_mut().zip(lanes(a.shape, axis)) {
        *o = (0..lane.len).map(|i| a.data[lane.at(i)]).sum();
    }
}

/// `ga[.., i, ..] += scale·g[..]` for every i along `axis`: the adjoint of summing over it.
pub fn acc_expand_axis<T: Float>(ga: &mut [T], shape_a: Shape, g: &[T], axis: usize, scale: T) {
    for (&gv, lane) in g.iter().zip(lanes(shape_a, axis)) {
        for i in 0..lane.len {
            ga[lane.at(i)] += scale * gv;
        }
    }
}

/// `out = max_axis a`.
pub fn max_axis<T: Float>(out: &mut [T], a: View<'_, T>, axis: usize) {
    assert!(a.shape.dim(axis) > 0, "max over axis {axis} of shape {}: the axis is empty", a.shape);
    for (o, lane) in out.iter_mut().zip(lanes(a.shape, axis)) {
        *o = a.data[lane.at(lane.argmax(a.data))];
    }
}

/// Softmax over `axis`, or its logarithm when `log` is set. Both subtract the lane's maximum
/// first so e^x never overflows: softmax(x) = e^(x−m) / Σe^(x−m).
pub fn softmax<T: Float>(out: &mut [T], a: View<'_, T>, axis: usize, log: bool) {
    let d = a.data;
    for lane in lanes(a.shape, axis) {
        let m = (0..lane.len).map(|i| d[lane.at(i)]).fold(T::neg_infinity(), T::max);
        let s: T = (0..lane.len).map(|i| (d[lane.at(i)] - m).exp()).sum();
        let log_s = s.ln();
        for i in 0..lane.len {
            let x = d[lane.at(i)];
            out[lane.at(i)] = if log { x - m - log_s } else { (x - m).exp() / s };
        }
    }
}

/// `out = aᵀ` over the last two axes (batched over the others); with `acc`, `out += aᵀ`.
pub fn transpose<T: Float>(out: &mut [T], a: View<'_, T>, acc: bool) {
    let s = a.shape;
    let (r, c) = (s.dim(s.rank() - 2), s.dim(s.rank() - 1));
    for (src, dst) in a.data.chunks_exact((r * c).max(1)).zip(out.chunks_exact_mut((r * c).max(1))) {
        for i in 0..r {
            for j in 0..c {
                if acc {
                    dst[j * r + i] += src[i * c + j];
                } else {
                    dst[j * r + i] = src[i * c + j];
                }
            }
        }
    }
}

/// Checks that `classes` picks one valid column per row of a [rows, columns] tensor.
pub fn check_classes(op: &str, shape: Shape, classes: &[usize]) -> (usize, usize) {
    assert!(
        shape.rank() == 2 && shape.dim(0) == classes.len(),
        "{op}: {} class indices for a tensor of shape {shape}; expected [{}, classes]",
        classes.len(),
        classes.len()
    );
    let (rows, cols) = (shape.dim(0), shape.dim(1));
    if let Some(&bad) = classes.iter().find(|&&c| c >= cols) {
        panic!("{op}: class index {bad} is out of range for shape {shape} ({cols} classes)");
    }
    (rows, cols)
}

/// `out[i] = a[i, classes[i]]`: picks one entry per row.
pub fn gather<T: Float>(out: &mut [T], a: View<'_, T>, classes: &[usize]) {
    let cols = a.shape.dim(1);
    for (i, o) in out.iter_mut().enumerate() {
        *o = a.data[i * cols + classes[i]];
    }
}

/// `ga[i, classes[i]] += g[i]`: the adjoint of [`gather`].
pub fn acc_scatter<T: Float>(ga: &mut [T], cols: usize, g: &[T], classes: &[usize]) {
    for (i, &gv) in g.iter().enumerate() {
        ga[i * cols + classes[i]] += gv;
    }
}

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

#[cfg(test)]
mod tests {
    use crate::tensor::{Shape, Tensor};

    fn t(data: &[f64], dims: &[usize]) -> Tensor<f64> {
        Tensor::from_f64(data, dims)
    }

    #[test]
    fn zip_broadcasts_a_row_and_a_column() {
        let col = t(&[1.0, 2.0], &[2, 1]);
        let row = t(&[10.0, 20.0, 30.0], &[3]);
        let s = col.add(&row);
        assert_eq!(s.dims(), &[2, 3]);
        assert_eq!(s.data(), &[11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
    }

    #[test]
    fn sum_to_undoes_broadcasting() {
        let g = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        assert_eq!(g.sum_to(Shape::new(&[3])).data(), &[5.0, 7.0, 9.0]);
        assert_eq!(g.sum_to(Shape::new(&[2, 1])).data(), &[6.0, 15.0]);
        assert_eq!(g.sum_to(Shape::scalar()).data(), &[21.0]);
    }

    #[test]
    fn softmax_is_stable_for_large_inputs() {
        let x = t(&[1000.0, 1000.0], &[1, 2]);
        assert_eq!(x.softmax(1).data(), &[0.5, 0.5]);
        assert!((x.log_softmax(1).data()[0] + std::f64::consts::LN_2).abs() < 1e-15);
    }

    #[test]
    fn argmax_takes_the_first_of_equal_maxima_along_either_axis() {
        let x = t(&[1.0, 3.0, 3.0, 0.0, 5.0, -1.0], &[2, 3]);
        assert_eq!(x.argmax(1), vec![1, 1]);
        assert_eq!(x.argmax(0), vec![0, 1, 0]);
    }

    #[test]
    #[should_panic(expected = "add: shapes [3] and [4] do not broadcast")]
    fn shape_errors_name_the_op_and_both_shapes() {
        t(&[0.0; 3], &[3]).add(&t(&[0.0; 4], &[4]));
    }
}
