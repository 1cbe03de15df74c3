//! A small network as the engine's model: its layers as a [`Sequential`] with their parameters
//! in a [`ParamStore`], run forward on a tape to the error E.

use super::{LayerFile, Network};
use crate::autograd::{ParamStore, Tape, Var};
use crate::nn::{Layer, Linear, Sequential};
use crate::tensor::Tensor;

/// A network's layers as a model: its parameters in a store (`layers.{l}.weight` [out, in] and
/// `layers.{l}.bias`), and a [`Sequential`] of `Linear` layers, each followed by its activation.
pub fn model_of(network_layers: &[LayerFile]) -> (Sequential, ParamStore<f64>) {
    let mut store = ParamStore::new();
    let mut layers = vec![];
    for (l, layer) in network_layers.iter().enumerate() {
        let (rows, cols) = (layer.weights.len(), layer.weights[0].len());
        let name = format!("layers.{l}");
        let weights = Tensor::new(layer.weights.iter().flatten().copied().collect(), [rows, cols]);
        store.insert(format!("{name}.weight"), weights);
        store.insert(format!("{name}.bias"), Tensor::new(layer.biases.clone(), [rows]));
        let linear = Linear::from_store(&store, &name, (cols, rows)).expect("the tensors were just inserted");
        layers.push(Layer::Linear(linear));
        layers.push(Layer::Activation(layer.activation));
    }
    (Sequential { layers }, store)
}

/// What the forward pass leaves on the tape: each layer's (net, out), the error terms, E.
pub(crate) struct Forward<'t> {
    pub layers: Vec<(Var<'t, f64>, Var<'t, f64>)>,
    pub terms: Var<'t, f64>,
    pub error: Var<'t, f64>,
}

/// The forward pass of `model` on `tape`, with each layer's net input and output.
pub(crate) fn forward<'t>(
    net: &Network,
    model: &Sequential,
    store: &ParamStore<f64>,
    tape: &'t Tape<f64>,
) -> Forward<'t> {
    let x = tape.input(&Tensor::new(net.inputs.clone(), [1, net.inputs.len()]));
    let mut layers = vec![];
    let out = model.forward_visit(tape, store, x, None, |layer, v| match layer {
        Layer::Linear(_) => layers.push((v, v)),
        _ => layers.last_mut().expect("an activation follows a linear layer").1 = v,
    });
    let t = tape.input(&Tensor::new(net.targets.clone(), [1, net.targets.len()]));
    let terms = net.loss.per_output(out, t);
    Forward { layers, terms, error: terms.sum() }
}
/// E for the network as it stands (no gradients).
pub fn error_of(net: &Network) -> f64 {
    let (model, store) = model_of(&net.layers);
    error_with(net, &model, &store)
}

/// E for `model` with the weights in `store`.
pub(crate) fn error_with(net: &Network, model: &Sequential, store: &ParamStore<f64>) -> f64 {
    let tape = Tape::new();
    forward(net, model, store, &tape).error.item()
}
