//! One training step of a small network, read off the engine's tape: every unit's net input and
//! output, the error terms, every parameter's gradient as its chain of factors (with the path
//! sums of hidden units), and the update. The network is built from `nn` layers and run on the
//! tape like any model; each activation's local derivative comes from its own op's backward
//! rule, the error terms from [`crate::loss::Loss::per_output`], `--verify`'s numbers from
//! `autograd::finite_differences`. Explain renders these steps, check marks against them and
//! the playground shows them: each only arranges the engine's numbers.

use serde::Serialize;

use super::model::{Forward, error_with, forward};
use super::{Network, error_of, param_names, unit_name};
use crate::autograd::Tape;
use crate::autograd::{Var, finite_differences};
use crate::optim::descend;
use crate::tensor::Tensor;

/// One unit's forward values.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unit {
    /// The net input's name (`H1`, `y2`); the output is `out_` + name.
    pub name: String,
    pub net: f64,
    pub out: f64,
    /// ∂E/∂out of this unit (absent for softmax outputs, whose units are not separable).
    #[serde(skip)]
    pub de_dout: Option<f64>,
    /// ∂E/∂net of this unit (the delta).
    #[serde(skip)]
    pub de_dnet: f64,
    /// dout/dnet (elementwise activations).
    #[serde(skip)]
    pub local: Option<f64>,
}

/// One factor of a chain.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Factor {
    pub symbol: String,
    pub value: f64,
}

/// A hidden unit's ∂E/∂out as the sum over the paths through the units it feeds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PathSum {
    /// `out_H1`.
    pub unit: String,
    /// (the next layer's net, its delta, the connecting weight's name, its value).
    pub terms: Vec<(String, f64, String, f64)>,
    pub total: f64,
}

/// One parameter: where it sits, its gradient's chain, its update.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Param {
    /// `w5`, `b3`.
    pub name: String,
    pub value: f64,
    pub gradient: f64,
    pub factors: Vec<Factor>,
    pub updated: f64,
    /// The central finite-difference estimate, with `--verify`.
    pub numeric: Option<f64>,
    /// (layer, unit, input) — input is None for a bias.
    #[serde(skip)]
    pub at: (usize, usize, Option<usize>),
}

/// Everything one step shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    pub step: usize,
    /// Total error before the update.
    pub loss: f64,
    /// Each output's share of the error.
    pub error_terms: Vec<f64>,
    /// Units layer by layer (inputs not included).
    pub layers: Vec<Vec<Unit>>,
    pub path_sums: Vec<PathSum>,
    pub params: Vec<Param>,
}

/// One training step of `net` (numbered `number`), read off the tape, with the network it
/// leaves (every weight updated).
pub fn step(net: &Network, number: usize, verify: bool) -> (Step, Network) {
    let (model, store) = (&net.model.sequential, &net.model.params);
    let tape = Tape::new();
    let Forward { layers: vars, terms, error } = forward(net, model, store, &tape);
    let grads = tape.backward(error);
    let value = |v: Var<'_, f64>, j: usize| v.value().data()[j];
    let grad = |v: Var<'_, f64>, j: usize| grads.wrt(v).map_or(0.0, |g| g.data()[j]);

    // Units, with the engine's ∂E/∂out and ∂E/∂net.
    let layers: Vec<Vec<Unit>> = vars
        .iter()
        .enumerate()
        .map(|(l, &(z, out))| {
            let act = net.model.activation(l);
            let local = act.derivative_at(&z.value());
            (0..net.model.units(l))
                .map(|j| Unit {
                    name: unit_name(net, l, j),
                    net: value(z, j),
                    out: value(out, j),
                    de_dout: act.is_elementwise().then(|| grad(out, j)),
                    de_dnet: grad(z, j),
                    local: local.as_ref().map(|d| d.data()[j]),
                })
                .collect()
        })
        .collect();

    // Hidden units' ∂E/∂out as sums over the paths through the next layer.
    let (wnames, bnames) = param_names(net);
    let mut path_sums = vec![];
    for l in 0..net.model.depth() - 1 {
        for (j, unit) in layers[l].iter().enumerate() {
            let terms: Vec<(String, f64, String, f64)> = (0..net.model.units(l + 1))
                .map(|k| {
                    (
                        layers[l + 1][k].name.clone(),
                        layers[l + 1][k].de_dnet,
                        wnames[l + 1][k][j].clone(),
                        net.model.weight(l + 1, k, j),
                    )
                })
                .collect();
            let total = terms.iter().map(|t| t.1 * t.3).sum();
            path_sums.push(PathSum { unit: format!("out_{}", unit.name), terms, total });
        }
    }
    let path_total = |l: usize, j: usize| {
        path_sums.iter().find(|p| p.unit == format!("out_{}", unit_name(net, l, j))).map(|p| p.total)
    };

    // Every parameter's chain: the factors shown, and the engine's gradient they must give.
    let eta = net.learning_rate;
    let mut params = vec![];
    let mut next = net.clone();
    for l in 0..net.model.depth() {
        let gradient = |id| grads.param(id).expect("every parameter reaches E").data().to_vec();
        let (weight, bias) = net.model.layer_params(l);
        let (gw, gb) = (gradient(weight), gradient(bias));
        for j in 0..net.model.units(l) {
            let u = &layers[l][j];
            let head: Vec<Factor> = match (u.de_dout, u.local) {
                (Some(de_dout), Some(local)) => {
                    // A hidden unit's ∂E/∂out is shown as its path sum (the same number, summed
                    // from the factors displayed).
                    let de_dout = path_total(l, j).unwrap_or(de_dout);
                    vec![
                        Factor { symbol: format!("dE/dout_{}", u.name), value: de_dout },
                        Factor { symbol: format!("dout_{}/d{}", u.name, u.name), value: local },
                    ]
                }
                _ => vec![Factor { symbol: format!("dE/d{}", u.name), value: u.de_dnet }],
            };
            let cols = net.model.fan_in(l);
            for i in 0..cols {
                let input = if l == 0 { net.inputs[i] } else { layers[l - 1][i].out };
                let mut factors = head.clone();
                factors.push(Factor { symbol: format!("d{}/d{}", u.name, wnames[l][j][i]), value: input });
                let g = gw[j * cols + i];
                let w = net.model.weight(l, j, i);
                let updated = descend(w, g, eta);
                next.model.set_weight(l, j, i, updated);
                params.push(Param {
                    name: wnames[l][j][i].clone(),
                    value: w,
                    gradient: g,
                    factors,
                    updated,
                    numeric: None,
                    at: (l, j, Some(i)),
                });
            }
            let mut factors = head.clone();
            factors.push(Factor { symbol: format!("d{}/d{}", u.name, bnames[l][j]), value: 1.0 });
            let b = net.model.bias(l, j);
            let updated = if net.update_biases { descend(b, gb[j], eta) } else { b };
            next.model.set_bias(l, j, updated);
            params.push(Param {
                name: bnames[l][j].clone(),
                value: b,
                gradient: gb[j],
                factors,
                updated,
                numeric: None,
                at: (l, j, None),
            });
        }
    }
    if verify {
        // Central differences of E in every weight and bias, by gradcheck's own routine.
        let tensors: Vec<Tensor<f64>> = store.iter().map(|(_, _, t)| t.clone()).collect();
        let numeric = finite_differences(
            |nudged| {
                let mut trial = store.clone();
                for ((id, _, _), t) in store.iter().zip(nudged) {
                    *trial.get_mut(id) = t.clone();
                }
                error_with(net, model, &trial)
            },
            &tensors,
            FINITE_DIFFERENCE_STEP,
        );
        for p in &mut params {
            let (l, j, i) = p.at;
            p.numeric = Some(match i {
                Some(i) => numeric[2 * l].data()[j * net.model.fan_in(l) + i],
                None => numeric[2 * l + 1].data()[j],
            });
        }
    }
    let error_terms = terms.value().data().to_vec();
    let step = Step { step: number, loss: error.item(), error_terms, layers, path_sums, params };
    (step, next)
}

/// The step ε of `--verify`'s central differences.
const FINITE_DIFFERENCE_STEP: f64 = 1e-6;

/// Steps as the renderers and the checker take them. Only the first steps are kept whole (each holds
/// every value of the network, so a million of them would not fit in memory); the error of
/// every step is kept for the summary. `S` is a dense network's [`Step`] or a convolutional
/// one's.
pub struct Steps<S = Step> {
    /// The first steps, every value of each.
    pub steps: Vec<S>,
    /// E before each step, for every step run (as many as were asked for).
    pub errors: Vec<f64>,
    /// E after the last update.
    pub final_loss: f64,
}

/// Runs `steps` steps (at least one) and keeps the first `kept` of them whole; `verify` adds
/// the finite differences to the kept ones.
pub fn run(net: &Network, steps: usize, kept: usize, verify: bool) -> Steps {
    run_with(net, steps, kept, verify, step, |s| s.loss, error_of)
}

/// [`run`] for any network: `step(network, number, verify)` gives a step and the network it
/// leaves, `loss` a step's E before its update, `error` a network's E.
pub(crate) fn run_with<N: Clone, S>(
    net: &N,
    steps: usize,
    kept: usize,
    verify: bool,
    step: impl Fn(&N, usize, bool) -> (S, N),
    loss: impl Fn(&S) -> f64,
    error: impl Fn(&N) -> f64,
) -> Steps<S> {
    let mut current = net.clone();
    let (mut whole, mut errors) = (vec![], vec![]);
    for s in 1..=steps.max(1) {
        let keep = s <= kept;
        let (step, next) = step(&current, s, verify && keep);
        errors.push(loss(&step));
        if keep {
            whole.push(step);
        }
        current = next;
    }
    Steps { steps: whole, errors, final_loss: error(&current) }
}
