//! Convolutional networks as the library builds them from `--layers` text: every trained
//! weight against finite differences in training and evaluation mode, the tape-free inference
//! path against the tape, batch normalisation's running statistics against PyTorch's update
//! rule worked out here from the data, and a small network learning a task only its
//! convolutions can see (bars across or down a noisy image).

use backprop::autograd::{ParamStore, Tape};
use backprop::data::{Dataset, Targets};
use backprop::loss::{self, Loss};
use backprop::nn::syntax::parse_layers;
use backprop::nn::{Architecture, SampleShape, Sequential};
use backprop::optim::{Optimizer, OptimizerKind, OptimizerSettings};
use backprop::tensor::{Tensor, Threads};
use backprop::train::{Control, Learner, Run, TrainConfig, evaluate, every_epoch, train};
use rand::Rng;

fn random(dims: &[usize], seed: u64) -> Tensor<f64> {
    let mut rng = backprop::rng(seed);
    Tensor::new((0..dims.iter().product()).map(|_| rng.random_range(-1.0..1.0)).collect(), dims)
}

fn architecture(image: [usize; 3], layers: &str, outputs: usize) -> Architecture {
    let [channels, height, width] = image;
    let hidden = parse_layers(layers).unwrap_or_else(|e| panic!("{e}"));
    Architecture::for_data(SampleShape::Image { channels, height, width }, &hidden, outputs).unwrap()
}

/// Every trained weight's ∂E/∂w from the tape against (E(w+ε) − E(w−ε))/2ε, with batch
/// normalisation in training mode (batch statistics) or evaluation mode (running ones).
fn check_trained_weights(model: &Sequential, store: &mut ParamStore<f64>, x: &Tensor<f64>, training: bool) {
    let t = random(&[x.dims()[0], model.outputs()], 99);
    let error = |store: &ParamStore<f64>| -> f64 {
        let tape = Tape::new();
        let mut rng = backprop::rng(0);
        let out = model.forward(&tape, store, tape.input(x), training.then_some(&mut rng));
        loss::half_sse(out, tape.input(&t)).item()
    };
    let tape = Tape::new();
    let mut rng = backprop::rng(0);
    let out = model.forward(&tape, store, tape.input(x), training.then_some(&mut rng));
    let grads = tape.backward(loss::half_sse(out, tape.input(&t)));
    let trained: Vec<_> =
        store.iter().filter(|(_, n, _)| !n.contains("running")).map(|(id, n, _)| (id, n.to_string())).collect();
    let analytic: Vec<Vec<f64>> =
        trained.iter().map(|(id, n)| grads.param(*id).unwrap_or_else(|| panic!("{n}")).data().to_vec()).collect();
    drop(grads);
    drop(tape);
    for ((id, name), analytic) in trained.iter().zip(analytic) {
        for (j, a) in analytic.iter().enumerate() {
            let orig = store.get(*id).data()[j];
            store.get_mut(*id).data_mut()[j] = orig + 1e-6;
            let plus = error(store);
            store.get_mut(*id).data_mut()[j] = orig - 1e-6;
            let minus = error(store);
            store.get_mut(*id).data_mut()[j] = orig;
            let numeric = (plus - minus) / 2e-6;
            assert!(
                (a - numeric).abs() <= 1e-6 + 1e-5 * numeric.abs(),
                "{name}[{j}] (training {training}): tape {a}, finite difference {numeric}"
            );
        }
    }
}

#[test]
fn every_weight_of_a_small_cnn_passes_the_finite_difference_check_in_both_modes() {
    let a = architecture(
        [2, 7, 7],
        "conv 3 3 pad 1, batchnorm, tanh, maxpool 2 stride 1, conv 4 2 stride 2 dilation 1, avgpool 2 stride 1 pad 1, batchnorm, silu, globalavgpool, dense 5, batchnorm, tanh",
        3,
    );
    let mut store = ParamStore::new();
    let model = Sequential::new(&a, &mut store, &mut backprop::rng(7)).unwrap();
    // Running statistics away from 0 and 1, so evaluation mode is not the identity.
    for (id, name) in store.iter().map(|(id, n, _)| (id, n.to_string())).collect::<Vec<_>>() {
        if name.ends_with("running_mean") || name.ends_with("running_var") {
            let n = store.get(id).numel();
            let values = random(&[n], id.0 as u64).map(|v| if name.ends_with("var") { 0.5 + v * v } else { 0.3 * v });
            *store.get_mut(id) = values;
        }
    }
    let names: Vec<String> = store.iter().map(|(_, n, _)| n.to_string()).collect();
    assert_eq!(
        names[..6],
        [
            "layers.0.weight",
            "layers.0.bias",
            "layers.1.weight",
            "layers.1.bias",
            "layers.1.running_mean",
            "layers.1.running_var"
        ]
    );
    let x = random(&[3, 2 * 7 * 7], 5);
    check_trained_weights(&model, &mut store, &x, true);
    check_trained_weights(&model, &mut store, &x, false);
}

#[test]
fn inference_without_a_tape_equals_the_tapes_evaluation_on_any_thread_count() {
    let a = architecture(
        [3, 12, 10],
        "conv 6 3, batchnorm, relu, maxpool 2, conv 8 3 pad 1, relu, avgpool 2, flatten, dense 7, relu, dropout 0.5",
        4,
    );
    let mut store = ParamStore::<f32>::new();
    let model = Sequential::new(&a, &mut store, &mut backprop::rng(3)).unwrap();
    for (id, name) in store.iter().map(|(id, n, _)| (id, n.to_string())).collect::<Vec<_>>() {
        if name.contains("running") {
            *store.get_mut(id) = random(&[6], 11).cast::<f32>().map(|v| v.abs() + 0.25);
        }
    }
    let x = random(&[300, 3 * 12 * 10], 8).cast::<f32>();
    let tape = Tape::new();
    let want = model.forward(&tape, &store, tape.input(&x), None).value();
    for threads in [1, 2] {
        let got = model.predict(&store, &x, Threads::new(threads));
        assert_eq!(got.dims(), [300, 4]);
        let diff = got.max_abs_diff(&want);
        assert!(diff < 1e-5, "{threads} threads: differs from the tape by {diff}");
    }
}

/// `n` images of `size`×`size`: a bright bar across (class 0) or down (class 1) at a random
/// place, on noise that is as bright on average as the bar's pixels are in total.
fn bars(n: usize, size: usize, seed: u64) -> Dataset {
    let mut rng = backprop::rng(seed);
    let (mut pixels, mut labels) = (vec![], vec![]);
    for _ in 0..n {
        let class = rng.random_range(0..2);
        let at = rng.random_range(0..size);
        for y in 0..size {
            for x in 0..size {
                let on = if class == 0 { y == at } else { x == at };
                pixels.push(if on { 1.0 } else { 0.0 } + rng.random_range(0.0..0.6f32));
            }
        }
        labels.push(class);
    }
    Dataset {
        features: Tensor::new(pixels, [n, size * size]),
        targets: Targets::Classes { labels, names: vec!["across".into(), "down".into()] },
        feature_names: (0..size * size).map(|i| format!("pixel_{i}")).collect(),
        target_column: None,
        image: Some([1, size, size]),
    }
}

fn learner(a: &Architecture, seed: u64) -> Learner {
    let mut params = ParamStore::new();
    let model = Sequential::new(a, &mut params, &mut backprop::rng(seed)).unwrap();
    Learner {
        model,
        params,
        optimizer: Optimizer::new(OptimizerKind::Adam, OptimizerSettings { momentum: 0.9, weight_decay: 0.0 }),
    }
}

#[test]
fn a_small_cnn_learns_which_way_the_bars_run() {
    let (data, test) = (bars(600, 10, 1), bars(300, 10, 2));
    let a = architecture([1, 10, 10], "conv 8 3, batchnorm, relu, maxpool 2, conv 8 3, relu, globalavgpool", 2);
    let mut l = learner(&a, 4);
    let mut cfg = TrainConfig::new(Loss::CrossEntropy, 0.01);
    (cfg.epochs, cfg.batch_size, cfg.threads) = (15, 32, Threads::new(2));
    train(&mut l, Run::new(&data, None, &cfg), &mut every_epoch(|_, _| Control::Continue)).unwrap();
    let score = evaluate(&l.model, &l.params, &test, Loss::CrossEntropy, Threads::ONE).unwrap();
    assert!(score.accuracy.unwrap() > 0.95, "accuracy {:?} on bars the network never saw", score.accuracy);
}

#[test]
fn running_statistics_move_as_pytorchs_do_whatever_the_thread_count() {
    // Batch norm first, so its input is the data: every batch is the whole set of 40 images.
    let data = bars(40, 4, 3);
    let a = architecture([1, 4, 4], "batchnorm, flatten", 2);
    let pixels = data.features.data();
    let mean = pixels.iter().map(|&v| v as f64).sum::<f64>() / pixels.len() as f64;
    let unbiased = pixels.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / (pixels.len() - 1) as f64;
    for threads in [1, 2] {
        let mut l = learner(&a, 5);
        let mut cfg = TrainConfig::new(Loss::CrossEntropy, 0.01);
        (cfg.epochs, cfg.batch_size, cfg.threads) = (2, 40, Threads::new(threads));
        train(&mut l, Run::new(&data, None, &cfg), &mut every_epoch(|_, _| Control::Continue)).unwrap();
        let get = |name: &str| l.params.get(l.params.id(name).unwrap()).data()[0] as f64;
        // Two steps of r ← 0.9·r + 0.1·batch from PyTorch's starting values (0 and 1).
        let after_two = |start: f64, batch: f64| 0.9 * (0.9 * start + 0.1 * batch) + 0.1 * batch;
        let tol = 1e-5;
        assert!(
            (get("layers.0.running_mean") - after_two(0.0, mean)).abs() < tol,
            "{threads} threads: mean {}, expected {}",
            get("layers.0.running_mean"),
            after_two(0.0, mean)
        );
        assert!(
            (get("layers.0.running_var") - after_two(1.0, unbiased)).abs() < tol,
            "{threads} threads: var {}, expected {} (data variance {unbiased})",
            get("layers.0.running_var"),
            after_two(1.0, unbiased)
        );
    }
}
