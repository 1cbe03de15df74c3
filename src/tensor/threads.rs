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

/// Runs an elementwise update `f(w, g, state)` over a buffer `w`, the gradient `g` and `N`
/// same-length state buffers, cut into one contiguous chunk per thread (the optimiser step).
///
/// The gradient comes in `parts` (one per shard of a data-parallel step), and `g` is their sum:
/// with one part, the part itself; with more, added up in order 1 024 elements at a time into a
/// block on the stack that `f` reads at once, while it is in L1. That is the fused step: the
/// summed gradient is never written to memory and read back, and the numbers are those of
/// summing the parts first (`((p₀ + p₁) + p₂)…` per element either way). Each element sees the
/// same arithmetic whatever the cut, so the result does not depend on the thread count.
pub fn update_in_chunks<T: Float, const N: usize>(
    threads: Threads,
    w: &mut [T],
    parts: &[&[T]],
    state: [&mut [T]; N],
    f: &(impl Fn(&mut [T], &[T], [&mut [T]; N]) + Sync),
) {
    assert!(
        !parts.is_empty() && parts.iter().all(|g| g.len() == w.len()) && state.iter().all(|s| s.len() == w.len()),
        "update: buffers of {} elements, gradient parts of {:?}, state of {:?}",
        w.len(),
        parts.iter().map(|g| g.len()).collect::<Vec<_>>(),
        state.iter().map(|s| s.len()).collect::<Vec<_>>()
    );
    let threads = if w.len() >= tuning::PARALLEL_UPDATE { threads.get() } else { 1 };
    split_update(threads, 0, w, parts, state, f);
}

/// Halves `w[..]` (which starts at element `at` of the parameter) and its state until each
/// thread has its chunk; the parts stay whole and are indexed from `at`.
fn split_update<T: Float, const N: usize>(
    threads: usize,
    at: usize,
    w: &mut [T],
    parts: &[&[T]],
    state: [&mut [T]; N],
    f: &(impl Fn(&mut [T], &[T], [&mut [T]; N]) + Sync),
) {
    if threads <= 1 {
        return update_chunk(at, w, parts, state, f);
    }
    let mid = w.len() * (threads / 2) / threads;
    let (w_lo, w_hi) = w.split_at_mut(mid);
    let mut lo: [&mut [T]; N] = std::array::from_fn(|_| &mut [][..]);
    let mut hi: [&mut [T]; N] = std::array::from_fn(|_| &mut [][..]);
    for (i, s) in state.into_iter().enumerate() {
        (lo[i], hi[i]) = s.split_at_mut(mid);
    }
    let half = threads / 2;
    rayon::join(
        || split_update(half, at, w_lo, parts, lo, f),
        || split_update(threads - half, at + mid, w_hi, parts, hi, f),
    );
}

/// Elements per block of a summed gradient: 4 KiB of f32, so the block, the parts' slices and
/// the state's stay in L1 while `f` runs.
const SUM_BLOCK: usize = 1024;

/// One thread's chunk: `f` on the parts' sum, block by block. Compiled for AVX2 and AVX-512 as
/// well as the baseline, picked at run time: the optimisers' loops (a square root and divisions
/// per element) run 4 lanes wide in the baseline x86-64 build, 8 or 16 here. Lane width changes
/// no result: each element's operations are the same IEEE ones (no contraction into FMA).
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn update_chunk<T: Float, const N: usize>(
    at: usize,
    w: &mut [T],
    parts: &[&[T]],
    mut state: [&mut [T]; N],
    f: &(impl Fn(&mut [T], &[T], [&mut [T]; N]) + Sync),
) {
    let n = w.len();
    if let [g] = parts {
        return f(w, &g[at..at + n], state);
    }
    let mut block = [T::zero(); SUM_BLOCK];
    for start in (0..n).step_by(SUM_BLOCK) {
        let end = (start + SUM_BLOCK).min(n);
        let sum = &mut block[..end - start];
        let (first, second) = (&parts[0][at + start..at + end], &parts[1][at + start..at + end]);
        sum.iter_mut().zip(first.iter().zip(second)).for_each(|(s, (&a, &b))| *s = a + b);
        for part in &parts[2..] {
            sum.iter_mut().zip(&part[at + start..at + end]).for_each(|(s, &x)| *s += x);
        }
        let state = state.each_mut().map(|s| &mut s[start..end]);
        f(&mut w[start..end], sum, state);
    }
}
