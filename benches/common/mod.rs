//! Our side of the workloads the benchmarks share (the MLP bench, the engine bench and the
//! side-by-side comparison), so that each is defined once.

#![allow(dead_code)] // each bench binary uses part of it

use std::time::Instant;

use backprop::autograd::{ParamStore, Tape};
use backprop::data::{Dataset, Targets};
use backprop::lecture::Lecture;
use backprop::loss::Loss;
use backprop::nn::{Activation, MlpSpec, Sequential};
use backprop::optim::Optimizer;
use backprop::tensor::{Float, Tensor, Threads};
use backprop::train::{Control, Learner, Run, TrainConfig, every_epoch, train};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// The peers' synthetic MLP data (`comparison/peers/common.py`): `n` × 784 standard-normal
/// features, labels uniform over 10 classes (the same distribution; not the same numbers).
pub fn synthetic(n: usize) -> Dataset {
    let mut rng = backprop::rng(0);
    let features: Vec<f32> = (0..n * 784).map(|_| StandardNormal.sample(&mut rng)).collect();
    let labels = (0..n).map(|_| rng.random_range(0..10)).collect();
    Dataset {
        features: Tensor::new(features, [n, 784]),
        targets: Targets::Classes { labels, names: (0..10).map(|c| c.to_string()).collect() },
        feature_names: (0..784).map(|i| format!("f{i}")).collect(),
        target_column: None,
        image: None,
    }
}

/// The MLP's layer widths: 784-256-128-10.
pub const MLP_WIDTHS: [usize; 4] = [784, 256, 128, 10];

/// The MLP 784-256-128-10 with ReLU, weights from a fixed seed.
pub fn mlp() -> (Sequential, ParamStore<f32>) {
    let mut params = ParamStore::new();
    let spec = MlpSpec::logits(&MLP_WIDTHS, Activation::Relu);
    let model = Sequential::mlp(&spec, &mut params, &mut backprop::rng(1));
    (model, params)
}

/// Samples per second of MLP training (softmax cross-entropy, SGD lr 0.1, shuffled
/// mini-batches) over one epoch, after a warm-up epoch: the peers' `mlp_*.py` with EPOCHS = 1.
pub fn mlp_samples_per_second(data: &Dataset, batch: usize, threads: usize) -> f64 {
    let (model, params) = mlp();
    let mut learner = Learner { model, params, optimizer: Optimizer::sgd(0.0, 0.0) };
    let mut cfg = TrainConfig::new(Loss::CrossEntropy, 0.1);
    (cfg.epochs, cfg.batch_size, cfg.threads) = (2, batch, Threads::new(threads));
    let report = train(&mut learner, Run::new(data, None, &cfg), &mut every_epoch(|_, _| Control::Continue))
        .expect("training runs");
    report.history[1].samples_per_second
}

/// The default image network of `backprop train` (`pipeline::plan::IMAGE_LAYERS` and the output
/// layer) for MNIST's 1×28×28 images and 10 classes, weights from a fixed seed.
pub fn default_cnn() -> (Sequential, ParamStore<f32>) {
    let hidden =
        backprop::nn::syntax::parse_layers(backprop::pipeline::plan::IMAGE_LAYERS).expect("the defaults parse");
    let image = backprop::nn::SampleShape::Image { channels: 1, height: 28, width: 28 };
    let architecture = backprop::nn::Architecture::for_data(image, &hidden, 10).expect("the defaults fit MNIST");
    let mut params = ParamStore::new();
    let model = Sequential::new(&architecture, &mut params, &mut backprop::rng(1)).expect("the defaults build");
    (model, params)
}

/// The first `n` MNIST training images from `dir` (their IDX files), as `backprop train` reads them.
pub fn mnist_images(dir: &std::path::Path, n: usize) -> Dataset {
    let all =
        backprop::data::load_mnist(&dir.join("train-images-idx3-ubyte.gz"), &dir.join("train-labels-idx1-ubyte.gz"))
            .expect("the MNIST files read");
    all.subset(&(0..n.min(all.len())).collect::<Vec<_>>())
}

/// Samples per second of the default image network's training on `data` (softmax
/// cross-entropy, Adam at 1e-3, shuffled batches, no augmentation) at `batch` × `threads`:
/// the second of two epochs, as the peers' `cnn_torch.py` measures its own.
pub fn cnn_samples_per_second(data: &Dataset, batch: usize, threads: usize) -> f64 {
    let (model, params) = default_cnn();
    let mut learner = Learner { model, params, optimizer: Optimizer::adam(0.0) };
    let mut cfg = TrainConfig::new(Loss::CrossEntropy, 1e-3);
    (cfg.epochs, cfg.batch_size, cfg.threads) = (2, batch, Threads::new(threads));
    let report = train(&mut learner, Run::new(data, None, &cfg), &mut every_epoch(|_, _| Control::Continue))
        .expect("training runs");
    report.history[1].samples_per_second
}

/// The default image network's inference on `data`'s images: the median batch-1 latency in
/// microseconds over 200 calls, and the median samples/s of 5 passes over 4,096 images in
/// batches of 1024, as `cnn_torch.py` measures PyTorch's.
pub fn cnn_inference(data: &Dataset, threads: usize) -> (f64, f64) {
    let (model, params) = default_cnn();
    let threads = Threads::new(threads);
    let x = &data.features;
    let row = |i: usize| Tensor::new(x.data()[i * 784..(i + 1) * 784].to_vec(), [1, 784]);
    for i in 0..20 {
        std::hint::black_box(model.predict(&params, &row(i), threads));
    }
    let mut times: Vec<f64> = (0..200)
        .map(|i| {
            let one = row(i);
            let t = Instant::now();
            std::hint::black_box(model.predict(&params, &one, threads));
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let batches: Vec<Tensor<f32>> =
        (0..4).map(|b| Tensor::new(x.data()[b * 1024 * 784..(b + 1) * 1024 * 784].to_vec(), [1024, 784])).collect();
    let rates: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            batches.iter().for_each(|b| {
                std::hint::black_box(model.predict(&params, b, threads));
            });
            4096.0 / t.elapsed().as_secs_f64()
        })
        .collect();
    (times[100] * 1e6, median(rates))
}

/// Seconds for 10,000 full-batch steps of the lecture's network, and the error after them:
/// the median of 5 timed runs after a warm-up run, as the peers' `tiny_*.py` time theirs (5
/// runs, the median reported). `compiled`: the graph recorded once and compiled into a plan
/// (`Lecture::step`); otherwise recorded afresh on a reset tape every step (`Lecture::step_on`,
/// define-by-run).
///
/// Each timed run lasts about as long as a peer's: it repeats the 10,000 steps (each time on a
/// fresh network, its plan compiled again) for at least [`LECTURE_RUN_SECONDS`] and reports
/// the time per 10,000. numpy's run takes ~0.4 s and ours ~4 ms; timed once, ours saw a
/// single moment of this shared, noisy machine (5 runs in 20 ms, all calm or all not: the
/// same binary's rounds were 43–126× numpy), where numpy's averages over its 0.4 s. Timed
/// over the same length, both average the same noise, and their ratio is the same-run ratio.
pub fn lecture_seconds<T: Float>(compiled: bool) -> (f64, f64) {
    let mut times = vec![];
    let mut error = 0.0;
    for run in 0..6 {
        let start = Instant::now();
        let mut repeats = 0;
        while repeats == 0 || (run > 0 && start.elapsed().as_secs_f64() < LECTURE_RUN_SECONDS) {
            let mut net = Lecture::<T>::new();
            let mut tape = Tape::new();
            for _ in 0..10_000 {
                if compiled {
                    net.step();
                } else {
                    net.step_on(&mut tape);
                }
            }
            error = net.error().to_f64().unwrap();
            repeats += 1;
        }
        if run > 0 {
            times.push(start.elapsed().as_secs_f64() / repeats as f64);
        }
    }
    times.sort_by(f64::total_cmp);
    (times[2], error)
}

/// How long each timed run of [`lecture_seconds`] lasts at least: about numpy's 10,000 steps.
pub const LECTURE_RUN_SECONDS: f64 = 0.3;

/// Inference of the MLP (`Sequential::predict`, no tape): the median latency of one sample in
/// microseconds over 2,000 calls, and the median throughput at batch 1024 over 30 calls, as the
/// peers' `infer_*.py` measure them.
pub fn inference(threads: usize) -> (f64, f64) {
    let (model, params) = mlp();
    let x = synthetic(1024).features;
    let one = Tensor::new(x.data()[..784].to_vec(), [1, 784]);
    let threads = Threads::new(threads);
    let timed = |input: &Tensor<f32>, calls: usize| -> f64 {
        for _ in 0..(calls / 10).max(3) {
            std::hint::black_box(model.predict(&params, input, threads));
        }
        let mut times: Vec<f64> = (0..calls)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(model.predict(&params, input, threads));
                t.elapsed().as_secs_f64()
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    };
    (timed(&one, 2000) * 1e6, 1024.0 / timed(&x, 30))
}

/// Median GFLOP/s of `run`, which does `flops` floating-point operations a call: calibrated to
/// ~60 ms a sample, then the median of 9 samples, as `../shared/bench/gemm_numpy.py` times
/// its products.
pub fn gflop_rate(flops: f64, mut run: impl FnMut()) -> f64 {
    run();
    let start = Instant::now();
    let mut reps = 0;
    while start.elapsed().as_secs_f64() < 0.06 {
        run();
        reps += 1;
    }
    let samples = (0..9)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                run();
            }
            flops * reps as f64 / t.elapsed().as_secs_f64() / 1e9
        })
        .collect();
    median(samples)
}

/// The same deterministic fill for every product's operands: values in [-0.5, 0.5).
pub fn fill(len: usize, salt: usize) -> Vec<f32> {
    (0..len).map(|i| ((i * 2654435761 + salt) % 1000) as f32 / 1000.0 - 0.5).collect()
}

/// The median of some numbers (the upper one of an even count).
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}
