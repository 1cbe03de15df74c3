//! Numbers and shapes only: an owned row-major buffer plus a [`Shape`], borrowed [`View`]s of
//! one, the shape rules, the kernels over slices, the matrix product and the fused linear layer
//! built on it, the thread count, and (in `tuning`) every speed threshold. Nothing here knows about autograd: the
//! tape in [`crate::autograd`] runs these kernels on its own arena, and inference without a tape
//! runs them through [`Tensor`]'s methods.

mod conv;
pub mod kernels;
mod linear;
mod matmul;
mod norm;
mod pool;
mod shape;
pub mod shape_rules;
mod tanh32;
mod threads;
pub(crate) mod tuning;

pub use conv::{Conv2dGeometry, conv2d, conv2d_grad_bias, conv2d_grad_input, conv2d_grad_weight};
pub use linear::{linear, linear_grad_input, linear_grad_weight};
pub use matmul::{Mat, Write, matmul};
pub use norm::{BatchNormBackward, batch_norm, batch_norm_eval, batch_norm_shape, channel_moments};
pub use pool::Pool2d;
pub use shape::{MAX_RANK, Shape};
pub use shape_rules::matmul_shape;
pub use threads::{Threads, update_in_chunks};

use std::fmt;

/// The element types a tensor holds: `f32` for training, `f64` for gradient checks and the
/// lecture. One small trait over `num_traits::Float`, plus the activation functions, so the
/// forward kernels and the backward rules share one definition of each.
pub trait Float:
    num_traits::Float
    + num_traits::FromPrimitive
    + std::iter::Sum
    + std::ops::AddAssign
    + std::ops::SubAssign
    + std::ops::MulAssign
    + Default
    + fmt::Debug
    + fmt::Display
    + Send
    + Sync
    + serde::Serialize
    + serde::de::DeserializeOwned
    + 'static
{
    /// Name used in messages and file formats (`"f32"`, `"f64"`).
    const NAME: &'static str;

    /// Converts an `f64` constant (a learning rate, a scale) to this type.
    fn of(x: f64) -> Self;

    /// σ(x) = 1 / (1 + e^−x), written so that neither branch overflows.
    #[inline]
    fn sigmoid(self) -> Self {
        if self >= Self::zero() {
            Self::one() / (Self::one() + (-self).exp())
        } else {
            let e = self.exp();
            e / (Self::one() + e)
        }
    }

    /// tanh as the kernels compute it: std's for `f64`; for `f32`, [`tanh32::tanh`], which
    /// vectorises and stays within 1 ulp.
    fn tanh_kernel(self) -> Self;

    /// `out[i] = x[i].tanh_kernel()`: for `f32` on AVX2 when the CPU has it.
    fn tanh_into(out: &mut [Self], x: &[Self]);

    #[inline]
    fn relu(self) -> Self {
        if self > Self::zero() { self } else { Self::zero() }
    }

    /// Runs `f` on a scratch buffer of `len` elements (contents unspecified) owned by the
    /// calling thread and kept between calls, so a kernel that needs temporary space allocates
    /// once per thread instead of once per step. Not reentrant: `f` must not call it again.
    fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [Self]) -> R) -> R;

    /// This type's matrix-product kernel from the `gemm` family (`gemm-f32`, `gemm-f64`), the
    /// instruction set chosen on first use; `matmul` calls it.
    fn gemm_kernel() -> GemmKernel<Self>;
}

/// A `gemm`-family kernel: dst[m×n] = α·dst (if read) + β·lhs[m×k]·rhs[k×n], each matrix given
/// by a pointer and its column and row strides, then three conjugation flags (complex types
/// only) and the parallelism.
pub type GemmKernel<T> = unsafe fn(
    usize,
    usize,
    usize,
    *mut T,
    isize,
    isize,
    bool,
    *const T,
    isize,
    isize,
    *const T,
    isize,
    isize,
    T,
    T,
    bool,
    bool,
    bool,
    gemm_common::Parallelism,
);

/// `impl Float` for a primitive type, with its own per-thread scratch buffer.
macro_rules! impl_float {
    ($t:ty, $name:literal, $kernel:expr, $tanh:expr, $tanh_into:expr) => {
        impl Float for $t {
            const NAME: &'static str = $name;

            #[inline]
            fn tanh_kernel(self) -> $t {
                $tanh(self)
            }

            #[inline]
            fn tanh_into(out: &mut [$t], x: &[$t]) {
                $tanh_into(out, x)
            }

            #[inline]
            fn gemm_kernel() -> GemmKernel<$t> {
                $kernel
            }

            #[inline]
            fn of(x: f64) -> $t {
                x as $t
            }

            fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [$t]) -> R) -> R {
                thread_local! {
                    static SCRATCH: std::cell::RefCell<Vec<$t>> = const { std::cell::RefCell::new(Vec::new()) };
                }
                SCRATCH.with(|cell| {
                    let mut buf = cell.borrow_mut();
                    if buf.len() < len {
                        buf.resize(len, 0.0);
                    }
                    f(&mut buf[..len])
                })
            }
        }
    };
}

impl_float!(f32, "f32", gemm_f32::gemm::f32::get_gemm_fn(), tanh32::tanh, tanh32::tanh_into);
impl_float!(f64, "f64", gemm_f64::gemm::f64::get_gemm_fn(), f64::tanh, |out, x| kernels::map(out, x, f64::tanh));

/// A borrowed tensor: a shape and the row-major slice holding it.
#[derive(Clone, Copy)]
pub struct View<'a, T> {
    pub shape: Shape,
    pub data: &'a [T],
}

impl<'a, T: Float> View<'a, T> {
    #[inline]
    pub fn new(data: &'a [T], shape: Shape) -> View<'a, T> {
        debug_assert_eq!(data.len(), shape.numel());
        View { shape, data }
    }

    #[inline]
    pub fn data(&self) -> &'a [T] {
        self.data
    }

    #[inline]
    pub fn shape(&self) -> Shape {
        self.shape
    }

    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }

    /// The single value of a one-element view; panics naming the shape otherwise.
    pub fn item(&self) -> T {
        assert_eq!(self.data.len(), 1, "item() needs one element, the shape is {}", self.shape);
        self.data[0]
    }

    /// An owned copy.
    pub fn to_tensor(&self) -> Tensor<T> {
        Tensor::new(self.data.to_vec(), self.shape)
    }

    /// `self·Wᵀ + b` without a tape, reading `self` in place (a block of a larger batch).
    pub fn linear(&self, w: View<'_, T>, b: View<'_, T>, threads: Threads) -> Tensor<T> {
        let shape = shape_rules::linear_shape(self.shape, w.shape, b.shape);
        Tensor::build(shape, |out| linear(out, *self, w, b, threads))
    }
}

impl<T: fmt::Debug> fmt::Debug for View<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "View{} {:?}", self.shape, self.data)
    }
}

/// An n-dimensional, row-major, contiguous array: the value type of the engine.
#[derive(Clone, PartialEq)]
pub struct Tensor<T> {
    shape: Shape,
    data: Vec<T>,
}

impl<T: Float> Tensor<T> {
    /// A tensor from a buffer and a shape. Panics if the lengths disagree: that is a bug in the
    /// caller. Code reading user data checks the length first and returns an error.
    #[inline]
    pub fn new(data: Vec<T>, shape: impl Into<Shape>) -> Tensor<T> {
        let shape = shape.into();
        assert_eq!(data.len(), shape.numel(), "Tensor::new: {} values do not fill shape {shape}", data.len());
        Tensor { shape, data }
    }

    /// A tensor of `f64` values converted to `T` (handy for constants and tests).
    pub fn from_f64(data: &[f64], shape: impl Into<Shape>) -> Tensor<T> {
        Tensor::new(data.iter().map(|&x| T::of(x)).collect(), shape)
    }

    /// A rank-0 tensor holding one number.
    pub fn scalar(x: T) -> Tensor<T> {
        Tensor::new(vec![x], Shape::scalar())
    }

    pub fn full(shape: impl Into<Shape>, x: T) -> Tensor<T> {
        let shape = shape.into();
        Tensor::new(vec![x; shape.numel()], shape)
    }

    pub fn zeros(shape: impl Into<Shape>) -> Tensor<T> {
        Tensor::full(shape, T::zero())
    }

    pub fn ones(shape: impl Into<Shape>) -> Tensor<T> {
        Tensor::full(shape, T::one())
    }

    #[inline]
    pub fn shape(&self) -> Shape {
        self.shape
    }

    #[inline]
    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }

    #[inline]
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    #[inline]
    pub fn data(&self) -> &[T] {
        &self.data
    }

    #[inline]
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    pub fn into_data(self) -> Vec<T> {
        self.data
    }

    #[inline]
    pub fn view(&self) -> View<'_, T> {
        View { shape: self.shape, data: &self.data }
    }

    /// The single value of a one-element tensor; panics naming the shape otherwise.
    pub fn item(&self) -> T {
        self.view().item()
    }

    /// Element at a multi-index (row-major); panics naming the shape if out of range.
    pub fn at(&self, index: &[usize]) -> T {
        assert_eq!(index.len(), self.shape.rank(), "index {index:?} for shape {}", self.shape);
        let mut offset = 0;
        for (&i, &d) in index.iter().zip(self.dims()) {
            assert!(i < d, "index {index:?} is out of range for shape {}", self.shape);
            offset = offset * d + i;
        }
        self.data[offset]
    }

    /// The same values converted to another element type (f64 → f32 for training, and back).
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        let data = self.data.iter().map(|x| U::of(x.to_f64().expect("a float converts to f64"))).collect();
        Tensor::new(data, self.shape)
    }

    /// The same buffer under another shape with as many elements; panics otherwise.
    pub fn reshape(self, shape: impl Into<Shape>) -> Tensor<T> {
        let shape = shape.into();
        assert_eq!(
            shape.numel(),
            self.numel(),
            "reshape: shape {} cannot hold the {} values of shape {}",
            shape,
            self.numel(),
            self.shape
        );
        Tensor { shape, data: self.data }
    }

    /// `self ← self + alpha·other`, in place, same shapes (the heart of every update rule).
    pub fn add_scaled(&mut self, alpha: T, other: View<'_, T>) {
        assert_eq!(self.shape, other.shape, "add_scaled: shapes {} and {} differ", self.shape, other.shape);
        for (x, &g) in self.data.iter_mut().zip(other.data) {
            *x += alpha * g;
        }
    }

    /// Largest absolute difference to another tensor of the same shape.
    pub fn max_abs_diff(&self, other: &Tensor<T>) -> T {
        assert_eq!(self.shape, other.shape, "max_abs_diff: shapes {} and {} differ", self.shape, other.shape);
        self.data.iter().zip(&other.data).map(|(&a, &b)| (a - b).abs()).fold(T::zero(), T::max)
    }

    /// A new tensor of `shape` filled by `kernel` (the no-grad path's one allocation point).
    fn build(shape: Shape, kernel: impl FnOnce(&mut [T])) -> Tensor<T> {
        let mut data = vec![T::zero(); shape.numel()];
        kernel(&mut data);
        Tensor { shape, data }
    }

    fn zip_with(&self, op: &str, b: &Tensor<T>, f: impl Fn(T, T) -> T) -> Tensor<T> {
        let shape = shape_rules::broadcast_shape(op, self.shape, b.shape);
        Tensor::build(shape, |out| kernels::zip(out, self.view(), b.view(), f))
    }
}

/// The no-grad path: plain tensor maths for inference and for the optimisers, on the same
/// kernels the tape runs. Each is one line; the maths lives in [`kernels`].
impl<T: Float> Tensor<T> {
    pub fn add(&self, b: &Tensor<T>) -> Tensor<T> {
        self.zip_with("add", b, |x, y| x + y)
    }
    pub fn sub(&self, b: &Tensor<T>) -> Tensor<T> {
        self.zip_with("sub", b, |x, y| x - y)
    }
    pub fn mul(&self, b: &Tensor<T>) -> Tensor<T> {
        self.zip_with("mul", b, |x, y| x * y)
    }
    pub fn div(&self, b: &Tensor<T>) -> Tensor<T> {
        self.zip_with("div", b, |x, y| x / y)
    }
    pub fn map(&self, f: impl Fn(T) -> T) -> Tensor<T> {
        Tensor::build(self.shape, |out| kernels::map(out, &self.data, f))
    }
    pub fn sigmoid(&self) -> Tensor<T> {
        self.map(T::sigmoid)
    }
    pub fn tanh(&self) -> Tensor<T> {
        Tensor::build(self.shape, |out| T::tanh_into(out, &self.data))
    }
    pub fn relu(&self) -> Tensor<T> {
        self.map(T::relu)
    }
    pub fn exp(&self) -> Tensor<T> {
        self.map(T::exp)
    }
    /// Matrix product (2-D, or batched 3-D with equal batch sizes), one thread.
    pub fn matmul(&self, b: &Tensor<T>) -> Tensor<T> {
        self.matmul_opts(b, false, false, Threads::ONE)
    }
    /// `self · bᵀ` without copying `b` (a layer's `x·Wᵀ` with `W` stored [out, in]).
    pub fn matmul_t(&self, b: &Tensor<T>) -> Tensor<T> {
        self.matmul_opts(b, false, true, Threads::ONE)
    }
    /// A layer's affine map `self·Wᵀ + b` (self [rows, in], W [out, in], b [out]).
    pub fn linear(&self, w: &Tensor<T>, b: &Tensor<T>, threads: Threads) -> Tensor<T> {
        self.view().linear(w.view(), b.view(), threads)
    }
    /// `op(self)·op(b)`, where `op(x) = xᵀ` if its flag is set.
    pub fn matmul_opts(&self, b: &Tensor<T>, ta: bool, tb: bool, threads: Threads) -> Tensor<T> {
        let shape = matmul_shape(self.shape, ta, b.shape, tb);
        Tensor::build(shape, |out| {
            matmul(out, self.view().mat().t_if(ta), b.view().mat().t_if(tb), Write::Overwrite, threads)
        })
    }
    pub fn transpose(&self) -> Tensor<T> {
        let shape = shape_rules::transposed_shape(self.shape);
        Tensor::build(shape, |out| kernels::transpose(out, self.view(), false))
    }
    pub fn sum(&self) -> T {
        self.data.iter().copied().sum()
    }
    pub fn sum_axis(&self, axis: usize, keepdim: bool) -> Tensor<T> {
        let shape = shape_rules::reduced_shape(self.shape, axis, keepdim);
        Tensor::build(shape, |out| kernels::sum_axis(out, self.view(), axis))
    }
    /// Sums away broadcast dimensions so the result has `shape` (the inverse of broadcasting).
    pub fn sum_to(&self, shape: Shape) -> Tensor<T> {
        shape_rules::broadcast_shape("sum_to", shape, self.shape);
        Tensor::build(shape, |out| kernels::acc_zip(out, shape, self.view(), self.view(), |g, _| g))
    }
    pub fn softmax(&self, axis: usize) -> Tensor<T> {
        Tensor::build(self.shape, |out| kernels::softmax(out, self.view(), axis, false))
    }
    pub fn log_softmax(&self, axis: usize) -> Tensor<T> {
        Tensor::build(self.shape, |out| kernels::softmax(out, self.view(), axis, true))
    }
    /// Index of the largest value along `axis` (the first, on ties): a classifier's prediction.
    pub fn argmax(&self, axis: usize) -> Vec<usize> {
        kernels::lanes(self.shape, axis).map(|lane| lane.argmax(&self.data)).collect()
    }
}

impl<T: fmt::Debug> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor{} {:?}", self.shape, self.data)
    }
}
