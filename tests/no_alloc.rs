//! A training step on a reset tape allocates nothing: the arenas of the last step are reused.
//! Its own test binary, so no other test allocates while it counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use backprop::autograd::Tape;
use backprop::lecture::Lecture;

/// Counts allocations and forwards everything to the system allocator.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; this only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f`.
fn count(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    f();
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

#[test]
fn a_training_step_after_the_first_allocates_nothing() {
    // Recorded afresh each step on a reset tape (define-by-run).
    let mut net = Lecture::<f64>::new();
    let mut tape = Tape::new();
    net.step_on(&mut tape);
    let n = count(|| {
        (0..100).for_each(|_| {
            net.step_on(&mut tape);
        })
    });
    assert_eq!(n, 0, "100 recorded lecture steps allocated {n} times");

    // Recorded once, then replayed.
    let mut net = Lecture::<f64>::new();
    net.step();
    let n = count(|| {
        (0..100).for_each(|_| {
            net.step();
        })
    });
    assert_eq!(n, 0, "100 replayed lecture steps allocated {n} times");
}
