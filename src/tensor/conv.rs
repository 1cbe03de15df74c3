//! 2-D convolution as PyTorch's `conv2d` computes it (cross-correlation: the kernel is not
//! flipped), by im2col and the GEMM crate: the receptive fields of a run of images are laid out
//! as the columns of one matrix `cols` [c_in·kh·kw, images·oh·ow], so the convolution is one
//! product `W [c_out, c_in·kh·kw] · cols` plus the bias. Its backward pass is two more products and the
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
    /// input pixels lie inside the image: `f(tap, first output position, first index in the
    /// image, length)`, the image index moving by the column stride along the run. Padding positions
    /// are skipped (im2col leaves zeros there; col2im adds nothing from them). Runs, not single
    /// pixels: a bounds check per pixel made im2col 14 % of a MNIST CNN's training step.
    #[inline]
    fn each_run(self, s: &Sizes, mut f: impl FnMut(usize, usize, usize, usize)) {
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
                        f(tap, oy * s.ow + first, (c * s.h + y) * s.w + x, last - first);
                    }
                }
            }
        }
    }
}

/// How many images one product takes at most: their columns (taps × positions each) fill
/// about 1 MB of f32. One product over a few images, not one per image: per image, the second
/// layer of the MNIST network is a [64 × 800] · [800 × 64] product, too thin for the GEMM crate
/// to reach its rate, and its weight gradient sums 64 products of inner size 64. Measured on
/// the default MNIST network (`cargo bench --bench compare -- --only cnn --no-peers`, Zen 3):
/// 8 MB runs were slower than one image at a time (buffers out of cache, 4–18 %); 1 MB and
/// 2 MB both faster, 1 MB by a little more with two threads.
fn images_per_product(s: &Sizes) -> usize {
    ((1 << 18) / (s.taps() * s.positions()).max(1)).clamp(1, s.images.max(1))
}

/// The images `first..first + count` as columns of `cols` [taps, count × positions], image
/// `n`'s receptive fields in columns `(n − first) · positions ..`.
fn im2col<T: Float>(cols: &mut [T], x: &[T], s: &Sizes, g: Conv2dGeometry, first: usize, count: usize) {
    if g.padding != [0, 0] {
        cols.fill(T::zero());
    }
    let (row, step) = (count * s.positions(), g.stride[1]);
    for n in 0..count {
        let (image, offset) = (s.image(x, first + n), n * s.positions());
        g.each_run(s, |tap, at, from, len| {
            let at = tap * row + offset + at;
            match step {
                1 => cols[at..at + len].copy_from_slice(&image[from..from + len]),
                _ => cols[at..at + len].iter_mut().zip(image[from..].iter().step_by(step)).for_each(|(c, &p)| *c = p),
            }
        });
    }
}

/// im2col undone: each receptive field's column of `cols` [taps, count × positions] added back
/// into the pixels of image `first + n` of `gx` it came from.
fn col2im<T: Float>(gx: &mut [T], cols: &[T], s: &Sizes, g: Conv2dGeometry, first: usize, count: usize) {
    let (row, step, len_image) = (count * s.positions(), g.stride[1], s.c_in * s.h * s.w);
    for n in 0..count {
        let image = &mut gx[(first + n) * len_image..(first + n + 1) * len_image];
        let offset = n * s.positions();
        g.each_run(s, |tap, at, to, len| {
            let at = tap * row + offset + at;
            image[to..].iter_mut().step_by(step).zip(&cols[at..at + len]).for_each(|(p, &c)| *p += c)
        });
    }
}

/// ∂E/∂y of images `first..first + count` ([n, c_out, positions]) laid out as one matrix
/// [c_out, count × positions], as the products take it.
fn gather_grad<T: Float>(out: &mut [T], grad: &[T], s: &Sizes, first: usize, count: usize) {
    let p = s.positions();
    for n in 0..count {
        for c in 0..s.c_out {
            let from = ((first + n) * s.c_out + c) * p;
            out[c * count * p + n * p..][..p].copy_from_slice(&grad[from..from + p]);
        }
    }
}

/// Runs of at most [`images_per_product`] images, one product each: `f(first, count, cols,
/// by_channel)` with `cols` [taps, count × positions] and `by_channel` [c_out, count ×
/// positions] (an output or its gradient laid out channel by channel), both buffers reused
/// from run to run.
fn each_image_run<T: Float>(s: &Sizes, mut f: impl FnMut(usize, usize, &mut [T], &mut [T])) {
    let (chunk, p) = (images_per_product(s), s.positions());
    let mut cols = vec![T::zero(); s.taps() * chunk * p];
    let mut by_channel = vec![T::zero(); s.c_out * chunk * p];
    for first in (0..s.images).step_by(chunk) {
        let count = chunk.min(s.images - first);
        f(first, count, &mut cols[..s.taps() * count * p], &mut by_channel[..s.c_out * count * p]);
    }
}

/// A buffer of `rows` rows read as the matrix it is.
fn matrix<T: Float>(data: &[T], rows: usize) -> View<'_, T> {
    View::new(data, Shape::new(&[rows, data.len() / rows]))
}

/// The forward pass: `out` [n, c_out, oh, ow] = w ⋆ x + b, as W [c_out, taps] · im2col(x)
/// over as many images at once as [`images_per_product`] allows.
pub fn conv2d<T: Float>(
    out: &mut [T],
    x: View<'_, T>,
    w: View<'_, T>,
    b: View<'_, T>,
    g: Conv2dGeometry,
    threads: Threads,
) {
    let s = g.sizes(x.shape, w.shape);
    let p = s.positions();
    each_image_run(&s, |first, count, cols, y| {
        im2col(cols, x.data, &s, g, first, count);
        matmul(y, s.weights(w.data).mat(), matrix(cols, s.taps()).mat(), Write::Overwrite, threads);
        for n in 0..count {
            for (c, &bias) in b.data.iter().enumerate() {
                let to = &mut out[((first + n) * s.c_out + c) * p..][..p];
                to.iter_mut().zip(&y[c * count * p + n * p..][..p]).for_each(|(o, &v)| *o = v + bias);
            }
        }
    });
}

/// ∂E/∂x += col2im(Wᵀ · ∂E/∂y): each input pixel gathers the gradient of every output position
/// whose receptive field held it, times the kernel tap that saw it.
pub fn conv2d_grad_input<T: Float>(
    gx: &mut [T],
    grad: View<'_, T>,
    w: View<'_, T>,
    x_shape: Shape,
    g: Conv2dGeometry,
    threads: Threads,
) {
    let s = g.sizes(x_shape, w.shape);
    each_image_run(&s, |first, count, cols, dy| {
        gather_grad(dy, grad.data, &s, first, count);
        matmul(cols, s.weights(w.data).mat_t(), matrix(dy, s.c_out).mat(), Write::Overwrite, threads);
        col2im(gx, cols, &s, g, first, count);
    });
}

/// ∂E/∂W (+)= ∂E/∂y · im2col(x)ᵀ over every image: each kernel weight's gradient summed over
/// every position it touched in every image.
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
    each_image_run(&s, |first, count, cols, dy| {
        im2col(cols, x.data, &s, g, first, count);
        gather_grad(dy, grad.data, &s, first, count);
        let write = if first == 0 { write } else { Write::Accumulate };
        matmul(gw, matrix(dy, s.c_out).mat(), matrix(cols, s.taps()).mat_t(), write, threads);
    });
}

/// ∂E/∂b += Σ over images and positions of ∂E/∂y, per output channel.
pub fn conv2d_grad_bias<T: Float>(gb: &mut [T], grad: View<'_, T>) {
    let &[_, c_out, oh, ow] = grad.shape.dims() else { unreachable!("conv2d's output has rank 4") };
    for (k, plane) in grad.data.chunks_exact(oh * ow).enumerate() {
        gb[k % c_out] += plane.iter().copied().sum::<T>();
    }
}
