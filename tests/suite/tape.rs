//! How the tape behaves: what backward returns and leaves alone, fan-out, shared parameters,
//! readable intermediate values and gradients, replay, and shape errors.

use backprop::autograd::{Op, ParamStore, Plan, Tape};
use backprop::optim::descend;
use backprop::tensor::Tensor;

#[test]
fn backward_returns_gradients_and_leaves_parameters_alone() {
    let mut store = ParamStore::<f64>::new();
    let w = store.insert("w", Tensor::from_f64(&[2.0, -3.0], [2]));
    let before = store.get(w).clone();
    let tape = Tape::new();
    let x = tape.input(&Tensor::from_f64(&[0.5, 4.0], [2]));
    let y = (x * tape.param(&store, w)).sum();
    let grads = tape.backward(y);
    // y = Σ xᵢ·wᵢ  ⇒  ∂y/∂w = x.
    assert_eq!(grads.param(w).unwrap().data(), &[0.5, 4.0]);
    assert_eq!(store.get(w), &before, "backward must not change the weights");
    assert!(grads.wrt(x).is_none(), "data inputs get no gradient");
}

#[test]
fn a_parameter_read_twice_is_one_node_whose_gradient_sums_both_uses() {
    let mut store = ParamStore::<f64>::new();
    let w = store.insert("w", Tensor::from_f64(&[3.0], [1]));
    let tape = Tape::new();
    let (w1, w2) = (tape.param(&store, w), tape.param(&store, w));
    assert_eq!(w1.id(), w2.id());
    let y = (w1 * w2).sum(); // y = w², ∂y/∂w = 2w = 6
    assert_eq!(tape.backward(y).param(w).unwrap().data(), &[6.0]);
}

#[test]
fn every_intermediate_value_and_gradient_stays_readable() {
    let tape = Tape::<f64>::new();
    let x = tape.variable(&Tensor::from_f64(&[0.0], [1]));
    let h = x.sigmoid(); // 0.5
    let e = (h * h).sum(); // 0.25
    let grads = tape.backward(e);
    assert_eq!(h.value().data(), &[0.5]);
    assert_eq!(grads.wrt(h).unwrap().data(), &[1.0]); // ∂e/∂h = 2h
    assert_eq!(grads.wrt(x).unwrap().data(), &[0.25]); // ∂e/∂x = 2h·h(1 − h)
    assert_eq!(*tape.op(h.id()), Op::Sigmoid(x.id()));
    assert_eq!(tape.op(e.id()).name(), "Sum");
}

#[test]
fn the_op_list_replays_to_the_same_values() {
    let tape = Tape::<f64>::new();
    let x = tape.input(&Tensor::from_f64(&[1.0, -2.0, 3.0], [1, 3]));
    let y = (x.tanh() * 2.0).softmax(1).log();
    let replay = Tape::<f64>::new();
    replay.input(&x.value());
    for id in 1..tape.len() {
        replay.apply(tape.op(id).clone());
    }
    assert_eq!(replay.value(y.id()), y.value());
}

#[test]
#[should_panic(expected = "backward needs a one-element loss, node 0 has shape [2]")]
fn backward_from_a_vector_names_its_shape() {
    let tape = Tape::<f64>::new();
    let x = tape.variable(&Tensor::zeros([2]));
    tape.backward(x);
}

#[test]
#[should_panic(expected = "matmul: shapes [2, 3] and [2, 3] do not fit")]
fn a_shape_error_on_the_tape_names_the_op_and_both_shapes() {
    let tape = Tape::<f32>::new();
    let a = tape.input(&Tensor::zeros([2, 3]));
    let _ = a.matmul(a);
}

#[test]
fn a_compiled_plan_reruns_the_graph_on_new_inputs_and_reloaded_weights() {
    let mut store = ParamStore::<f64>::new();
    let w = store.insert("w", Tensor::from_f64(&[2.0], [1]));
    let tape = Tape::new();
    let x = tape.input(&Tensor::from_f64(&[3.0], [1]));
    let y = (x * tape.param(&store, w)).sigmoid().sum();
    let mut plan = tape.compile(y);
    assert_eq!(plan.loss(), 1.0 / (1.0 + (-6.0f64).exp()), "compiled with the recorded values");

    plan.set_input(x.id(), &[-1.0]);
    store.get_mut(w).data_mut()[0] = 0.5;
    plan.load_params(&store);
    plan.forward();
    // y = σ(x·w) with the new x and the updated w.
    let s = plan.loss();
    assert!((s - 1.0 / (1.0 + 0.5f64.exp())).abs() < 1e-15);
    plan.backward();
    // ∂y/∂w = σ·(1 − σ)·x with x = −1.
    assert!((plan.grad(w).unwrap().data()[0] + s * (1.0 - s)).abs() < 1e-15);
}

/// A plan runs the tape's kernels and rules in the tape's order: the same numbers, bit for bit,
/// on a graph with broadcasting, a product, fan-out and a parameter used twice.
#[test]
fn a_plan_gives_the_tapes_numbers_bit_for_bit() {
    let mut store = ParamStore::<f64>::new();
    let w = store.insert("w", Tensor::from_f64(&[0.3, -0.2, 0.5, 0.1, -0.4, 0.25], [2, 3]));
    let b = store.insert("b", Tensor::from_f64(&[0.1, -0.1], [2]));
    let x_value = Tensor::from_f64(&[0.5, -1.5, 2.0, 0.25, 1.0, -0.75], [2, 3]);
    let tape = Tape::new();
    let x = tape.input(&x_value);
    let (wv, bv) = (tape.param(&store, w), tape.param(&store, b));
    let h = x.linear(wv, bv).tanh();
    let z = h.matmul(wv) * x; // w again: two contributions
    let loss = (z.square().mean() + h.sigmoid().sum() * 0.5).log();
    let grads = tape.backward(loss);
    let mut plan = tape.compile(loss);
    plan.forward();
    plan.backward();
    assert_eq!(plan.loss().to_bits(), loss.item().to_bits());
    for p in [w, b] {
        let (ours, tapes) = (plan.grad(p).unwrap().data().to_vec(), grads.param(p).unwrap().data().to_vec());
        assert_eq!(
            ours.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            tapes.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
}

/// `Plan::update` (here by gradient descent) updates the store and the plan's copy alike, so the next `load_params` has
/// nothing to copy; a write through `param_mut` makes the copy no store's, so `load_params`
/// copies the store's values back in.
#[test]
fn a_plan_descends_in_the_store_and_its_copy_and_reloads_after_its_copy_was_written() {
    let mut store = ParamStore::<f64>::new();
    let w = store.insert("w", Tensor::from_f64(&[2.0, -1.0], [2]));
    let tape = Tape::new();
    let x = tape.input(&Tensor::from_f64(&[3.0, 0.5], [2]));
    let loss = (x * tape.param(&store, w)).square().sum(); // ∂/∂w = 2·x²·w
    let mut plan = tape.compile(loss);
    drop(tape); // it shares w with the store; the plan has its own copy
    let step = |plan: &mut Plan<f64>, store: &mut ParamStore<f64>| {
        plan.load_params(store);
        plan.forward();
        plan.backward();
        plan.update(store, w, |w, g| descend(w, g, 0.25));
    };
    // w − ¼·2·x²·w = w·(1 − x²/2): 2·(1 − 4.5) = −7, −1·(1 − 0.125) = −0.875; then 24.5, −0.765625.
    step(&mut plan, &mut store);
    assert_eq!(store.get(w).data(), &[-7.0, -0.875]);
    step(&mut plan, &mut store);
    assert_eq!(store.get(w).data(), &[24.5, -0.765625]);
    let after_two = 73.5 * 73.5 + 0.3828125 * 0.3828125; // (x·w)², each exact
    plan.load_params(&store);
    plan.forward();
    assert_eq!(plan.loss(), after_two, "the copy holds the new weights");

    plan.param_mut(w).copy_from_slice(&[100.0, 100.0]);
    plan.load_params(&store);
    plan.forward();
    assert_eq!(plan.loss(), after_two, "the store's weights, copied back in");

    // Descending after an edit of the store (the copy is stale) updates the store alone, and
    // the next load copies the result in. ∂/∂w at (24.5, −0.765625) is (441, −0.3828125).
    plan.backward();
    store.get_mut(w).data_mut()[0] = 0.0;
    plan.update(&mut store, w, |w, g| descend(w, g, 0.25));
    assert_eq!(store.get(w).data(), &[-110.25, -0.669921875]);
    plan.load_params(&store);
    plan.forward();
    assert_eq!(plan.loss(), 330.75 * 330.75 + 0.3349609375 * 0.3349609375);
}

#[test]
#[should_panic(expected = "plan: parameter `w` has shape [2] but was recorded with shape [1]")]
fn a_plan_refuses_a_parameter_of_another_shape() {
    let mut store = ParamStore::<f64>::new();
    let w = store.insert("w", Tensor::from_f64(&[2.0], [1]));
    let tape = Tape::new();
    let mut plan = tape.compile((tape.param(&store, w) * 3.0).sum());
    *store.get_mut(w) = Tensor::from_f64(&[1.0, 2.0], [2]);
    plan.load_params(&store);
}

/// Recycled gradients keep their layout only for the graph they were laid out for: on the same
/// graph again, they are reused; handed to another tape, or to this tape after a reset with a new graph,
/// they are laid out afresh, and every gradient is still right.
#[test]
fn recycled_gradients_fit_the_graph_they_are_used_for() {
    let mut store = ParamStore::<f64>::new();
    let w = store.insert("w", Tensor::from_f64(&[1.0, 2.0, 3.0], [3]));
    let v = store.insert("v", Tensor::from_f64(&[5.0], [1]));
    let (mut a, mut b) = (Tape::new(), Tape::new());
    // On a: E = Σ w², ∂E/∂w = 2w.
    let (ea, grads) = {
        let e = a.param(&store, w).square().sum();
        (e.id(), a.backward(e))
    };
    assert_eq!(grads.param(w).unwrap().data(), &[2.0, 4.0, 6.0]);
    // On b, with a's gradients recycled into it: E = 3·v, ∂E/∂v = 3, and w was not used.
    b.recycle(grads);
    let grads = {
        let e = (b.param(&store, v) * 3.0).sum();
        b.backward(e)
    };
    assert_eq!(grads.param(v).unwrap().data(), &[3.0]);
    assert!(grads.param(w).is_none());
    // Back on a, the same graph again (same layout, reused), then reset with a new graph (laid
    // out again).
    a.recycle(grads);
    let grads = a.backward(a.var(ea));
    assert_eq!(grads.param(w).unwrap().data(), &[2.0, 4.0, 6.0]);
    assert!(grads.param(v).is_none());
    a.recycle(grads);
    a.reset();
    let grads = {
        let e = (a.param(&store, v) * a.param(&store, w)).sum(); // ∂E/∂v = Σ w = 6, ∂E/∂w = v
        a.backward(e)
    };
    assert_eq!(grads.param(v).unwrap().data(), &[6.0]);
    assert_eq!(grads.param(w).unwrap().data(), &[5.0, 5.0, 5.0]);
}

/// A plan compiled for some parameters only treats the others as constants: the gradients it
/// does give are the full plan's, bit for bit, and the parameters left out get none.
#[test]
fn a_plan_compiled_for_some_parameters_gives_only_theirs() {
    let mut store = ParamStore::<f64>::new();
    let w = store.insert("w", Tensor::from_f64(&[0.3, -0.2, 0.5, 0.1, -0.4, 0.25], [2, 3]));
    let b = store.insert("b", Tensor::from_f64(&[0.1, -0.1], [2]));
    let tape = Tape::new();
    let x = tape.input(&Tensor::from_f64(&[0.5, -1.5, 2.0, 0.25, 1.0, -0.75], [2, 3]));
    let h = x.linear(tape.param(&store, w), tape.param(&store, b)).sigmoid();
    let loss = (h.square().sum() * 0.5).log();
    let (mut full, mut weights_only) = (tape.compile(loss), tape.compile_wrt(loss, &[w]));
    for plan in [&mut full, &mut weights_only] {
        plan.forward();
        plan.backward();
    }
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(weights_only.grad(w).unwrap().data()), bits(full.grad(w).unwrap().data()));
    assert!(full.grad(b).is_some(), "the full plan differentiates the bias");
    assert!(weights_only.grad(b).is_none(), "a parameter left out has no gradient");
    assert_eq!(weights_only.loss().to_bits(), full.loss().to_bits());
}
