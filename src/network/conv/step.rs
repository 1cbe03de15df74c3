//! One training step of a small convolutional network, read off the engine's tape and laid out
//! as the lecture lays out a dense one ([`super::lines`]): the forward pass on the tape, every
//! layer's lines ([`super::layers`]), E's gradient in the outputs, the updates and `--verify`'s
//! central differences. The values are always the engine's.

use serde::Serialize;

use super::layers::{At, Built, Weights};
use super::lines::{Grid, Line, Part, Rule, Section, Update};
use super::taps::{Tap, image};
use super::{ConvNetwork, Forward, layers, names};
use crate::autograd::{ParamId, Tape, finite_differences};
use crate::nn::{Activation, LayerSpec, SampleShape};
use crate::optim::descend;
use crate::present::num;
use crate::tensor::Tensor;

/// What a convolution did in this step, for the checker's variant computations.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvTrace {
    pub layer: usize,
    pub taps: Vec<Tap>,
    pub kernel: Vec<f64>,
    pub kernel_side: usize,
    pub kernel_names: Vec<String>,
    pub bias_names: Vec<String>,
    pub inputs: Vec<f64>,
    pub input_names: Vec<String>,
    pub output_names: Vec<String>,
    pub de_dnet: Vec<f64>,
    /// The activation's local derivative at each output (1 without one) and the pool above it.
    pub local: Vec<f64>,
    pub pool: Option<PoolTrace>,
}

/// A max or average pool right above a convolution (and its activation).
#[derive(Clone, Debug, PartialEq)]
pub struct PoolTrace {
    /// Each window's elements (indices into the convolution's outputs; padding left out).
    pub windows: Vec<Vec<usize>>,
    pub max: bool,
    pub de_dout: Vec<f64>,
    /// The names of the pool's inputs (`out_C11`, or `C11` without an activation).
    pub input_names: Vec<String>,
}

/// Everything one step shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConvStep {
    pub step: usize,
    pub loss: f64,
    pub error_terms: Vec<f64>,
    pub forward: Vec<Section>,
    pub backward: Vec<Section>,
    pub updates: Vec<Update>,
    pub grids: Vec<Grid>,
    #[serde(skip)]
    pub traces: Vec<ConvTrace>,
}

/// The names of a weighted layer's parameters (weight and bias, in the store's order).
pub(super) struct Named {
    pub weight: ParamId,
    pub bias: ParamId,
    pub weight_names: Vec<String>,
    pub bias_names: Vec<String>,
}

/// Names every weighted layer's parameters: kernels `k…`/`bk…`, dense weights `w1…` and biases
/// `b1…` numbered row-major through the dense layers. Indexed by layer.
fn parameter_names(net: &ConvNetwork) -> Vec<Option<Named>> {
    let layers = &net.architecture().layers;
    let convs = layers.iter().filter(|l| matches!(l, LayerSpec::Conv { .. })).count();
    let (mut conv, mut k, mut w, mut b) = (0, 0, 0, 0);
    let mut shape = net.input_shape();
    let mut out = vec![];
    for &layer in layers {
        out.push(match layer {
            LayerSpec::Conv { filters, kernel, .. } => {
                conv += 1;
                let (weight_names, bias_names) =
                    names::kernel_names((convs > 1).then_some(conv), filters, shape.channels(), kernel);
                k += 1;
                let (weight, bias) = (id_at(net, k - 1, "weight"), id_at(net, k - 1, "bias"));
                Some(Named { weight, bias, weight_names, bias_names })
            }
            LayerSpec::Dense { units } => {
                let weight_names = (0..units * shape.numel()).map(|i| format!("w{}", w + i + 1)).collect();
                let bias_names = (0..units).map(|i| format!("b{}", b + i + 1)).collect();
                (w, b) = (w + units * shape.numel(), b + units);
                k += 1;
                let (weight, bias) = (id_at(net, k - 1, "weight"), id_at(net, k - 1, "bias"));
                Some(Named { weight, bias, weight_names, bias_names })
            }
            _ => None,
        });
        shape = layer.output(shape).expect("checked when read");
    }
    out
}

fn id_at(net: &ConvNetwork, k: usize, suffix: &str) -> ParamId {
    net.params.id(&format!("layers.{k}.{suffix}")).expect("checked when read")
}

/// The step ε of `--verify`'s central differences.
const FINITE_DIFFERENCE_STEP: f64 = 1e-6;

/// One training step of `net` (numbered `number`) with the network it leaves.
pub fn step(net: &ConvNetwork, number: usize, verify: bool) -> (ConvStep, ConvNetwork) {
    let arch = net.architecture();
    let rows = arch.rows().expect("checked when read");
    let input_shape = net.input_shape();
    let shapes: Vec<SampleShape> = std::iter::once(input_shape).chain(rows.iter().map(|r| r.output)).collect();
    let names = net.names();

    let tape = Tape::new();
    let Forward { maps: outs, terms, error } = net.forward(&tape);
    let grads = tape.backward(error);
    let values: Vec<Vec<f64>> = outs.iter().map(|v| v.value().data().to_vec()).collect();
    let de: Vec<Vec<f64>> = outs
        .iter()
        .map(|&v| grads.wrt(v).map_or_else(|| vec![0.0; v.shape().numel()], |g| g.data().to_vec()))
        .collect();
    let params = parameter_names(net);
    let gradient = |id: ParamId| grads.param(id).expect("every parameter reaches E").data().to_vec();
    let value_of = |id: ParamId| net.params.get(id).data().to_vec();

    let mut built = Built::default();
    built.grids.push(Grid {
        title: "input x".into(),
        dims: image(input_shape),
        names: names[0].clone(),
        values: values[0].clone(),
    });
    let last = arch.layers.len() - 1;
    for (i, &layer) in arch.layers.iter().enumerate() {
        let at = At {
            net,
            i,
            layer,
            title: format!("`{layer}`"),
            below: &names[i],
            here: &names[i + 1],
            x_in: &values[i],
            y: &values[i + 1],
            de_in: &de[i],
            de_out: &de[i + 1],
            shape_in: shapes[i],
            shape_out: shapes[i + 1],
            is_last: i == last,
        };
        let weights = |i: usize| {
            let named = params[i].as_ref().expect("a layer with weights");
            Weights {
                names: named,
                weight: value_of(named.weight),
                bias: value_of(named.bias),
                weight_gradient: gradient(named.weight),
                bias_gradient: gradient(named.bias),
            }
        };
        match layer {
            LayerSpec::Conv { kernel, .. } => layers::convolution(&at, kernel, weights(i), &mut built),
            LayerSpec::Dense { .. } => layers::dense(&at, weights(i), &mut built),
            LayerSpec::Activation(a) => layers::activation(&at, a, &mut built),
            LayerSpec::MaxPool { .. } | LayerSpec::AvgPool { .. } | LayerSpec::GlobalAvgPool => {
                layers::pool(&at, &mut built)
            }
            LayerSpec::Flatten => {}
            LayerSpec::BatchNorm | LayerSpec::Dropout { .. } => unreachable!("refused when read"),
        }
        if !matches!(layer, LayerSpec::Flatten) {
            built.grids.push(Grid {
                title: format!("{}: {}", at.title, at.here.first().map_or("", String::as_str)),
                dims: image(shapes[i + 1]),
                names: at.here.to_vec(),
                values: at.y.to_vec(),
            });
        }
    }
    let Built { forward, mut backward, traces, grids } = built;
    backward.reverse();
    // E's gradient in each output, where the backward pass starts (softmax's is shown with
    // cross-entropy below it).
    let (outputs, k) = (&names[last + 1], net.targets.len());
    if !matches!(arch.layers[last], LayerSpec::Activation(Activation::Softmax)) {
        let lines = (0..k)
            .map(|j| {
                let symbolic = net.loss.derivative_of(j + 1, k, &outputs[j]);
                let numeric = symbolic
                    .replace(&outputs[j], &num(values[last + 1][j]))
                    .replace(&format!("T{}", j + 1), &num(net.targets[j]));
                Line {
                    symbol: format!("dE/d{}", outputs[j]),
                    rule: Rule::Formula { symbolic, numeric: Some(numeric) },
                    value: de[last + 1][j],
                }
            })
            .collect();
        let section = Section {
            part: Part::OutputGradients,
            layer: last,
            title: "The error's gradient in each output".into(),
            note: None,
            lines,
        };
        backward.insert(0, section);
    }

    // The updates, and --verify's finite differences of E in every parameter.
    let eta = net.learning_rate;
    let mut next = net.clone();
    let mut updates = vec![];
    let numeric = verify.then(|| {
        let tensors: Vec<Tensor<f64>> = net.params.iter().map(|(_, _, t)| t.clone()).collect();
        finite_differences(
            |nudged| {
                let mut trial = net.clone();
                for ((id, _, _), t) in net.params.iter().zip(nudged) {
                    *trial.params.get_mut(id) = t.clone();
                }
                trial.error()
            },
            &tensors,
            FINITE_DIFFERENCE_STEP,
        )
    });
    let position = |id: ParamId| net.params.iter().position(|(p, _, _)| p == id).expect("in the store");
    for named in params.iter().flatten() {
        for (id, names, fixed) in
            [(named.weight, &named.weight_names, false), (named.bias, &named.bias_names, !net.update_biases)]
        {
            let (values, grads) = (value_of(id), gradient(id));
            for (j, name) in names.iter().enumerate() {
                let updated = if fixed { values[j] } else { descend(values[j], grads[j], eta) };
                next.params.get_mut(id).data_mut()[j] = updated;
                updates.push(Update {
                    name: name.clone(),
                    value: values[j],
                    gradient: grads[j],
                    updated,
                    fixed,
                    numeric: numeric.as_ref().map(|n| n[position(id)].data()[j]),
                });
            }
        }
    }
    let step = ConvStep {
        step: number,
        loss: error.item(),
        error_terms: terms.value().data().to_vec(),
        forward,
        backward,
        updates,
        grids,
        traces,
    };
    (step, next)
}

/// A convolutional network's steps: the first ones whole, every error.
pub type ConvSteps = crate::network::Steps<ConvStep>;

/// Runs `steps` steps (at least one), keeping the first `kept` whole.
pub fn run(net: &ConvNetwork, steps: usize, kept: usize, verify: bool) -> ConvSteps {
    crate::network::step::run_with(net, steps, kept, verify, step, |s| s.loss, ConvNetwork::error)
}
