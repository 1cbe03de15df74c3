//! The tape: define-by-run recording and the reverse-mode backward loop.
//!
//! Every operation on a [`Var`] appends a node `{ op, value }` to the tape. Creation order is
//! already a topological order, so `backward` is one reverse loop over the nodes with a dense
//! gradient slot per node: take the node's gradient, ask its rule (in [`super::ops`]) for its
//! inputs' gradients, add them into their slots. No recursion, no hash sets.
//!
//! A tape is meant to be reset and reused for each step: `reset` keeps every buffer in a pool,
//! so a training step after the first allocates nothing.

use std::cell::{Ref, RefCell};
use std::sync::Arc;

use super::ops::{self, NodeId, Op, OpKind, Rule};
use super::params::{ParamId, ParamStore};
use crate::tensor::{Buffers, Float, Pool, Shape, Tensor, Threads};

/// A node's forward value: computed by the tape, or shared with a [`ParamStore`].
enum Value<T> {
    Owned(Tensor<T>),
    Shared(Arc<Tensor<T>>),
}

impl<T> std::ops::Deref for Value<T> {
    type Target = Tensor<T>;
    fn deref(&self) -> &Tensor<T> {
        match self {
            Value::Owned(t) => t,
            Value::Shared(t) => t,
        }
    }
}

struct Node<T> {
    op: Op,
    value: Value<T>,
    /// Whether any leaf below this node wants a gradient (otherwise backward skips it).
    requires_grad: bool,
}

/// A define-by-run record of one forward pass.
pub struct Tape<T: Float> {
    nodes: RefCell<Vec<Node<T>>>,
    pool: RefCell<Pool<T>>,
    /// Which node holds each parameter read so far, so a weight used twice is one leaf.
    params: RefCell<Vec<(ParamId, NodeId)>>,
    /// The gradient store of a recycled [`Grads`], kept so backward reuses its allocation.
    spare: RefCell<Option<Grads<T>>>,
    threads: Threads,
}

impl<T: Float> Default for Tape<T> {
    fn default() -> Self {
        Tape::new()
    }
}

impl<T: Float> Tape<T> {
    /// An empty tape whose kernels run on one thread.
    pub fn new() -> Tape<T> {
        Tape::with_threads(Threads::ONE)
    }

    /// An empty tape whose matrix products may use `threads` threads.
    pub fn with_threads(threads: Threads) -> Tape<T> {
        Tape {
            nodes: RefCell::new(Vec::new()),
            pool: RefCell::new(Pool::new()),
            params: RefCell::new(Vec::new()),
            spare: RefCell::new(None),
            threads,
        }
    }

    /// Number of nodes recorded.
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn push(&self, op: Op, value: Value<T>, requires_grad: bool) -> Var<'_, T> {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node {
            op,
            value,
            requires_grad,
        });
        Var {
            tape: self,
            id: nodes.len() - 1,
        }
    }

    fn leaf(&self, value: &Tensor<T>, requires_grad: bool) -> Var<'_, T> {
        let mut buf = self.pool.borrow_mut().take(value.numel());
        buf.copy_from_slice(value.data());
        self.push(Op::Input, Value::Owned(Tensor::new(buf, value.shape())), requires_grad)
    }

    /// Data fed in from outside (inputs, targets): a leaf with no gradient.
    pub fn input(&self, value: &Tensor<T>) -> Var<'_, T> {
        self.leaf(value, false)
    }

    /// A leaf whose gradient `backward` computes (gradient checks, ∂E/∂x in explanations).
    pub fn variable(&self, value: &Tensor<T>) -> Var<'_, T> {
        self.leaf(value, true)
    }

    /// A parameter from `store`, read without copying. Reading one parameter twice gives the
    /// same node, so its gradient is the sum over every use.
    pub fn param(&self, store: &ParamStore<T>, id: ParamId) -> Var<'_, T> {
        if let Some(&(_, node)) = self.params.borrow().iter().find(|(p, _)| *p == id) {
            return Var { tape: self, id: node };
        }
        let var = self.push(Op::Param(id), Value::Shared(store.shared(id)), true);
        self.params.borrow_mut().push((id, var.id));
        var
    }

    /// Records `op` on nodes of this tape and computes its value. The ops' methods on [`Var`]
    /// call this; it is public so a recorded op list can be replayed.
    pub fn apply(&self, op: Op) -> Var<'_, T> {
        let (value, requires_grad) = {
            let nodes = self.nodes.borrow();
            let inputs = op.inputs();
            for &i in inputs.iter() {
                assert!(i < nodes.len(), "{}: input node {i} is not on this tape", op.name());
            }
            let requires_grad = inputs.iter().any(|&i| nodes[i].requires_grad);
            let value = ops::forward(&op, |i| &*nodes[i].value, &mut self.pool.borrow_mut(), self.threads);
            (value, requires_grad)
        };
        self.push(op, Value::Owned(value), requires_grad)
    }

    /// The op recorded at node `id`.
    pub fn op(&self, id: NodeId) -> Ref<'_, Op> {
        Ref::map(self.nodes.borrow(), |n| &n[id].op)
    }

    /// The forward value of node `id`.
    pub fn value(&self, id: NodeId) -> Ref<'_, Tensor<T>> {
        Ref::map(self.nodes.borrow(), |n| &*n[id].value)
    }

    /// The kind of every node, in order (what a gradient check exercised).
    pub fn kinds(&self) -> Vec<OpKind> {
        self.nodes.borrow().iter().map(|n| n.op.kind()).collect()
    }

    /// Reverse-mode backward from a one-element `loss`: ∂loss/∂node for every node that leads
    /// to it from a parameter or variable. Parameters are not touched.
    pub fn backward(&self, loss: Var<'_, T>) -> Grads<T> {
        let shape = loss.shape();
        assert_eq!(
            shape.numel(),
            1,
            "backward needs a one-element loss, node {} has shape {shape}; use backward_from to seed a gradient",
            loss.id
        );
        self.run_backward(loss, |seed| seed.fill(T::one()))
    }

    /// Backward from any node, seeded with `seed` = ∂E/∂out (of `out`'s shape).
    pub fn backward_from(&self, out: Var<'_, T>, seed: &Tensor<T>) -> Grads<T> {
        assert_eq!(
            seed.shape(),
            out.shape(),
            "backward: seed of shape {} for node {} of shape {}",
            seed.shape(),
            out.id,
            out.shape()
        );
        self.run_backward(out, |buf| buf.copy_from_slice(seed.data()))
    }

    /// The backward loop, seeded with ∂E/∂out as written by `seed` into a buffer of out's size.
    fn run_backward(&self, out: Var<'_, T>, seed: impl FnOnce(&mut [T])) -> Grads<T> {
        assert!(std::ptr::eq(out.tape, self), "backward: the node is on another tape");
        let nodes = self.nodes.borrow();
        let mut pool = self.pool.borrow_mut();
        let mut grads = self.spare.borrow_mut().take().unwrap_or(Grads {
            slots: Vec::new(),
            params: Vec::new(),
        });
        let slots = &mut grads.slots;
        slots.resize_with(out.id + 1, || None);
        let out_shape = nodes[out.id].value.shape();
        let mut seed_buf = pool.take(out_shape.numel());
        seed(&mut seed_buf);
        slots[out.id] = Some(Tensor::new(seed_buf, out_shape));
        let wants = |i: NodeId| nodes[i].requires_grad;
        let mut rule = Rule {
            pool: &mut *pool,
            threads: self.threads,
            wants: &wants,
        };
        for id in (0..=out.id).rev() {
            let node = &nodes[id];
            let Some(grad) = slots[id].take() else { continue };
            if node.requires_grad {
                let input_grads = ops::backward(&node.op, &node.value, &grad, |i| &*nodes[i].value, &mut rule);
                for (input, g) in input_grads.into_iter().flatten() {
                    accumulate(&mut slots[input], g, &node.op, rule.pool);
                }
            }
            slots[id] = Some(grad);
        }
        grads.params.extend_from_slice(&self.params.borrow());
        grads
    }

    /// Clears the recorded nodes, keeping their buffers for the next step.
    pub fn reset(&mut self) {
        let pool = self.pool.get_mut();
        for node in self.nodes.get_mut().drain(..) {
            if let Value::Owned(t) = node.value {
                pool.give(t.into_data());
            }
        }
        self.params.get_mut().clear();
    }

    /// Hands a step's gradients back for their buffers to be reused.
    pub fn recycle(&mut self, mut grads: Grads<T>) {
        let pool = self.pool.get_mut();
        for g in grads.slots.drain(..).flatten() {
            pool.give(g.into_data());
        }
        grads.params.clear();
        *self.spare.get_mut() = Some(grads);
    }
}

/// Fan-out: a value used more than once receives the sum of the gradients of its uses.
fn accumulate<T: Float>(slot: &mut Option<Tensor<T>>, g: Tensor<T>, op: &Op, pool: &mut Pool<T>) {
    match slot {
        None => *slot = Some(g),
        Some(acc) => {
            assert_eq!(
                acc.shape(),
                g.shape(),
                "{}: gradient of shape {} for an input of shape {}",
                op.name(),
                g.shape(),
                acc.shape()
            );
            for (a, &b) in acc.data_mut().iter_mut().zip(g.data()) {
                *a += b;
            }
            pool.give(g.into_data());
        }
    }
}

/// The result of `backward`: ∂E/∂node for every node reached, readable by node or parameter.
pub struct Grads<T> {
    slots: Vec<Option<Tensor<T>>>,
    params: Vec<(ParamId, NodeId)>,
}

impl<T: Float> Grads<T> {
    /// ∂E/∂v, or `None` if `v` does not lead to the loss (or wants no gradient).
    pub fn wrt(&self, v: Var<'_, T>) -> Option<&Tensor<T>> {
        self.node(v.id)
    }

    /// ∂E/∂(node `id`).
    pub fn node(&self, id: NodeId) -> Option<&Tensor<T>> {
        self.slots.get(id).and_then(|s| s.as_ref())
    }

    /// ∂E/∂(parameter `id`), or `None` if the parameter was not used.
    pub fn param(&self, id: ParamId) -> Option<&Tensor<T>> {
        let &(_, node) = self.params.iter().find(|(p, _)| *p == id)?;
        self.node(node)
    }

    /// Every parameter used on the tape with its gradient.
    pub fn params(&self) -> impl Iterator<Item = (ParamId, &Tensor<T>)> {
        self.params
            .iter()
            .filter_map(|&(p, node)| self.node(node).map(|g| (p, g)))
    }
}

/// A handle to a node of a tape: cheap to copy, and the thing model code computes with:
/// `(x.matmul_t(w) + b).sigmoid()`.
#[derive(Clone, Copy)]
pub struct Var<'t, T: Float> {
    tape: &'t Tape<T>,
    id: NodeId,
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

    /// The forward value (borrowed from the tape).
    pub fn value(self) -> Ref<'t, Tensor<T>> {
        self.tape.value(self.id)
    }

    pub fn shape(self) -> Shape {
        self.value().shape()
    }

    /// The single value of a one-element node (a loss).
    pub fn item(self) -> T {
        self.value().item()
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
        self.tape.apply(Op::MatMul {
            a: self.id,
            b,
            trans_a,
            trans_b,
        })
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
        self.tape.apply(Op::Gather {
            a: self.id,
            classes: classes.to_vec(),
        })
    }

    /// Mean cross-entropy of these logits [rows, classes] against class indices (fused, stable).
    pub fn cross_entropy(self, classes: &[usize]) -> Var<'t, T> {
        self.tape.apply(Op::CrossEntropy {
            logits: self.id,
            classes: classes.to_vec(),
        })
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
