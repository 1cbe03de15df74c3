//! One learner's playground: the data split into training and test points, the network (the
//! library's model: a `Sequential` with its weights in a store), the optimiser that trains it,
//! and where training stands. A training step is one batch: E is the batch's mean of each
//! example's loss, plus the regularisation penalty; its gradients come from a plan recorded on
//! a tape once per batch size (`step.rs`), and the setup's optimiser (`optim`, as everywhere)
//! moves every weight. An epoch is one pass over the training points in order, in batches (the
//! last one may be smaller), as in TensorFlow Playground.

use serde::Deserialize;

use super::data::{self, DataSet, Label, Point, Uploaded};
use super::step::CompiledSteps;
use super::{MAX_EPOCHS_PER_REQUEST, Regularization, Setup};
use crate::autograd::{Grads, ParamStore, Tape, Var};
use crate::error::{Error, Result};
use crate::loss::Loss;
use crate::network::{Model, Network};
use crate::nn::{Activation, MlpSpec};
use crate::optim::Optimizer;
use crate::tensor::Tensor;

/// The most points kept in the loss history; older ones are thinned to every other.
const HISTORY: usize = 1_000;

/// A hand edit of one number: a weight or bias by `explain`'s name (`w5`, `b1`), or on the
/// lecture's data its inputs `x1`, `x2` and targets `T1`, `T2`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    pub name: String,
    pub value: f64,
}

/// A playground session.
#[derive(Clone, Debug)]
pub struct Session {
    pub(super) setup: Setup,
    pub(super) train: Vec<Point>,
    pub(super) test: Vec<Point>,
    pub(super) uploaded: Option<Uploaded>,
    /// Classes of the labels; 0 when they are values.
    pub(super) classes: usize,
    pub(super) loss: Loss,
    /// The network: `layers.{l}.weight` [out, in] and `layers.{l}.bias` per layer.
    pub(super) net: Model,
    /// The setup's optimiser, with its state (momenta, step counts) since the last reset.
    pub(super) optimizer: Optimizer<f64>,
    /// The next training point a batch starts at.
    pub(super) cursor: usize,
    pub(super) updates: usize,
    /// Passes over the training points completed.
    pub(super) epoch: usize,
    /// (epoch, training loss, test loss).
    pub(super) history: Vec<[f64; 3]>,
    /// Counts changes of the points, so a page that has them can be sent none.
    pub(super) data_version: u64,
    /// Counts fresh starts of the weights (a reset, a new network or new data), so a page
    /// knows when its record of hand edits no longer applies.
    pub(super) weights_version: u64,
    /// The training step's compiled plans (see `step.rs`).
    pub(super) compiled: CompiledSteps,
}

/// A batch's E as recorded on a tape: its input and target leaves, the data term (the mean
/// over the examples of each one's loss) and the penalty on the weights, if any.
pub(super) struct Objective<'t> {
    pub(super) inputs: Var<'t, f64>,
    pub(super) targets: Var<'t, f64>,
    pub(super) data: Var<'t, f64>,
    pub(super) penalty: Option<Var<'t, f64>>,
}

impl Session {
    /// A session for `setup`; errors name the field at fault.
    pub fn new(setup: Setup) -> Result<Session> {
        let mut s = Session {
            setup: Setup::default(),
            train: vec![],
            test: vec![],
            uploaded: None,
            classes: 2,
            loss: Loss::HalfSse,
            net: Model::from_layers(&[]),
            optimizer: Optimizer::sgd(0.0, 0.0),
            cursor: 0,
            updates: 0,
            epoch: 0,
            history: vec![],
            data_version: 0,
            weights_version: 0,
            compiled: CompiledSteps::default(),
        };
        s.apply(setup)?;
        Ok(s)
    }

    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// Changes the setup. New data (shape, classes, noise, split, seed) or a new network
    /// (features, layers, activation, loss) start training again; the learning rate, the
    /// regularisation and the batch size apply from the next step on.
    pub fn apply(&mut self, setup: Setup) -> Result<()> {
        self.apply_with(setup, false)
    }

    fn apply_with(&mut self, setup: Setup, data_changed: bool) -> Result<()> {
        setup.check()?;
        if setup.data == DataSet::Upload && self.uploaded.is_none() {
            return Err(Error::invalid("data: upload a CSV first (POST …/data)"));
        }
        let old = std::mem::replace(&mut self.setup, setup);
        let s = &self.setup;
        let new_data = data_changed
            || self.train.is_empty()
            || (s.data, s.classes, s.noise, s.train_percent, s.seed, s.exercise)
                != (old.data, old.classes, old.noise, old.train_percent, old.seed, old.exercise);
        let new_network = new_data
            || (&s.features, &s.hidden, s.activation, s.loss) != (&old.features, &old.hidden, old.activation, old.loss);
        let new_optimizer = (s.optimizer, s.momentum) != (old.optimizer, old.momentum);
        if let Err(e) = self.labels_fit() {
            self.setup = old;
            return Err(e);
        }
        if new_data {
            self.regenerate();
        }
        if new_network {
            self.reset();
        } else if new_optimizer {
            // Another optimiser starts from no state; the weights stay.
            self.optimizer = self.setup.optimizer();
        }
        self.cursor = self.cursor.min(self.train.len() - 1);
        Ok(())
    }

    /// Takes an uploaded data set and trains on it from the start.
    pub fn upload(&mut self, uploaded: Uploaded) -> Result<()> {
        let previous = self.uploaded.replace(uploaded);
        let mut setup = self.setup.clone();
        setup.data = DataSet::Upload;
        self.apply_with(setup, true).inspect_err(|_| self.uploaded = previous)
    }

    /// The classes and loss the labels imply, checked against the setup's loss.
    fn labels_fit(&mut self) -> Result<()> {
        let s = &self.setup;
        let (classes, values) = match (s.data, &self.uploaded) {
            (DataSet::Upload, Some(u)) => (u.class_names.len(), u.class_names.is_empty()),
            (DataSet::Lecture, _) => (0, true),
            (d, _) if d.is_regression() => (0, true),
            _ => (s.class_count(), false),
        };
        let loss = s.loss(classes);
        let regression = values && s.data != DataSet::Lecture;
        if regression && matches!(loss, Loss::CrossEntropy | Loss::Bce) {
            return Err(Error::invalid(format!(
                "loss: {loss} is a classification loss; this data's targets are values"
            )));
        }
        self.classes = classes;
        self.loss = loss;
        Ok(())
    }

    /// Draws the points again and splits them.
    fn regenerate(&mut self) {
        let s = &self.setup;
        let mut rng = crate::rng(s.seed);
        let points = match (s.data, &self.uploaded) {
            (DataSet::Upload, Some(u)) => u.points.clone(),
            (DataSet::Lecture, _) => vec![data::example_point(&s.lecture_network())],
            (d, _) => data::generate(d, s.classes, f64::from(s.noise) / 100.0, &mut rng),
        };
        let (train, test) = data::split(points, s.train_percent, &mut rng);
        self.train = train;
        self.test = test;
        self.data_version += 1;
    }

    /// Units of the output layer and their activation.
    pub(super) fn output_layer(&self) -> (usize, Activation) {
        let outputs = match (self.classes, self.loss) {
            (0, _) => self.train[0].targets_len(),
            (2, l) if l != Loss::CrossEntropy => 1,
            (k, _) => k,
        };
        let activation = match self.loss {
            Loss::CrossEntropy => Activation::Softmax,
            Loss::Bce => Activation::Sigmoid,
            _ if self.classes > 0 || self.setup.data == DataSet::Lecture => Activation::Sigmoid,
            _ => Activation::Linear,
        };
        (outputs, activation)
    }

    /// The output layer's targets for a point.
    pub(super) fn targets(&self, p: &Point) -> Vec<f64> {
        match &p.label {
            Label::Values(v) => v.clone(),
            Label::Class(c) if self.output_layer().0 == 1 => vec![*c as f64],
            Label::Class(c) => (0..self.classes).map(|k| f64::from(u8::from(k == *c))).collect(),
        }
    }

    /// The network's inputs for a point: its features.
    pub(super) fn inputs(&self, p: &Point) -> Vec<f64> {
        self.setup.features.iter().map(|f| f.of(p.x)).collect()
    }

    /// New initial weights (the lecture's own on its 2-2-2 network), and training from the start.
    pub fn reset(&mut self) {
        let (outputs, output) = self.output_layer();
        let s = &self.setup;
        let lecture = s.lecture_network();
        let lecture_shape = s.data == DataSet::Lecture && s.hidden == [2] && outputs == 2 && s.features.len() == 2;
        let model = if lecture_shape {
            lecture.model
        } else {
            let sizes: Vec<usize> =
                std::iter::once(s.features.len()).chain(s.hidden.iter().copied()).chain([outputs]).collect();
            let spec = MlpSpec { sizes, activation: s.activation, output, dropout: 0.0 };
            Model::mlp(&spec, &mut crate::rng(s.seed.wrapping_add(1)))
        };
        self.net = model.with_activations(s.activation, output);
        self.optimizer = s.optimizer();
        self.cursor = 0;
        self.updates = 0;
        self.epoch = 0;
        self.weights_version += 1;
        self.history.clear();
        self.record();
    }

    /// Appends the current losses to the history, thinning it when full.
    fn record(&mut self) {
        if self.history.len() >= HISTORY {
            self.history = self.history.iter().step_by(2).copied().collect();
        }
        self.history.push([self.epoch as f64, self.mean_loss(&self.train), self.mean_loss(&self.test)]);
    }

    /// Training points per epoch's batches.
    pub fn batches_per_epoch(&self) -> usize {
        self.train.len().div_ceil(self.setup.batch_size)
    }

    /// Indices (into the training points) of the batch the next step trains on.
    pub fn batch(&self) -> std::ops::Range<usize> {
        self.cursor..(self.cursor + self.setup.batch_size).min(self.train.len())
    }

    /// The network with one example's inputs and targets: what `explain` explains.
    pub fn network_for(&self, p: &Point) -> Network {
        Network {
            inputs: self.inputs(p),
            targets: self.targets(p),
            model: self.net.clone(),
            loss: self.loss,
            learning_rate: self.setup.learning_rate,
            update_biases: self.setup.update_biases,
        }
    }

    /// The inputs [n, features] and targets [n, outputs] of some points.
    pub(super) fn tensors(&self, points: &[&Point]) -> (Tensor<f64>, Tensor<f64>) {
        let x: Vec<f64> = points.iter().flat_map(|p| self.inputs(p)).collect();
        let t: Vec<f64> = points.iter().flat_map(|p| self.targets(p)).collect();
        let n = points.len();
        (Tensor::new(x, [n, self.setup.features.len()]), Tensor::new(t, [n, self.output_layer().0]))
    }

    /// E of a batch on the tape: the mean over its examples of each one's loss (its terms
    /// summed over the outputs); and the setup's penalty on the weights, if any.
    pub(super) fn objective<'t>(&self, tape: &'t Tape<f64>, points: &[&Point]) -> Objective<'t> {
        let (x, t) = self.tensors(points);
        let (inputs, targets) = (tape.input(&x), tape.input(&t));
        let out = self.net.sequential.forward(tape, &self.net.params, inputs, None);
        let data = self.loss.per_output(out, targets).sum() * (1.0 / points.len().max(1) as f64);
        Objective { inputs, targets, data, penalty: self.penalty_on(tape, &self.net.params) }
    }

    /// λ·Σ|w| or λ·½Σw² over every weight matrix (biases are not penalised), on the tape.
    pub(super) fn penalty_on<'t>(&self, tape: &'t Tape<f64>, store: &ParamStore<f64>) -> Option<Var<'t, f64>> {
        let rate = self.setup.regularization_rate;
        let weights = self.net.all_params().into_iter().map(|(weight, _)| tape.param(store, weight));
        let terms: Vec<Var<'t, f64>> = match self.setup.regularization {
            _ if rate == 0.0 => return None,
            Regularization::None => return None,
            Regularization::L1 => weights.map(|w| w.abs().sum() * rate).collect(),
            Regularization::L2 => weights.map(|w| w.square().sum() * (0.5 * rate)).collect(),
        };
        terms.into_iter().reduce(|a, b| a + b)
    }

    /// The penalty's value for the current weights (0 without regularisation).
    pub fn penalty(&self) -> f64 {
        let tape = Tape::new();
        self.penalty_on(&tape, &self.net.params).map_or(0.0, |p| p.item())
    }

    /// The engine's gradients of the next batch's E (with the penalty), recorded on a tape,
    /// keyed by the network's parameters.
    pub(super) fn batch_gradients(&self) -> Grads<f64> {
        let points: Vec<&Point> = self.train[self.batch()].iter().collect();
        let tape = Tape::new();
        let Objective { data, penalty, .. } = self.objective(&tape, &points);
        tape.backward(penalty.map_or(data, |p| data + p))
    }

    /// One training step on the next batch (on its compiled plan: `step.rs`).
    pub fn update(&mut self) {
        self.descend_on_batch();
        self.advance();
    }

    /// Counts the update just made and moves to the next batch, recording the losses when an
    /// epoch ends.
    pub(super) fn advance(&mut self) {
        self.updates += 1;
        self.cursor = self.batch().end;
        if self.cursor >= self.train.len() {
            self.cursor = 0;
            self.epoch += 1;
            self.record();
        }
    }

    /// Runs `n` (at most [`MAX_EPOCHS_PER_REQUEST`]) epochs: to the end of the current one, then
    /// whole passes.
    pub fn run_epochs(&mut self, n: usize) {
        let target = self.epoch + n.min(MAX_EPOCHS_PER_REQUEST);
        while self.epoch < target {
            self.update();
        }
    }

    /// Sets one number by hand; errors say which names exist.
    pub fn edit(&mut self, edit: &Edit) -> Result<()> {
        if !edit.value.is_finite() || edit.value.abs() > 1e6 {
            return Err(Error::invalid(format!("value: {} is not a number between −10⁶ and 10⁶", edit.value)));
        }
        let name = edit.name.as_str();
        if self.setup.data == DataSet::Lecture && matches!(name, "x1" | "x2" | "T1" | "T2") {
            let point = self.train.first_mut().expect("the lecture's point");
            match (name, &mut point.label) {
                ("x1", _) => point.x[0] = edit.value,
                ("x2", _) => point.x[1] = edit.value,
                (t, Label::Values(v)) => v[usize::from(t == "T2")] = edit.value,
                _ => unreachable!("the lecture's label is values"),
            }
            self.data_version += 1;
        } else {
            let Some(at) = self.net.locate(name) else {
                let shape = self.net.shape();
                let weights: usize = shape.iter().map(|(rows, cols, _)| rows * cols).sum();
                let biases: usize = shape.iter().map(|(rows, _, _)| rows).sum();
                let inputs = if self.setup.data == DataSet::Lecture { ", x1, x2, T1, T2" } else { "" };
                return Err(Error::invalid(format!(
                    "name: no parameter {name:?}; this network has w1…w{weights}, b1…b{biases}{inputs}"
                )));
            };
            self.net.params.get_mut(at.id).data_mut()[at.index] = edit.value;
        }
        let now = [self.epoch as f64, self.mean_loss(&self.train), self.mean_loss(&self.test)];
        if let Some(last) = self.history.last_mut() {
            *last = now;
        }
        Ok(())
    }

    /// The mean loss of the network over some points (without the penalty), computed on the
    /// tape as training computes it.
    pub fn mean_loss(&self, points: &[Point]) -> f64 {
        if points.is_empty() {
            return f64::NAN;
        }
        let refs: Vec<&Point> = points.iter().collect();
        let tape = Tape::new();
        self.objective(&tape, &refs).data.item()
    }

    /// About how much memory the session holds, in bytes: its points (uploaded ones twice: as
    /// uploaded and as split), the network with the optimiser's state, the compiled plans and
    /// the loss history. What a server counts against its budget for sessions.
    pub fn bytes(&self) -> usize {
        use std::mem::size_of;
        let point = |p: &Point| {
            size_of::<Point>() + if let Label::Values(v) = &p.label { v.capacity() * size_of::<f64>() } else { 0 }
        };
        let points = |ps: &[Point]| ps.iter().map(point).sum::<usize>();
        let uploaded = self.uploaded.as_ref().map_or(0, |u| {
            points(&u.points) + u.note.capacity() + u.class_names.iter().map(|n| n.capacity()).sum::<usize>()
        });
        // The weights, and at most two state vectors per weight (Adam's moments).
        let network = 3 * self.net.params.numel() * size_of::<f64>() + self.net.sequential.layers.len() * 64;
        size_of::<Session>()
            + points(&self.train)
            + points(&self.test)
            + uploaded
            + network
            + self.compiled.bytes()
            + self.history.capacity() * size_of::<[f64; 3]>()
    }

    /// The share of points whose most likely class is their class (classification only).
    pub fn accuracy(&self, points: &[Point]) -> Option<f64> {
        if self.classes == 0 || points.is_empty() {
            return None;
        }
        let refs: Vec<&Point> = points.iter().collect();
        let (x, _) = self.tensors(&refs);
        let out = self.net.sequential.predict(&self.net.params, &x, crate::tensor::Threads::ONE);
        let k = out.dims()[1];
        let right = points
            .iter()
            .zip(out.data().chunks(k))
            .filter(|(p, row)| Label::Class(predicted_class(row)) == p.label)
            .count();
        Some(right as f64 / points.len() as f64)
    }
}

/// The class an output row says: above one half for a single sigmoid output, else the largest.
pub(super) fn predicted_class(row: &[f64]) -> usize {
    if row.len() == 1 {
        usize::from(row[0] > 0.5)
    } else {
        row.iter().enumerate().fold(0, |best, (k, v)| if *v > row[best] { k } else { best })
    }
}

impl Point {
    fn targets_len(&self) -> usize {
        match &self.label {
            Label::Values(v) => v.len(),
            Label::Class(_) => 1,
        }
    }
}
