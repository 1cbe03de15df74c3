//! Shapes and numpy-style broadcasting.
//!
//! A [`Shape`] is a small inline array (no heap allocation), because every node of every tape
//! carries one and the tiny lecture network must not pay an allocation per shape.

use std::fmt;

/// The most dimensions a tensor may have: MLPs use 1–3, images batched as NCHW use 4. Kept
/// small because every node carries a shape and the tape moves nodes around.
pub const MAX_RANK: usize = 4;

/// The extent of each dimension of a row-major tensor. Unused trailing slots are always 1, so
/// comparing whole arrays is comparing shapes and the element count is a fixed product.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    dims: [usize; MAX_RANK],
    rank: usize,
}

impl Shape {
    /// A shape from its dimensions. Panics past [`MAX_RANK`] dimensions (a bug in the caller).
    #[inline]
    pub fn new(dims: &[usize]) -> Shape {
        assert!(
            dims.len() <= MAX_RANK,
            "shape {dims:?} has {} dimensions; at most {MAX_RANK} are supported",
            dims.len()
        );
        let mut d = [1; MAX_RANK];
        d[..dims.len()].copy_from_slice(dims);
        Shape { dims: d, rank: dims.len() }
    }

    /// The shape of a single number (rank 0).
    #[inline]
    pub fn scalar() -> Shape {
        Shape::new(&[])
    }

    #[inline]
    pub fn dims(&self) -> &[usize] {
        &self.dims[..self.rank]
    }

    #[inline]
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Number of elements: the product of the dimensions (1 for a scalar).
    #[inline]
    pub fn numel(&self) -> usize {
        self.dims.iter().product()
    }

    /// Whether this shape's dimensions are the last dimensions of `long`, so it repeats whole
    /// there (the common broadcast: a bias row against a batch).
    #[inline]
    pub fn is_suffix_of(self, long: Shape) -> bool {
        self.rank() <= long.rank() && self.numel() > 0 && self.dims() == &long.dims()[long.rank() - self.rank()..]
    }

    /// A matrix or a batch of them, as (batch, rows, columns): rank 2 is one matrix, rank 3 a
    /// batch. Read by the product on every call, so it is a few loads, not a loop.
    #[inline]
    pub fn matrices(&self) -> (usize, usize, usize) {
        let d = self.dims;
        match self.rank {
            2 => (1, d[0], d[1]),
            3 => (d[0], d[1], d[2]),
            rank => {
                panic!("a product takes matrices (rank 2) or batches of them (rank 3), not shape {self} of rank {rank}")
            }
        }
    }

    /// Dimension `axis`; panics naming the shape if the axis is out of range.
    #[inline]
    pub fn dim(&self, axis: usize) -> usize {
        assert!(axis < self.rank, "axis {axis} is out of range for shape {self}");
        self.dims[axis]
    }

    /// The same shape with dimension `axis` set to `len`.
    #[inline]
    pub fn with_dim(&self, axis: usize, len: usize) -> Shape {
        assert!(axis < self.rank, "axis {axis} is out of range for shape {self}");
        let mut dims = self.dims;
        dims[axis] = len;
        Shape::new(&dims[..self.rank])
    }

    /// The same shape without dimension `axis`.
    pub fn without_dim(&self, axis: usize) -> Shape {
        assert!(axis < self.rank, "axis {axis} is out of range for shape {self}");
        let mut v: Vec<usize> = self.dims().to_vec();
        v.remove(axis);
        Shape::new(&v)
    }

    /// Splits the shape around `axis` into (outer, len, inner) counts, the view every
    /// reduction along an axis works on: element (o, i, n) sits at `(o·len + i)·inner + n`.
    #[inline]
    pub fn split_at_axis(&self, axis: usize) -> (usize, usize, usize) {
        let len = self.dim(axis);
        let outer = self.dims()[..axis].iter().product();
        let inner = self.dims()[axis + 1..].iter().product();
        (outer, len, inner)
    }

    /// The numpy broadcast of two shapes: dimensions are aligned from the right and each pair
    /// must be equal or contain a 1. `None` when they do not broadcast.
    pub fn broadcast(a: &Shape, b: &Shape) -> Option<Shape> {
        let rank = a.rank.max(b.rank);
        let mut out = [0; MAX_RANK];
        for i in 0..rank {
            let da = if i < a.rank { a.dims[a.rank - 1 - i] } else { 1 };
            let db = if i < b.rank { b.dims[b.rank - 1 - i] } else { 1 };
            out[rank - 1 - i] = match (da, db) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                _ => return None,
            };
        }
        Some(Shape::new(&out[..rank]))
    }

    /// Strides (in elements) for reading a tensor of this shape as if it had shape `target`
    /// (which it broadcasts to): 0 along every broadcast dimension.
    pub fn broadcast_strides(&self, target: &Shape) -> [usize; MAX_RANK] {
        let mut strides = [0; MAX_RANK];
        let offset = target.rank - self.rank;
        let mut stride = 1;
        for i in (0..self.rank).rev() {
            if self.dims[i] != 1 {
                strides[i + offset] = stride;
            }
            stride *= self.dims[i];
        }
        strides
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.dims())
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.dims())
    }
}

impl From<&[usize]> for Shape {
    fn from(dims: &[usize]) -> Shape {
        Shape::new(dims)
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(dims: [usize; N]) -> Shape {
        Shape::new(&dims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_follows_numpy_rules() {
        let s = |d: &[usize]| Shape::new(d);
        assert_eq!(Shape::broadcast(&s(&[3, 1]), &s(&[4])), Some(s(&[3, 4])));
        assert_eq!(Shape::broadcast(&s(&[]), &s(&[2, 3])), Some(s(&[2, 3])));
        assert_eq!(Shape::broadcast(&s(&[2, 1, 5]), &s(&[7, 1])), Some(s(&[2, 7, 5])));
        assert_eq!(Shape::broadcast(&s(&[3]), &s(&[4])), None);
    }

    #[test]
    fn broadcast_strides_are_zero_on_broadcast_axes() {
        let b = Shape::new(&[3, 1]);
        let st = b.broadcast_strides(&Shape::new(&[2, 3, 4]));
        assert_eq!(&st[..3], &[0, 1, 0]);
    }
}
