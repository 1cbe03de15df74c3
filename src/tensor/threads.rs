//! How many threads a kernel may use, and the one helper that splits an elementwise update
//! across them (the optimiser step and the sum of the shards' gradients).

use super::{Float, tuning};

/// How many threads a kernel may use. Passed explicitly (no global setting); one by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threads(usize);

impl Threads {
    pub const ONE: Threads = Threads(1);

    /// As many threads as the machine has cores.
    pub fn all() -> Threads {
        Threads::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// `n` threads (at least one).
    pub fn new(n: usize) -> Threads {
        Threads(n.max(1))
    }

    #[inline]
    pub fn get(self) -> usize {
        self.0
    }
}

impl Default for Threads {
    fn default() -> Threads {
        Threads::ONE
    }
}

/// Runs an elementwise update `f(w, g, state)` over a buffer `w`, a same-length input `g` and
/// `N` same-length state buffers, cut into one contiguous chunk per thread (the optimiser step
/// and the sum of the shards' gradients). Each element sees the same arithmetic whatever the
/// cut, so the result does not depend on the thread count.
pub fn update_in_chunks<T: Float, const N: usize>(
    threads: Threads,
    w: &mut [T],
    g: &[T],
    state: [&mut [T]; N],
    f: &(impl Fn(&mut [T], &[T], [&mut [T]; N]) + Sync),
) {
    assert!(
        g.len() == w.len() && state.iter().all(|s| s.len() == w.len()),
        "update: buffers of {} elements, input of {}, state of {:?}",
        w.len(),
        g.len(),
        state.iter().map(|s| s.len()).collect::<Vec<_>>()
    );
    let parts = if w.len() >= tuning::PARALLEL_UPDATE { threads.get() } else { 1 };
    split_update(parts, w, g, state, f);
}

fn split_update<T: Float, const N: usize>(
    parts: usize,
    w: &mut [T],
    g: &[T],
    state: [&mut [T]; N],
    f: &(impl Fn(&mut [T], &[T], [&mut [T]; N]) + Sync),
) {
    if parts <= 1 {
        return f(w, g, state);
    }
    let mid = w.len() * (parts / 2) / parts;
    let (w_lo, w_hi) = w.split_at_mut(mid);
    let (g_lo, g_hi) = g.split_at(mid);
    let mut lo: [&mut [T]; N] = std::array::from_fn(|_| &mut [][..]);
    let mut hi: [&mut [T]; N] = std::array::from_fn(|_| &mut [][..]);
    for (i, s) in state.into_iter().enumerate() {
        (lo[i], hi[i]) = s.split_at_mut(mid);
    }
    rayon::join(|| split_update(parts / 2, w_lo, g_lo, lo, f), || split_update(parts - parts / 2, w_hi, g_hi, hi, f));
}
