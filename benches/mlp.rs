//! MLP training throughput on the peers' workload (`../shared/bench/mlp_*.py`): 784-256-128-10,
//! ReLU, softmax cross-entropy, SGD lr 0.1, 60,000 synthetic samples (standard-normal features,
//! uniform labels), shuffled mini-batches; samples/s over one epoch after a warm-up epoch.
//!
//! Run: `cargo bench --bench mlp -- [BATCH ...] [--threads N ...] [--rounds R]`
//! (default batches 32 128 512, threads 1 2, 3 rounds; prints the median and best).

use backprop::autograd::ParamStore;
use backprop::data::{Dataset, Targets};
use backprop::loss::Loss;
use backprop::nn::{Activation, MlpSpec, Sequential};
use backprop::optim::Optimizer;
use backprop::tensor::{Tensor, Threads};
use backprop::train::{Control, Learner, TrainConfig, train};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

fn synthetic(n: usize) -> Dataset {
    let mut rng = backprop::rng(0);
    let features: Vec<f32> = (0..n * 784).map(|_| StandardNormal.sample(&mut rng)).collect();
    let labels = (0..n).map(|_| rng.random_range(0..10)).collect();
    Dataset {
        features: Tensor::new(features, [n, 784]),
        targets: Targets::Classes { labels, names: (0..10).map(|c| c.to_string()).collect() },
        feature_names: (0..784).map(|i| format!("f{i}")).collect(),
    }
}

/// Samples per second of the second of two epochs.
fn measure(data: &Dataset, batch: usize, threads: usize) -> f64 {
    let mut params = ParamStore::new();
    let spec = MlpSpec {
        sizes: vec![784, 256, 128, 10],
        activation: Activation::Relu,
        output: Activation::Identity,
        dropout: 0.0,
    };
    let model = Sequential::mlp(&spec, &mut params, &mut backprop::rng(1));
    let mut learner = Learner { model, params, optimizer: Optimizer::by_name("sgd", 0.0, 0.0).unwrap() };
    let mut cfg = TrainConfig::new(Loss::CrossEntropy, 0.1);
    (cfg.epochs, cfg.batch_size, cfg.threads) = (2, batch, Threads::new(threads));
    let report = train(&mut learner, data, None, &cfg, 0, |_, _| Control::Continue).expect("training runs");
    report.history[1].samples_per_second
}

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
    let data = synthetic(60_000);
    println!("MLP 784-256-128-10, SGD lr 0.1, 60,000 synthetic samples: samples/s, median of {rounds} (best)");
    for &b in &batches {
        for &t in &threads {
            let mut runs: Vec<f64> = (0..rounds).map(|_| measure(&data, b, t)).collect();
            runs.sort_by(f64::total_cmp);
            println!("  batch {b:>4}, {t} thread(s): {:>8.0} ({:.0})", runs[runs.len() / 2], runs[runs.len() - 1]);
        }
    }
}
