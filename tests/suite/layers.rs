//! Every layer and loss against finite differences. Layers keep their weights in a
//! `ParamStore`, so their check nudges each stored weight and compares with `grads.param`;
//! activations, dropout and losses are checked through `gradcheck` on their inputs.

use backprop::autograd::{GradcheckOptions, ParamStore, Tape, gradcheck};
use backprop::loss::{self, Reduction};
use backprop::nn::{Activation, Dropout, MlpSpec, Sequential};
use backprop::tensor::{Tensor, Threads};
use rand::Rng;
use strum::IntoEnumIterator;

fn random(dims: &[usize], seed: u64) -> Tensor<f64> {
    let mut rng = backprop::rng(seed);
    let n = dims.iter().product();
    Tensor::new((0..n).map(|_| rng.random_range(-1.0..1.0)).collect(), dims)
}

/// ∂E/∂w from the tape against (E(w+ε) − E(w−ε)) / 2ε for every weight of every parameter.
fn check_parameters(model: &Sequential, store: &mut ParamStore<f64>, x: &Tensor<f64>, targets: &Tensor<f64>) {
    let error = |store: &ParamStore<f64>| -> f64 {
        let tape = Tape::new();
        let out = model.forward(&tape, store, tape.input(x), None);
        loss::half_sse(out, tape.input(targets)).item()
    };
    let tape = Tape::new();
    let out = model.forward(&tape, store, tape.input(x), None);
    let grads = tape.backward(loss::half_sse(out, tape.input(targets)));
    let ids: Vec<_> = store.iter().map(|(id, name, _)| (id, name.to_string())).collect();
    let analytic: Vec<Vec<f64>> = ids.iter().map(|(id, _)| grads.param(*id).unwrap().data().to_vec()).collect();
    drop(grads);
    drop(tape);
    let eps = 1e-6;
    for ((id, name), analytic) in ids.iter().zip(analytic) {
        for (j, a) in analytic.iter().enumerate() {
            let orig = store.get(*id).data()[j];
            store.get_mut(*id).data_mut()[j] = orig + eps;
            let plus = error(store);
            store.get_mut(*id).data_mut()[j] = orig - eps;
            let minus = error(store);
            store.get_mut(*id).data_mut()[j] = orig;
            let numeric = (plus - minus) / (2.0 * eps);
            assert!(
                (a - numeric).abs() <= 1e-7 + 1e-6 * numeric.abs(),
                "{name}[{j}]: tape {a}, finite difference {numeric}"
            );
        }
    }
}

#[test]
fn mlp_weights_and_biases_pass_the_finite_difference_check_for_every_activation() {
    let hidden = Activation::iter().filter(|a| a.is_elementwise() && *a != Activation::Linear);
    for (i, activation) in hidden.enumerate() {
        let mut store = ParamStore::new();
        let spec = MlpSpec { sizes: vec![3, 5, 4, 2], activation, output: Activation::Sigmoid, dropout: 0.0 };
        let model = Sequential::mlp(&spec, &mut store, &mut backprop::rng(i as u64));
        let names: Vec<&str> = store.iter().map(|(_, n, _)| n).collect();
        assert_eq!(
            names,
            [
                "layers.0.weight",
                "layers.0.bias",
                "layers.1.weight",
                "layers.1.bias",
                "layers.2.weight",
                "layers.2.bias"
            ]
        );
        assert_eq!(store.get(store.id("layers.1.weight").unwrap()).dims(), &[4, 5], "weights are [out, in]");
        // Non-zero biases, so every path is exercised.
        for (id, _, _) in store.iter().map(|(id, n, t)| (id, n.to_string(), t.clone())).collect::<Vec<_>>() {
            if store.name(id).ends_with("bias") {
                *store.get_mut(id) = random(&[store.get(id).numel()], 50 + id.0 as u64);
            }
        }
        check_parameters(&model, &mut store, &random(&[6, 3], 10 + i as u64), &random(&[6, 2], 20));
    }
}

#[test]
fn softmax_output_layer_and_every_activation_pass_gradcheck() {
    let opts = GradcheckOptions::default();
    for activation in Activation::iter() {
        // Inputs away from relu's kink at 0.
        let x = random(&[4, 5], 1).map(|v| if v.abs() < 0.1 { v + 0.3 } else { v });
        let report = gradcheck(move |_, v| activation.apply(v[0]), &[x], &opts);
        assert!(report.passed(), "{activation:?}: {report}");
    }
}

#[test]
fn dropout_scales_survivors_and_passes_gradcheck_for_a_fixed_mask() {
    let d = Dropout { p: 0.5 };
    let report = gradcheck(
        move |_, v| d.forward(v[0], Some(&mut backprop::rng(9))),
        &[random(&[8, 8], 2)],
        &GradcheckOptions::default(),
    );
    assert!(report.passed(), "{report}");
    let tape = Tape::<f64>::new();
    let x = tape.input(&Tensor::ones([1000]));
    let y = d.forward(x, Some(&mut backprop::rng(3))).value();
    assert!(y.data().iter().all(|&v| v == 0.0 || v == 2.0), "survivors are scaled by 1/(1 − p)");
    let kept = y.data().iter().filter(|&&v| v > 0.0).count();
    assert!((400..600).contains(&kept), "about half survive: {kept}");
    assert_eq!(d.forward(x, None).id(), x.id(), "evaluation passes values through");
}

#[test]
fn every_loss_with_each_reduction_passes_gradcheck() {
    let opts = GradcheckOptions::default();
    let (out, target) = (random(&[4, 3], 3), random(&[4, 3], 4));
    let probs = target.map(|t| (t + 1.0) / 2.0);
    let classes = vec![0, 2, 1, 2];
    for reduction in [Reduction::Sum, Reduction::Mean] {
        let c = classes.clone();
        let checks = [
            gradcheck(|_, v| loss::half_sse(v[0], v[1]), &[out.clone(), target.clone()], &opts),
            gradcheck(move |_, v| loss::mse(v[0], v[1], reduction), &[out.clone(), target.clone()], &opts),
            gradcheck(move |_, v| loss::bce_with_logits(v[0], v[1], reduction), &[out.clone(), probs.clone()], &opts),
            gradcheck(move |_, v| loss::cross_entropy(v[0], &c, reduction), std::slice::from_ref(&out), &opts),
        ];
        for (i, report) in checks.iter().enumerate() {
            assert!(report.passed(), "loss {i} with {reduction:?}: {report}");
        }
    }
}

#[test]
fn losses_have_their_textbook_values() {
    let tape = Tape::<f64>::new();
    let out = tape.input(&Tensor::from_f64(&[0.75, 0.25], [1, 2]));
    let t = tape.input(&Tensor::from_f64(&[1.0, 0.0], [1, 2]));
    // ½((1 − 0.75)² + 0.25²) = 0.0625; mean (0.0625 + 0.0625)/2 = 0.0625; sum 0.125.
    assert_eq!(loss::half_sse(out, t).item(), 0.0625);
    assert_eq!(loss::mse(out, t, Reduction::Mean).item(), 0.0625);
    assert_eq!(loss::mse(out, t, Reduction::Sum).item(), 0.125);
    // Logits (0, 0) against class 0: −log ½ = ln 2.
    let z = tape.input(&Tensor::from_f64(&[0.0, 0.0], [1, 2]));
    assert!((loss::cross_entropy(z, &[0], Reduction::Mean).item() - std::f64::consts::LN_2).abs() < 1e-15);
    // BCE of logit 0 against 1: −log σ(0) = ln 2; and it stays finite for a huge logit.
    let huge = tape.input(&Tensor::from_f64(&[800.0], [1]));
    let zero = tape.input(&Tensor::from_f64(&[0.0], [1]));
    assert!(
        (loss::bce_with_logits(zero, tape.input(&Tensor::ones([1])), Reduction::Mean).item() - std::f64::consts::LN_2)
            .abs()
            < 1e-15
    );
    assert_eq!(loss::bce_with_logits(huge, zero, Reduction::Mean).item(), 800.0);
}

/// Inference without a tape agrees with the tape's forward pass, row for row, whether the batch
/// runs on one thread or is cut into blocks of rows across two (blocks in order, none lost):
/// 301 rows (one thread: a block of 256 and a short one; two: a block each) and 1,100 rows
/// (more blocks than threads).
#[test]
fn predict_matches_the_tape_on_one_thread_and_on_two() {
    let spec =
        MlpSpec { sizes: vec![7, 80, 3], activation: Activation::Tanh, output: Activation::Softmax, dropout: 0.0 };
    let mut store = ParamStore::<f64>::new();
    let model = Sequential::mlp(&spec, &mut store, &mut backprop::rng(3));
    for rows in [301, 1100] {
        let x = random(&[rows, 7], 4);
        let tape = Tape::new();
        let want = model.forward(&tape, &store, tape.input(&x), None).value();
        for threads in [1, 2] {
            let got = model.predict(&store, &x, Threads::new(threads));
            assert_eq!(got.dims(), want.dims());
            let off = got.max_abs_diff(&want);
            assert!(off < 1e-12, "{rows} rows, {threads} thread(s): off by {off}");
        }
    }
}

#[test]
fn label_smoothing_is_the_cross_entropy_of_smoothed_targets() {
    // Independently: PyTorch's definition, targets (1 − ε)·one-hot + ε/K, in the soft-target
    // cross-entropy −(1/N)·Σ T·log softmax, written out here in plain f64.
    let logits = random(&[4, 3], 5);
    let (classes, eps) = ([0usize, 2, 1, 2], 0.1);
    let tape = Tape::<f64>::new();
    let z = tape.input(&logits);
    let got = loss::label_smoothed(loss::cross_entropy(z, &classes, Reduction::Mean), z, eps).item();
    let mut want = 0.0;
    for (row, &c) in logits.data().chunks(3).zip(&classes) {
        let log_sum = row.iter().map(|v| v.exp()).sum::<f64>().ln();
        for (k, &v) in row.iter().enumerate() {
            let t = if k == c { 1.0 - eps } else { 0.0 } + eps / 3.0;
            want -= t * (v - log_sum) / 4.0;
        }
    }
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    let report = gradcheck(
        move |_, v| loss::label_smoothed(loss::cross_entropy(v[0], &classes, Reduction::Mean), v[0], eps),
        &[logits],
        &GradcheckOptions::default(),
    );
    assert!(report.passed(), "{report}");
}
