//! Elementwise kernels: maps, broadcasting binary ops, their backward sums (`acc_zip`), and
//! the transpose. Forward kernels overwrite their output; the `acc_` kernels add into it
//! (backward rules accumulate ∂E/∂input, so fan-out needs no extra buffers).

use crate::tensor::shape_rules::broadcast_shape;
use crate::tensor::{Float, MAX_RANK, Shape, View};

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
///
/// This and [`acc_zip_y`] are always inlined: on the lecture's two-element operands the call
/// and the copying of two views cost more than the arithmetic (measured with callgrind).
#[inline(always)]
pub fn zip<T: Float>(out: &mut [T], a: View<'_, T>, b: View<'_, T>, f: impl Fn(T, T) -> T) {
    let (sa, sb, ad, bd) = (a.shape, b.shape, a.data, b.data);
    if sa == sb {
        for ((o, &x), &y) in out.iter_mut().zip(ad).zip(bd) {
            *o = f(x, y);
        }
    } else if sb.is_suffix_of(sa) {
        for (o, x) in out.chunks_exact_mut(bd.len()).zip(ad.chunks_exact(bd.len())) {
            for ((o, &x), &y) in o.iter_mut().zip(x).zip(bd) {
                *o = f(x, y);
            }
        }
    } else if sa.is_suffix_of(sb) {
        for (o, y) in out.chunks_exact_mut(ad.len()).zip(bd.chunks_exact(ad.len())) {
            for ((o, &y), &x) in o.iter_mut().zip(y).zip(ad) {
                *o = f(x, y);
            }
        }
    } else {
        zip_broadcast(out, a, b, f);
    }
}

/// [`zip`] for any other broadcast, row by row: out of line, so the common cases above are all
/// that is inlined where an op runs.
#[inline(never)]
fn zip_broadcast<T: Float>(out: &mut [T], a: View<'_, T>, b: View<'_, T>, f: impl Fn(T, T) -> T) {
    let (sa, sb, ad, bd) = (a.shape, b.shape, a.data, b.data);
    let shape = broadcast_shape("zip", sa, sb);
    let last = shape.dims()[shape.rank() - 1];
    let (ast, bst) = (sa.broadcast_strides(&shape), sb.broadcast_strides(&shape));
    for_each_broadcast_row(shape, &ast, &bst, |row, oa, ia, ob, ib| {
        for (j, o) in out[row * last..(row + 1) * last].iter_mut().enumerate() {
            *o = f(ad[oa + j * ia], bd[ob + j * ib]);
        }
    });
}

/// `ga += sum_to(f(g, other), shape_a)`: the backward of a broadcasting binary op for input a.
/// `g` has the op's output shape; `other` and `shape_a` each broadcast to it. Summing back over
/// the broadcast dimensions is what makes a bias's gradient the sum over the batch.
#[inline(always)]
pub fn acc_zip<T: Float>(ga: &mut [T], shape_a: Shape, g: View<'_, T>, other: View<'_, T>, f: impl Fn(T, T) -> T) {
    acc_zip_y(ga, shape_a, g, g.data, other, |g, _, o| f(g, o));
}

/// [`acc_zip`] where `f` also reads `y`, a tensor of the output's shape (the op's value).
#[inline(always)]
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
    } else if shape_a == so && other.shape.is_suffix_of(so) {
        let n = od.len();
        for ((o, gc), yc) in ga.chunks_exact_mut(n).zip(gd.chunks_exact(n)).zip(y.chunks_exact(n)) {
            for (((o, &gv), &yv), &ov) in o.iter_mut().zip(gc).zip(yc).zip(od) {
                *o += f(gv, yv, ov);
            }
        }
    } else if shape_a.is_suffix_of(so) && other.shape == so {
        let n = ga.len();
        for ((gc, yc), oc) in gd.chunks_exact(n).zip(y.chunks_exact(n)).zip(od.chunks_exact(n)) {
            for (((o, &gv), &yv), &ov) in ga.iter_mut().zip(gc).zip(yc).zip(oc) {
                *o += f(gv, yv, ov);
            }
        }
    } else {
        acc_zip_broadcast(ga, shape_a, g, y, other, f);
    }
}

/// [`acc_zip_y`] for any other broadcast, row by row (out of line, as [`zip_broadcast`]).
#[inline(never)]
fn acc_zip_broadcast<T: Float>(
    ga: &mut [T],
    shape_a: Shape,
    g: View<'_, T>,
    y: &[T],
    other: View<'_, T>,
    f: impl Fn(T, T, T) -> T,
) {
    let (so, gd, od) = (g.shape, g.data, other.data);
    let last = so.dims()[so.rank() - 1];
    let (ast, ost) = (shape_a.broadcast_strides(&so), other.shape.broadcast_strides(&so));
    for_each_broadcast_row(so, &ast, &ost, |row, oa, ia, ob, ib| {
        for j in 0..last {
            let i = row * last + j;
            ga[oa + j * ia] += f(gd[i], y[i], od[ob + j * ib]);
        }
    });
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
