//! MLP training throughput on the peers' workload (`../shared/bench/mlp_*.py`): 784-256-128-10,
//! ReLU, softmax cross-entropy, SGD lr 0.1, 60,000 synthetic samples (standard-normal features,
//! uniform labels), shuffled mini-batches; samples/s over one epoch after a warm-up epoch.
//!
//! Run: `cargo bench --bench mlp -- [BATCH ...] [--threads N ...] [--rounds R]`
//! (default batches 32 128 512, threads 1 2, 3 rounds; prints the median and best).

mod common;

use clap::Parser;

/// MLP training throughput, samples/s.
#[derive(Parser)]
struct Options {
    /// Batch sizes.
    #[arg(default_values_t = [32, 128, 512])]
    batches: Vec<usize>,
    /// Thread counts (the flag may repeat).
    #[arg(long, default_values_t = [1, 2])]
    threads: Vec<usize>,
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() {
    let Options { batches, threads, rounds, .. } = Options::parse();
    let data = common::synthetic(60_000);
    println!("MLP 784-256-128-10, SGD lr 0.1, 60,000 synthetic samples: samples/s, median of {rounds} (best)");
    for &b in &batches {
        for &t in &threads {
            let mut runs: Vec<f64> = (0..rounds).map(|_| common::mlp_samples_per_second(&data, b, t)).collect();
            runs.sort_by(f64::total_cmp);
            println!("  batch {b:>4}, {t} thread(s): {:>8.0} ({:.0})", runs[runs.len() / 2], runs[runs.len() - 1]);
        }
    }
}
