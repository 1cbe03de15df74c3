//! Training real data end to end, with a fixed seed: iris and the UCI digits reach their
//! accuracy targets on held-out samples; two runs with one seed give identical weights; early
//! stopping keeps the best epoch; a diverging run stops with a clear message.

use std::path::Path;

use backprop::autograd::ParamStore;
use backprop::data::{CsvOptions, Dataset, Standardizer, load_csv};
use backprop::loss::Loss;
use backprop::nn::{Activation, MlpSpec, Sequential};
use backprop::optim::{Optimizer, OptimizerKind, OptimizerSettings};
use backprop::tensor::Threads;
use backprop::train::{Control, Learner, Run, TrainConfig, evaluate, every_epoch, train};

fn load(file: &str) -> Dataset {
    load_csv(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(file), &CsvOptions::default()).unwrap()
}

/// Splits off 20 % for testing, standardises with the training part's statistics.
fn prepared(file: &str, seed: u64) -> (Dataset, Dataset) {
    let (mut train_set, mut test_set) = load(file).split(0.2, &mut backprop::rng(seed));
    let s = Standardizer::fit(&train_set.features);
    s.apply(&mut train_set.features);
    s.apply(&mut test_set.features);
    (train_set, test_set)
}

fn learner(sizes: &[usize], optimizer: OptimizerKind, seed: u64) -> Learner {
    let mut params = ParamStore::new();
    let spec = MlpSpec::logits(sizes, Activation::Relu);
    let model = Sequential::mlp(&spec, &mut params, &mut backprop::rng(seed));
    Learner {
        model,
        params,
        optimizer: Optimizer::new(optimizer, OptimizerSettings { momentum: 0.9, weight_decay: 0.0 }),
    }
}

fn config(epochs: usize, batch: usize, lr: f64) -> TrainConfig {
    let mut cfg = TrainConfig::new(Loss::CrossEntropy, lr);
    (cfg.epochs, cfg.batch_size, cfg.seed) = (epochs, batch, 7);
    cfg
}

#[test]
fn iris_reaches_93_percent_on_held_out_flowers() {
    let (train_set, test_set) = prepared("iris.csv", 1);
    let mut l = learner(&[4, 16, 3], OptimizerKind::Adam, 1);
    train(&mut l, Run::new(&train_set, None, &config(100, 16, 0.01)), &mut every_epoch(|_, _| Control::Continue))
        .unwrap();
    let acc = evaluate(&l.model, &l.params, &test_set, Loss::CrossEntropy, Threads::ONE).unwrap().accuracy.unwrap();
    assert!(acc >= 0.93, "iris test accuracy {acc}");
}

#[test]
fn digits_reach_95_percent_on_held_out_images() {
    let (train_set, test_set) = prepared("digits.csv", 2);
    let mut l = learner(&[64, 64, 10], OptimizerKind::Adam, 2);
    let report =
        train(&mut l, Run::new(&train_set, None, &config(30, 32, 1e-3)), &mut every_epoch(|_, _| Control::Continue))
            .unwrap();
    assert_eq!(report.history.len(), 30);
    assert!(report.history[29].train_loss < report.history[0].train_loss / 5.0);
    let acc = evaluate(&l.model, &l.params, &test_set, Loss::CrossEntropy, Threads::ONE).unwrap().accuracy.unwrap();
    assert!(acc >= 0.95, "digits test accuracy {acc}");
}

#[test]
fn one_seed_and_thread_count_give_bit_identical_weights() {
    let (train_set, _) = prepared("digits.csv", 3);
    for threads in [1, 2] {
        let run = || {
            let mut l = learner(&[64, 32, 10], OptimizerKind::Sgd, 3);
            let mut cfg = config(3, 16, 0.05);
            cfg.threads = Threads::new(threads);
            train(&mut l, Run::new(&train_set, None, &cfg), &mut every_epoch(|_, _| Control::Continue)).unwrap();
            l.params
        };
        let (a, b) = (run(), run());
        for ((_, name, x), (_, _, y)) in a.iter().zip(b.iter()) {
            assert!(x.data().iter().zip(y.data()).all(|(p, q)| p.to_bits() == q.to_bits()), "{name} differs");
        }
    }
}

#[test]
fn early_stopping_keeps_the_best_epoch_and_the_hook_can_stop() {
    let (train_set, val_set) = prepared("iris.csv", 4);
    let mut l = learner(&[4, 32, 3], OptimizerKind::Adam, 4);
    let mut cfg = config(200, 8, 0.05);
    cfg.early_stop = Some(3);
    let report =
        train(&mut l, Run::new(&train_set, Some(&val_set), &cfg), &mut every_epoch(|_, _| Control::Continue)).unwrap();
    assert!(report.stopped_early && report.history.len() < 200);
    // Classes: the kept epoch has the best validation accuracy, and the lowest loss among the
    // epochs that share it.
    let best = report.best_epoch.unwrap();
    let (best_accuracy, best_loss) =
        (report.history[best - 1].val_accuracy.unwrap(), report.history[best - 1].val_loss.unwrap());
    assert!(report.history.iter().all(|m| m.val_accuracy.unwrap() <= best_accuracy));
    let ties = report.history.iter().filter(|m| m.val_accuracy.unwrap() == best_accuracy);
    assert!(ties.clone().all(|m| m.val_loss.unwrap() >= best_loss));
    let stop = best + cfg.early_stop.unwrap();
    assert_eq!(report.history.len(), stop, "stopped {} epochs after the best", cfg.early_stop.unwrap());
    let kept = evaluate(&l.model, &l.params, &val_set, Loss::CrossEntropy, Threads::ONE).unwrap().loss;
    assert!((kept - best_loss).abs() < 1e-6, "the best weights are restored: {kept} vs {best_loss}");

    let mut l = learner(&[4, 8, 3], OptimizerKind::Adam, 4);
    let report = train(
        &mut l,
        Run::new(&train_set, None, &config(50, 8, 0.01)),
        &mut every_epoch(|m, _| if m.epoch == 2 { Control::Stop } else { Control::Continue }),
    )
    .unwrap();
    assert_eq!(report.history.len(), 2);
}

#[test]
fn a_diverging_run_stops_with_a_message_and_keeps_good_weights() {
    let (train_set, _) = prepared("iris.csv", 5);
    let mut l = learner(&[4, 16, 3], OptimizerKind::Sgd, 5);
    let err =
        train(&mut l, Run::new(&train_set, None, &config(20, 16, 1e6)), &mut every_epoch(|_, _| Control::Continue))
            .unwrap_err()
            .to_string();
    assert!(err.contains("diverged") && err.contains("lower learning rate"), "{err}");
    assert!(l.params.iter().all(|(_, _, t)| t.data().iter().all(|x| x.is_finite())));
}

#[test]
fn mismatched_data_is_an_error_not_a_panic() {
    let (train_set, _) = prepared("iris.csv", 6);
    let mut l = learner(&[5, 8, 3], OptimizerKind::Sgd, 6);
    let err = train(&mut l, Run::new(&train_set, None, &config(1, 8, 0.1)), &mut every_epoch(|_, _| Control::Continue))
        .unwrap_err();
    assert!(err.to_string().contains("takes 5 features but the data has 4"), "{err}");
}

/// Two threads train through the fused update (the shards' gradients added inside the
/// optimiser) unless clipping needs the summed gradient first. A clip that never clips takes
/// the summed-first path: the weights must be the same, bit for bit, for SGD with momentum and
/// for Adam.
#[test]
fn the_fused_update_trains_bit_identically_to_summing_the_shards_first() {
    let (train_set, _) = prepared("digits.csv", 3);
    for optimizer in [OptimizerKind::Sgd, OptimizerKind::Adam] {
        let run = |clip: Option<f64>| {
            let mut l = learner(&[64, 32, 10], optimizer, 3);
            let mut cfg = config(2, 64, if optimizer == OptimizerKind::Sgd { 0.05 } else { 1e-3 });
            (cfg.threads, cfg.clip_norm) = (Threads::new(2), clip);
            train(&mut l, Run::new(&train_set, None, &cfg), &mut every_epoch(|_, _| Control::Continue)).unwrap();
            l.params
        };
        let (fused, summed) = (run(None), run(Some(f64::MAX)));
        for ((_, name, x), (_, _, y)) in fused.iter().zip(summed.iter()) {
            assert!(
                x.data().iter().zip(y.data()).all(|(p, q)| p.to_bits() == q.to_bits()),
                "{optimizer}: {name} differs"
            );
        }
    }
}
