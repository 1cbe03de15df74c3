//! A small network as the engine's model: its layers as a [`Sequential`] with their parameters
//! in a [`ParamStore`] ([`Model`]), run forward on a tape to the error E. The lecture's names
//! for its parameters (`w5`, `b2`) are places in that store.

use super::{LayerFile, Network};
use crate::autograd::{ParamId, ParamStore, Tape, Var};
use crate::nn::{Activation, Layer, Linear, MlpSpec, Sequential};
use crate::tensor::Tensor;

/// A small network as the library holds any model: `Linear` layers named `layers.{l}`, each
/// followed by its activation, with their weights ([out, in]) and biases in a store. What the
/// playground trains, through the library's optimisers; a [`LayerFile`] list is only how it
/// is written down.
#[derive(Clone, Debug)]
pub struct Model {
    pub sequential: Sequential,
    pub params: ParamStore<f64>,
}

impl Model {
    /// The model of written-down layers.
    /// The model of written-down layers: `layers.{l}.weight` [out, in] and `layers.{l}.bias`
    /// in the store, each `Linear` followed by its activation.
    pub fn from_layers(network_layers: &[LayerFile]) -> Model {
        let mut params = ParamStore::new();
        let mut layers = vec![];
        for (l, layer) in network_layers.iter().enumerate() {
            let (rows, cols) = (layer.weights.len(), layer.weights[0].len());
            let name = format!("layers.{l}");
            let weights = Tensor::new(layer.weights.iter().flatten().copied().collect(), [rows, cols]);
            params.insert(format!("{name}.weight"), weights);
            params.insert(format!("{name}.bias"), Tensor::new(layer.biases.clone(), [rows]));
            let linear = Linear::from_store(&params, &name, (cols, rows)).expect("the tensors were just inserted");
            layers.push(Layer::Linear(linear));
            layers.push(Layer::Activation(layer.activation));
        }
        let input = vec![network_layers.first().map_or(0, |l| l.weights[0].len())];
        Model { sequential: Sequential { input, layers }, params }
    }

    /// An MLP as `nn` initialises one, with every layer followed by its activation (the
    /// output's too, `linear` included, so each layer's units can be read off the tape).
    pub fn mlp(spec: &MlpSpec, rng: &mut impl rand::Rng) -> Model {
        let mut params = ParamStore::new();
        let mut sequential = Sequential::mlp(spec, &mut params, rng);
        if spec.output == Activation::Linear {
            sequential.layers.push(Layer::Activation(Activation::Linear));
        }
        Model { sequential, params }
    }

    /// The same weights with `hidden` after every layer but the last and `output` after it.
    pub fn with_activations(mut self, hidden: Activation, output: Activation) -> Model {
        let last = self.depth() - 1;
        let mut l = 0;
        for layer in &mut self.sequential.layers {
            if let Layer::Activation(a) = layer {
                *a = if l == last { output } else { hidden };
                l += 1;
            }
        }
        self
    }

    /// Each layer's (outputs, inputs, activation).
    pub fn shape(&self) -> Vec<(usize, usize, Activation)> {
        let mut shape: Vec<(usize, usize, Activation)> = vec![];
        for layer in &self.sequential.layers {
            match layer {
                Layer::Linear(l) => shape.push((l.outputs, l.inputs, Activation::Linear)),
                Layer::Activation(a) => shape.last_mut().expect("an activation follows a linear layer").2 = *a,
                // The small network is dense layers and activations (dropout only in training).
                _ => {}
            }
        }
        shape
    }

    /// Layer `l`'s (weight, bias).
    pub fn layer_params(&self, l: usize) -> (ParamId, ParamId) {
        let linear = self.sequential.linears().nth(l).unwrap_or_else(|| panic!("the model has no layer {l}"));
        (linear.weight, linear.bias)
    }

    /// Every layer's (weight, bias), in order.
    pub fn all_params(&self) -> Vec<(ParamId, ParamId)> {
        self.sequential.linears().map(|l| (l.weight, l.bias)).collect()
    }

    /// Where a parameter of the lecture's naming sits: `w{k}` is the k-th weight counting
    /// row-major through the layers' [out, in] matrices (so the store's own order), `b{k}` the
    /// k-th bias. With its layer and whether it is a weight.
    pub fn locate(&self, name: &str) -> Option<Place> {
        let (weight, k) = match name.split_at_checked(1)? {
            ("w", k) => (true, k),
            ("b", k) => (false, k),
            _ => return None,
        };
        if k.starts_with('0') || !k.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut k = k.parse::<usize>().ok()? - 1;
        for (layer, linear) in self.sequential.linears().enumerate() {
            let count = if weight { linear.inputs * linear.outputs } else { linear.outputs };
            if k < count {
                let id = if weight { linear.weight } else { linear.bias };
                return Some(Place { layer, weight, id, index: k });
            }
            k -= count;
        }
        None
    }

    /// How many layers (each a `Linear` and its activation).
    pub fn depth(&self) -> usize {
        self.sequential.linears().count()
    }

    fn linear(&self, l: usize) -> &Linear {
        self.sequential.linears().nth(l).unwrap_or_else(|| panic!("the model has no layer {l}"))
    }

    /// Units of layer `l`.
    pub fn units(&self, l: usize) -> usize {
        self.linear(l).outputs
    }

    /// Inputs of layer `l` (the units below it).
    pub fn fan_in(&self, l: usize) -> usize {
        self.linear(l).inputs
    }

    /// Layer `l`'s activation.
    pub fn activation(&self, l: usize) -> Activation {
        self.shape()[l].2
    }

    /// The weight from unit `i` below to unit `j` of layer `l`.
    pub fn weight(&self, l: usize, j: usize, i: usize) -> f64 {
        let linear = self.linear(l);
        self.params.get(linear.weight).data()[j * linear.inputs + i]
    }

    /// The bias of unit `j` of layer `l`.
    pub fn bias(&self, l: usize, j: usize) -> f64 {
        self.params.get(self.linear(l).bias).data()[j]
    }

    /// Sets the weight from unit `i` below to unit `j` of layer `l`.
    pub fn set_weight(&mut self, l: usize, j: usize, i: usize, value: f64) {
        let (id, cols) = (self.linear(l).weight, self.linear(l).inputs);
        self.params.get_mut(id).data_mut()[j * cols + i] = value;
    }

    /// Sets the bias of unit `j` of layer `l`.
    pub fn set_bias(&mut self, l: usize, j: usize, value: f64) {
        let id = self.linear(l).bias;
        self.params.get_mut(id).data_mut()[j] = value;
    }

    /// The value of a located parameter.
    pub fn value(&self, at: Place) -> f64 {
        self.params.get(at.id).data()[at.index]
    }

    /// The layers written down, as a network file holds them.
    pub fn layers(&self) -> Vec<LayerFile> {
        self.shape()
            .into_iter()
            .enumerate()
            .map(|(l, (_, cols, activation))| {
                let (w, b) = self.layer_params(l);
                LayerFile {
                    weights: self.params.get(w).data().chunks(cols).map(<[f64]>::to_vec).collect(),
                    biases: self.params.get(b).data().to_vec(),
                    activation,
                }
            })
            .collect()
    }
}

/// Two models are equal when their layers and every weight are.
impl PartialEq for Model {
    fn eq(&self, other: &Model) -> bool {
        let values = |m: &Model| m.params.iter().map(|(_, name, t)| (name.to_string(), t.clone())).collect::<Vec<_>>();
        self.sequential == other.sequential && values(self) == values(other)
    }
}

/// A parameter element in a [`Model`]'s store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    pub layer: usize,
    pub weight: bool,
    pub id: ParamId,
    /// The element's index in the parameter (row-major).
    pub index: usize,
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
    let out = model.forward_visit(tape, store, x, None, |layer, _, v| match layer {
        Layer::Linear(_) => layers.push((v, v)),
        _ => layers.last_mut().expect("an activation follows a linear layer").1 = v,
    });
    let t = tape.input(&Tensor::new(net.targets.clone(), [1, net.targets.len()]));
    let terms = net.loss.per_output(out, t);
    Forward { layers, terms, error: terms.sum() }
}
/// E for the network as it stands (no gradients).
pub fn error_of(net: &Network) -> f64 {
    error_with(net, &net.model.sequential, &net.model.params)
}

/// E for `model` with the weights in `store`.
pub(crate) fn error_with(net: &Network, model: &Sequential, store: &ParamStore<f64>) -> f64 {
    let tape = Tape::new();
    forward(net, model, store, &tape).error.item()
}
