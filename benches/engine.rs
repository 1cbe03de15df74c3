//! Engine benchmarks (a bench binary, not timed tests): `cargo bench --bench engine`.
//!
//! 1. The lecture network, 10,000 full-batch training steps on a reused tape, f64 and f32.
//! 2. The f32 matrix product for the MLP 784-256-128-10 shapes at batch 128 (`--rows N`), in GFLOP/s, the
//!    same shapes and method as `../shared/bench/gemm_numpy.py` (calibrate to ~60 ms, then the
//!    median of 9 samples), so the two can be run side by side in one session.
//!
//! Arguments: `lecture` or `gemm` runs one part only; `--threads N` for the products.

mod common;

use clap::Parser;

use backprop::tensor::{Float, Tensor, Threads, Write, matmul};
use common::{fill, gflop_rate, median};

/// Milliseconds for 10,000 lecture steps: (median, best) over `rounds`, and the final error.
fn lecture<T: Float>(rounds: usize, compiled: bool) -> (f64, f64, f64) {
    let runs: Vec<(f64, f64)> = (0..rounds).map(|_| common::lecture_seconds::<T>(compiled)).collect();
    let times: Vec<f64> = runs.iter().map(|r| r.0 * 1e3).collect();
    let best = times.iter().copied().fold(f64::MAX, f64::min);
    (median(times), best, runs[0].1)
}

/// Square products, then the MLP 784-256-128-10's products at `rows` samples (gemm_numpy.py
/// uses 128): name, m, k, n, A stored transposed, B stored transposed.
fn shapes(rows: usize) -> Vec<(String, usize, usize, usize, bool, bool)> {
    let mut s: Vec<_> = [256, 512, 1024, 2048].map(|n| (format!("sq{n}"), n, n, n, false, false)).into();
    s.extend([
        (format!("fwd1_{rows}x784@784x256"), rows, 784, 256, false, false),
        (format!("dW1_({rows}x784)^T@{rows}x256"), 784, rows, 256, true, false),
        (format!("dX1_{rows}x256@(784x256)^T"), rows, 256, 784, false, true),
        (format!("fwd2_{rows}x256@256x128"), rows, 256, 128, false, false),
        (format!("fwd3_{rows}x128@128x10"), rows, 128, 10, false, false),
    ]);
    s
}

/// Median GFLOP/s of op(A)·op(B) for one shape.
fn gemm(m: usize, k: usize, n: usize, ta: bool, tb: bool, threads: Threads) -> f64 {
    let a = Tensor::new(fill(m * k, 1), if ta { [k, m] } else { [m, k] });
    let b = Tensor::new(fill(k * n, 2), if tb { [n, k] } else { [k, n] });
    let mut out = vec![0.0f32; m * n];
    let run = || matmul(&mut out, a.view().mat().t_if(ta), b.view().mat().t_if(tb), Write::Overwrite, threads);
    let rate = gflop_rate(2.0 * (m * k * n) as f64, run);
    // Check the product once against f64 arithmetic, as the numpy script does.
    let c = a.matmul_opts(&b, ta, tb, threads);
    let want = a.cast::<f64>().matmul_opts(&b.cast::<f64>(), ta, tb, Threads::ONE);
    assert!(c.cast::<f64>().max_abs_diff(&want) < 1e-3, "product is wrong");
    rate
}

/// The engine's own benchmarks: the lecture network and the MLP's matrix products.
#[derive(Parser)]
struct Options {
    /// Which parts to run: `lecture`, `gemm` [default: both].
    parts: Vec<Part>,
    /// Threads for the products.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Rows of the products' batch.
    #[arg(long, default_value_t = 128)]
    rows: usize,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    Lecture,
    Gemm,
}

fn main() {
    let opts = Options::parse();
    let only = |part: Part| opts.parts.is_empty() || opts.parts.contains(&part);
    let (threads, rows) = (Threads::new(opts.threads), opts.rows);

    if only(Part::Lecture) {
        println!("lecture network 2-2-2, 10,000 full-batch SGD steps (15 rounds)");
        for (name, (med, best, e)) in [
            ("f64, recorded once, compiled", lecture::<f64>(15, true)),
            ("f32, recorded once, compiled", lecture::<f32>(15, true)),
            ("f64, recorded every step", lecture::<f64>(15, false)),
            ("f32, recorded every step", lecture::<f32>(15, false)),
        ] {
            println!("  {name:<30} median {med:.3} ms, best {best:.3} ms, final error {e:.6e}");
        }
    }
    if only(Part::Gemm) {
        println!("f32 matrix product, {} thread(s): GFLOP/s, median of 9", threads.get());
        for (name, m, k, n, ta, tb) in shapes(rows) {
            println!("  {name:<26} {:>7.1}", gemm(m, k, n, ta, tb, threads));
        }
    }
}
