//! This machine's ceiling for the MLP rows: how many f32 multiply-adds a core can retire per
//! second, measured by a short probe, so every training rate can be read as a share of what
//! the hardware allows rather than only against the peers.
//!
//! The probe is a loop of fused multiply-adds on independent registers (12 chains of AVX2, or
//! AVX-512 where the CPU has it; the better of the two is the ceiling), long enough for the
//! clock to settle, best of a few tries. On Zen 3 and Zen 4 both widths give the same figure
//! (Zen 4 runs a 512-bit FMA as two 256-bit halves); on CPUs with two 512-bit FMA units
//! AVX-512 doubles it. A product kernel cannot beat this loop: it also has to load operands.

use std::time::Instant;

/// FLOPs of one training sample of an MLP with these layer widths, in matrix products only:
/// forward x·Wᵀ (2·in·out per layer), the weight gradient (the same), and the input gradient
/// of every layer but the first (the data needs none). Bias, activation and loss work is left
/// out (under 1 % for 784-256-128-10). For 784-256-128-10: 234,752 multiply-adds forward, as
/// many for the weight gradients, 34,048 for the input gradients: 1,007,104 FLOPs.
pub fn mlp_flop_per_sample(widths: &[usize]) -> f64 {
    let products: Vec<f64> = widths.windows(2).map(|w| 2.0 * (w[0] * w[1]) as f64).collect();
    let all: f64 = products.iter().sum();
    all * 2.0 + products.iter().skip(1).sum::<f64>()
}

/// Multiply-add iterations per try: 12 chains × 8 (or 16) lanes × 2 FLOPs each, about 0.1 s.
const ITERATIONS: u64 = 3_000_000;

/// f32 FLOP/s of the probe on `threads` threads at once (the sum over them), best of 5
/// tries; `None` when the CPU has neither AVX2 with FMA nor AVX-512.
pub fn fma_peak(threads: usize) -> Option<f64> {
    probe_kind()?;
    let mut best = 0.0f64;
    for _ in 0..5 {
        let start = Instant::now();
        let flops: f64 = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(|| run_probe(ITERATIONS))).collect();
            handles.into_iter().map(|h| h.join().expect("the probe does not panic")).sum()
        });
        best = best.max(flops / start.elapsed().as_secs_f64());
    }
    Some(best)
}

#[derive(Clone, Copy)]
enum Probe {
    Avx2,
    Avx512,
}

/// The widest FMA the CPU has.
fn probe_kind() -> Option<Probe> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Some(Probe::Avx512);
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            return Some(Probe::Avx2);
        }
    }
    None
}

/// Runs the probe for `iterations` and returns the FLOPs it did.
fn run_probe(iterations: u64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    match probe_kind() {
        // SAFETY: `probe_kind` found the features each function is compiled for on this CPU,
        // which is all `#[target_feature]` requires of its caller.
        Some(Probe::Avx512) => unsafe { x86::avx512(iterations) },
        Some(Probe::Avx2) => unsafe { x86::avx2(iterations) },
        None => 0.0,
    }
    #[cfg(not(target_arch = "x86_64"))]
    0.0
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// Independent accumulators: more than FMA latency × units (4 × 2), so the units never wait.
    const CHAINS: usize = 12;

    #[target_feature(enable = "avx2,fma")]
    pub fn avx2(iterations: u64) -> f64 {
        let (a, b) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
        let mut acc = [_mm256_set1_ps(1.0); CHAINS];
        for _ in 0..iterations {
            for r in acc.iter_mut() {
                *r = _mm256_fmadd_ps(*r, a, b);
            }
        }
        std::hint::black_box(acc.iter().fold(_mm256_setzero_ps(), |s, &r| _mm256_add_ps(s, r)));
        (iterations * CHAINS as u64 * 8 * 2) as f64
    }

    #[target_feature(enable = "avx512f")]
    pub fn avx512(iterations: u64) -> f64 {
        let (a, b) = (_mm512_set1_ps(0.999_999), _mm512_set1_ps(1e-7));
        let mut acc = [_mm512_set1_ps(1.0); CHAINS];
        for _ in 0..iterations {
            for r in acc.iter_mut() {
                *r = _mm512_fmadd_ps(*r, a, b);
            }
        }
        std::hint::black_box(acc.iter().fold(_mm512_setzero_ps(), |s, &r| _mm512_add_ps(s, r)));
        (iterations * CHAINS as u64 * 16 * 2) as f64
    }
}
