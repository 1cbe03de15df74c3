//! The lecture, exactly: the 2-2-2 network built from engine ops reproduces every number of
//! `data/lecture-example.json` (`expected_float64`, an independent float64 recomputation of
//! Mazur's worked example) to 1e-12 in f64, and within 1e-6 in f32.

use backprop::autograd::Tape;
use backprop::lecture::Lecture;
use backprop::tensor::Float;
use serde_json::Value;

use crate::common;
use common::close;

struct Reference {
    json: Value,
}

impl Reference {
    fn load() -> Reference {
        Reference { json: common::lecture_reference() }
    }

    /// `expected_float64[key]`.
    fn expected(&self, key: &str) -> f64 {
        self.json["expected_float64"][key].as_f64().unwrap_or_else(|| panic!("expected_float64.{key} is missing"))
    }

    fn pair(&self, section: &str, key: &str) -> [f64; 2] {
        let v = &self.json[section][key];
        [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()]
    }

    fn matrix(&self, key: &str) -> [[f64; 2]; 2] {
        let m = &self.json["initial_weights_as_matrices"][key];
        let row = |i: usize| [m[i][0].as_f64().unwrap(), m[i][1].as_f64().unwrap()];
        [row(0), row(1)]
    }

    /// The network as the JSON describes it (not the library's built-in copy of the numbers).
    fn network<T: Float>(&self) -> Lecture<T> {
        let j = &self.json;
        let pair = |v: &Value| [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()];
        Lecture::from_numbers(
            self.matrix("hidden_W"),
            self.pair("initial_weights_as_matrices", "hidden_b"),
            self.matrix("output_W"),
            self.pair("initial_weights_as_matrices", "output_b"),
            pair(&j["inputs"]),
            pair(&j["targets"]),
            j["network"]["learning_rate"].as_f64().unwrap(),
        )
    }
}

/// Every forward value, error term, gradient and chain factor of the first step, in type `T`.
fn check_first_step<T: Float>(tol: f64) {
    let r = Reference::load();
    let net = r.network::<T>();
    let tape = Tape::new();
    let f = net.forward(&tape);
    let grads = tape.backward(f.error);
    let v = |var: backprop::autograd::Var<'_, T>, i: usize| var.value().data()[i].to_f64().unwrap();
    let g = |var: backprop::autograd::Var<'_, T>, i: usize| {
        grads.wrt(var).expect("on the path to E").data()[i].to_f64().unwrap()
    };

    for (name, var, i) in [
        ("net_h1", f.net_hidden, 0),
        ("net_h2", f.net_hidden, 1),
        ("out_h1", f.out_hidden, 0),
        ("out_h2", f.out_hidden, 1),
        ("net_o1", f.net_output, 0),
        ("net_o2", f.net_output, 1),
        ("out_o1", f.out_output, 0),
        ("out_o2", f.out_output, 1),
        ("E_o1", f.error_terms, 0),
        ("E_o2", f.error_terms, 1),
        ("E_total", f.error, 0),
    ] {
        close(name, v(var, i), r.expected(name), tol);
    }

    // dE/dw5 = dE/dout_o1 · dout_o1/dnet_o1 · dnet_o1/dw5, each factor read off the tape.
    let de_dout = g(f.out_output, 0);
    let dout_dnet = g(f.net_output, 0) / de_dout;
    let dnet_dw5 = v(f.out_hidden, 0);
    close("dE_dout_o1", de_dout, r.expected("dE_dout_o1"), tol);
    close("dout_o1_dnet_o1", dout_dnet, r.expected("dout_o1_dnet_o1"), tol);
    close("dnet_o1_dw5 = out_h1", dnet_dw5, r.expected("out_h1"), tol);
    let dw5 = grads.param(net.output_weight).unwrap().data()[0].to_f64().unwrap();
    close("product of the three factors = dE/dw5", de_dout * dout_dnet * dnet_dw5, dw5, tol);

    // The deltas (dE/dnet) and the hidden units' dE/dout: the sums over both output paths.
    close("delta_o1", g(f.net_output, 0), r.expected("delta_o1"), tol);
    close("delta_o2", g(f.net_output, 1), r.expected("delta_o2"), tol);
    close("dE_dout_h1", g(f.out_hidden, 0), r.expected("dE_dout_h1"), tol);
    close("dout_h1_dnet_h1", g(f.net_hidden, 0) / g(f.out_hidden, 0), r.expected("dout_h1_dnet_h1"), tol);
    close("delta_h1", g(f.net_hidden, 0), r.expected("delta_h1"), tol);
    close("delta_h2", g(f.net_hidden, 1), r.expected("delta_h2"), tol);

    // All eight weight gradients: w1..w4 are hidden.weight row-major, w5..w8 output.weight.
    let weight_grads: Vec<f64> = [net.hidden_weight, net.output_weight]
        .iter()
        .flat_map(|&id| grads.param(id).unwrap().data().to_vec())
        .map(|x| x.to_f64().unwrap())
        .collect();
    for (i, got) in weight_grads.iter().enumerate() {
        close(&format!("dE_dw{}", i + 1), *got, r.expected(&format!("dE_dw{}", i + 1)), tol);
    }
}

/// The eight weights and the error after one update (gradients from the weights before it).
fn check_one_update<T: Float>(tol: f64) {
    let r = Reference::load();
    let mut net = r.network::<T>();
    let before = net.step().to_f64().unwrap();
    close("E_total before the update", before, r.expected("E_total"), tol);
    let weights: Vec<f64> = [net.hidden_weight, net.output_weight]
        .iter()
        .flat_map(|&id| net.params.get(id).data().to_vec())
        .map(|x| x.to_f64().unwrap())
        .collect();
    for (i, got) in weights.iter().enumerate() {
        let key = format!("w{}_after_1_update", i + 1);
        close(&key, *got, r.expected(&key), tol);
    }
    let biases = [net.hidden_bias, net.output_bias].map(|id| net.params.get(id).data().to_vec());
    assert_eq!(biases[0], [T::of(0.35); 2], "biases are held fixed");
    assert_eq!(biases[1], [T::of(0.60); 2], "biases are held fixed");

    let tape = Tape::new();
    let f = net.forward(&tape);
    close("E_total_after_1_update", f.error.item().to_f64().unwrap(), r.expected("E_total_after_1_update"), tol);
    let out = |i: usize| f.out_output.value().data()[i].to_f64().unwrap();
    close("out_o1_after_1_update", out(0), r.expected("out_o1_after_1_update"), tol);
    close("out_o2_after_1_update", out(1), r.expected("out_o2_after_1_update"), tol);
}

/// How a test trains: replaying the recorded graph, or recording it afresh every step.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Replay,
    DefineByRun,
}

/// 10,000 steps: E and both outputs.
fn ten_thousand_steps<T: Float>(mode: Mode) -> (f64, f64, f64) {
    let r = Reference::load();
    let mut net = r.network::<T>();
    let mut tape = Tape::new();
    for _ in 0..10_000 {
        match mode {
            Mode::Replay => net.step(),
            Mode::DefineByRun => net.step_on(&mut tape),
        };
    }
    tape.reset();
    let f = net.forward(&tape);
    let out = f.out_output.value().data().to_vec();
    (f.error.item().to_f64().unwrap(), out[0].to_f64().unwrap(), out[1].to_f64().unwrap())
}

#[test]
fn f64_first_step_matches_every_reference_number_to_1e_12() {
    check_first_step::<f64>(1e-12);
}

#[test]
fn f64_one_update_matches_the_reference_weights_and_error_to_1e_12() {
    check_one_update::<f64>(1e-12);
}

#[test]
fn f64_error_after_10000_steps_matches_to_relative_1e_9_compiled_or_recorded() {
    let r = Reference::load();
    for mode in [Mode::Replay, Mode::DefineByRun] {
        let (e, o1, o2) = ten_thousand_steps::<f64>(mode);
        for (name, got) in
            [("E_total_after_10000_updates", e), ("out_o1_after_10000_updates", o1), ("out_o2_after_10000_updates", o2)]
        {
            let want = r.expected(name);
            close(&format!("{name} ({mode:?})"), got, want, 1e-9 * want.abs());
        }
    }
}

#[test]
fn replaying_the_graph_gives_bit_identical_training_to_recording_it() {
    let (mut a, mut b) = (Lecture::<f64>::new(), Lecture::<f64>::new());
    let mut tape = Tape::new();
    for _ in 0..100 {
        assert_eq!(a.step().to_bits(), b.step_on(&mut tape).to_bits());
    }
    assert_eq!(a.params.get(a.hidden_weight), b.params.get(b.hidden_weight));
}

/// A step trains on E as one fused op (`half_sse`); the lecture's E is the sum of its four
/// terms' ops (sub, square, ½, sum), which `forward` records. Both give the same E and the same
/// weights, bit for bit, step after step, in f64 and f32.
#[test]
fn the_fused_error_trains_exactly_as_the_sum_of_its_terms() {
    fn check<T: Float>() {
        let (mut fused, mut terms) = (Lecture::<T>::new(), Lecture::<T>::new());
        let mut tape = Tape::new();
        for step in 0..200 {
            tape.reset();
            let (e, grads) = {
                let f = terms.forward(&tape);
                (f.error.item(), tape.backward(f.error))
            };
            tape.reset();
            terms.update(&grads);
            tape.recycle(grads);
            assert_eq!(fused.step().to_f64().unwrap().to_bits(), e.to_f64().unwrap().to_bits(), "E at step {step}");
            for w in [fused.hidden_weight, fused.output_weight] {
                assert_eq!(fused.params.get(w), terms.params.get(w), "weights after step {step}");
            }
        }
    }
    check::<f64>();
    check::<f32>();
}

/// A compiled step copies the parameters in again only if the store was written since the plan
/// last held its values; its own update writes both. So every edit between steps must still be
/// seen: of a weight, of a fixed bias (no gradient, but read), and a whole other store put in
/// place. After each, the compiled lecture trains exactly as one compiled afresh from the
/// edited numbers.
#[test]
fn every_edit_of_the_parameters_between_compiled_steps_is_seen() {
    type Edit = fn(&mut Lecture<f64>);
    let edits: [(&str, Edit); 3] = [
        ("a weight", |l| l.params.get_mut(l.hidden_weight).data_mut()[1] += 0.25),
        ("a fixed bias", |l| l.params.get_mut(l.output_bias).data_mut()[0] = -0.3),
        ("another store", |l| {
            let mut other = l.params.clone();
            other.get_mut(l.output_weight).data_mut()[3] = 0.9;
            l.params = other;
        }),
    ];
    let mut net = Lecture::<f64>::new();
    for (what, edit) in edits {
        for _ in 0..5 {
            net.step();
        }
        edit(&mut net);
        let mut fresh = Lecture::<f64>::new();
        fresh.params = net.params.clone();
        for step in 0..20 {
            assert_eq!(net.step().to_bits(), fresh.step().to_bits(), "E at step {step} after editing {what}");
        }
        for w in [net.hidden_weight, net.output_weight] {
            assert_eq!(net.params.get(w), fresh.params.get(w), "weights after editing {what}");
        }
    }
}

#[test]
fn f32_first_step_and_update_land_within_1e_6() {
    check_first_step::<f32>(1e-6);
    check_one_update::<f32>(1e-6);
}

#[test]
fn f32_after_10000_steps_lands_within_1e_6() {
    let r = Reference::load();
    let (e, o1, o2) = ten_thousand_steps::<f32>(Mode::Replay);
    close("E after 10000 steps (f32)", e, r.expected("E_total_after_10000_updates"), 1e-6);
    close("out_o1 after 10000 steps (f32)", o1, r.expected("out_o1_after_10000_updates"), 1e-6);
    close("out_o2 after 10000 steps (f32)", o2, r.expected("out_o2_after_10000_updates"), 1e-6);
}

#[test]
fn the_published_page_agrees_to_its_rounding() {
    // A cross-check against the numbers printed in the worked example itself (rounded to ~9
    // decimals), excluding the values the JSON's notes show the page got from another rule.
    let r = Reference::load();
    let net = r.network::<f64>();
    let tape = Tape::new();
    let f = net.forward(&tape);
    let grads = tape.backward(f.error);
    let published = |k: &str| r.json["expected_published"][k].as_f64().unwrap();
    close("E_total (page)", f.error.item(), published("E_total"), 6e-9);
    close("out_o1 (page)", f.out_output.value().data()[0], published("out_o1"), 6e-9);
    close("dE_dw5 (page)", grads.param(net.output_weight).unwrap().data()[0], published("dE_dw5"), 6e-9);
    close("dE_dw1 (page)", grads.param(net.hidden_weight).unwrap().data()[0], published("dE_dw1"), 6e-9);
}
