//! MLP training throughput on the peers' workload (`../shared/bench/mlp_*.py`): 784-256-128-10,
//! ReLU, softmax cross-entropy, SGD lr 0.1, 60,000 synthetic samples (standard-normal features,
//! uniform labels), shuffled mini-batches; samples/s over one epoch after a warm-up epoch.
//!
//! Run: `cargo bench --bench mlp -- [BATCH ...] [--threads N ...] [--rounds R]`
//! (default batches 32 128 512, threads 1 2, 3 rounds; prints the median and best).

mod common;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let value_after = |flag: &str| -> Vec<usize> {
        args.windows(2).filter(|w| w[0] == flag).filter_map(|w| w[1].parse().ok()).collect()
    };
    let mut batches: Vec<usize> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || !args[i - 1].starts_with("--")))
        .filter_map(|(_, a)| a.parse().ok())
        .collect();
    if batches.is_empty() {
        batches = vec![32, 128, 512];
    }
    let threads = Some(value_after("--threads")).filter(|t| !t.is_empty()).unwrap_or(vec![1, 2]);
    let rounds = value_after("--rounds").first().copied().unwrap_or(3);
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
