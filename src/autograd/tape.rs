//! The tape: define-by-run recording and the reverse-mode backward loop. The gradients it
//! produces live in [`super::grads`], the `Var` handles in [`super::var`]; a graph trained on
//! many times over is compiled into a [`Plan`] (in [`super::plan`]).
//!
//! Every operation on a [`Var`] appends a node `{ op, shape, value }` to the tape; values live
//! in one arena, each node's a slice of it. Creation order is already a topological order, so
//! `backward` is one reverse loop over the nodes with a gradient slice per node (a second arena,
//! laid out the same way): take the node's gradient, let its rule (in [`super::ops`]) add into
//! its inputs' gradients. No recursion, no hash sets, no per-op allocation.
//!
//! A tape is meant to be reset and reused for each step: `reset` keeps the arena, and handing
//! the gradients back with `recycle` keeps theirs, so a step after the first allocates nothing.

use std::cell::{Ref, RefCell};
use std::sync::Arc;

use super::grads::{Grads, Sink, Slot};
use super::ops::{self, NodeId, Op, OpKind};
use super::params::{ParamId, ParamStore};
use super::plan::{Plan, Recorded};
use super::var::Var;
use crate::tensor::{Float, Shape, Tensor, Threads, View};

/// Where a node's forward value lives.
enum Value<T> {
    /// `numel` values from this offset of the tape's arena.
    Arena(usize),
    /// A parameter's tensor, shared with the [`ParamStore`] (read, never copied).
    Shared(Arc<Tensor<T>>),
}

struct Node<T> {
    op: Op,
    shape: Shape,
    value: Value<T>,
    /// Whether a parameter or variable leads to this node (otherwise backward skips it).
    requires_grad: bool,
}

/// What the tape has recorded: the nodes and the arena holding their values.
struct Record<T> {
    nodes: Vec<Node<T>>,
    arena: Vec<T>,
    /// How much of the arena this step uses (the rest is kept from earlier steps).
    used: usize,
    /// Which node holds each parameter read so far, so a weight used twice is one leaf.
    params: Vec<(ParamId, NodeId)>,
    /// Unique to this recording (new at every reset): with the loss node it names a gradient
    /// layout, so a second backward on the same graph reuses the last one.
    recording: u64,
}

/// A fresh recording number, unique in the process.
fn next_recording() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl<T: Float> Record<T> {
    /// Appends a node and reserves its value's slice of the arena. Returns the node's id, that
    /// slice (to be filled), the nodes, and the arena below the slice, where every input lives.
    #[inline]
    fn push(&mut self, op: Op, shape: Shape, requires_grad: bool) -> (NodeId, &mut [T], &[Node<T>], &[T]) {
        let (off, n) = (self.used, shape.numel());
        if self.arena.len() < off + n {
            self.arena.resize(off + n, T::zero());
        }
        self.used = off + n;
        self.nodes.push(Node { op, shape, value: Value::Arena(off), requires_grad });
        let (below, fresh) = self.arena.split_at_mut(off);
        (self.nodes.len() - 1, &mut fresh[..n], &self.nodes, below)
    }
}

/// The forward value of node `id`.
#[inline]
fn value_of<'a, T: Float>(nodes: &'a [Node<T>], arena: &'a [T], id: NodeId) -> View<'a, T> {
    let node = &nodes[id];
    match &node.value {
        Value::Arena(off) => View::new(&arena[*off..*off + node.shape.numel()], node.shape),
        Value::Shared(t) => t.view(),
    }
}

/// A define-by-run record of one forward pass.
pub struct Tape<T: Float> {
    record: RefCell<Record<T>>,
    /// The gradients of a recycled [`Grads`], kept so the next backward reuses their memory.
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
            record: RefCell::new(Record {
                nodes: Vec::new(),
                arena: Vec::new(),
                used: 0,
                params: Vec::new(),
                recording: next_recording(),
            }),
            spare: RefCell::new(None),
            threads,
        }
    }

    /// Number of nodes recorded.
    pub fn len(&self) -> usize {
        self.record.borrow().nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An `Input` leaf of `shape` whose value `fill` writes straight into the arena.
    fn leaf(&self, shape: Shape, requires_grad: bool, fill: impl FnOnce(&mut [T])) -> Var<'_, T> {
        let mut record = self.record.borrow_mut();
        let (id, out, _, _) = record.push(Op::Input, shape, requires_grad);
        fill(out);
        Var { tape: self, id }
    }

    /// Data fed in from outside (inputs, targets): a leaf with no gradient.
    pub fn input(&self, value: &Tensor<T>) -> Var<'_, T> {
        self.leaf(value.shape(), false, |out| out.copy_from_slice(value.data()))
    }

    /// An input leaf of `shape` whose value `fill` writes straight into the tape (a mini-batch
    /// gathered from a dataset without an intermediate copy).
    pub fn input_with(&self, shape: Shape, fill: impl FnOnce(&mut [T])) -> Var<'_, T> {
        self.leaf(shape, false, fill)
    }

    /// A leaf whose gradient `backward` computes (gradient checks, ∂E/∂x in explanations).
    pub fn variable(&self, value: &Tensor<T>) -> Var<'_, T> {
        self.leaf(value.shape(), true, |out| out.copy_from_slice(value.data()))
    }

    /// A parameter from `store`, read without copying. Reading one parameter twice gives the
    /// same node, so its gradient is the sum over every use.
    pub fn param(&self, store: &ParamStore<T>, id: ParamId) -> Var<'_, T> {
        let mut record = self.record.borrow_mut();
        if let Some(&(_, node)) = record.params.iter().find(|(p, _)| *p == id) {
            return Var { tape: self, id: node };
        }
        let value = store.shared(id);
        let node = record.nodes.len();
        record.nodes.push(Node {
            op: Op::Param(id),
            shape: value.shape(),
            value: Value::Shared(value),
            requires_grad: true,
        });
        record.params.push((id, node));
        Var { tape: self, id: node }
    }

    /// Records `op` on nodes of this tape and computes its value. The ops' methods on [`Var`]
    /// call this; it is public so code that builds an `Op` itself (an activation layer) can
    /// record it.
    pub fn apply(&self, op: Op) -> Var<'_, T> {
        let mut record = self.record.borrow_mut();
        let nodes = &record.nodes;
        let mut requires_grad = false;
        for &i in op.inputs().iter() {
            assert!(i < nodes.len(), "{}: input node {i} is not on this tape", op.name());
            requires_grad |= nodes[i].requires_grad;
        }
        let shape = ops::output_shape(&op, |i| nodes[i].shape);
        let (id, out, nodes, below) = record.push(op, shape, requires_grad);
        ops::forward(&nodes[id].op, out, |i| value_of(nodes, below, i), self.threads);
        Var { tape: self, id }
    }

    /// Compiles what the tape recorded up to the one-element `loss` into a [`Plan`] for
    /// repeated steps on the same graph (see [`super::plan`]), with the values as they are now.
    pub fn compile(&self, loss: Var<'_, T>) -> Plan<T> {
        self.compile_plan(loss, None)
    }

    /// [`Tape::compile`] with gradients only for the parameters in `wrt`, the ones an optimiser
    /// will update (the lecture's weights, not its fixed biases): the rest are constants of the
    /// plan, and the rules that would only reach them do not run.
    pub fn compile_wrt(&self, loss: Var<'_, T>, wrt: &[ParamId]) -> Plan<T> {
        self.compile_plan(loss, Some(wrt))
    }

    fn compile_plan(&self, loss: Var<'_, T>, wrt: Option<&[ParamId]>) -> Plan<T> {
        assert!(std::ptr::eq(loss.tape, self), "compile: the loss is on another tape");
        assert_eq!(loss.shape().numel(), 1, "compile: the loss must have one element, not shape {}", loss.shape());
        let record = self.record.borrow();
        let nodes = record.nodes[..=loss.id].iter().enumerate().map(|(id, n)| Recorded {
            op: n.op.clone(),
            shape: n.shape,
            requires_grad: n.requires_grad,
            value: value_of(&record.nodes, &record.arena, id).data,
        });
        Plan::new(nodes, &record.params, wrt, loss.id, self.threads)
    }

    /// A handle to node `id`.
    pub fn var(&self, id: NodeId) -> Var<'_, T> {
        assert!(id < self.len(), "node {id} is not on this tape ({} nodes)", self.len());
        Var { tape: self, id }
    }

    /// The op recorded at node `id`.
    pub fn op(&self, id: NodeId) -> Ref<'_, Op> {
        Ref::map(self.record.borrow(), |r| &r.nodes[id].op)
    }

    /// The shape of node `id`.
    pub fn shape(&self, id: NodeId) -> Shape {
        self.record.borrow().nodes[id].shape
    }

    /// Runs `f` on the forward value of node `id` (borrowed from the tape, not copied).
    pub fn with_value<R>(&self, id: NodeId, f: impl FnOnce(View<'_, T>) -> R) -> R {
        let record = self.record.borrow();
        f(value_of(&record.nodes, &record.arena, id))
    }

    /// A copy of the forward value of node `id`.
    pub fn value(&self, id: NodeId) -> Tensor<T> {
        self.with_value(id, |v| v.to_tensor())
    }

    /// The kind of every node, in order (what a gradient check exercised).
    pub fn kinds(&self) -> Vec<OpKind> {
        self.record.borrow().nodes.iter().map(|n| n.op.kind()).collect()
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

    /// The backward loop, seeded with ∂E/∂out as `seed` writes it.
    fn run_backward(&self, out: Var<'_, T>, seed: impl FnOnce(&mut [T])) -> Grads<T> {
        assert!(std::ptr::eq(out.tape, self), "backward: the node is on another tape");
        let record = self.record.borrow();
        let nodes = &record.nodes[..=out.id];
        let mut grads = self.spare.borrow_mut().take().unwrap_or_default();
        let layout = (record.recording, out.id, record.params.len());
        if grads.layout == Some(layout) {
            grads.reached.fill(false); // the same graph as last time: only the flags start over
        } else {
            grads.lay_out(nodes.iter().enumerate().map(|(id, n)| (n.shape, n.requires_grad || id == out.id)));
            grads.params.extend_from_slice(&record.params);
            grads.layout = Some(layout);
        }
        let Grads { arena, slots, reached, .. } = &mut grads;

        let Slot { offset, len } = slots[out.id];
        seed(&mut arena[offset..offset + len]);
        reached[out.id] = true;
        for (id, node) in nodes.iter().enumerate().rev() {
            if !reached[id] || !node.requires_grad || matches!(node.op, Op::Input | Op::Param(_)) {
                continue; // nothing flows here, or a leaf: the chain ends
            }
            let (below, this) = arena.split_at_mut(slots[id].offset);
            let grad = View::new(&this[..node.shape.numel()], node.shape);
            let mut sink = Sink { arena: below, slots, reached, zeroed: false };
            let value = |i| value_of(&record.nodes, &record.arena, i);
            ops::backward(&node.op, value(id), grad, value, &mut sink, self.threads);
        }
        grads
    }

    /// Clears the recorded nodes, keeping the arena for the next step.
    pub fn reset(&mut self) {
        let record = self.record.get_mut();
        record.nodes.clear();
        record.params.clear();
        record.used = 0;
        record.recording = next_recording();
    }

    /// Hands a step's gradients back for their memory to be reused.
    pub fn recycle(&mut self, grads: Grads<T>) {
        *self.spare.get_mut() = Some(grads);
    }
}
