//! THE table: every operation the tape records, what it computes, and its backward rule.
//!
//! Ops are data (an enum of inputs and parameters), so a tape can be inspected, printed and
//! replayed. Each op's derivative is written once, in [`backward`], as the lecture writes it:
//! the gradient flowing into an input is the upstream gradient `grad` (∂E/∂out) times the op's
//! local derivative (∂out/∂input). Both matches are exhaustive with no catch-all arm, so a new op
//! does not compile until it has a forward and a backward rule, and the gradient-check test fails
//! until it has a check.
//!
//! Vocabulary in every rule: `grad` is ∂E/∂out, `out` is the op's forward result, `x(a)` is the
//! forward value of input `a`. Rules return input gradients; only the tape accumulates them.
//! Where an op broadcasts, its rule sums the gradient back to the input's shape (`sum_to`).

use strum::EnumDiscriminants;

use super::params::ParamId;
use crate::tensor::{Buffers, Float, Pool, Shape, Tensor, Threads, kernels as k, matmul_into};

/// Index of a node on its tape (nodes are numbered in creation order).
pub type NodeId = usize;

/// One recorded operation: what it is, which nodes it reads, and its constant parameters.
#[derive(Clone, Debug, PartialEq, EnumDiscriminants)]
#[strum_discriminants(name(OpKind), derive(strum::EnumIter, strum::IntoStaticStr, Hash, PartialOrd, Ord))]
pub enum Op {
    /// A value fed in from outside (data, targets, or a variable of a gradient check): a leaf.
    Input,
    /// A weight read from a [`super::ParamStore`]: a leaf whose gradient an optimiser wants.
    Param(ParamId),
    Add(NodeId, NodeId),
    Sub(NodeId, NodeId),
    Mul(NodeId, NodeId),
    Div(NodeId, NodeId),
    Neg(NodeId),
    AddScalar(NodeId, f64),
    MulScalar(NodeId, f64),
    /// `op(a)·op(b)`, where `op(x) = xᵀ` if its flag is set (read in place, never copied).
    MatMul { a: NodeId, b: NodeId, trans_a: bool, trans_b: bool },
    /// Swaps the last two axes.
    Transpose(NodeId),
    Reshape(NodeId, Shape),
    /// Σ of all elements (a scalar).
    Sum(NodeId),
    /// Mean of all elements (a scalar).
    Mean(NodeId),
    SumAxis { a: NodeId, axis: usize, keepdim: bool },
    MeanAxis { a: NodeId, axis: usize, keepdim: bool },
    MaxAxis { a: NodeId, axis: usize, keepdim: bool },
    Exp(NodeId),
    /// Natural logarithm.
    Log(NodeId),
    PowF(NodeId, f64),
    Sqrt(NodeId),
    Sigmoid(NodeId),
    Tanh(NodeId),
    Relu(NodeId),
    /// `a` where positive, `slope·a` elsewhere.
    LeakyRelu(NodeId, f64),
    Softmax { a: NodeId, axis: usize },
    LogSoftmax { a: NodeId, axis: usize },
    /// `out[i] = a[i, classes[i]]` for `a` of shape [rows, classes].
    Gather { a: NodeId, classes: Vec<usize> },
    /// Fused log-softmax + negative log-likelihood, mean over rows: the classifier's loss.
    CrossEntropy { logits: NodeId, classes: Vec<usize> },
}

impl Op {
    /// The nodes this op reads (none for leaves).
    pub fn inputs(&self) -> Inputs {
        use Op::*;
        match *self {
            Input | Param(_) => Inputs::of(&[]),
            Add(a, b) | Sub(a, b) | Mul(a, b) | Div(a, b) | MatMul { a, b, .. } => Inputs::of(&[a, b]),
            Neg(a) | AddScalar(a, _) | MulScalar(a, _) | Transpose(a) | Reshape(a, _) | Sum(a)
            | Mean(a) | SumAxis { a, .. } | MeanAxis { a, .. } | MaxAxis { a, .. } | Exp(a)
            | Log(a) | PowF(a, _) | Sqrt(a) | Sigmoid(a) | Tanh(a) | Relu(a) | LeakyRelu(a, _)
            | Softmax { a, .. } | LogSoftmax { a, .. } | Gather { a, .. } => Inputs::of(&[a]),
            CrossEntropy { logits, .. } => Inputs::of(&[logits]),
        }
    }

    pub fn kind(&self) -> OpKind {
        OpKind::from(self)
    }

    /// The op's name, as printed in graphs and errors (`"MatMul"`).
    pub fn name(&self) -> &'static str {
        self.kind().into()
    }
}

/// The inputs of one op: at most two, kept inline (recording an op allocates nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inputs {
    ids: [NodeId; 2],
    len: usize,
}

impl Inputs {
    fn of(ids: &[NodeId]) -> Inputs {
        let mut inline = [0; 2];
        inline[..ids.len()].copy_from_slice(ids);
        Inputs { ids: inline, len: ids.len() }
    }
}

impl std::ops::Deref for Inputs {
    type Target = [NodeId];
    fn deref(&self) -> &[NodeId] {
        &self.ids[..self.len]
    }
}

/// Computes an op's forward value from its inputs' values (`x(id)`), into a pooled buffer.
pub(crate) fn forward<'v, T: Float>(
    op: &Op,
    x: impl Fn(NodeId) -> &'v Tensor<T>,
    pool: &mut Pool<T>,
    threads: Threads,
) -> Tensor<T> {
    let p = pool;
    match *op {
        Op::Input | Op::Param(_) => panic!("{}: a leaf gets its value from outside", op.name()),
        Op::Add(a, b) => k::zip(p, "add", x(a), x(b), |a, b| a + b),
        Op::Sub(a, b) => k::zip(p, "sub", x(a), x(b), |a, b| a - b),
        Op::Mul(a, b) => k::zip(p, "mul", x(a), x(b), |a, b| a * b),
        Op::Div(a, b) => k::zip(p, "div", x(a), x(b), |a, b| a / b),
        Op::Neg(a) => k::map(p, x(a), |a| -a),
        Op::AddScalar(a, c) => k::map(p, x(a), |a| a + T::of(c)),
        Op::MulScalar(a, c) => k::map(p, x(a), |a| a * T::of(c)),
        Op::MatMul { a, b, trans_a, trans_b } => matmul_into(p, x(a), trans_a, x(b), trans_b, threads),
        Op::Transpose(a) => k::transpose(p, x(a)),
        Op::Reshape(a, shape) => {
            assert_eq!(
                shape.numel(),
                x(a).numel(),
                "reshape: shape {shape} cannot hold the {} values of shape {}",
                x(a).numel(),
                x(a).shape()
            );
            k::map(p, x(a), |a| a).reshape(shape)
        }
        Op::Sum(a) => k::sum_to(p, x(a), Shape::scalar()),
        Op::Mean(a) => {
            let n = T::of(x(a).numel() as f64);
            let mut s = k::sum_to(p, x(a), Shape::scalar());
            s.data_mut()[0] = s.data()[0] / n;
            s
        }
        Op::SumAxis { a, axis, keepdim } => k::sum_axis(p, x(a), axis, keepdim),
        Op::MeanAxis { a, axis, keepdim } => {
            let n = T::of(x(a).shape().dim(axis) as f64);
            let mut s = k::sum_axis(p, x(a), axis, keepdim);
            s.data_mut().iter_mut().for_each(|v| *v = *v / n);
            s
        }
        Op::MaxAxis { a, axis, keepdim } => k::max_axis(p, x(a), axis, keepdim).0,
        Op::Exp(a) => k::map(p, x(a), T::exp),
        Op::Log(a) => k::map(p, x(a), T::ln),
        Op::PowF(a, e) if e == 2.0 => k::map(p, x(a), |a| a * a),
        Op::PowF(a, e) => k::map(p, x(a), |a| a.powf(T::of(e))),
        Op::Sqrt(a) => k::map(p, x(a), T::sqrt),
        Op::Sigmoid(a) => k::map(p, x(a), T::sigmoid),
        Op::Tanh(a) => k::map(p, x(a), T::tanh),
        Op::Relu(a) => k::map(p, x(a), T::relu),
        Op::LeakyRelu(a, s) => k::map(p, x(a), |a| if a > T::zero() { a } else { T::of(s) * a }),
        Op::Softmax { a, axis } => k::softmax(p, x(a), axis, false),
        Op::LogSoftmax { a, axis } => k::softmax(p, x(a), axis, true),
        Op::Gather { a, ref classes } => k::gather(p, x(a), classes),
        Op::CrossEntropy { logits, ref classes } => k::cross_entropy(p, x(logits), classes),
    }
}

/// What one rule hands back: up to two (input, ∂E/∂input) pairs.
pub(crate) type InputGrads<T> = [Option<(NodeId, Tensor<T>)>; 2];

/// The kernels a rule computes with, drawing buffers from the tape's pool, plus which inputs
/// want a gradient at all (a rule skips the work for the others, e.g. ∂E/∂data).
pub(crate) struct Rule<'a, T> {
    pub pool: &'a mut Pool<T>,
    pub threads: Threads,
    pub wants: &'a dyn Fn(NodeId) -> bool,
}

impl<T: Float> Rule<'_, T> {
    /// `Some((id, f()))` if node `id` wants a gradient, else `None` without running `f`.
    fn to(&mut self, id: NodeId, f: impl FnOnce(&mut Self) -> Tensor<T>) -> Option<(NodeId, Tensor<T>)> {
        if (self.wants)(id) { Some((id, f(self))) } else { None }
    }
    fn map(&mut self, a: &Tensor<T>, f: impl Fn(T) -> T) -> Tensor<T> {
        k::map(self.pool, a, f)
    }
    fn map2(&mut self, a: &Tensor<T>, b: &Tensor<T>, f: impl Fn(T, T) -> T) -> Tensor<T> {
        k::map2(self.pool, "backward", a, b, f)
    }
    /// `f(a, b)` with broadcasting, summed back to `shape` (the input's shape).
    fn zip_to(&mut self, shape: Shape, a: &Tensor<T>, b: &Tensor<T>, f: impl Fn(T, T) -> T) -> Tensor<T> {
        let full = k::zip(self.pool, "backward", a, b, f);
        self.sum_to(full, shape)
    }
    /// Sums a gradient back to `shape`, recycling it if it had to be reduced.
    fn sum_to(&mut self, g: Tensor<T>, shape: Shape) -> Tensor<T> {
        if g.shape() == shape {
            return g;
        }
        let reduced = k::sum_to(self.pool, &g, shape);
        self.pool.give(g.into_data());
        reduced
    }
    fn copy(&mut self, a: &Tensor<T>) -> Tensor<T> {
        k::map(self.pool, a, |a| a)
    }
    fn full(&mut self, shape: Shape, v: T) -> Tensor<T> {
        let mut buf = self.pool.take(shape.numel());
        buf.fill(v);
        Tensor::new(buf, shape)
    }
    fn matmul(&mut self, a: &Tensor<T>, ta: bool, b: &Tensor<T>, tb: bool) -> Tensor<T> {
        matmul_into(self.pool, a, ta, b, tb, self.threads)
    }
    fn recycle(&mut self, t: Tensor<T>) {
        self.pool.give(t.into_data());
    }
}

fn one<T>(g: Option<(NodeId, Tensor<T>)>) -> InputGrads<T> {
    [g, None]
}

/// The backward rules. `grad` = ∂E/∂out for this node, `out` its forward value, `x(id)` the
/// forward value of an input. Returns ∂E/∂input for each input that wants it.
pub(crate) fn backward<'v, T: Float>(
    op: &Op,
    out: &Tensor<T>,
    grad: &Tensor<T>,
    x: impl Fn(NodeId) -> &'v Tensor<T>,
    r: &mut Rule<'_, T>,
) -> InputGrads<T> {
    let (zero, one_) = (T::zero(), T::one());
    match *op {
        // Leaves: the chain ends here.
        Op::Input | Op::Param(_) => [None, None],

        // y = a + b                ∂a = grad              ∂b = grad
        Op::Add(a, b) => [
            r.to(a, |r| r.zip_to(x(a).shape(), grad, x(b), |g, _| g)),
            r.to(b, |r| r.zip_to(x(b).shape(), grad, x(a), |g, _| g)),
        ],
        // y = a − b                ∂a = grad              ∂b = −grad
        Op::Sub(a, b) => [
            r.to(a, |r| r.zip_to(x(a).shape(), grad, x(b), |g, _| g)),
            r.to(b, |r| r.zip_to(x(b).shape(), grad, x(a), |g, _| -g)),
        ],
        // y = a·b                  ∂a = grad·b            ∂b = grad·a
        Op::Mul(a, b) => [
            r.to(a, |r| r.zip_to(x(a).shape(), grad, x(b), |g, b| g * b)),
            r.to(b, |r| r.zip_to(x(b).shape(), grad, x(a), |g, a| g * a)),
        ],
        // y = a / b                ∂a = grad / b          ∂b = −grad·a / b² = −grad·y / b
        Op::Div(a, b) => [
            r.to(a, |r| r.zip_to(x(a).shape(), grad, x(b), |g, b| g / b)),
            r.to(b, |r| {
                let g_y = r.map2(grad, out, |g, y| g * y);
                let gb = r.zip_to(x(b).shape(), &g_y, x(b), |gy, b| -gy / b);
                r.recycle(g_y);
                gb
            }),
        ],
        // y = −a                   ∂a = −grad
        Op::Neg(a) => one(r.to(a, |r| r.map(grad, |g| -g))),
        // y = a + c                ∂a = grad
        Op::AddScalar(a, _) => one(r.to(a, |r| r.copy(grad))),
        // y = c·a                  ∂a = c·grad
        Op::MulScalar(a, c) => one(r.to(a, |r| r.map(grad, |g| T::of(c) * g))),

        // y = op(a)·op(b)          ∂op(a) = grad·op(b)ᵀ   ∂op(b) = op(a)ᵀ·grad
        // (if a is read transposed, ∂a = (grad·op(b)ᵀ)ᵀ = op(b)·gradᵀ; likewise for b)
        Op::MatMul { a, b, trans_a, trans_b } => [
            r.to(a, |r| match trans_a {
                false => r.matmul(grad, false, x(b), !trans_b),
                true => r.matmul(x(b), trans_b, grad, true),
            }),
            r.to(b, |r| match trans_b {
                false => r.matmul(x(a), !trans_a, grad, false),
                true => r.matmul(grad, true, x(a), trans_a),
            }),
        ],
        // y = aᵀ                   ∂a = gradᵀ
        Op::Transpose(a) => one(r.to(a, |r| k::transpose(r.pool, grad))),
        // y = a viewed as shape s  ∂a = grad viewed as a's shape
        Op::Reshape(a, _) => one(r.to(a, |r| r.copy(grad).reshape(x(a).shape()))),

        // y = Σ a                  ∂a = grad (for every element)
        Op::Sum(a) => one(r.to(a, |r| r.full(x(a).shape(), grad.item()))),
        // y = Σ a / n              ∂a = grad / n
        Op::Mean(a) => one(r.to(a, |r| {
            let n = T::of(x(a).numel() as f64);
            r.full(x(a).shape(), grad.item() / n)
        })),
        // y = Σ_axis a             ∂a = grad, copied along the axis
        Op::SumAxis { a, axis, .. } => one(r.to(a, |r| k::expand_axis(r.pool, grad, x(a).shape(), axis))),
        // y = Σ_axis a / n         ∂a = grad / n, copied along the axis
        Op::MeanAxis { a, axis, .. } => one(r.to(a, |r| {
            let n = T::of(x(a).shape().dim(axis) as f64);
            let mut g = k::expand_axis(r.pool, grad, x(a).shape(), axis);
            g.data_mut().iter_mut().for_each(|v| *v = *v / n);
            g
        })),
        // y = max_axis a           ∂a = grad where a is the (first) maximum, 0 elsewhere
        Op::MaxAxis { a, axis, .. } => one(r.to(a, |r| {
            let (max, at) = k::max_axis(r.pool, x(a), axis, true);
            r.recycle(max);
            let (outer, len, inner) = x(a).shape().split_at_axis(axis);
            let mut g = r.full(x(a).shape(), zero);
            for o in 0..outer {
                for n in 0..inner {
                    g.data_mut()[(o * len + at[o * inner + n]) * inner + n] = grad.data()[o * inner + n];
                }
            }
            g
        })),

        // y = eᵃ                   ∂a = grad·y
        Op::Exp(a) => one(r.to(a, |r| r.map2(grad, out, |g, y| g * y))),
        // y = ln a                 ∂a = grad / a
        Op::Log(a) => one(r.to(a, |r| r.map2(grad, x(a), |g, a| g / a))),
        // y = aᵖ                   ∂a = grad·p·aᵖ⁻¹
        Op::PowF(a, p) => one(r.to(a, |r| {
            let p = T::of(p);
            r.map2(grad, x(a), |g, a| g * p * a.powf(p - one_))
        })),
        // y = √a                   ∂a = grad / (2·y)
        Op::Sqrt(a) => one(r.to(a, |r| r.map2(grad, out, |g, y| g / (y + y)))),
        // y = σ(a)                 ∂a = grad·y·(1 − y)
        Op::Sigmoid(a) => one(r.to(a, |r| r.map2(grad, out, |g, y| g * y * (one_ - y)))),
        // y = tanh a               ∂a = grad·(1 − y²)
        Op::Tanh(a) => one(r.to(a, |r| r.map2(grad, out, |g, y| g * (one_ - y * y)))),
        // y = max(a, 0)            ∂a = grad·[a > 0]
        Op::Relu(a) => one(r.to(a, |r| r.map2(grad, x(a), |g, a| if a > zero { g } else { zero }))),
        // y = a or s·a             ∂a = grad·(1 if a > 0 else s)
        Op::LeakyRelu(a, s) => one(r.to(a, |r| {
            r.map2(grad, x(a), |g, a| if a > zero { g } else { T::of(s) * g })
        })),

        // y = softmax(a)           ∂a = y·(grad − Σ_axis grad·y)
        Op::Softmax { a, axis } => one(r.to(a, |r| {
            let g_y = r.map2(grad, out, |g, y| g * y);
            let s = k::sum_axis(r.pool, &g_y, axis, true);
            let centred = k::zip(r.pool, "softmax backward", grad, &s, |g, s| g - s);
            let ga = r.map2(&centred, out, |c, y| c * y);
            [g_y, s, centred].into_iter().for_each(|t| r.recycle(t));
            ga
        })),
        // y = log softmax(a)       ∂a = grad − softmax(a)·Σ_axis grad = grad − eʸ·Σ_axis grad
        Op::LogSoftmax { a, axis } => one(r.to(a, |r| {
            let s = k::sum_axis(r.pool, grad, axis, true);
            let e_y_s = k::zip(r.pool, "log_softmax backward", out, &s, |y, s| y.exp() * s);
            let ga = r.map2(grad, &e_y_s, |g, es| g - es);
            [s, e_y_s].into_iter().for_each(|t| r.recycle(t));
            ga
        })),

        // y[i] = a[i, tᵢ]          ∂a[i, tᵢ] = grad[i], 0 elsewhere
        Op::Gather { a, ref classes } => one(r.to(a, |r| k::scatter(r.pool, grad, x(a).shape(), classes))),
        // y = −(1/N)·Σᵢ log softmax(xᵢ)[tᵢ]      ∂x = grad·(softmax(x) − onehot(t)) / N
        Op::CrossEntropy { logits, ref classes } => one(r.to(logits, |r| {
            k::cross_entropy_grad(r.pool, x(logits), classes, grad.item())
        })),
    }
}
