//! Forward kernels: elementwise maps, broadcasting, reductions, softmax. Plain loops over
//! contiguous row-major buffers; each takes its output buffer from a [`Buffers`] so the tape can
//! reuse memory across steps. Shape errors panic naming the op and both shapes: they are bugs in
//! the model code, caught on the first step.

use super::{Buffers, Float, MAX_RANK, Shape, Tensor};

/// `f(x)` for every element.
pub fn map<T: Float>(buf: &mut impl Buffers<T>, a: &Tensor<T>, f: impl Fn(T) -> T) -> Tensor<T> {
    let mut out = buf.take(a.numel());
    for (o, &x) in out.iter_mut().zip(a.data()) {
        *o = f(x);
    }
    Tensor::new(out, a.shape())
}

/// `f(a, b)` elementwise for two tensors of one shape (the common case in backward rules).
pub fn map2<T: Float>(
    buf: &mut impl Buffers<T>,
    op: &str,
    a: &Tensor<T>,
    b: &Tensor<T>,
    f: impl Fn(T, T) -> T,
) -> Tensor<T> {
    assert_eq!(a.shape(), b.shape(), "{op}: shapes {} and {} differ", a.shape(), b.shape());
    let mut out = buf.take(a.numel());
    for ((o, &x), &y) in out.iter_mut().zip(a.data()).zip(b.data()) {
        *o = f(x, y);
    }
    Tensor::new(out, a.shape())
}

/// `f(a, b, c)` elementwise for three tensors of one shape.
pub fn map3<T: Float>(
    buf: &mut impl Buffers<T>,
    op: &str,
    a: &Tensor<T>,
    b: &Tensor<T>,
    c: &Tensor<T>,
    f: impl Fn(T, T, T) -> T,
) -> Tensor<T> {
    assert!(
        a.shape() == b.shape() && b.shape() == c.shape(),
        "{op}: shapes {}, {} and {} differ",
        a.shape(),
        b.shape(),
        c.shape()
    );
    let mut out = buf.take(a.numel());
    for (i, o) in out.iter_mut().enumerate() {
        *o = f(a.data()[i], b.data()[i], c.data()[i]);
    }
    Tensor::new(out, a.shape())
}

/// Calls `f(row, offset_a, stride_a, offset_b, stride_b)` for each innermost row of `shape`,
/// with the offsets and last-axis strides at which two broadcast operands are read.
fn for_each_broadcast_row(
    shape: &Shape,
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

/// Whether `short`'s dimensions are the last dimensions of `long` (so it repeats whole, and
/// is not empty).
#[inline]
fn is_suffix(short: Shape, long: Shape) -> bool {
    short.rank() <= long.rank()
        && short.numel() > 0
        && short.dims() == &long.dims()[long.rank() - short.rank()..]
}

/// `f(a, b)` elementwise with numpy broadcasting.
pub fn zip<T: Float>(
    buf: &mut impl Buffers<T>,
    op: &str,
    a: &Tensor<T>,
    b: &Tensor<T>,
    f: impl Fn(T, T) -> T,
) -> Tensor<T> {
    let (sa, sb) = (a.shape(), b.shape());
    if sa == sb {
        return map2(buf, op, a, b, f);
    }
    // The common broadcast, a bias row: one shape is the other's trailing dimensions.
    if is_suffix(sb, sa) {
        let mut out = buf.take(a.numel());
        for (o, x) in out.chunks_exact_mut(b.numel()).zip(a.data().chunks_exact(b.numel())) {
            for ((o, &x), &y) in o.iter_mut().zip(x).zip(b.data()) {
                *o = f(x, y);
            }
        }
        return Tensor::new(out, sa);
    }
    if is_suffix(sa, sb) {
        let mut out = buf.take(b.numel());
        for (o, y) in out.chunks_exact_mut(a.numel()).zip(b.data().chunks_exact(a.numel())) {
            for ((o, &y), &x) in o.iter_mut().zip(y).zip(a.data()) {
                *o = f(x, y);
            }
        }
        return Tensor::new(out, sb);
    }
    let shape = Shape::broadcast(&sa, &sb)
        .unwrap_or_else(|| panic!("{op}: shapes {sa} and {sb} do not broadcast"));
    let mut out = buf.take(shape.numel());
    let (ad, bd) = (a.data(), b.data());
    if bd.len() == 1 && shape == sa {
        for (o, &x) in out.iter_mut().zip(ad) {
            *o = f(x, bd[0]);
        }
    } else if ad.len() == 1 && shape == sb {
        for (o, &y) in out.iter_mut().zip(bd) {
            *o = f(ad[0], y);
        }
    } else {
        let last = shape.dims()[shape.rank() - 1];
        let (ast, bst) = (sa.broadcast_strides(&shape), sb.broadcast_strides(&shape));
        for_each_broadcast_row(&shape, &ast, &bst, |row, oa, ia, ob, ib| {
            let o = &mut out[row * last..(row + 1) * last];
            for (j, o) in o.iter_mut().enumerate() {
                *o = f(ad[oa + j * ia], bd[ob + j * ib]);
            }
        });
    }
    Tensor::new(out, shape)
}

/// Sums `src` down to `shape`, which must broadcast to `src`'s shape: the adjoint of
/// broadcasting, used by every backward rule of a broadcasting op.
pub fn sum_to<T: Float>(buf: &mut impl Buffers<T>, src: &Tensor<T>, shape: Shape) -> Tensor<T> {
    let from = src.shape();
    if shape == from {
        let mut out = buf.take(shape.numel());
        out.copy_from_slice(src.data());
        return Tensor::new(out, shape);
    }
    if is_suffix(shape, from) {
        // Undoing a bias-row broadcast: sum the rows.
        let mut out = buf.take(shape.numel());
        out.fill(T::zero());
        for row in src.data().chunks_exact(shape.numel()) {
            for (o, &x) in out.iter_mut().zip(row) {
                *o += x;
            }
        }
        return Tensor::new(out, shape);
    }
    assert!(
        Shape::broadcast(&shape, &from) == Some(from),
        "sum_to: shape {shape} does not broadcast to {from}"
    );
    let mut out = buf.take(shape.numel());
    out.fill(T::zero());
    if shape.numel() == 1 {
        out[0] = src.data().iter().copied().sum();
        return Tensor::new(out, shape);
    }
    let last = from.dims()[from.rank() - 1];
    let tst = shape.broadcast_strides(&from);
    let sst = from.broadcast_strides(&from);
    let sd = src.data();
    for_each_broadcast_row(&from, &tst, &sst, |_, ot, it, os, _| {
        for j in 0..last {
            out[ot + j * it] += sd[os + j];
        }
    });
    Tensor::new(out, shape)
}

/// The shape a reduction over `axis` produces.
pub fn reduced_shape(shape: Shape, axis: usize, keepdim: bool) -> Shape {
    if keepdim { shape.with_dim(axis, 1) } else { shape.without_dim(axis) }
}

/// Σ over one axis.
pub fn sum_axis<T: Float>(
    buf: &mut impl Buffers<T>,
    a: &Tensor<T>,
    axis: usize,
    keepdim: bool,
) -> Tensor<T> {
    let (outer, len, inner) = a.shape().split_at_axis(axis);
    let mut out = buf.take(outer * inner);
    out.fill(T::zero());
    let d = a.data();
    for o in 0..outer {
        for i in 0..len {
            let src = &d[(o * len + i) * inner..(o * len + i + 1) * inner];
            for (acc, &x) in out[o * inner..(o + 1) * inner].iter_mut().zip(src) {
                *acc += x;
            }
        }
    }
    Tensor::new(out, reduced_shape(a.shape(), axis, keepdim))
}

/// Copies `src` (of shape `reduced`, the result of a reduction over `axis` with or without
/// keepdim) along that axis back up to `shape`: the adjoint of summing over the axis.
pub fn expand_axis<T: Float>(
    buf: &mut impl Buffers<T>,
    src: &Tensor<T>,
    shape: Shape,
    axis: usize,
) -> Tensor<T> {
    let (outer, len, inner) = shape.split_at_axis(axis);
    assert_eq!(src.numel(), outer * inner, "expand_axis: {} into {shape} along axis {axis}", src.shape());
    let mut out = buf.take(shape.numel());
    let s = src.data();
    for o in 0..outer {
        for i in 0..len {
            out[(o * len + i) * inner..(o * len + i + 1) * inner]
                .copy_from_slice(&s[o * inner..(o + 1) * inner]);
        }
    }
    Tensor::new(out, shape)
}

/// The maximum over one axis and, for each result, the index along the axis where it sits (the
/// first one, on ties).
pub fn max_axis<T: Float>(
    buf: &mut impl Buffers<T>,
    a: &Tensor<T>,
    axis: usize,
    keepdim: bool,
) -> (Tensor<T>, Vec<usize>) {
    let (outer, len, inner) = a.shape().split_at_axis(axis);
    assert!(len > 0, "max over axis {axis} of shape {}: the axis is empty", a.shape());
    let mut out = buf.take(outer * inner);
    let mut arg = vec![0; outer * inner];
    let d = a.data();
    for o in 0..outer {
        for n in 0..inner {
            let (mut best, mut at) = (d[o * len * inner + n], 0);
            for i in 1..len {
                let x = d[(o * len + i) * inner + n];
                if x > best {
                    (best, at) = (x, i);
                }
            }
            out[o * inner + n] = best;
            arg[o * inner + n] = at;
        }
    }
    (Tensor::new(out, reduced_shape(a.shape(), axis, keepdim)), arg)
}

/// Softmax over `axis`, or its logarithm when `log` is set. Both subtract the maximum first so
/// that e^x never overflows: softmax(x) = e^(x−m) / Σe^(x−m).
pub fn softmax<T: Float>(buf: &mut impl Buffers<T>, a: &Tensor<T>, axis: usize, log: bool) -> Tensor<T> {
    let (outer, len, inner) = a.shape().split_at_axis(axis);
    let mut out = buf.take(a.numel());
    let d = a.data();
    for o in 0..outer {
        for n in 0..inner {
            let at = |i: usize| (o * len + i) * inner + n;
            let m = (0..len).map(|i| d[at(i)]).fold(T::neg_infinity(), T::max);
            let s: T = (0..len).map(|i| (d[at(i)] - m).exp()).sum();
            let log_s = s.ln();
            for i in 0..len {
                out[at(i)] = if log { d[at(i)] - m - log_s } else { (d[at(i)] - m).exp() / s };
            }
        }
    }
    Tensor::new(out, a.shape())
}

/// Swaps the last two axes (a matrix transpose, batched over any leading axes).
pub fn transpose<T: Float>(buf: &mut impl Buffers<T>, a: &Tensor<T>) -> Tensor<T> {
    let s = a.shape();
    assert!(s.rank() >= 2, "transpose needs at least 2 dimensions, the shape is {s}");
    let (r, c) = (s.dim(s.rank() - 2), s.dim(s.rank() - 1));
    let batch = s.numel() / (r * c).max(1);
    let mut out = buf.take(a.numel());
    let d = a.data();
    for b in 0..batch {
        let (src, dst) = (&d[b * r * c..], &mut out[b * r * c..]);
        for i in 0..r {
            for j in 0..c {
                dst[j * r + i] = src[i * c + j];
            }
        }
    }
    Tensor::new(out, s.with_dim(s.rank() - 2, c).with_dim(s.rank() - 1, r))
}

/// Checks that `classes` picks one valid column per row of a [rows, columns] tensor.
fn check_classes(op: &str, shape: Shape, classes: &[usize]) -> (usize, usize) {
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
pub fn gather<T: Float>(buf: &mut impl Buffers<T>, a: &Tensor<T>, classes: &[usize]) -> Tensor<T> {
    let (rows, cols) = check_classes("gather", a.shape(), classes);
    let mut out = buf.take(rows);
    for (i, o) in out.iter_mut().enumerate() {
        *o = a.data()[i * cols + classes[i]];
    }
    Tensor::new(out, [rows])
}

/// The adjoint of [`gather`]: a [rows, columns] tensor of zeros with `g[i]` at `[i, classes[i]]`.
pub fn scatter<T: Float>(
    buf: &mut impl Buffers<T>,
    g: &Tensor<T>,
    shape: Shape,
    classes: &[usize],
) -> Tensor<T> {
    let (rows, cols) = check_classes("scatter", shape, classes);
    let mut out = buf.take(rows * cols);
    out.fill(T::zero());
    for i in 0..rows {
        out[i * cols + classes[i]] = g.data()[i];
    }
    Tensor::new(out, shape)
}

/// Mean cross-entropy of logits [rows, classes] against class indices, through a stable
/// log-softmax: −(1/N)·Σᵢ log softmax(xᵢ)[tᵢ].
pub fn cross_entropy<T: Float>(buf: &mut impl Buffers<T>, logits: &Tensor<T>, classes: &[usize]) -> Tensor<T> {
    let (rows, cols) = check_classes("cross_entropy", logits.shape(), classes);
    let mut total = T::zero();
    for (i, row) in logits.data().chunks(cols.max(1)).enumerate().take(rows) {
        let m = row.iter().copied().fold(T::neg_infinity(), T::max);
        let lse = m + row.iter().map(|&x| (x - m).exp()).sum::<T>().ln();
        total += lse - row[classes[i]];
    }
    let mut out = buf.take(1);
    out[0] = total / T::of(rows.max(1) as f64);
    Tensor::new(out, Shape::scalar())
}

/// The gradient of [`cross_entropy`] with respect to the logits, times `g`:
/// g · (softmax(x) − onehot(t)) / N.
pub fn cross_entropy_grad<T: Float>(
    buf: &mut impl Buffers<T>,
    logits: &Tensor<T>,
    classes: &[usize],
    g: T,
) -> Tensor<T> {
    let (rows, cols) = check_classes("cross_entropy", logits.shape(), classes);
    let mut p = softmax(buf, logits, 1, false);
    let scale = g / T::of(rows.max(1) as f64);
    let pd = p.data_mut();
    for i in 0..rows {
        pd[i * cols + classes[i]] -= T::one();
    }
    for x in pd.iter_mut() {
        *x *= scale;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Fresh;

    fn t(data: &[f64], dims: &[usize]) -> Tensor<f64> {
        Tensor::from_f64(data, dims)
    }

    #[test]
    fn zip_broadcasts_a_row_and_a_column() {
        let col = t(&[1.0, 2.0], &[2, 1]);
        let row = t(&[10.0, 20.0, 30.0], &[3]);
        let s = zip(&mut Fresh, "add", &col, &row, |a, b| a + b);
        assert_eq!(s.dims(), &[2, 3]);
        assert_eq!(s.data(), &[11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
    }

    #[test]
    fn sum_to_undoes_broadcasting() {
        let g = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        assert_eq!(sum_to(&mut Fresh, &g, Shape::new(&[3])).data(), &[5.0, 7.0, 9.0]);
        assert_eq!(sum_to(&mut Fresh, &g, Shape::new(&[2, 1])).data(), &[6.0, 15.0]);
        assert_eq!(sum_to(&mut Fresh, &g, Shape::scalar()).data(), &[21.0]);
    }

    #[test]
    fn softmax_is_stable_for_large_inputs() {
        let x = t(&[1000.0, 1000.0], &[1, 2]);
        let p = softmax(&mut Fresh, &x, 1, false);
        assert_eq!(p.data(), &[0.5, 0.5]);
        let lp = softmax(&mut Fresh, &x, 1, true);
        assert!((lp.data()[0] + std::f64::consts::LN_2).abs() < 1e-15);
    }

    #[test]
    #[should_panic(expected = "add: shapes [3] and [4] do not broadcast")]
    fn shape_errors_name_the_op_and_both_shapes() {
        zip(&mut Fresh, "add", &t(&[0.0; 3], &[3]), &t(&[0.0; 4], &[4]), |a, b| a + b);
    }
}
