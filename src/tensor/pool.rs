//! 2-D pooling over [n, c, h, w], as PyTorch's `max_pool2d` and `avg_pool2d` compute it: each
//! output is the maximum (or the mean) of one window. Max pooling routes its gradient to the
//! window's maximum — on a tie, the first in row-major order (the top-left one), and a NaN
//! counts as the maximum, as PyTorch's CPU kernel does; padding there is −∞, never chosen.
//! Average pooling divides by the whole window, padding included (PyTorch's default
//! `count_include_pad=True`), and spreads its gradient evenly over the window.

use super::{Float, Shape, View};

/// A pooling window per axis (rows, columns): its size, its stride, and the padding on each side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pool2d {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
}

impl Pool2d {
    /// A `k`×`k` window moved by `k` (the usual `pool 2`).
    pub fn square(k: usize) -> Pool2d {
        Pool2d { kernel: [k, k], stride: [k, k], padding: [0, 0] }
    }

    /// The output shape [n, c, oh, ow] for `x` [n, c, h, w]; panics naming the op, the shape
    /// and the window when they do not fit (a bug in the model code).
    pub fn output_shape(self, op: &str, x: Shape) -> Shape {
        let fail = |why: &str| -> ! { panic!("{op}: input {x}, window {:?}: {why}", self) };
        if x.rank() != 4 {
            fail("expected input [n, c, h, w]");
        }
        if self.kernel.contains(&0) || self.stride.contains(&0) {
            fail("the window and its stride must be at least 1");
        }
        if (0..2).any(|a| 2 * self.padding[a] > self.kernel[a]) {
            fail("padding may be at most half the window");
        }
        let Some((oh, ow)) = self.output_hw(x.dim(2), x.dim(3)) else { fail("the window is larger than the image") };
        Shape::new(&[x.dim(0), x.dim(1), oh, ow])
    }

    /// Output rows and columns for an input of `h`×`w`, if the window fits.
    pub fn output_hw(self, h: usize, w: usize) -> Option<(usize, usize)> {
        let out = |len: usize, a: usize| {
            let padded = len + 2 * self.padding[a];
            (padded >= self.kernel[a]).then(|| (padded - self.kernel[a]) / self.stride[a] + 1)
        };
        Some((out(h, 0)?, out(w, 1)?))
    }

    /// For each output position of each plane, `f(output index, the window's part inside the
    /// image)`: its rows and columns as index ranges, padding cut off. Plain loops over
    /// ranges: the iterator chain this replaced (a `filter_map` per tap) took a third of a
    /// MNIST CNN's training step.
    fn each_window(self, x: Shape, mut f: impl FnMut(usize, Window)) {
        let out = self.output_shape("pool", x);
        let (h, w, oh, ow) = (x.dim(2), x.dim(3), out.dim(2), out.dim(3));
        let [(ky, kx), (sy, sx), (py, px)] =
            [(self.kernel[0], self.kernel[1]), (self.stride[0], self.stride[1]), (self.padding[0], self.padding[1])];
        for plane in 0..x.dim(0) * x.dim(1) {
            for oy in 0..oh {
                let rows = (oy * sy).saturating_sub(py)..(oy * sy + ky).saturating_sub(py).min(h);
                for ox in 0..ow {
                    let columns = (ox * sx).saturating_sub(px)..(ox * sx + kx).saturating_sub(px).min(w);
                    f(
                        (plane * oh + oy) * ow + ox,
                        Window { start: plane * h * w, width: w, rows: rows.clone(), columns },
                    );
                }
            }
        }
    }

    /// The index of a window's maximum: the first one on a tie, a NaN if there is one.
    #[inline]
    fn argmax<T: Float>(data: &[T], window: &Window) -> usize {
        let mut best = window.start + window.rows.start * window.width + window.columns.start;
        let mut top = data[best];
        for y in window.rows.clone() {
            let row = window.start + y * window.width + window.columns.start;
            for (k, &v) in data[row..row + window.columns.len()].iter().enumerate() {
                if v > top || (v.is_nan() && !top.is_nan()) {
                    (best, top) = (row + k, v);
                }
            }
        }
        best
    }

    /// Max pooling's forward pass.
    pub fn max_forward<T: Float>(self, out: &mut [T], x: View<'_, T>) {
        if self == Pool2d::square(2) {
            return each_pair_window(x, |o, at| out[o] = x.data[at]);
        }
        self.each_window(x.shape, |o, window| out[o] = x.data[Pool2d::argmax(x.data, &window)]);
    }

    /// ∂E/∂x += grad at each window's maximum (the same one the forward pass took).
    pub fn max_backward<T: Float>(self, gx: &mut [T], grad: &[T], x: View<'_, T>) {
        if self == Pool2d::square(2) {
            return each_pair_window(x, |o, at| gx[at] += grad[o]);
        }
        self.each_window(x.shape, |o, window| gx[Pool2d::argmax(x.data, &window)] += grad[o]);
    }

    /// Average pooling's forward pass: the window's sum over its whole size.
    pub fn avg_forward<T: Float>(self, out: &mut [T], x: View<'_, T>) {
        let size = T::of((self.kernel[0] * self.kernel[1]) as f64);
        self.each_window(x.shape, |o, window| {
            // Summed in row-major order, one running total, as the definition sums.
            out[o] = window.rows().flat_map(|row| x.data[row].iter().copied()).fold(T::zero(), |a, v| a + v) / size
        });
    }

    /// ∂E/∂x += grad / window size, at every pixel of the window.
    pub fn avg_backward<T: Float>(self, gx: &mut [T], grad: &[T], x_shape: Shape) {
        let size = T::of((self.kernel[0] * self.kernel[1]) as f64);
        self.each_window(x_shape, |o, window| {
            window.rows().for_each(|row| gx[row].iter_mut().for_each(|g| *g += grad[o] / size))
        });
    }
}

/// `f(output index, index of the window's maximum)` for the usual `maxpool 2` (2×2 windows
/// moved by 2, no padding), by the same rule as [`Pool2d::argmax`]: the first of the four in
/// row-major order on a tie, a NaN if there is one. The general walk over [`Window`]s spent
/// most of its time finding ranges; this pass was 18 % of a MNIST CNN's training step before.
fn each_pair_window<T: Float>(x: View<'_, T>, mut f: impl FnMut(usize, usize)) {
    let (h, w) = (x.shape.dim(2), x.shape.dim(3));
    let (oh, ow) = (h / 2, w / 2);
    let mut o = 0;
    for plane in 0..x.shape.dim(0) * x.shape.dim(1) {
        for oy in 0..oh {
            let top = plane * h * w + 2 * oy * w;
            // The two rows of this line of windows, cut to whole windows: no bounds checks below.
            let (upper, lower) = (&x.data[top..top + 2 * ow], &x.data[top + w..top + w + 2 * ow]);
            for (ox, (a, b)) in upper.chunks_exact(2).zip(lower.chunks_exact(2)).enumerate() {
                let mut best = (0, a[0]);
                for (k, v) in [(1, a[1]), (w, b[0]), (w + 1, b[1])] {
                    if v > best.1 || (v.is_nan() && !best.1.is_nan()) {
                        best = (k, v);
                    }
                }
                f(o, top + 2 * ox + best.0);
                o += 1;
            }
        }
    }
}

/// A window's part inside its plane: rows and columns of the image, and where the plane
/// starts in the buffer.
struct Window {
    start: usize,
    width: usize,
    rows: std::ops::Range<usize>,
    columns: std::ops::Range<usize>,
}

impl Window {
    /// The buffer ranges of the window's rows, top to bottom.
    fn rows(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        self.rows.clone().map(move |y| {
            let row = self.start + y * self.width;
            row + self.columns.start..row + self.columns.end
        })
    }
}
