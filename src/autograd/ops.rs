//! THE table: every operation the tape records, what it computes, and its backward rule.
//!
//! Ops are data (an enum of inputs and parameters), so a tape can be inspected, printed and
//! compiled into a plan. Each op's derivative is written once, in [`backward`], as the lecture writes it:
//! the gradient flowing into an input is the upstream gradient `grad` (∂E/∂out) times the op's
//! local derivative (∂out/∂input). Both matches are exhaustive with no catch-all arm, so a new op
//! does not compile until it has a forward and a backward rule, and the gradient-check test fails
//! until it has a check.
//!
//! Vocabulary in every rule: `grad` is ∂E/∂y for this op's output y, `y` its forward value,
//! `x(a)` the forward value of input `a`. A rule adds its contribution into ∂E/∂a through
//! `g.add(a, |ga| …)`, the way micrograd writes `a.grad += …`: a value used twice simply
//! receives two contributions (fan-out), and nothing is allocated. `g.add` skips inputs that
//! want no gradient (data), and the tape zeroes each gradient before its first contribution.
//! Where an op broadcasts, its rule sums the gradient back to the input's shape (`acc_zip`).

use strum::EnumDiscriminants;

use super::params::ParamId;
use crate::tensor::{
    BatchNormBackward, Conv2dGeometry, Float, Pool2d, Shape, Threads, View, Write, batch_norm, batch_norm_shape,
    conv2d, conv2d_grad_bias, conv2d_grad_input, conv2d_grad_weight, kernels as k, linear, linear_grad_input,
    linear_grad_weight, matmul, shape_rules as rules,
};

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
    MatMul {
        a: NodeId,
        b: NodeId,
        trans_a: bool,
        trans_b: bool,
    },
    /// A layer's affine map, fused: `x·Wᵀ + b` for x [rows, in], W [out, in], b [out].
    Linear {
        x: NodeId,
        w: NodeId,
        b: NodeId,
    },
    /// 2-D convolution (PyTorch's `conv2d`): x [n, c_in, h, w], w [c_out, c_in, kh, kw],
    /// b [c_out] → [n, c_out, oh, ow].
    Conv2d {
        x: NodeId,
        w: NodeId,
        b: NodeId,
        geometry: Conv2dGeometry,
    },
    /// The maximum of each window of a [n, c, h, w] (PyTorch's `max_pool2d`).
    MaxPool2d {
        a: NodeId,
        window: Pool2d,
    },
    /// The mean of each window of a [n, c, h, w], padding counted (PyTorch's `avg_pool2d`).
    AvgPool2d {
        a: NodeId,
        window: Pool2d,
    },
    /// Batch normalisation in training mode (PyTorch's `batch_norm`, `training=True`): each
    /// channel of x [n, c, h, w] by its batch mean and biased variance, then γ·x̂ + β.
    BatchNorm2d {
        x: NodeId,
        gamma: NodeId,
        beta: NodeId,
        eps: f64,
    },
    /// Swaps the last two axes.
    Transpose(NodeId),
    Reshape(NodeId, Shape),
    /// Σ of all elements (a scalar).
    Sum(NodeId),
    /// Mean of all elements (a scalar).
    Mean(NodeId),
    SumAxis {
        a: NodeId,
        axis: usize,
        keepdim: bool,
    },
    MeanAxis {
        a: NodeId,
        axis: usize,
        keepdim: bool,
    },
    MaxAxis {
        a: NodeId,
        axis: usize,
        keepdim: bool,
    },
    Exp(NodeId),
    /// Natural logarithm.
    Log(NodeId),
    PowF(NodeId, f64),
    Sqrt(NodeId),
    Sin(NodeId),
    Cos(NodeId),
    Tan(NodeId),
    /// |a|.
    Abs(NodeId),
    /// 1 where `a` > 0, else 0 (relu's derivative, the Heaviside step).
    Step(NodeId),
    /// −1, 0 or 1 by the sign of `a` (|a|'s derivative).
    Sign(NodeId),
    Sigmoid(NodeId),
    Tanh(NodeId),
    Relu(NodeId),
    /// `a` where positive, `slope·a` elsewhere.
    LeakyRelu(NodeId, f64),
    /// GELU in its tanh form (PyTorch's `approximate="tanh"`, ONNX `Gelu`'s): see [`gelu`].
    Gelu(NodeId),
    /// SiLU (swish): `a·σ(a)`.
    Silu(NodeId),
    Softmax {
        a: NodeId,
        axis: usize,
    },
    LogSoftmax {
        a: NodeId,
        axis: usize,
    },
    /// `out[i] = a[i, classes[i]]` for `a` of shape [rows, classes].
    Gather {
        a: NodeId,
        classes: Vec<usize>,
    },
    /// Fused log-softmax + negative log-likelihood, mean over rows: the classifier's loss.
    CrossEntropy {
        logits: NodeId,
        classes: Vec<usize>,
    },
    /// Fused sigmoid + binary cross-entropy of logits `z` against targets `t` (same shape), mean
    /// over elements: stable for any z.
    BceWithLogits {
        z: NodeId,
        t: NodeId,
    },
    /// Half the sum of squared errors of outputs `y` against targets `t` (same shape), fused:
    /// ½·Σ (t − y)², the lecture's E, one rule where sub, square, scale and sum are four.
    HalfSse {
        y: NodeId,
        t: NodeId,
    },
}

impl Op {
    /// The nodes this op reads (none for leaves).
    pub fn inputs(&self) -> Inputs {
        use Op::*;
        match *self {
            Input | Param(_) => Inputs::of(&[]),
            Add(a, b)
            | Sub(a, b)
            | Mul(a, b)
            | Div(a, b)
            | MatMul { a, b, .. }
            | BceWithLogits { z: a, t: b }
            | HalfSse { y: a, t: b } => Inputs::of(&[a, b]),
            Linear { x, w, b } | Conv2d { x, w, b, .. } | BatchNorm2d { x, gamma: w, beta: b, .. } => {
                Inputs::of(&[x, w, b])
            }
            Neg(a)
            | AddScalar(a, _)
            | MulScalar(a, _)
            | Transpose(a)
            | Reshape(a, _)
            | Sum(a)
            | Mean(a)
            | SumAxis { a, .. }
            | MeanAxis { a, .. }
            | MaxAxis { a, .. }
            | Exp(a)
            | Log(a)
            | PowF(a, _)
            | Sqrt(a)
            | Sin(a)
            | Cos(a)
            | Tan(a)
            | Abs(a)
            | Step(a)
            | Sign(a)
            | Sigmoid(a)
            | Tanh(a)
            | Relu(a)
            | LeakyRelu(a, _)
            | Gelu(a)
            | Silu(a)
            | Softmax { a, .. }
            | LogSoftmax { a, .. }
            | Gather { a, .. }
            | MaxPool2d { a, .. }
            | AvgPool2d { a, .. } => Inputs::of(&[a]),
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

/// The inputs of one op: at most three, kept inline (recording an op allocates nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inputs {
    ids: [NodeId; 3],
    len: usize,
}

impl Inputs {
    fn of(ids: &[NodeId]) -> Inputs {
        let mut inline = [0; 3];
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

/// The shape of an op's output from its inputs' shapes; panics naming the op and the shapes
/// when they do not fit (a bug in the model code, caught when the op is recorded).
pub(crate) fn output_shape(op: &Op, s: impl Fn(NodeId) -> Shape) -> Shape {
    use Op::*;
    match *op {
        Input | Param(_) => panic!("{}: a leaf gets its shape from its value", op.name()),
        Add(a, b) => rules::broadcast_shape("add", s(a), s(b)),
        Sub(a, b) => rules::broadcast_shape("sub", s(a), s(b)),
        Mul(a, b) => rules::broadcast_shape("mul", s(a), s(b)),
        Div(a, b) => rules::broadcast_shape("div", s(a), s(b)),
        Neg(a)
        | AddScalar(a, _)
        | MulScalar(a, _)
        | Exp(a)
        | Log(a)
        | PowF(a, _)
        | Sqrt(a)
        | Sin(a)
        | Cos(a)
        | Tan(a)
        | Abs(a)
        | Step(a)
        | Sign(a)
        | Sigmoid(a)
        | Tanh(a)
        | Relu(a)
        | LeakyRelu(a, _)
        | Gelu(a)
        | Silu(a) => s(a),
        Softmax { a, axis } | LogSoftmax { a, axis } => {
            s(a).dim(axis);
            s(a)
        }
        MatMul { a, b, trans_a, trans_b } => rules::matmul_shape(s(a), trans_a, s(b), trans_b),
        Linear { x, w, b } => rules::linear_shape(s(x), s(w), s(b)),
        Conv2d { x, w, b, geometry } => geometry.output_shape(s(x), s(w), s(b)),
        MaxPool2d { a, window } => window.output_shape("max_pool2d", s(a)),
        BatchNorm2d { x, gamma, beta, .. } => batch_norm_shape(s(x), s(gamma), s(beta)),
        AvgPool2d { a, window } => window.output_shape("avg_pool2d", s(a)),
        Transpose(a) => rules::transposed_shape(s(a)),
        Reshape(a, shape) => {
            assert_eq!(
                shape.numel(),
                s(a).numel(),
                "reshape: shape {shape} cannot hold the {} values of shape {}",
                s(a).numel(),
                s(a)
            );
            shape
        }
        Sum(_) | Mean(_) => Shape::scalar(),
        SumAxis { a, axis, keepdim } | MeanAxis { a, axis, keepdim } | MaxAxis { a, axis, keepdim } => {
            rules::reduced_shape(s(a), axis, keepdim)
        }
        Gather { a, ref classes } => Shape::new(&[rules::check_classes("gather", s(a), classes).0]),
        CrossEntropy { logits, ref classes } => {
            rules::check_classes("cross_entropy", s(logits), classes);
            Shape::scalar()
        }
        BceWithLogits { z, t } => {
            assert_eq!(s(z), s(t), "bce_with_logits: logits {} and targets {} differ in shape", s(z), s(t));
            Shape::scalar()
        }
        HalfSse { y, t } => {
            assert_eq!(s(y), s(t), "half_sse: outputs {} and targets {} differ in shape", s(y), s(t));
            Shape::scalar()
        }
    }
}

/// Computes an op's forward value into `out` (of [`output_shape`]'s size) from its inputs'
/// values `x(id)`.
///
/// This and [`backward`] are always inlined into their few callers (the tape and the compiled
/// plan, and an activation's inference): on the lecture's 2-element operands the call, with its
/// saved registers and views passed through memory, cost more than the op (callgrind: 11 % of
/// a step).
#[inline(always)]
pub(crate) fn forward<'v, T: Float>(op: &Op, out: &mut [T], x: impl Fn(NodeId) -> View<'v, T>, threads: Threads) {
    let c = |v: f64| T::of(v);
    match *op {
        Op::Input | Op::Param(_) => panic!("{}: a leaf gets its value from outside", op.name()),
        Op::Add(a, b) => k::zip(out, x(a), x(b), |a, b| a + b),
        Op::Sub(a, b) => k::zip(out, x(a), x(b), |a, b| a - b),
        Op::Mul(a, b) => k::zip(out, x(a), x(b), |a, b| a * b),
        Op::Div(a, b) => k::zip(out, x(a), x(b), |a, b| a / b),
        Op::Neg(a) => k::map(out, x(a).data, |a| -a),
        Op::AddScalar(a, v) => k::map(out, x(a).data, |a| a + c(v)),
        Op::MulScalar(a, v) => k::map(out, x(a).data, |a| a * c(v)),
        Op::MatMul { a, b, trans_a, trans_b } => {
            matmul(out, x(a).mat().t_if(trans_a), x(b).mat().t_if(trans_b), Write::Overwrite, threads)
        }
        Op::Linear { x: input, w, b } => linear(out, x(input), x(w), x(b), threads),
        Op::Conv2d { x: input, w, b, geometry } => conv2d(out, x(input), x(w), x(b), geometry, threads),
        Op::MaxPool2d { a, window } => window.max_forward(out, x(a)),
        Op::BatchNorm2d { x: input, gamma, beta, eps } => batch_norm(out, x(input), x(gamma).data, x(beta).data, eps),
        Op::AvgPool2d { a, window } => window.avg_forward(out, x(a)),
        Op::Transpose(a) => k::transpose(out, x(a), false),
        Op::Reshape(a, _) => out.copy_from_slice(x(a).data),
        Op::Sum(a) => out[0] = x(a).data.iter().copied().sum(),
        Op::Mean(a) => out[0] = x(a).data.iter().copied().sum::<T>() / c(x(a).data.len() as f64),
        Op::SumAxis { a, axis, .. } => k::sum_axis(out, x(a), axis),
        Op::MeanAxis { a, axis, .. } => {
            k::sum_axis(out, x(a), axis);
            let n = c(x(a).shape.dim(axis) as f64);
            out.iter_mut().for_each(|v| *v = *v / n);
        }
        Op::MaxAxis { a, axis, .. } => k::max_axis(out, x(a), axis),
        Op::Exp(a) => k::map(out, x(a).data, T::exp),
        Op::Log(a) => k::map(out, x(a).data, T::ln),
        Op::PowF(a, 2.0) => k::map(out, x(a).data, |a| a * a),
        Op::PowF(a, p) => k::map(out, x(a).data, |a| a.powf(c(p))),
        Op::Sqrt(a) => k::map(out, x(a).data, T::sqrt),
        Op::Sin(a) => k::map(out, x(a).data, T::sin),
        Op::Cos(a) => k::map(out, x(a).data, T::cos),
        Op::Tan(a) => k::map(out, x(a).data, T::tan),
        Op::Abs(a) => k::map(out, x(a).data, T::abs),
        Op::Step(a) => k::map(out, x(a).data, |a| if a > T::zero() { T::one() } else { T::zero() }),
        Op::Sign(a) => k::map(out, x(a).data, |a| if a == T::zero() { a } else { a.signum() }),
        Op::Sigmoid(a) => k::map(out, x(a).data, T::sigmoid),
        Op::Tanh(a) => T::tanh_into(out, x(a).data),
        Op::Relu(a) => k::map(out, x(a).data, T::relu),
        Op::LeakyRelu(a, s) => k::map(out, x(a).data, |a| if a > T::zero() { a } else { c(s) * a }),
        Op::Gelu(a) => k::map(out, x(a).data, |a| gelu(a).0),
        Op::Silu(a) => k::map(out, x(a).data, |a| a * a.sigmoid()),
        Op::Softmax { a, axis } => k::softmax(out, x(a), axis, false),
        Op::LogSoftmax { a, axis } => k::softmax(out, x(a), axis, true),
        Op::Gather { a, ref classes } => k::gather(out, x(a), classes),
        Op::CrossEntropy { logits, ref classes } => out[0] = k::cross_entropy(x(logits), classes),
        Op::BceWithLogits { z, t } => out[0] = k::bce_with_logits(x(z).data, x(t).data),
        Op::HalfSse { y, t } => out[0] = k::half_sse(x(y).data, x(t).data),
    }
}

/// Where a rule adds ∂E/∂input: the tape's gradient regions of the inputs.
pub(crate) trait GradSink<T: Float> {
    /// Runs `f` on ∂E/∂(node `id`) if that node wants a gradient (zeroed before the first
    /// contribution); otherwise does nothing.
    fn add(&mut self, id: NodeId, f: impl FnOnce(&mut [T]));

    /// [`GradSink::add`] for a product, which can overwrite instead of add: `f(region, write)`
    /// with [`Write::Overwrite`] on the node's first contribution (the region is then not zeroed
    /// first, and the product writes it: for a weight's gradient that saves a pass over all its
    /// elements every step), [`Write::Accumulate`] after it.
    fn add_product(&mut self, id: NodeId, f: impl FnOnce(&mut [T], Write));
}

/// The backward rules. `y` is this op's forward value, `grad` = ∂E/∂y, `x(id)` an input's
/// forward value; each arm adds upstream gradient × local derivative into its inputs' gradients.
#[inline(always)]
pub(crate) fn backward<'v, T: Float>(
    op: &Op,
    y: View<'v, T>,
    grad: View<'_, T>,
    x: impl Fn(NodeId) -> View<'v, T>,
    g: &mut impl GradSink<T>,
    threads: Threads,
) {
    let (zero, one, c) = (T::zero(), T::one(), |v: f64| T::of(v));
    let (gd, yd) = (grad.data, y.data);
    match *op {
        // Leaves: the chain ends here.
        Op::Input | Op::Param(_) => {}

        // y = a + b                ∂a += grad              ∂b += grad
        Op::Add(a, b) => {
            g.add(a, |ga| k::acc_zip(ga, x(a).shape, grad, x(b), |g, _| g));
            g.add(b, |gb| k::acc_zip(gb, x(b).shape, grad, x(a), |g, _| g));
        }
        // y = a − b                ∂a += grad              ∂b += −grad
        Op::Sub(a, b) => {
            g.add(a, |ga| k::acc_zip(ga, x(a).shape, grad, x(b), |g, _| g));
            g.add(b, |gb| k::acc_zip(gb, x(b).shape, grad, x(a), |g, _| -g));
        }
        // y = a·b                  ∂a += grad·b            ∂b += grad·a
        Op::Mul(a, b) => {
            g.add(a, |ga| k::acc_zip(ga, x(a).shape, grad, x(b), |g, b| g * b));
            g.add(b, |gb| k::acc_zip(gb, x(b).shape, grad, x(a), |g, a| g * a));
        }
        // y = a / b                ∂a += grad / b          ∂b += −grad·a / b² = −grad·y / b
        Op::Div(a, b) => {
            g.add(a, |ga| k::acc_zip(ga, x(a).shape, grad, x(b), |g, b| g / b));
            g.add(b, |gb| k::acc_zip_y(gb, x(b).shape, grad, yd, x(b), |g, y, b| -g * y / b));
        }
        // y = −a                   ∂a += −grad
        Op::Neg(a) => g.add(a, |ga| k::acc_map(ga, gd, |g| -g)),
        // y = a + v                ∂a += grad
        Op::AddScalar(a, _) => g.add(a, |ga| k::acc_map(ga, gd, |g| g)),
        // y = v·a                  ∂a += v·grad
        Op::MulScalar(a, v) => g.add(a, |ga| k::acc_map(ga, gd, |g| c(v) * g)),

        // y = op(a)·op(b)          ∂op(a) += grad·op(b)ᵀ   ∂op(b) += op(a)ᵀ·grad
        // (a stored transposed: ∂a += (grad·op(b)ᵀ)ᵀ = op(b)·gradᵀ; likewise for b)
        // (`write`: add onto the gradient, or overwrite it if this is its first contribution)
        Op::MatMul { a, b, trans_a, trans_b } => {
            g.add_product(a, |ga, write| match trans_a {
                false => matmul(ga, grad.mat(), x(b).mat().t_if(!trans_b), write, threads),
                true => matmul(ga, x(b).mat().t_if(trans_b), grad.mat_t(), write, threads),
            });
            g.add_product(b, |gb, write| match trans_b {
                false => matmul(gb, x(a).mat().t_if(!trans_a), grad.mat(), write, threads),
                true => matmul(gb, grad.mat_t(), x(a).mat().t_if(trans_a), write, threads),
            });
        }
        // y = x·Wᵀ + b             ∂x += grad·W            ∂W += gradᵀ·x           ∂b += Σ_rows grad
        Op::Linear { x: input, w, b } => {
            g.add_product(input, |gx, write| linear_grad_input(gx, grad, x(w), write, threads));
            g.add_product(w, |gw, write| linear_grad_weight(gw, grad, x(input), write, threads));
            g.add(b, |gb| k::acc_zip(gb, x(b).shape, grad, grad, |g, _| g));
        }
        // y = w ⋆ x + b            ∂x += col2im(Wᵀ·grad)   ∂W += Σ_images grad·im2col(x)ᵀ
        //                          ∂b += Σ grad over images and positions
        // (a kernel weight's gradient: the sum over every position it touched of grad there
        // times the input it saw; see `tensor/conv.rs`)
        Op::Conv2d { x: input, w, b, geometry } => {
            g.add(input, |gx| conv2d_grad_input(gx, grad, x(w), x(input).shape, geometry, threads));
            g.add_product(w, |gw, write| conv2d_grad_weight(gw, grad, x(input), x(w).shape, geometry, write, threads));
            g.add(b, |gb| conv2d_grad_bias(gb, grad));
        }
        // y = γ·x̂ + β, x̂ = (x − μ)/√(σ² + ε) per channel over the batch
        //                          ∂x += γ/√(σ² + ε)·(grad − mean(grad) − x̂·mean(grad·x̂))
        //                          ∂γ += Σ grad·x̂          ∂β += Σ grad
        Op::BatchNorm2d { x: input, gamma, beta, eps } => {
            let shared = BatchNormBackward::new(gd, x(input), eps);
            g.add(input, |gx| shared.input(gx, x(gamma).data));
            g.add(gamma, |gg| shared.gamma(gg));
            g.add(beta, |gb| shared.beta(gb));
        }
        // y = max of each window   ∂a += grad at the window's maximum (the first on a tie)
        Op::MaxPool2d { a, window } => g.add(a, |ga| window.max_backward(ga, gd, x(a))),
        // y = mean of each window  ∂a += grad / window size, at every pixel of the window
        Op::AvgPool2d { a, window } => g.add(a, |ga| window.avg_backward(ga, gd, x(a).shape)),
        // y = aᵀ                   ∂a += gradᵀ
        Op::Transpose(a) => g.add(a, |ga| k::transpose(ga, grad, true)),
        // y = a, reshaped          ∂a += grad, read in a's shape
        Op::Reshape(a, _) => g.add(a, |ga| k::acc_map(ga, gd, |g| g)),

        // y = Σ a                  ∂a += grad (every element)
        Op::Sum(a) => g.add(a, |ga| ga.iter_mut().for_each(|v| *v += gd[0])),
        // y = Σ a / n              ∂a += grad / n
        Op::Mean(a) => g.add(a, |ga| {
            let share = gd[0] / c(ga.len() as f64);
            ga.iter_mut().for_each(|v| *v += share)
        }),
        // y = Σ_axis a             ∂a += grad, copied along the axis
        Op::SumAxis { a, axis, .. } => g.add(a, |ga| k::acc_expand_axis(ga, x(a).shape, gd, axis, one)),
        // y = Σ_axis a / n         ∂a += grad / n, copied along the axis
        Op::MeanAxis { a, axis, .. } => g.add(a, |ga| {
            let n = c(x(a).shape.dim(axis) as f64);
            k::acc_expand_axis(ga, x(a).shape, gd, axis, one / n)
        }),
        // y = max_axis a           ∂a += grad at the (first) maximum of each lane, 0 elsewhere
        Op::MaxAxis { a, axis, .. } => g.add(a, |ga| {
            for (lane, &gv) in k::lanes(x(a).shape, axis).zip(gd) {
                ga[lane.at(lane.argmax(x(a).data))] += gv;
            }
        }),

        // y = eᵃ                   ∂a += grad·y
        Op::Exp(a) => g.add(a, |ga| k::acc_map2(ga, gd, yd, |g, y| g * y)),
        // y = ln a                 ∂a += grad / a
        Op::Log(a) => g.add(a, |ga| k::acc_map2(ga, gd, x(a).data, |g, a| g / a)),
        // y = a²                   ∂a += grad·2a
        Op::PowF(a, 2.0) => g.add(a, |ga| k::acc_map2(ga, gd, x(a).data, |g, a| g * (a + a))),
        // y = aᵖ                   ∂a += grad·p·aᵖ⁻¹
        Op::PowF(a, p) => g.add(a, |ga| k::acc_map2(ga, gd, x(a).data, |g, a| g * c(p) * a.powf(c(p - 1.0)))),
        // y = √a                   ∂a += grad / 2y
        Op::Sqrt(a) => g.add(a, |ga| k::acc_map2(ga, gd, yd, |g, y| g / (y + y))),
        // y = sin a                ∂a += grad·cos a
        Op::Sin(a) => g.add(a, |ga| k::acc_map2(ga, gd, x(a).data, |g, a| g * a.cos())),
        // y = cos a                ∂a += −grad·sin a
        Op::Cos(a) => g.add(a, |ga| k::acc_map2(ga, gd, x(a).data, |g, a| -g * a.sin())),
        // y = tan a                ∂a += grad·(1 + y²)
        Op::Tan(a) => g.add(a, |ga| k::acc_map2(ga, gd, yd, |g, y| g * (one + y * y))),
        // y = |a|                  ∂a += grad·sign(a)      (0 at a = 0)
        Op::Abs(a) => g.add(a, |ga| {
            k::acc_map2(ga, gd, x(a).data, |g, a| {
                if a > zero {
                    g
                } else if a < zero {
                    -g
                } else {
                    zero
                }
            })
        }),
        // y = step(a), y = sign(a) ∂a += 0                  (flat on each side of 0)
        Op::Step(a) | Op::Sign(a) => g.add(a, |_| {}),
        // y = σ(a)                 ∂a += grad·y·(1 − y)
        Op::Sigmoid(a) => g.add(a, |ga| k::acc_map2(ga, gd, yd, |g, y| g * y * (one - y))),
        // y = tanh a               ∂a += grad·(1 − y²)
        Op::Tanh(a) => g.add(a, |ga| k::acc_map2(ga, gd, yd, |g, y| g * (one - y * y))),
        // y = max(a, 0)            ∂a += grad·[a > 0]
        Op::Relu(a) => g.add(a, |ga| k::acc_map2(ga, gd, x(a).data, |g, a| if a > zero { g } else { zero })),
        // y = a if a > 0 else s·a  ∂a += grad·(1 if a > 0 else s)
        Op::LeakyRelu(a, s) => {
            g.add(a, |ga| k::acc_map2(ga, gd, x(a).data, |g, a| if a > zero { g } else { c(s) * g }))
        }
        // y = gelu(a)              ∂a += grad·gelu'(a)     (both from `gelu`, below)
        Op::Gelu(a) => g.add(a, |ga| k::acc_map2(ga, gd, x(a).data, |g, a| g * gelu(a).1)),
        // y = a·σ(a)               ∂a += grad·σ(a)·(1 + a·(1 − σ(a)))
        Op::Silu(a) => g.add(a, |ga| {
            k::acc_map2(ga, gd, x(a).data, |g, a| {
                let s = a.sigmoid();
                g * s * (one + a * (one - s))
            })
        }),

        // y = softmax(a)           ∂a += y·(grad − Σ_lane grad·y)
        Op::Softmax { a, axis } => g.add(a, |ga| {
            for lane in k::lanes(y.shape, axis) {
                let dot: T = (0..lane.len).map(|i| gd[lane.at(i)] * yd[lane.at(i)]).sum();
                for i in (0..lane.len).map(|i| lane.at(i)) {
                    ga[i] += yd[i] * (gd[i] - dot);
                }
            }
        }),
        // y = log softmax(a)       ∂a += grad − softmax(a)·Σ_lane grad = grad − eʸ·Σ_lane grad
        Op::LogSoftmax { a, axis } => g.add(a, |ga| {
            for lane in k::lanes(y.shape, axis) {
                let total: T = (0..lane.len).map(|i| gd[lane.at(i)]).sum();
                for i in (0..lane.len).map(|i| lane.at(i)) {
                    ga[i] += gd[i] - yd[i].exp() * total;
                }
            }
        }),

        // y[i] = a[i, tᵢ]          ∂a[i, tᵢ] += grad[i]
        Op::Gather { a, ref classes } => g.add(a, |ga| k::acc_scatter(ga, x(a).shape.dim(1), gd, classes)),
        // y = −(1/N)·Σᵢ log softmax(xᵢ)[tᵢ]      ∂x += grad·(softmax(x) − onehot(t)) / N
        Op::CrossEntropy { logits, ref classes } => {
            g.add(logits, |gx| k::acc_cross_entropy(gx, x(logits), classes, gd[0]))
        }
        // y = (1/N)·Σ max(z,0) − z·t + log(1 + e^−|z|)     ∂z += grad·(σ(z) − t) / N     ∂t += −grad·z / N
        Op::BceWithLogits { z, t } => {
            let share = gd[0] / c(x(z).data.len().max(1) as f64);
            g.add(z, |gz| k::acc_map2(gz, x(z).data, x(t).data, |z, t| share * (z.sigmoid() - t)));
            g.add(t, |gt| k::acc_map(gt, x(z).data, |z| -share * z));
        }
        // E = ½·Σ (t − y)²     ∂y += grad·(y − t)  (the lecture's −(T − out))     ∂t += grad·(t − y)
        Op::HalfSse { y: out, t } => {
            g.add(out, |gy| k::acc_map2(gy, x(out).data, x(t).data, |y, t| gd[0] * (y - t)));
            g.add(t, |gt| k::acc_map2(gt, x(out).data, x(t).data, |y, t| gd[0] * (t - y)));
        }
    }
}

/// GELU's tanh form and its derivative at `x`, side by side:
/// gelu(x) = ½x·(1 + t) with t = tanh(√(2/π)·(x + 0.044715·x³)), and
/// gelu'(x) = ½(1 + t) + ½x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²).
/// The tanh form is PyTorch's `approximate="tanh"` and ONNX `Gelu`'s `approximate="tanh"`; it
/// needs only `tanh` (std has no `erf`) and stays within 5·10⁻⁴ of the exact erf form.
#[inline]
fn gelu<T: Float>(x: T) -> (T, T) {
    let (half, one) = (T::of(0.5), T::one());
    let k = T::of((2.0 / std::f64::consts::PI).sqrt());
    let c = T::of(0.044715);
    let t = (k * (x + c * x * x * x)).tanh_kernel();
    let value = half * x * (one + t);
    let slope = half * (one + t) + half * x * (one - t * t) * k * (one + T::of(3.0) * c * x * x);
    (value, slope)
}
