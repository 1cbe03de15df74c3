//! Each optimiser against its published update equations, on a case worked by hand: one weight
//! w₀ = 1 and two steps with gradients 0.5 then 0.25. The expected numbers are written out with
//! their derivation; they do not come from this code.

use backprop::autograd::{ParamStore, Tape};
use backprop::optim::{
    Adam, LrSchedule, Optimizer, OptimizerKind, OptimizerSettings, RmsProp, Schedule, Sgd, clip_grad_norm,
    clip_grad_value,
};
use backprop::tensor::{Tensor, Threads};
use strum::IntoEnumIterator;

/// Runs `optimizer` for the given gradients on one weight starting at 1; the weight after each step.
fn run(mut optimizer: Optimizer<f64>, lr: f64, gradients: &[f64]) -> Vec<f64> {
    let mut store = ParamStore::new();
    let w = store.insert("w", Tensor::from_f64(&[1.0], [1]));
    let mut tape = Tape::new();
    let mut after = vec![];
    for &g in gradients {
        tape.reset();
        // E = w·g, so ∂E/∂w = g.
        let grads = {
            let e = (tape.param(&store, w) * tape.input(&Tensor::from_f64(&[g], [1]))).sum();
            tape.backward(e)
        };
        tape.reset();
        optimizer.step(&mut store, &grads, lr);
        tape.recycle(grads);
        after.push(store.get(w).data()[0]);
    }
    after
}

fn assert_steps(name: &str, got: &[f64], want: &[f64]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() < 1e-12, "{name}, step {}: got {g:.15}, expected {w:.15}", i + 1);
    }
}

#[test]
fn sgd_plain_momentum_nesterov_and_weight_decay() {
    // w ← w − η·g: 1 − 0.1·0.5 = 0.95; 0.95 − 0.1·0.25 = 0.925.
    assert_steps("sgd", &run(Optimizer::Sgd(Sgd::new(0.0, false, 0.0)), 0.1, &[0.5, 0.25]), &[0.95, 0.925]);
    // v = g = 0.5, w = 1 − 0.05 = 0.95; v = 0.9·0.5 + 0.25 = 0.7, w = 0.95 − 0.07 = 0.88.
    assert_steps("momentum", &run(Optimizer::Sgd(Sgd::new(0.9, false, 0.0)), 0.1, &[0.5, 0.25]), &[0.95, 0.88]);
    // v = 0.5, step = g + μv = 0.95, w = 0.905; v = 0.7, step = 0.25 + 0.63 = 0.88, w = 0.817.
    assert_steps("nesterov", &run(Optimizer::Sgd(Sgd::new(0.9, true, 0.0)), 0.1, &[0.5, 0.25]), &[0.905, 0.817]);
    // g = 0.5 + 0.1·1 = 0.6, w = 0.94; g = 0.25 + 0.1·0.94 = 0.344, w = 0.94 − 0.0344 = 0.9056.
    assert_steps("weight decay", &run(Optimizer::Sgd(Sgd::new(0.0, false, 0.1)), 0.1, &[0.5, 0.25]), &[0.94, 0.9056]);
}

#[test]
fn adam_and_adamw() {
    // t=1: m = 0.05, v = 0.00025, m̂ = 0.5, v̂ = 0.25, w = 1 − 0.1·0.5/(0.5 + 1e-8) = 0.900000002.
    // t=2: m = 0.9·0.05 + 0.1·0.25 = 0.07, v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225,
    //      m̂ = 0.07/0.19 = 0.368421052631579, v̂ = 0.00031225/0.001999 = 0.156203101550778,
    //      w = 0.900000002 − 0.1·0.368421052631579/(0.395225381637… + 1e-8) = 0.806782040477462.
    let adam = run(Optimizer::Adam(Adam::new(0.0, false)), 0.1, &[0.5, 0.25]);
    assert_steps("adam", &adam, &[0.9000000019999999, 0.8067820404774622]);
    // AdamW, λ = 0.1: w ← w − η·λ·w first (1 → 0.99, then 0.890000002 → 0.8811000019…), the
    // moments as above: 0.890000002, then 0.787882040457462.
    let adamw = run(Optimizer::Adam(Adam::new(0.1, true)), 0.1, &[0.5, 0.25]);
    assert_steps("adamw", &adamw, &[0.8900000019999998, 0.7878820404574621]);
    // Adam with L2 weight decay, λ = 0.1: g = 0.5 + 0.1 = 0.6, so m̂ = 0.6, v̂ = 0.36:
    // w = 1 − 0.1·0.6/(0.6 + 1e-8) = 0.9000000016666666; then g = 0.25 + 0.09000000016666666.
    let l2 = run(Optimizer::Adam(Adam::new(0.1, false)), 0.1, &[0.5, 0.25]);
    assert_steps("adam + l2", &l2, &[0.9000000016666666, 0.8050097658613199]);
}

#[test]
fn rmsprop() {
    // s = 0.01·0.25 = 0.0025, w = 1 − 0.01·0.5/(0.05 + 1e-8) = 0.90000002;
    // s = 0.99·0.0025 + 0.01·0.0625 = 0.0031, w = 0.90000002 − 0.01·0.25/(0.0556776… + 1e-8).
    let got = run(Optimizer::RmsProp(RmsProp::new(0.0)), 0.01, &[0.5, 0.25]);
    assert_steps("rmsprop", &got, &[0.900000019999996, 0.855098702557817]);
}

#[test]
fn optimiser_state_survives_a_round_trip_through_json() {
    let mut store = ParamStore::<f32>::new();
    let w = store.insert("w", Tensor::from_f64(&[1.0, 2.0], [2]));
    let mut opt = Optimizer::<f32>::adam(0.0);
    let tape = Tape::new();
    let grads = tape.backward((tape.param(&store, w) * tape.param(&store, w)).sum());
    drop(tape);
    opt.step(&mut store, &grads, 0.01);
    let json = serde_json::to_string(&opt).unwrap();
    let back: Optimizer<f32> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, opt);
    assert!(json.contains("\"adam\""), "{json}");
}

#[test]
fn clipping_by_norm_and_by_value() {
    let mut store = ParamStore::<f64>::new();
    let a = store.insert("a", Tensor::from_f64(&[3.0], [1]));
    let b = store.insert("b", Tensor::from_f64(&[4.0], [1]));
    let tape = Tape::new();
    // E = ½a² + ½b² ⇒ ∂E/∂a = 3, ∂E/∂b = 4, global norm 5.
    let e = (tape.param(&store, a).square() + tape.param(&store, b).square()).sum() * 0.5;
    let mut grads = tape.backward(e);
    let norm = clip_grad_norm(&mut grads, 1.0);
    assert_eq!(norm, 5.0);
    let (ga, gb) = (grads.param(a).unwrap().data()[0], grads.param(b).unwrap().data()[0]);
    assert!((ga - 0.6).abs() < 1e-6 && (gb - 0.8).abs() < 1e-6, "{ga} {gb}");
    clip_grad_value(&mut grads, 0.7);
    assert_eq!(grads.param(b).unwrap().data()[0], 0.7);
    assert!((grads.param(a).unwrap().data()[0] - 0.6).abs() < 1e-6);
}

#[test]
fn a_schedule_drives_the_learning_rate() {
    let s = LrSchedule { base: 0.1, schedule: Schedule::Step { every: 1.0, gamma: 0.1 }, warmup: 0.0 };
    let (lr0, lr1) = (s.at(0.0), s.at(1.0));
    // Plain SGD with g = 1: the step is exactly the learning rate.
    let first = run(Optimizer::Sgd(Sgd::new(0.0, false, 0.0)), lr0, &[1.0]);
    let second = run(Optimizer::Sgd(Sgd::new(0.0, false, 0.0)), lr1, &[1.0]);
    assert_steps("epoch 0", &first, &[0.9]);
    assert_steps("epoch 1", &second, &[0.99]);
}

/// The update split across threads is the same update: every optimiser, on a parameter large
/// enough to be split, gives bit-identical weights and state with one thread and with two.
#[test]
fn a_threaded_step_is_bit_identical_to_a_one_thread_step() {
    let n = 50_000;
    let start: Vec<f64> = (0..n).map(|i| ((i as f64) * 0.37).sin()).collect();
    for kind in OptimizerKind::iter() {
        let name = kind.name();
        let mut results = vec![];
        for threads in [Threads::ONE, Threads::new(2)] {
            let mut optimizer = Optimizer::<f64>::new(kind, OptimizerSettings { momentum: 0.9, weight_decay: 0.01 });
            let mut store = ParamStore::new();
            let w = store.insert("w", Tensor::new(start.clone(), [n]));
            let mut tape = Tape::new();
            for step in 0..3 {
                tape.reset();
                // E = Σ w·c with c varying by element and step, so ∂E/∂w = c.
                let c: Vec<f64> = (0..n).map(|i| ((i * 7 + step) as f64 * 0.11).cos()).collect();
                let grads = {
                    let e = (tape.param(&store, w) * tape.input(&Tensor::new(c, [n]))).sum();
                    tape.backward(e)
                };
                tape.reset();
                optimizer.step_sum(&mut store, &[&grads], 0.01, threads);
                tape.recycle(grads);
            }
            results.push((store.get(w).data().to_vec(), serde_json::to_string(&optimizer).unwrap()));
        }
        assert!(results[0].0 != start, "{name}: the weights moved");
        assert!(results[0] == results[1], "{name}: one thread and two threads differ");
    }
}

/// The fused step (the shards' gradients added up inside the update, block by block) is the
/// unfused one: for every optimiser, three gradient parts given to `step_sum` leave weights and
/// state bit-identical to one gradient holding their sum, added in the same order beforehand,
/// on one thread and on two, over a parameter that is split and is not a whole number of blocks.
#[test]
fn the_fused_step_on_gradient_parts_is_bit_identical_to_stepping_on_their_sum() {
    let n = 50_001;
    let start: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.37).sin()).collect();
    // Gradient part k at step s, element i; varied in sign and size so the sum rounds.
    let part = |k: usize, s: usize| -> Vec<f32> {
        (0..n).map(|i| (((i * (3 + k) + s * 11) as f32) * 0.013).cos() * 10f32.powi(k as i32 - 1)).collect()
    };
    // ∂(Σ w·c)/∂w = c exactly (the product's rule multiplies c by a gradient of 1).
    let grads_of = |store: &ParamStore<f32>, w, c: Vec<f32>, tape: &mut Tape<f32>| {
        tape.reset();
        let g = {
            let e = (tape.param(store, w) * tape.input(&Tensor::new(c, [n]))).sum();
            tape.backward(e)
        };
        tape.reset();
        g
    };
    for kind in OptimizerKind::iter() {
        for threads in [Threads::ONE, Threads::new(2)] {
            let settings = OptimizerSettings { momentum: 0.9, weight_decay: 0.01 };
            let (mut fused, mut summed) =
                (Optimizer::<f32>::new(kind, settings), Optimizer::<f32>::new(kind, settings));
            let (mut a, mut b) = (ParamStore::new(), ParamStore::new());
            let (wa, wb) =
                (a.insert("w", Tensor::new(start.clone(), [n])), b.insert("w", Tensor::new(start.clone(), [n])));
            let mut tapes: Vec<Tape<f32>> = (0..4).map(|_| Tape::new()).collect();
            for s in 0..3 {
                let parts: Vec<Vec<f32>> = (0..3).map(|k| part(k, s)).collect();
                let sum: Vec<f32> = (0..n).map(|i| (parts[0][i] + parts[1][i]) + parts[2][i]).collect();
                let gs: Vec<_> = parts.into_iter().zip(&mut tapes).map(|(c, t)| grads_of(&a, wa, c, t)).collect();
                fused.step_sum(&mut a, &gs.iter().collect::<Vec<_>>(), 0.01, threads);
                let g = grads_of(&b, wb, sum, &mut tapes[3]);
                summed.step_sum(&mut b, &[&g], 0.01, threads);
            }
            let name = format!("{} on {} thread(s)", kind.name(), threads.get());
            assert!(a.get(wa).data() != &start[..], "{name}: the weights moved");
            let bits = |s: &ParamStore<f32>, w| s.get(w).data().iter().map(|x: &f32| x.to_bits()).collect::<Vec<_>>();
            assert!(bits(&a, wa) == bits(&b, wb), "{name}: fused and summed-first weights differ");
            assert_eq!(
                serde_json::to_string(&fused).unwrap(),
                serde_json::to_string(&summed).unwrap(),
                "{name}: state"
            );
        }
    }
}

/// A checkpoint's optimiser state is written as bytes and read back bit for bit; a checkpoint
/// written before, with the state as lists of numbers, still loads.
#[test]
fn optimiser_state_round_trips_bit_for_bit_and_the_old_form_still_loads() {
    // One Adam step on a weight of 3 elements with awkward gradients, in f32 and in f64.
    fn stepped<T: backprop::tensor::Float>() -> Optimizer<T> {
        let mut store = ParamStore::new();
        let w = store.insert("w", Tensor::new(vec![T::of(1.0); 3], [3]));
        let mut optimizer = Optimizer::<T>::adam(0.0);
        let mut tape = Tape::new();
        let grads = {
            let c = Tensor::new(vec![T::of(0.1), T::of(-1e-30), T::of(std::f64::consts::PI)], [3]);
            let e = (tape.param(&store, w) * tape.input(&c)).sum();
            tape.backward(e)
        };
        tape.reset();
        optimizer.step(&mut store, &grads, 0.01);
        optimizer
    }
    let a = stepped::<f32>();
    let text = serde_json::to_string(&a).unwrap();
    assert_eq!(serde_json::from_str::<Optimizer<f32>>(&text).unwrap(), a, "f32: {text}");
    let b = stepped::<f64>();
    assert_eq!(serde_json::from_str::<Optimizer<f64>>(&serde_json::to_string(&b).unwrap()).unwrap(), b);

    let old = r#"{"adam":{"beta1":0.9,"beta2":0.999,"eps":1e-8,"weight_decay":0.0,"decoupled":false,
        "m":[[0.05,0.025]],"v":[[0.00025,6.25e-5]],"t":[1]}}"#;
    let loaded: Optimizer<f32> = serde_json::from_str(old).unwrap();
    assert!(loaded.faults(&[2]).is_empty(), "{:?}", loaded.faults(&[2]));
    assert!(!loaded.faults(&[3]).is_empty(), "two values read for a parameter of three");
    let rewritten = serde_json::to_string(&loaded).unwrap();
    assert!(!rewritten.contains("0.025"), "written as bytes: {rewritten}");
    assert_eq!(serde_json::from_str::<Optimizer<f32>>(&rewritten).unwrap(), loaded);

    let bad = old.replace("[[0.05,0.025]]", r#"["AAAA"]"#);
    let e = serde_json::from_str::<Optimizer<f32>>(&bad).unwrap_err().to_string();
    assert!(e.contains("3 bytes are not a whole number of f32 values"), "{e}");
}
