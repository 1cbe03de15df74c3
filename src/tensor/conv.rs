//! 2-D convolution as PyTorch's `conv2d` computes it (cross-correlation: the kernel is not
//! flipped), by im2col and the GEMM crate: each image's receptive fields are laid out as the
//! columns of a matrix `cols` [c_in·kh·kw, oh·ow], so the convolution is one product
//! `W [c_out, c_in·kh·kw] · cols` plus the bias. Its backward pass is two more products and the
//! scatter that undoes im2col (col2im): a kernel weight's gradient is the sum, over every
//! position it touched, of the upstream gradient there times the input it saw.

use super::matmul::{Write, matmul};
use super::{Float, Shape, Threads, View};

/// A convolution's geometry per axis (rows, columns): stride, zero padding on each side, and
/// dilation (the step between a kernel's taps), as PyTorch's `conv2d` takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Conv2dGeometry {
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl Default for Conv2dGeometry {
    fn default() -> Conv2dGeometry {
        Conv2dGeometry { stride: [1, 1], padding: [0, 0], dilation: [1, 1] }
    }
}

/// The sizes one convolution works with.
#[derive(Clone, Copy, Debug)]
struct Sizes {
    images: usize,
    c_in: usize,
    h: usize,
    w: usize,
    c_out: usize,
    kh: usize,
    kw: usize,
    oh: usize,
    ow: usize,
}

impl Sizes {
    /// Rows of `cols`: one per kernel tap (input channel × kernel row × kernel column).
    fn taps(&self) -> usize {
        self.c_in * self.kh * self.kw
    }
    /// Columns of `cols`: one per output position.
    fn positions(&self) -> usize {
        self.oh * self.ow
    }

    /// Image `n`'s values in a [n, c_in, h, w] buffer.
    fn image<'a, T>(&self, x: &'a [T], n: usize) -> &'a [T] {
        let len = self.c_in * self.h * self.w;
        &x[n * len..(n + 1) * len]
    }

    /// Image `n`'s output in a [n, c_out, oh, ow] buffer, as a [c_out, positions] matrix.
    fn output<'a, T: Float>(&self, y: &'a [T], n: usize) -> View<'a, T> {
        let len = self.c_out * self.positions();
        View::new(&y[n * len..(n + 1) * len], Shape::new(&[self.c_out, self.positions()]))
    }

    /// A `cols` buffer [taps, positions].
    fn cols<T: Float>(&self) -> Vec<T> {
        vec![T::zero(); self.taps() * self.positions()]
    }

    /// `cols` read as the [taps, positions] matrix it is.
    fn cols_view<'a, T: Float>(&self, cols: &'a [T]) -> View<'a, T> {
        View::new(cols, Shape::new(&[self.taps(), self.positions()]))
    }

    /// A [c_out, c_in, kh, kw] weight read as the [c_out, taps] matrix of the product.
    fn weights<'a, T: Float>(&self, w: &'a [T]) -> View<'a, T> {
        View::new(w, Shape::new(&[self.c_out, self.taps()]))
    }
}

impl Conv2dGeometry {
    /// Output rows and columns for an input of `h`×`w` and a kernel of `kh`×`kw`, if any fit.
    pub fn output_hw(self, h: usize, w: usize, kh: usize, kw: usize) -> Option<(usize, usize)> {
        let out = |len: usize, k: usize, axis: usize| {
            let span = self.dilation[axis] * (k - 1) + 1;
            let padded = len + 2 * self.padding[axis];
            (padded >= span).then(|| (padded - span) / self.stride[axis] + 1)
        };
        Some((out(h, kh, 0)?, out(w, kw, 1)?))
    }

    /// The output shape [n, c_out, oh, ow] of input `x` [n, c_in, h, w], weight `w` [c_out,
    /// c_in, kh, kw] and bias `b` [c_out]; panics naming the shapes when they do not fit (a
    /// bug in the model code, caught when the op is recorded).
    pub fn output_shape(self, x: Shape, w: Shape, b: Shape) -> Shape {
        let fail = |why: &str| -> ! { panic!("conv2d: input {x}, weight {w}, bias {b}: {why}") };
        if x.rank() != 4 || w.rank() != 4 || b.rank() != 1 {
            fail("expected input [n, c_in, h, w], weight [c_out, c_in, kh, kw], bias [c_out]");
        }
        if self.stride.contains(&0) || self.dilation.contains(&0) || w.dims().contains(&0) {
            fail(&format!("stride {:?} and dilation {:?} must be at least 1", self.stride, self.dilation));
        }
        if x.dim(1) != w.dim(1) || b.dim(0) != w.dim(0) {
            fail("the input's channels must be the weight's second axis, and the bias one per output channel");
        }
        let Some((oh, ow)) = self.output_hw(x.dim(2), x.dim(3), w.dim(2), w.dim(3)) else {
            fail(&format!(
                "the kernel, dilated {:?} and padded {:?}, is larger than the image",
                self.dilation, self.padding
            ))
        };
        Shape::new(&[x.dim(0), w.dim(0), oh, ow])
    }

    fn sizes(self, x: Shape, w: Shape) -> Sizes {
        let (oh, ow) = self.output_hw(x.dim(2), x.dim(3), w.dim(2), w.dim(3)).expect("checked when recorded");
        Sizes {
            images: x.dim(0),
            c_in: x.dim(1),
            h: x.dim(2),
            w: x.dim(3),
            c_out: w.dim(0),
            kh: w.dim(2),
            kw: w.dim(3),
            oh,
            ow,
        }
    }

    /// Visits, for every tap row of `cols` and output row, the run of output positions whose
    /// input pixels lie inside the image: `f(first index in cols, first index in the image,
    /// length)`, the image index moving by the column stride along the run. Padding positions
    /// are skipped (im2col leaves zeros there; col2im adds nothing from them). Runs, not single
    /// pixels: a bounds check per pixel made im2col 14 % of a MNIST CNN's training step.
    #[inline]
    fn each_run(self, s: &Sizes, mut f: impl FnMut(usize, usize, usize)) {
        let [sy, sx] = self.stride;
        let [py, px] = self.padding;
        let [dy, dx] = self.dilation;
        for c in 0..s.c_in {
            for i in 0..s.kh {
                for j in 0..s.kw {
                    let tap = (c * s.kh + i) * s.kw + j;
                    // Output columns ox with 0 ≤ ox·sx + j·dx − px < w.
                    let first = (px.saturating_sub(j * dx)).div_ceil(sx);
                    let last = (s.w + px).saturating_sub(j * dx).div_ceil(sx).min(s.ow);
                    if first >= last {
                        continue;
                    }
                    for oy in 0..s.oh {
                        let Some(y) = (oy * sy + i * dy).checked_sub(py).filter(|&y| y < s.h) else { continue };
                        let x = first * sx + j * dx - px;
                        f(tap * s.positions() + oy * s.ow + first, (c * s.h + y) * s.w + x, last - first);
                    }
                }
            }
        }
    }
}

/// `cols` [taps, positions] of one image [c_in, h, w]: each column one receptive field.
fn im2col<T: Float>(cols: &mut [T], image: &[T], s: &Sizes, g: Conv2dGeometry) {
    if g.padding != [0, 0] {
        cols.fill(T::zero());
    }
    let step = g.stride[1];
    g.each_run(s, |at, from, len| match step {
        1 => cols[at..at + len].copy_from_slice(&image[from..from + len]),
        _ => cols[at..at + len].iter_mut().zip(image[from..].iter().step_by(step)).for_each(|(c, &p)| *c = p),
    });
}

/// im2col undone: each receptive field's column of `cols` added back into the pixels of one
/// image [c_in, h, w] it came from.
fn col2im<T: Float>(image: &mut [T], cols: &[T], s: &Sizes, g: Conv2dGeometry) {
    let step = g.stride[1];
    g.each_run(s, |at, to, len| {
        image[to..].iter_mut().step_by(step).zip(&cols[at..at + len]).for_each(|(p, &c)| *p += c)
    });
}

/// The forward pass: `out` [n, c_out, oh, ow] = w ⋆ x + b.
pub fn conv2d<T: Float>(
    out: &mut [T],
    x: View<'_, T>,
    w: View<'_, T>,
    b: View<'_, T>,
    g: Conv2dGeometry,
    threads: Threads,
) {
    let s = g.sizes(x.shape, w.shape);
    let mut cols = s.cols();
    for (n, y) in out.chunks_exact_mut(s.c_out * s.positions()).enumerate() {
        im2col(&mut cols, s.image(x.data, n), &s, g);
        for (row, &bias) in y.chunks_exact_mut(s.positions()).zip(b.data) {
            row.fill(bias);
        }
        matmul(y, s.weights(w.data).mat(), s.cols_view(&cols).mat(), Write::Accumulate, threads);
    }
}

/// ∂E/∂x += col2im(Wᵀ · ∂E/∂y), image by image: each input pixel gathers the gradient of every
/// output position whose receptive field held it, times the kernel tap that saw it.
pub fn conv2d_grad_input<T: Float>(
    gx: &mut [T],
    grad: View<'_, T>,
    w: View<'_, T>,
    x_shape: Shape,
    g: Conv2dGeometry,
    threads: Threads,
) {
    let s = g.sizes(x_shape, w.shape);
    let mut cols = s.cols();
    for (n, image) in gx.chunks_exact_mut(s.c_in * s.h * s.w).enumerate() {
        matmul(&mut cols, s.weights(w.data).mat_t(), s.output(grad.data, n).mat(), Write::Overwrite, threads);
        col2im(image, &cols, &s, g);
    }
}

/// ∂E/∂W (+)= Σ_images ∂E/∂y · im2col(x)ᵀ: each kernel weight's gradient summed over every
/// position it touched in every image.
pub fn conv2d_grad_weight<T: Float>(
    gw: &mut [T],
    grad: View<'_, T>,
    x: View<'_, T>,
    w_shape: Shape,
    g: Conv2dGeometry,
    write: Write,
    threads: Threads,
) {
    let s = g.sizes(x.shape, w_shape);
    let mut cols = s.cols();
    for n in 0..s.images {
        im2col(&mut cols, s.image(x.data, n), &s, g);
        let write = if n == 0 { write } else { Write::Accumulate };
        matmul(gw, s.output(grad.data, n).mat(), s.cols_view(&cols).mat_t(), write, threads);
    }
}

/// ∂E/∂b += Σ over images and positions of ∂E/∂y, per output channel.
pub fn conv2d_grad_bias<T: Float>(gb: &mut [T], grad: View<'_, T>) {
    let &[_, c_out, oh, ow] = grad.shape.dims() else { unreachable!("conv2d's output has rank 4") };
    for (k, plane) in grad.data.chunks_exact(oh * ow).enumerate() {
        gb[k % c_out] += plane.iter().copied().sum::<T>();
    }
}
