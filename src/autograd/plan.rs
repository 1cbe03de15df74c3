//! A recorded graph compiled for repeated steps: the lecture's network trains 10,000 times on
//! the same graph, and recording it each time (or rerunning the tape with its bookkeeping: a
//! borrow of the record, each parameter shared with the tape and let go of, a gradient layout
//! checked) costs as much as its 2 × 2 kernels.
//!
//! [`super::Tape::compile`] turns what a tape recorded, up to the loss, into a `Plan`: every
//! node's value in one buffer in node order (parameters copied in, so an op's inputs always lie
//! below its output), the ops to run forward, the backward rules to run (only the nodes that
//! lead from a wanted parameter to the loss, found once), and the gradient layout. A step is
//! then a flat loop of the same kernels and the same backward rules as the tape's, from
//! [`super::ops`]: the numbers are the tape's, bit for bit.
//!
//! What a step costs on 2 × 2 operands is mostly calls and set-up, not arithmetic, so the rule
//! table and the small kernels are inlined into this loop (`#[inline(always)]` on
//! `ops::forward`/`ops::backward`, the product, the broadcasting zips and the tiny linear
//! layer; their large-operand paths stay out of line), and [`super::Tape::compile_wrt`] leaves
//! out the rules for parameters nobody updates (the lecture's fixed biases). Each node's shape
//! and span sit together in one [`Place`], and the gradient arena is zeroed once per backward
//! (a first contribution then adds to zero) instead of a memset call per region. Measured with
//! callgrind on the lecture's step, on the release profile: 5,239 → 3,916 instructions, then
//! 3,716, then 3,608 (the tiny linear layer's backward straight to the small product's loop),
//! then 2,881 (from 3,560 on an AVX-512 machine) with the lecture's E one fused op, `HalfSse`,
//! where four ops and four rules ran, then 2,819 (from 2,885 on an AVX2 machine) with the
//! parameters no longer copied in each step (see [`Plan::update`]), then 2,716 with each
//! parameter's node looked up once (`graded_node`).
//!
//! The plan owns its copy of the parameters: [`Plan::load_params`] copies a store's values in
//! (for the lecture's 12 numbers, cheaper than any sharing), and an optimiser updates the store
//! from [`Plan::grad`]. An update through [`Plan::update`] writes each new weight to the
//! store and to the plan's copy alike, so the next `load_params` finds the store's
//! [`Stamp`] unchanged since and copies nothing; an edit of the store between steps changes the
//! stamp, and is copied in.

use super::grads::{NO_GRADIENT, Sink, Slot};
use super::ops::{self, NodeId, Op};
use super::params::{ParamId, ParamStore, Stamp};
use crate::tensor::{Float, Shape, Threads, View};

/// A fixed graph, compiled: see the module's documentation.
pub struct Plan<T> {
    ops: Vec<Op>,
    /// Each node's shape and place in `values`, side by side: a rule reads both for every
    /// input, so one lookup (one bounds check) finds them.
    layout: Vec<Place>,
    values: Vec<T>,
    /// The nodes whose values are computed, in order (every node but the leaves).
    run: Vec<NodeId>,
    /// The nodes whose backward rules run, the loss first.
    rules: Vec<NodeId>,
    /// Each node's gradient in `grads` ([`NO_GRADIENT`] for nodes that want none).
    slots: Vec<Slot>,
    grads: Vec<T>,
    /// Whether a gradient has reached each node this step.
    reached: Vec<bool>,
    params: Vec<(ParamId, NodeId)>,
    /// The store whose values the parameters' copies hold, as of which write (`None`: no store's,
    /// or no longer: [`Plan::param_mut`] wrote them).
    loaded: Option<Stamp>,
    loss: NodeId,
    threads: Threads,
}

/// Where one node's value lies in [`Plan`]'s `values`, and its shape.
#[derive(Clone, Copy)]
struct Place {
    shape: Shape,
    start: usize,
    end: usize,
}

impl Place {
    #[inline]
    fn view<'v, T: Float>(&self, values: &'v [T]) -> View<'v, T> {
        View::new(&values[self.start..self.end], self.shape)
    }
}

/// One recorded node as [`Plan::new`] takes it: its op, shape, whether a parameter or variable
/// leads to it, and its value.
pub(super) struct Recorded<'a, T> {
    pub op: Op,
    pub shape: Shape,
    pub requires_grad: bool,
    pub value: &'a [T],
}

impl<T: Float> Plan<T> {
    /// The plan of `nodes` (a tape's, in order, the last being the one-element `loss`), with
    /// gradients for the parameters in `wrt` (all of them if `None`). A parameter left out is a
    /// constant of the plan, like PyTorch's `requires_grad=False`: no rule runs to reach it.
    pub(super) fn new<'a>(
        nodes: impl Iterator<Item = Recorded<'a, T>>,
        params: &[(ParamId, NodeId)],
        wrt: Option<&[ParamId]>,
        loss: NodeId,
        threads: Threads,
    ) -> Plan<T> {
        let (mut ops, mut layout, mut values, mut wants) = (vec![], vec![], vec![], vec![]);
        for node in nodes {
            layout.push(Place { shape: node.shape, start: values.len(), end: values.len() + node.value.len() });
            values.extend_from_slice(node.value);
            wants.push(match node.op {
                Op::Param(p) => wrt.is_none_or(|wrt| wrt.contains(&p)),
                Op::Input => node.requires_grad,
                ref op => op.inputs().iter().any(|&i| wants[i]),
            });
            ops.push(node.op);
        }
        assert_eq!(ops.len(), loss + 1, "compile: the loss must be the last node given");
        let leaf = |op: &Op| matches!(op, Op::Input | Op::Param(_));
        let run = (0..ops.len()).filter(|&id| !leaf(&ops[id])).collect();
        // Backward reaches a node if it leads to the loss through nodes that want gradients.
        let mut leads = vec![false; ops.len()];
        leads[loss] = true;
        let mut rules = vec![];
        for id in (0..=loss).rev() {
            if leads[id] && (wants[id] || id == loss) && !leaf(&ops[id]) {
                rules.push(id);
                ops[id].inputs().iter().for_each(|&i| leads[i] = true);
            }
        }
        let mut total = 0;
        let slots = (0..ops.len())
            .map(|id| {
                let len = layout[id].shape.numel();
                if wants[id] || id == loss {
                    total += len;
                    Slot { offset: total - len, len }
                } else {
                    Slot { offset: NO_GRADIENT, len }
                }
            })
            .collect();
        let params = params.iter().copied().filter(|&(_, node)| node <= loss).collect();
        let reached = vec![false; ops.len()];
        let grads = vec![T::zero(); total];
        Plan { ops, layout, values, run, rules, slots, grads, reached, params, loaded: None, loss, threads }
    }

    /// Copies every parameter's value from `store` in (each of the shape it was recorded with),
    /// unless the plan holds them already: nothing was written to `store` since they were copied
    /// in or since [`Plan::update`] updated both.
    pub fn load_params(&mut self, store: &ParamStore<T>) {
        if self.loaded == Some(store.stamp()) {
            return;
        }
        for &(p, node) in &self.params {
            let value = store.get(p);
            let Place { shape, start, end } = self.layout[node];
            assert_eq!(
                value.shape(),
                shape,
                "plan: parameter `{}` has shape {} but was recorded with shape {shape}",
                store.name(p),
                value.shape(),
            );
            self.values[start..end].copy_from_slice(value.data());
        }
        self.loaded = Some(store.stamp());
    }

    /// Updates parameter `p` after [`Plan::backward`] by `rule` (w ← rule(w, ∂loss/∂w), element
    /// by element: `optim::descend` for gradient descent), in `store` and, if it holds
    /// `store`'s values, in the plan's copy, with the same arithmetic (so the two stay equal bit
    /// for bit and the next [`Plan::load_params`] copies nothing). Panics if no gradient
    /// reached `p`.
    pub fn update(&mut self, store: &mut ParamStore<T>, p: ParamId, rule: impl Fn(T, T) -> T) {
        let held = self.loaded == Some(store.stamp());
        let node =
            self.graded_node(p).unwrap_or_else(|| panic!("plan: no gradient reached parameter `{}`", store.name(p)));
        let (Place { start, end, .. }, Slot { offset, len }) = (self.layout[node], self.slots[node]);
        let grad = &self.grads[offset..offset + len];
        let weight = store.for_update(p).data_mut();
        if !held {
            weight.iter_mut().zip(grad).for_each(|(w, &g)| *w = rule(*w, g));
            return;
        }
        // The store's values are the copy's (load_params checked their shapes), so one loop
        // writes both.
        for ((w, c), &g) in weight.iter_mut().zip(&mut self.values[start..end]).zip(grad) {
            *w = rule(*w, g);
            *c = *w;
        }
        self.loaded = Some(store.stamp());
    }

    /// Parameter `p`'s values in the plan, to write in place before the next [`Plan::forward`]:
    /// for weights kept outside a [`ParamStore`] (the playground's layers), which would
    /// otherwise be copied into one first only for [`Plan::load_params`] to copy them again.
    pub fn param_mut(&mut self, p: ParamId) -> &mut [T] {
        let node = self.node_of(p).expect("plan: no such parameter");
        let Place { start, end, .. } = self.layout[node];
        self.loaded = None; // the copy is no longer any store's
        &mut self.values[start..end]
    }

    /// The memory the plan holds, in bytes (its values, gradients and bookkeeping): what a
    /// server counts against its sessions' budget.
    pub fn bytes(&self) -> usize {
        use std::mem::size_of;
        (self.values.capacity() + self.grads.capacity()) * size_of::<T>()
            + self.ops.capacity() * size_of::<Op>()
            + self.layout.capacity() * size_of::<Place>()
            + self.slots.capacity() * size_of::<Slot>()
            + (self.run.capacity() + self.rules.capacity()) * size_of::<NodeId>()
            + self.reached.capacity()
            + self.params.capacity() * size_of::<(ParamId, NodeId)>()
    }

    /// Writes a new value into input leaf `id` (the same number of values), for the next
    /// [`Plan::forward`]: the next batch of a fixed size.
    pub fn set_input(&mut self, id: NodeId, value: &[T]) {
        assert!(matches!(self.ops[id], Op::Input), "plan: node {id} is a {}, not an input", self.ops[id].name());
        let Place { shape, start, end } = self.layout[id];
        assert_eq!(value.len(), end - start, "plan: {} values for input {id} of shape {shape}", value.len());
        self.values[start..end].copy_from_slice(value);
    }

    /// Computes every value from the inputs and parameters, in recorded order.
    pub fn forward(&mut self) {
        let Plan { ops, layout, values, run, threads, .. } = self;
        for &id in run.iter() {
            let Place { start, end, .. } = layout[id];
            let (below, rest) = values.split_at_mut(start);
            let out = &mut rest[..end - start];
            let value = |i: NodeId| layout[i].view(below);
            ops::forward(&ops[id], out, value, *threads);
        }
    }

    /// The loss's value (after [`Plan::forward`]).
    pub fn loss(&self) -> T {
        self.values[self.layout[self.loss].start]
    }

    /// ∂loss/∂node for every node that leads to the loss: the tape's backward loop over the
    /// rules found at compile time.
    pub fn backward(&mut self) {
        let Plan { ops, layout, values, rules, slots, grads, reached, loss, threads, .. } = self;
        reached.fill(false);
        grads.fill(T::zero());
        let Slot { offset, len } = slots[*loss];
        grads[offset..offset + len].fill(T::one());
        reached[*loss] = true;
        let value = |i: NodeId| layout[i].view(values);
        for &id in rules.iter() {
            if !reached[id] {
                continue; // a rule may add nothing (a constant's derivative)
            }
            let (below, this) = grads.split_at_mut(slots[id].offset);
            let grad = View::new(&this[..slots[id].len], layout[id].shape);
            let mut sink = Sink { arena: below, slots, reached, zeroed: true };
            ops::backward(&ops[id], value(id), grad, value, &mut sink, *threads);
        }
    }

    /// ∂loss/∂(parameter `p`) after [`Plan::backward`], or `None` if nothing flowed to it.
    pub fn grad(&self, p: ParamId) -> Option<View<'_, T>> {
        let node = self.graded_node(p)?;
        let Slot { offset, len } = self.slots[node];
        Some(View::new(&self.grads[offset..offset + len], self.layout[node].shape))
    }

    /// Parameter `p`'s node, if the plan reads `p`.
    fn node_of(&self, p: ParamId) -> Option<NodeId> {
        self.params.iter().find(|(q, _)| *q == p).map(|&(_, node)| node)
    }

    /// Parameter `p`'s node, if a gradient reached it in the last [`Plan::backward`].
    fn graded_node(&self, p: ParamId) -> Option<NodeId> {
        let node = self.node_of(p)?;
        (self.reached[node] && self.slots[node].offset != NO_GRADIENT).then_some(node)
    }

    /// The value of node `id` (as of the last [`Plan::forward`]).
    pub fn value(&self, id: NodeId) -> View<'_, T> {
        self.layout[id].view(&self.values)
    }
}
