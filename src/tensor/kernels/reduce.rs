//! Reductions along an axis, lane by lane: sum, max, softmax, and the gather of one entry per
//! row with its adjoint.

use crate::tensor::{Float, Shape, View};

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
        argmax_of(self.len, |i| data[self.at(i)])
    }
}

/// The position of the largest of `len` values read by `at` (the first one, on ties): the one
/// argmax, behind a classifier's prediction, its accuracy and max's backward rule.
#[inline]
pub fn argmax_of<T: Float>(len: usize, at: impl Fn(usize) -> T) -> usize {
    let mut best = 0;
    for i in 1..len {
        if at(i) > at(best) {
            best = i;
        }
    }
    best
}

/// The position of a row's largest value (the first one, on ties).
#[inline]
pub fn argmax<T: Float>(row: &[T]) -> usize {
    argmax_of(row.len(), |i| row[i])
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
