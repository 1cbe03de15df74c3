//! The catalogue of known mistakes, each a variant computation: the same step recomputed with
//! one rule changed the way a learner gets it wrong — on the engine's own deltas, factors and
//! forward values, or on a perturbed network run through the engine — never a hard-coded
//! number. A wrong answer that one of these reproduces is diagnosed by its id.

use std::collections::BTreeMap;

use crate::loss::Loss;
use crate::network::{Network, Step, error_of, param_names};
use crate::nn::Activation;
use crate::present::num;

/// One variant: which mistake, where in the step it slips, what it is and the right idea, and
/// the values it gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Mistake {
    pub id: &'static str,
    /// The part of the step it changes, as "the slip is in …" ends.
    pub slip: &'static str,
    pub explanation: String,
    pub values: BTreeMap<String, f64>,
}

/// How a variant changes the backward pass and the update.
struct Knobs<'a> {
    /// dout/dnet of unit (layer, unit), given the unit's net, out and the engine's value.
    local: &'a dyn Fn(usize, usize, f64, f64, f64) -> f64,
    /// The output layer's ∂E/∂out multiplied by this (sign-error −1, missing-half 2).
    output_scale: f64,
    /// The next layer's weights in a hidden unit's path sum are the already-updated ones.
    updated_next: bool,
    /// Only the path through this unit of the next layer.
    single_path: Option<usize>,
    /// A weight's gradient leaves out its own unit's dout/dnet.
    own_local_omitted: bool,
    /// The update w ← f(w, ∂E/∂w, η).
    update: &'a dyn Fn(f64, f64, f64) -> f64,
    update_biases: bool,
}

/// The step recomputed with `k`: every backward symbol, the updated parameters and E⁺ (the
/// error of the updated network, by the engine).
fn recompute(net: &Network, step: &Step, k: &Knobs) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let (wnames, bnames) = param_names(net);
    let last = net.model.depth() - 1;
    let eta = net.learning_rate;
    let mut next = net.clone();
    let mut deltas: Vec<Vec<f64>> = vec![vec![]; net.model.depth()];
    for l in (0..=last).rev() {
        let units = &step.layers[l];
        let inputs: Vec<f64> =
            if l == 0 { net.inputs.clone() } else { step.layers[l - 1].iter().map(|u| u.out).collect() };
        for (j, u) in units.iter().enumerate() {
            let de_dout = if l == last {
                u.de_dout.map(|d| d * k.output_scale)
            } else {
                let terms = (0..deltas[l + 1].len()).filter(|&n| k.single_path.is_none_or(|s| s == n));
                let weights = if k.updated_next { &next.model } else { &net.model };
                Some(terms.map(|n| deltas[l + 1][n] * weights.weight(l + 1, n, j)).sum())
            };
            let (delta, own) = match (de_dout, u.local) {
                (Some(d), Some(engine_local)) => {
                    let local = (k.local)(l, j, u.net, u.out, engine_local);
                    out.insert(format!("dE/dout_{}", u.name), d);
                    out.insert(format!("dout_{}/d{}", u.name, u.name), local);
                    (d * local, if k.own_local_omitted { d } else { d * local })
                }
                // Softmax outputs: ∂E/∂y is the engine's, scaled like ∂E/∂out.
                _ => (u.de_dnet * k.output_scale, u.de_dnet * k.output_scale),
            };
            out.insert(format!("dE/d{}", u.name), delta);
            deltas[l].push(delta);
            for (i, &x) in inputs.iter().enumerate() {
                let g = own * x;
                let w = net.model.weight(l, j, i);
                out.insert(format!("dE/d{}", wnames[l][j][i]), g);
                let updated = (k.update)(w, g, eta);
                out.insert(format!("{}+", wnames[l][j][i]), updated);
                next.model.set_weight(l, j, i, updated);
            }
            let b = net.model.bias(l, j);
            out.insert(format!("dE/d{}", bnames[l][j]), own);
            let updated = if k.update_biases { (k.update)(b, own, eta) } else { b };
            out.insert(format!("{}+", bnames[l][j]), updated);
            next.model.set_bias(l, j, updated);
        }
    }
    out.insert("E+".into(), error_of(&next));
    out
}

/// Every variant of the step `step` of `net` (the network at that step's start).
pub fn variants(net: &Network, step: &Step) -> Vec<Mistake> {
    let engine_local = |_: usize, _: usize, _: f64, _: f64, d: f64| d;
    let descend = |w: f64, g: f64, eta: f64| crate::optim::descend(w, g, eta);
    let base = Knobs {
        local: &engine_local,
        output_scale: 1.0,
        updated_next: false,
        single_path: None,
        own_local_omitted: false,
        update: &descend,
        update_biases: net.update_biases,
    };
    let mut out = vec![];
    let mut add = |(id, slip): (&'static str, &'static str), explanation: String, values: BTreeMap<String, f64>| {
        out.push(Mistake { id, slip, explanation, values });
    };
    if net.model.depth() > 1 {
        add(
            ("sequential-update", "the hidden units' path sums"),
            "the hidden units' ∂E/∂out used the already-updated output weights (w⁺); every gradient of a step uses the weights of its forward pass, and all weights are updated together".into(),
            recompute(net, step, &Knobs { updated_next: true, ..base }),
        );
        for n in 0..net.model.units(1).max(1) {
            if net.model.units(1) > 1 {
                add(
                    ("single-path", "the hidden units' path sums"),
                    format!(
                        "a hidden unit's ∂E/∂out was taken through one unit of the next layer (number {}) only; it is the sum over every unit it feeds",
                        n + 1
                    ),
                    recompute(net, step, &Knobs { single_path: Some(n), ..base }),
                );
            }
        }
    }
    let one = |_: usize, _: usize, _: f64, _: f64, _: f64| 1.0;
    let explanation = "the activation's derivative dout/dnet (σ'(net) = out·(1 − out) for sigmoid) was left out of the chain; every factor of the chain belongs in the product";
    add(
        ("missing-activation-derivative", "the activation's derivative"),
        explanation.into(),
        recompute(net, step, &Knobs { local: &one, ..base }),
    );
    add(
        ("missing-activation-derivative", "the activation's derivative"),
        explanation.into(),
        recompute(net, step, &Knobs { own_local_omitted: true, ..base }),
    );
    let at_net = |l: usize, _: usize, netv: f64, _: f64, d: f64| match net.model.activation(l) {
        Activation::Sigmoid => netv * (1.0 - netv),
        Activation::Tanh => 1.0 - netv * netv,
        _ => d,
    };
    if (0..net.model.depth()).any(|l| matches!(net.model.activation(l), Activation::Sigmoid | Activation::Tanh)) {
        add(
            ("derivative-of-net", "the activation's derivative"),
            "the activation's derivative was evaluated with the net input where the output belongs: σ'(net) = out·(1 − out), not net·(1 − net)".into(),
            recompute(net, step, &Knobs { local: &at_net, ..base }),
        );
    }
    add(
        ("sign-error", "∂E/∂out"),
        "(T − out) was used where ∂E/∂out = −(T − out) = out − T belongs".into(),
        recompute(net, step, &Knobs { output_scale: -1.0, ..base }),
    );
    if net.loss == Loss::HalfSse {
        let mut values = recompute(net, step, &Knobs { output_scale: 2.0, ..base });
        values.insert("E".into(), 2.0 * step.loss);
        for (i, t) in step.error_terms.iter().enumerate() {
            values.insert(format!("E{}", i + 1), 2.0 * t);
        }
        add(
            ("missing-half", "the error's ½"),
            "the error was taken as Σ(T − out)² without the ½, which doubles every gradient; E = Σ ½(T − out)²".into(),
            values,
        );
    }
    let ascend = |w: f64, g: f64, eta: f64| w + eta * g;
    add(
        ("update-sign", "the update"),
        "the update added η·∂E/∂w; gradient descent subtracts it: w ← w − η·∂E/∂w".into(),
        recompute(net, step, &Knobs { update: &ascend, ..base }),
    );
    let no_eta = |w: f64, g: f64, _: f64| w - g;
    let eta_twice = |w: f64, g: f64, eta: f64| w - eta * eta * g;
    let lr = "the learning rate η was left out or applied twice: w ← w − η·∂E/∂w, once";
    add(("learning-rate", "the update"), lr.into(), recompute(net, step, &Knobs { update: &no_eta, ..base }));
    add(("learning-rate", "the update"), lr.into(), recompute(net, step, &Knobs { update: &eta_twice, ..base }));
    let biases = if net.update_biases {
        "the biases were held fixed, but this network trains them too"
    } else {
        "the biases were updated, but this network holds them fixed (as the lecture does)"
    };
    add(
        ("bias-update", "which parameters the update changes"),
        biases.into(),
        recompute(net, step, &Knobs { update_biases: !net.update_biases, ..base }),
    );
    // An input or weight read from the wrong place, through the engine.
    let mut perturbed: Vec<(String, Network)> = vec![];
    for i in 0..net.inputs.len() {
        for (factor, how) in [(0.1, "a tenth of"), (10.0, "ten times")] {
            let mut n = net.clone();
            n.inputs[i] *= factor;
            perturbed.push((
                format!(
                    "x{} was read as {} ({}, {how} its value {})",
                    i + 1,
                    num(n.inputs[i]),
                    "a misread digit",
                    num(net.inputs[i])
                ),
                n,
            ));
        }
        for j in i + 1..net.inputs.len() {
            let mut n = net.clone();
            n.inputs.swap(i, j);
            perturbed.push((format!("x{} and x{} were swapped", i + 1, j + 1), n));
        }
    }
    let (wnames, _) = param_names(net);
    for (l, names) in wnames.iter().enumerate() {
        let cols = net.model.fan_in(l);
        let flat: Vec<(usize, usize)> = (0..net.model.units(l)).flat_map(|j| (0..cols).map(move |i| (j, i))).collect();
        for (a, &(j1, i1)) in flat.iter().enumerate() {
            for &(j2, i2) in &flat[a + 1..] {
                let mut n = net.clone();
                let (w1, w2) = (n.model.weight(l, j1, i1), n.model.weight(l, j2, i2));
                n.model.set_weight(l, j1, i1, w2);
                n.model.set_weight(l, j2, i2, w1);
                perturbed.push((format!("{} and {} were swapped", names[j1][i1], names[j2][i2]), n));
            }
        }
    }
    for (what, n) in perturbed.into_iter().take(200) {
        let values = super::network::expected(&n, 1).remove(0).values.into_iter().collect();
        add(
            ("wrong-input", "reading the numbers"),
            format!("{what}: an input or weight read from the wrong place"),
            values,
        );
    }
    out
}
