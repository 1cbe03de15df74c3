//! `Var`, the handle model code computes with: every method records one op of the table in
//! [`super::ops`] on the var's tape (`(x.matmul_t(w) + b).sigmoid()`), and the arithmetic
//! operators do the same.

use super::ops::{NodeId, Op};
use super::tape::Tape;
use crate::tensor::{Float, Shape, Tensor};

/// A handle to a node of a tape: cheap to copy, and the thing model code computes with:
/// `(x.matmul_t(w) + b).sigmoid()`.
#[derive(Clone, Copy)]
pub struct Var<'t, T: Float> {
    pub(super) tape: &'t Tape<T>,
    pub(super) id: NodeId,
}

impl<T: Float> std::fmt::Debug for Var<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Var({}: {} {})", self.id, self.tape.op(self.id).name(), self.shape())
    }
}

/// Unary ops that take no parameters: `fn name(self) -> Var`.
macro_rules! unary_ops {
    ($($(#[$doc:meta])* $name:ident => $op:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(self) -> Var<'t, T> {
            self.tape.apply(Op::$op(self.id))
        }
    )*};
}

impl<'t, T: Float> Var<'t, T> {
    pub fn id(self) -> NodeId {
        self.id
    }

    pub fn tape(self) -> &'t Tape<T> {
        self.tape
    }

    /// A copy of the forward value.
    pub fn value(self) -> Tensor<T> {
        self.tape.value(self.id)
    }

    pub fn shape(self) -> Shape {
        self.tape.shape(self.id)
    }

    /// The single value of a one-element node (a loss).
    pub fn item(self) -> T {
        self.tape.with_value(self.id, |v| v.item())
    }

    fn check_same_tape(self, other: Var<'_, T>, op: &str) -> NodeId {
        assert!(std::ptr::eq(self.tape, other.tape), "{op}: operands are on different tapes");
        other.id
    }

    fn binary(self, other: Var<'_, T>, op: fn(NodeId, NodeId) -> Op, name: &str) -> Var<'t, T> {
        let b = self.check_same_tape(other, name);
        self.tape.apply(op(self.id, b))
    }

    unary_ops! {
        exp => Exp;
        /// Natural logarithm.
        log => Log;
        sqrt => Sqrt;
        sin => Sin;
        cos => Cos;
        tan => Tan;
        /// |x|.
        abs => Abs;
        sigmoid => Sigmoid;
        tanh => Tanh;
        relu => Relu;
        /// Swaps the last two axes.
        t => Transpose;
        /// Σ of all elements.
        sum => Sum;
        /// Mean of all elements.
        mean => Mean;
    }

    pub fn powf(self, p: f64) -> Var<'t, T> {
        self.tape.apply(Op::PowF(self.id, p))
    }

    pub fn square(self) -> Var<'t, T> {
        self.powf(2.0)
    }

    pub fn leaky_relu(self, slope: f64) -> Var<'t, T> {
        self.tape.apply(Op::LeakyRelu(self.id, slope))
    }

    /// Matrix product `self·b`.
    pub fn matmul(self, b: Var<'_, T>) -> Var<'t, T> {
        self.matmul_opts(b, false, false)
    }

    /// `self·bᵀ` with `b` read in place: a layer's `x·Wᵀ` with `W` stored [out, in].
    pub fn matmul_t(self, b: Var<'_, T>) -> Var<'t, T> {
        self.matmul_opts(b, false, true)
    }

    /// `op(self)·op(b)` where `op(x) = xᵀ` if its flag is set.
    pub fn matmul_opts(self, b: Var<'_, T>, trans_a: bool, trans_b: bool) -> Var<'t, T> {
        let b = self.check_same_tape(b, "matmul");
        self.tape.apply(Op::MatMul { a: self.id, b, trans_a, trans_b })
    }

    /// A layer's affine map `self·Wᵀ + b` as one fused op: self [rows, in], W [out, in] (as
    /// PyTorch's `nn.Linear` stores it), b [out].
    pub fn linear(self, w: Var<'_, T>, b: Var<'_, T>) -> Var<'t, T> {
        let (w, b) = (self.check_same_tape(w, "linear"), self.check_same_tape(b, "linear"));
        self.tape.apply(Op::Linear { x: self.id, w, b })
    }

    /// 2-D convolution, as PyTorch's `conv2d`: self [n, c_in, h, w], `w` [c_out, c_in, kh, kw],
    /// `b` [c_out] → [n, c_out, oh, ow].
    pub fn conv2d(self, w: Var<'_, T>, b: Var<'_, T>, geometry: crate::tensor::Conv2dGeometry) -> Var<'t, T> {
        let (w, b) = (self.check_same_tape(w, "conv2d"), self.check_same_tape(b, "conv2d"));
        self.tape.apply(Op::Conv2d { x: self.id, w, b, geometry })
    }

    /// The maximum of each window (PyTorch's `max_pool2d`): self [n, c, h, w].
    pub fn max_pool2d(self, window: crate::tensor::Pool2d) -> Var<'t, T> {
        self.tape.apply(Op::MaxPool2d { a: self.id, window })
    }

    /// The mean of each window, padding counted (PyTorch's `avg_pool2d`): self [n, c, h, w].
    pub fn avg_pool2d(self, window: crate::tensor::Pool2d) -> Var<'t, T> {
        self.tape.apply(Op::AvgPool2d { a: self.id, window })
    }

    /// Batch normalisation in training mode: self [n, c, h, w] normalised per channel by the
    /// batch's mean and biased variance, then `gamma`·x̂ + `beta` (each [c]).
    pub fn batch_norm2d(self, gamma: Var<'_, T>, beta: Var<'_, T>, eps: f64) -> Var<'t, T> {
        let (gamma, beta) = (self.check_same_tape(gamma, "batch_norm2d"), self.check_same_tape(beta, "batch_norm2d"));
        self.tape.apply(Op::BatchNorm2d { x: self.id, gamma, beta, eps })
    }

    pub fn reshape(self, shape: impl Into<Shape>) -> Var<'t, T> {
        self.tape.apply(Op::Reshape(self.id, shape.into()))
    }

    pub fn sum_axis(self, axis: usize, keepdim: bool) -> Var<'t, T> {
        self.tape.apply(Op::SumAxis { a: self.id, axis, keepdim })
    }

    pub fn mean_axis(self, axis: usize, keepdim: bool) -> Var<'t, T> {
        self.tape.apply(Op::MeanAxis { a: self.id, axis, keepdim })
    }

    pub fn max_axis(self, axis: usize, keepdim: bool) -> Var<'t, T> {
        self.tape.apply(Op::MaxAxis { a: self.id, axis, keepdim })
    }

    pub fn softmax(self, axis: usize) -> Var<'t, T> {
        self.tape.apply(Op::Softmax { a: self.id, axis })
    }

    pub fn log_softmax(self, axis: usize) -> Var<'t, T> {
        self.tape.apply(Op::LogSoftmax { a: self.id, axis })
    }

    /// `out[i] = self[i, classes[i]]` for `self` of shape [rows, classes].
    pub fn gather(self, classes: &[usize]) -> Var<'t, T> {
        self.tape.apply(Op::Gather { a: self.id, classes: classes.to_vec() })
    }

    /// Mean binary cross-entropy of these logits against `targets` in [0, 1] (fused, stable).
    pub fn bce_with_logits(self, targets: Var<'_, T>) -> Var<'t, T> {
        let t = self.check_same_tape(targets, "bce_with_logits");
        self.tape.apply(Op::BceWithLogits { z: self.id, t })
    }

    /// ½·Σ (t − self)² against `targets` of the same shape (fused): the lecture's E.
    pub fn half_sse(self, targets: Var<'_, T>) -> Var<'t, T> {
        let t = self.check_same_tape(targets, "half_sse");
        self.tape.apply(Op::HalfSse { y: self.id, t })
    }

    /// Mean cross-entropy of these logits [rows, classes] against class indices (fused, stable).
    pub fn cross_entropy(self, classes: &[usize]) -> Var<'t, T> {
        self.tape.apply(Op::CrossEntropy { logits: self.id, classes: classes.to_vec() })
    }
}

/// `a ⊕ b` for two vars, and `a ⊕ c` / `c ⊕ a` with an `f64` constant.
macro_rules! binary_operators {
    ($($trait:ident $method:ident => $op:ident;)*) => {$(
        impl<'t, T: Float> std::ops::$trait<Var<'t, T>> for Var<'t, T> {
            type Output = Var<'t, T>;
            fn $method(self, b: Var<'t, T>) -> Var<'t, T> {
                self.binary(b, Op::$op, stringify!($method))
            }
        }
    )*};
}

binary_operators! {
    Add add => Add;
    Sub sub => Sub;
    Mul mul => Mul;
    Div div => Div;
}

impl<'t, T: Float> std::ops::Neg for Var<'t, T> {
    type Output = Var<'t, T>;
    fn neg(self) -> Var<'t, T> {
        self.tape.apply(Op::Neg(self.id))
    }
}

impl<'t, T: Float> std::ops::Add<f64> for Var<'t, T> {
    type Output = Var<'t, T>;
    fn add(self, c: f64) -> Var<'t, T> {
        self.tape.apply(Op::AddScalar(self.id, c))
    }
}

impl<'t, T: Float> std::ops::Sub<f64> for Var<'t, T> {
    type Output = Var<'t, T>;
    fn sub(self, c: f64) -> Var<'t, T> {
        self.tape.apply(Op::AddScalar(self.id, -c))
    }
}

impl<'t, T: Float> std::ops::Mul<f64> for Var<'t, T> {
    type Output = Var<'t, T>;
    fn mul(self, c: f64) -> Var<'t, T> {
        self.tape.apply(Op::MulScalar(self.id, c))
    }
}

impl<'t, T: Float> std::ops::Mul<Var<'t, T>> for f64 {
    type Output = Var<'t, T>;
    fn mul(self, v: Var<'t, T>) -> Var<'t, T> {
        v * self
    }
}

impl<'t, T: Float> std::ops::Div<f64> for Var<'t, T> {
    type Output = Var<'t, T>;
    fn div(self, c: f64) -> Var<'t, T> {
        self.tape.apply(Op::MulScalar(self.id, 1.0 / c))
    }
}
