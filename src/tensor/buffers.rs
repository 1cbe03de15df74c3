//! Where kernels get their output buffers from.
//!
//! A training step asks for the same buffer sizes in the same order every time, so a tape keeps
//! the buffers of the last step in a [`Pool`] and hands them out again: after the first step, a
//! step allocates nothing. Plain tensor maths uses [`Fresh`], which just allocates.

/// A source of output buffers. `take(len)` returns a vector of exactly `len` elements whose
/// contents are unspecified: every kernel writes each element of its output before reading it.
pub trait Buffers<T> {
    #[inline]
    fn take(&mut self, len: usize) -> Vec<T>;
}

/// Allocates a new zeroed buffer every time.
pub struct Fresh;

impl<T: Clone + Default> Buffers<T> for Fresh {
    fn take(&mut self, len: usize) -> Vec<T> {
        vec![T::default(); len]
    }
}

/// Buffers kept for reuse, grouped by exact length (a step asks for few distinct lengths, so a
/// linear scan over them beats hashing).
#[derive(Default)]
pub struct Pool<T> {
    by_len: Vec<(usize, Vec<Vec<T>>)>,
}

impl<T> Pool<T> {
    pub fn new() -> Pool<T> {
        Pool { by_len: Vec::new() }
    }

    /// Returns a buffer to the pool for a later `take` of the same length.
    #[inline]
    pub fn give(&mut self, buf: Vec<T>) {
        let len = buf.len();
        match self.by_len.iter_mut().find(|(l, _)| *l == len) {
            Some((_, list)) => list.push(buf),
            None => self.by_len.push((len, vec![buf])),
        }
    }

    /// Number of buffers waiting for reuse.
    pub fn len(&self) -> usize {
        self.by_len.iter().map(|(_, list)| list.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T: Clone + Default> Buffers<T> for Pool<T> {
    fn take(&mut self, len: usize) -> Vec<T> {
        if let Some((_, list)) = self.by_len.iter_mut().find(|(l, _)| *l == len)
            && let Some(buf) = list.pop()
        {
            return buf;
        }
        vec![T::default(); len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_hands_back_a_buffer_of_the_same_length() {
        let mut pool: Pool<f32> = Pool::new();
        let mut a = pool.take(3);
        a[0] = 7.0;
        let ptr = a.as_ptr();
        pool.give(a);
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.take(4).len(), 4, "another length is freshly allocated");
        let b = pool.take(3);
        assert_eq!(b.as_ptr(), ptr, "the same allocation is reused");
        assert!(pool.is_empty());
    }
}
