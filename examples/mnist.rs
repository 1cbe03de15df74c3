//! MNIST with the library's API: an MLP 784-256-128-10 with ReLU, Adam and a cosine schedule,
//! trained on the 60,000 training images and tested on the 10,000 test images.
//!
//! Run: `cargo run --release --example mnist -- [MNIST_DIR] [EPOCHS] [THREADS]`
//! (default directory `../shared/data/mnist`, with the four original `.gz` files).

use std::path::PathBuf;
use std::time::Instant;

use backprop::autograd::ParamStore;
use backprop::data::load_mnist;
use backprop::loss::Loss;
use backprop::nn::{Activation, MlpSpec, Sequential};
use backprop::optim::{LrSchedule, Optimizer, Schedule};
use backprop::tensor::Threads;
use backprop::train::{Control, Learner, Run, TrainConfig, evaluate, every_epoch, train};

fn main() -> backprop::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(args.first().map_or("../shared/data/mnist", String::as_str));
    let epochs: usize = args.get(1).and_then(|e| e.parse().ok()).unwrap_or(10);
    let threads = args.get(2).and_then(|t| t.parse().ok()).map_or(Threads::all(), Threads::new);

    let train_set = load_mnist(&dir.join("train-images-idx3-ubyte.gz"), &dir.join("train-labels-idx1-ubyte.gz"))?;
    let test_set = load_mnist(&dir.join("t10k-images-idx3-ubyte.gz"), &dir.join("t10k-labels-idx1-ubyte.gz"))?;
    println!("MNIST: {} training images, {} test images", train_set.len(), test_set.len());

    let mut rng = backprop::rng(42);
    let mut params = ParamStore::new();
    let spec = MlpSpec::logits(&[784, 256, 128, 10], Activation::Relu);
    let model = Sequential::mlp(&spec, &mut params, &mut rng);
    let mut learner = Learner { model, params, optimizer: Optimizer::adam(0.0) };
    let mut cfg = TrainConfig::new(Loss::CrossEntropy, 1e-3);
    cfg.epochs = epochs;
    cfg.batch_size = 128;
    cfg.seed = 42;
    cfg.threads = threads;
    cfg.lr = LrSchedule { base: 1e-3, schedule: Schedule::Cosine { epochs: epochs as f64, min_lr: 0.0 }, warmup: 0.0 };

    let start = Instant::now();
    train(
        &mut learner,
        Run::new(&train_set, Some(&test_set), &cfg),
        &mut every_epoch(|m, _| {
            println!(
                "epoch {:>2}: train loss {:.4} acc {:.4} | test loss {:.4} acc {:.4} | {:.0} samples/s, {:.1} s",
                m.epoch,
                m.train_loss,
                m.train_accuracy.unwrap_or(0.0),
                m.val_loss.unwrap_or(0.0),
                m.val_accuracy.unwrap_or(0.0),
                m.samples_per_second,
                m.seconds
            );
            Control::Continue
        }),
    )?;
    let test = evaluate(&learner.model, &learner.params, &test_set, Loss::CrossEntropy, cfg.threads)?;
    println!(
        "test accuracy {:.2} % after {epochs} epochs, {:.1} s in all",
        100.0 * test.accuracy.unwrap_or(0.0),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
