//! Numbers and shapes only: an owned row-major buffer plus a [`Shape`], the forward kernels, and
//! the matrix product. Nothing here knows about autograd; the tape in [`crate::autograd`] calls
//! these kernels, and inference without a tape calls them directly through [`Tensor`]'s methods.

mod buffers;
pub mod kernels;
mod matmul;
mod shape;

pub use buffers::{Buffers, Fresh, Pool};
pub use matmul::{Threads, matmul_into};
pub use shape::{MAX_RANK, Shape};

use std::fmt;

/// The element types a tensor holds: `f32` for training, `f64` for gradient checks and the
/// lecture. One small trait over `num_traits::Float`, plus the activation functions so that the
/// forward kernels and the backward rules use one definition of each.
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
    + 'static
{
    /// Name used in messages and file formats (`"f32"`, `"f64"`).
    const NAME: &'static str;

    /// Converts an `f64` constant (a learning rate, a scale) to this type.
    fn of(x: f64) -> Self;

    /// σ(x) = 1 / (1 + e^−x), written so that neither branch overflows.
    fn sigmoid(self) -> Self {
        if self >= Self::zero() {
            Self::one() / (Self::one() + (-self).exp())
        } else {
            let e = self.exp();
            e / (Self::one() + e)
        }
    }

    fn relu(self) -> Self {
        if self > Self::zero() { self } else { Self::zero() }
    }
}

impl Float for f32 {
    const NAME: &'static str = "f32";
    fn of(x: f64) -> f32 {
        x as f32
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";
    fn of(x: f64) -> f64 {
        x
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
        assert_eq!(
            data.len(),
            shape.numel(),
            "Tensor::new: {} values do not fill shape {shape}",
            data.len()
        );
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

    #[inline]
    pub fn into_data(self) -> Vec<T> {
        self.data
    }

    /// The single value of a one-element tensor; panics naming the shape otherwise.
    #[inline]
    pub fn item(&self) -> T {
        assert_eq!(self.numel(), 1, "item() needs one element, the shape is {}", self.shape);
        self.data[0]
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
        let data = self
            .data
            .iter()
            .map(|x| U::of(x.to_f64().expect("finite float converts to f64")))
            .collect();
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
    pub fn add_scaled(&mut self, alpha: T, other: &Tensor<T>) {
        assert_eq!(
            self.shape, other.shape,
            "add_scaled: shapes {} and {} differ",
            self.shape, other.shape
        );
        for (x, &g) in self.data.iter_mut().zip(&other.data) {
            *x += alpha * g;
        }
    }

    /// Largest absolute difference to another tensor of the same shape.
    pub fn max_abs_diff(&self, other: &Tensor<T>) -> T {
        assert_eq!(self.shape, other.shape, "max_abs_diff: shapes {} and {} differ", self.shape, other.shape);
        self.data
            .iter()
            .zip(&other.data)
            .map(|(&a, &b)| (a - b).abs())
            .fold(T::zero(), T::max)
    }
}

/// The no-grad path: plain tensor maths for inference and for the optimisers, built on the same
/// kernels the tape calls. Each is one line; the maths lives in [`kernels`].
impl<T: Float> Tensor<T> {
    pub fn add(&self, b: &Tensor<T>) -> Tensor<T> {
        kernels::zip(&mut Fresh, "add", self, b, |x, y| x + y)
    }
    pub fn sub(&self, b: &Tensor<T>) -> Tensor<T> {
        kernels::zip(&mut Fresh, "sub", self, b, |x, y| x - y)
    }
    pub fn mul(&self, b: &Tensor<T>) -> Tensor<T> {
        kernels::zip(&mut Fresh, "mul", self, b, |x, y| x * y)
    }
    pub fn div(&self, b: &Tensor<T>) -> Tensor<T> {
        kernels::zip(&mut Fresh, "div", self, b, |x, y| x / y)
    }
    pub fn map(&self, f: impl Fn(T) -> T) -> Tensor<T> {
        kernels::map(&mut Fresh, self, f)
    }
    pub fn sigmoid(&self) -> Tensor<T> {
        self.map(T::sigmoid)
    }
    pub fn tanh(&self) -> Tensor<T> {
        self.map(T::tanh)
    }
    pub fn relu(&self) -> Tensor<T> {
        self.map(T::relu)
    }
    pub fn exp(&self) -> Tensor<T> {
        self.map(T::exp)
    }
    /// Matrix product (2-D, or batched 3-D with equal batch sizes), one thread.
    pub fn matmul(&self, b: &Tensor<T>) -> Tensor<T> {
        matmul_into(&mut Fresh, self, false, b, false, Threads::ONE)
    }
    /// `self · bᵀ` without copying `b` (a layer's `x·Wᵀ` with `W` stored [out, in]).
    pub fn matmul_t(&self, b: &Tensor<T>) -> Tensor<T> {
        matmul_into(&mut Fresh, self, false, b, true, Threads::ONE)
    }
    pub fn transpose(&self) -> Tensor<T> {
        kernels::transpose(&mut Fresh, self)
    }
    pub fn sum(&self) -> T {
        self.data.iter().copied().sum()
    }
    pub fn sum_axis(&self, axis: usize, keepdim: bool) -> Tensor<T> {
        kernels::sum_axis(&mut Fresh, self, axis, keepdim)
    }
    /// Sums away broadcast dimensions so the result has `shape` (the inverse of broadcasting).
    pub fn sum_to(&self, shape: Shape) -> Tensor<T> {
        kernels::sum_to(&mut Fresh, self, shape)
    }
    pub fn softmax(&self, axis: usize) -> Tensor<T> {
        kernels::softmax(&mut Fresh, self, axis, false)
    }
    pub fn log_softmax(&self, axis: usize) -> Tensor<T> {
        kernels::softmax(&mut Fresh, self, axis, true)
    }
    /// Index of the largest value along `axis` (the first, on ties): a classifier's prediction.
    pub fn argmax(&self, axis: usize) -> Vec<usize> {
        kernels::max_axis(&mut Fresh, self, axis, false).1
    }
}

impl<T: fmt::Debug> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor{} {:?}", self.shape, self.data)
    }
}
