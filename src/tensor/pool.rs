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

    /// For each output position of each plane, `f(output index, the window's input indices
    /// inside the image, in row-major order)`.
    fn each_window(self, x: Shape, mut f: impl FnMut(usize, &mut dyn Iterator<Item = usize>)) {
        let out = self.output_shape("pool", x);
        let (h, w, oh, ow) = (x.dim(2), x.dim(3), out.dim(2), out.dim(3));
        for plane in 0..x.dim(0) * x.dim(1) {
            for oy in 0..oh {
                for ox in 0..ow {
                    let rows = (0..self.kernel[0])
                        .filter_map(move |i| (oy * self.stride[0] + i).checked_sub(self.padding[0]).filter(|&y| y < h));
                    let mut inside = rows.flat_map(move |y| {
                        (0..self.kernel[1])
                            .filter_map(move |j| {
                                (ox * self.stride[1] + j).checked_sub(self.padding[1]).filter(|&x| x < w)
                            })
                            .map(move |x| (plane * h + y) * w + x)
                    });
                    f((plane * oh + oy) * ow + ox, &mut inside);
                }
            }
        }
    }

    /// The index of a window's maximum: the first one on a tie, a NaN if there is one.
    fn argmax<T: Float>(data: &[T], window: &mut dyn Iterator<Item = usize>) -> usize {
        let first = window.next().expect("a window holds at least one pixel of the image");
        window.fold(
            first,
            |best, i| if data[i] > data[best] || (data[i].is_nan() && !data[best].is_nan()) { i } else { best },
        )
    }

    /// Max pooling's forward pass.
    pub fn max_forward<T: Float>(self, out: &mut [T], x: View<'_, T>) {
        self.each_window(x.shape, |o, window| out[o] = x.data[Pool2d::argmax(x.data, window)]);
    }

    /// ∂E/∂x += grad at each window's maximum (the same one the forward pass took).
    pub fn max_backward<T: Float>(self, gx: &mut [T], grad: &[T], x: View<'_, T>) {
        self.each_window(x.shape, |o, window| gx[Pool2d::argmax(x.data, window)] += grad[o]);
    }

    /// Average pooling's forward pass: the window's sum over its whole size.
    pub fn avg_forward<T: Float>(self, out: &mut [T], x: View<'_, T>) {
        let size = T::of((self.kernel[0] * self.kernel[1]) as f64);
        self.each_window(x.shape, |o, window| out[o] = window.map(|i| x.data[i]).sum::<T>() / size);
    }

    /// ∂E/∂x += grad / window size, at every pixel of the window.
    pub fn avg_backward<T: Float>(self, gx: &mut [T], grad: &[T], x_shape: Shape) {
        let size = T::of((self.kernel[0] * self.kernel[1]) as f64);
        self.each_window(x_shape, |o, window| window.for_each(|i| gx[i] += grad[o] / size));
    }
}
