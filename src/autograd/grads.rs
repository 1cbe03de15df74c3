//! The gradient store that `backward` fills: one slice per node in one arena, readable by node
//! or by parameter, and reused from step to step (hand it back with `Tape::recycle`).

use super::ops::{GradSink, NodeId};
use super::params::ParamId;
use super::var::Var;
use crate::tensor::{Float, Shape, View, Write};

/// Gives a rule the gradient slices of the nodes below the one being differentiated.
pub(super) struct Sink<'a, T> {
    pub(super) arena: &'a mut [T],
    pub(super) slots: &'a [Slot],
    pub(super) reached: &'a mut [bool],
    /// Whether the whole arena was zeroed before backward began (a plan does: one fill of a
    /// few dozen numbers costs less than a call to memset for each region), so a region's first
    /// contribution may add to it rather than zero it first.
    pub(super) zeroed: bool,
}

impl<T: Float> GradSink<T> for Sink<'_, T> {
    #[inline]
    fn add(&mut self, id: NodeId, f: impl FnOnce(&mut [T])) {
        let zeroed = self.zeroed;
        self.add_product(id, |region, write| {
            if write == Write::Overwrite && !zeroed {
                region.fill(T::zero());
            }
            f(region)
        })
    }

    #[inline]
    fn add_product(&mut self, id: NodeId, f: impl FnOnce(&mut [T], Write)) {
        let Slot { offset, len } = self.slots[id];
        if offset == NO_GRADIENT {
            return;
        }
        let write = if self.reached[id] { Write::Accumulate } else { Write::Overwrite };
        self.reached[id] = true;
        f(&mut self.arena[offset..offset + len], write);
    }
}

/// The offset of a node that wants no gradient.
pub(super) const NO_GRADIENT: usize = usize::MAX;

/// Where one node's gradient sits in the gradient arena.
#[derive(Clone, Copy)]
pub(super) struct Slot {
    pub(super) offset: usize,
    pub(super) len: usize,
}

/// The result of `backward`: ∂E/∂node for every node reached, readable by node or parameter.
pub struct Grads<T> {
    pub(super) arena: Vec<T>,
    pub(super) slots: Vec<Slot>,
    shapes: Vec<Shape>,
    /// Whether anything flowed into each node's gradient.
    pub(super) reached: Vec<bool>,
    pub(super) params: Vec<(ParamId, NodeId)>,
    /// (recording, loss node, parameters read) this layout was made for.
    pub(super) layout: Option<(u64, NodeId, usize)>,
}

impl<T> Default for Grads<T> {
    fn default() -> Self {
        Grads {
            arena: Vec::new(),
            slots: Vec::new(),
            shapes: Vec::new(),
            reached: Vec::new(),
            params: Vec::new(),
            layout: None,
        }
    }
}

impl<T: Float> Grads<T> {
    /// Lays out one gradient slice per node that wants one, keeping earlier memory.
    pub(super) fn lay_out(&mut self, nodes: impl Iterator<Item = (Shape, bool)>) {
        self.slots.clear();
        self.shapes.clear();
        self.params.clear();
        let mut total = 0;
        for (shape, wanted) in nodes {
            let offset = if wanted { total } else { NO_GRADIENT };
            if wanted {
                total += shape.numel();
            }
            self.slots.push(Slot { offset, len: shape.numel() });
            self.shapes.push(shape);
        }
        if self.arena.len() < total {
            self.arena.resize(total, T::zero());
        }
        self.reached.clear();
        self.reached.resize(self.slots.len(), false);
    }

    /// ∂E/∂v, or `None` if nothing flows from `v` to the loss.
    pub fn wrt(&self, v: Var<'_, T>) -> Option<View<'_, T>> {
        self.node(v.id())
    }

    /// ∂E/∂(node `id`).
    pub fn node(&self, id: NodeId) -> Option<View<'_, T>> {
        if !*self.reached.get(id)? {
            return None;
        }
        let Slot { offset, len } = self.slots[id];
        Some(View::new(&self.arena[offset..offset + len], self.shapes[id]))
    }

    /// ∂E/∂(parameter `id`), or `None` if the parameter was not used.
    pub fn param(&self, id: ParamId) -> Option<View<'_, T>> {
        let &(_, node) = self.params.iter().find(|(p, _)| *p == id)?;
        self.node(node)
    }

    /// ∂E/∂(parameter `id`), to change in place (gradient clipping).
    pub fn param_mut(&mut self, id: ParamId) -> Option<&mut [T]> {
        let &(_, node) = self.params.iter().find(|(p, _)| *p == id)?;
        if !self.reached[node] {
            return None;
        }
        let Slot { offset, len } = self.slots[node];
        Some(&mut self.arena[offset..offset + len])
    }

    /// The parameters that have a gradient.
    pub fn param_ids(&self) -> Vec<ParamId> {
        self.params().map(|(p, _)| p).collect()
    }

    /// Every parameter used on the tape with its gradient.
    pub fn params(&self) -> impl Iterator<Item = (ParamId, View<'_, T>)> {
        self.params.iter().filter_map(|&(p, node)| self.node(node).map(|g| (p, g)))
    }
}
