//! A clicked parameter's [`Gradient`] for the next batch: each example's chain of factors (from
//! `explain`), their mean, the penalty from the tape, and the update; and one example's step
//! explained for backprop mode ([`ExampleExplained`]), with the batch's update.

use serde::Serialize;
use serde_json::{Map, Value};

use super::Regularization;
use super::session::Session;
use crate::autograd::{ParamId, Tape};
use crate::network::{Factor, NetworkFile, PathSum, input_name, param_names, unit_name};
use crate::optim::{OptimizerKind, Term};

/// One example's chain for a parameter: its factors, and their product.
#[derive(Clone, Debug, Serialize)]
pub struct Chain {
    /// The example's index among the training points.
    pub example: usize,
    pub factors: Vec<Factor>,
    pub product: f64,
}

/// The regularisation's share of a weight's gradient: λ·R'(w).
#[derive(Clone, Debug, Serialize)]
pub struct Penalty {
    pub regularization: Regularization,
    pub rate: f64,
    pub term: f64,
}

/// What the page highlights on the drawing for a chain: parameters and units by name.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Highlight {
    pub params: Vec<String>,
    pub units: Vec<String>,
}

/// A clicked parameter's gradient for the next batch: each example's chain of factors, their
/// mean, the penalty, and the engine's gradient of the batch's E they add up to.
#[derive(Clone, Debug, Serialize)]
pub struct Gradient {
    pub name: String,
    pub value: f64,
    /// The unit whose net input the parameter feeds (`H1`, `y2`).
    pub unit: String,
    /// What it multiplies: an input (`x1`), a unit's output (`out_H1`), or `1` for a bias.
    pub source: String,
    pub chains: Vec<Chain>,
    /// The shown example's path sum, when the unit is hidden: ∂E/∂out over the next layer.
    pub path_sum: Option<PathSum>,
    /// Which chain is shown in full (a position in `chains`).
    pub shown: usize,
    /// (1/B)·Σ of the chains' products.
    pub mean: f64,
    pub penalty: Option<Penalty>,
    /// The engine's ∂E/∂w of the batch (mean + penalty).
    pub gradient: f64,
    pub learning_rate: f64,
    /// Whether the step changes it (biases may be fixed).
    pub learns: bool,
    /// The optimiser, and its update of this parameter in the next step written out (its
    /// state, the quantities of its equations, the new value); empty when it does not learn.
    pub optimizer: OptimizerKind,
    pub update: Vec<Term>,
    pub updated: f64,
    pub highlight: Highlight,
}

/// One example of the next batch explained as `explain` explains a network (for backprop
/// mode), with the batch's update the step will apply.
#[derive(Clone, Debug, Serialize)]
pub struct ExampleExplained {
    pub example: usize,
    pub batch: [usize; 2],
    /// The network with this example's inputs and targets, as a file `explain` reads.
    pub network: NetworkFile,
    /// `explain --format json` of that network's step.
    pub explain: Value,
    /// Each unit's ∂E/∂net for this example.
    pub deltas: Map<String, Value>,
    /// Every parameter after the step on the whole batch.
    pub updated: Map<String, Value>,
    /// The batch's E before and after that step.
    pub batch_loss: f64,
    pub batch_loss_after: f64,
}

impl Session {
    /// The next batch's example `shown` (a position in it), clamped to the batch.
    fn shown_example(&self, shown: usize) -> usize {
        let batch = self.batch();
        (batch.start + shown).min(batch.end - 1)
    }

    /// The chain of `name` for each example of the next batch; `None` if there is no such
    /// parameter.
    pub fn gradient(&self, name: &str, shown: usize) -> Option<Gradient> {
        let batch = self.batch();
        let steps: Vec<_> =
            batch.clone().map(|i| crate::network::step(&self.network_for(&self.train[i]), 1, false).0).collect();
        let param = |s: &crate::network::Step| s.params.iter().find(|p| p.name == name).cloned();
        let first = param(&steps[0])?;
        let chains: Vec<Chain> = steps
            .iter()
            .zip(batch.clone())
            .map(|(s, example)| {
                let p = param(s).expect("every example's step has the same parameters");
                Chain { example, product: p.factors.iter().map(|f| f.value).product(), factors: p.factors }
            })
            .collect();
        let mean = chains.iter().map(|c| c.product).sum::<f64>() / chains.len() as f64;
        let shown = shown.min(chains.len() - 1);
        let (l, j, i) = first.at;
        let net = self.network_for(&self.train[batch.start]);
        let unit = unit_name(&net, l, j);
        let source = i.map_or("1".to_string(), |i| input_name(&net, l, i));
        let path_sum = steps[shown].path_sums.iter().find(|p| p.unit == format!("out_{unit}")).cloned();

        let grads = self.batch_gradients();
        let (weight, bias) = self.net.layer_params(l);
        let id = if i.is_some() { weight } else { bias };
        let index = i.map_or(j, |i| j * self.net.fan_in(l) + i);
        let gradient = grads.param(id).expect("every parameter reaches E").data()[index];
        let penalty =
            (i.is_some() && self.setup.regularization != Regularization::None && self.setup.regularization_rate > 0.0)
                .then(|| Penalty {
                    regularization: self.setup.regularization,
                    rate: self.setup.regularization_rate,
                    term: self.penalty_gradient(l, index),
                });
        let learns = i.is_some() || self.setup.update_biases;
        let eta = self.setup.learning_rate;
        // The optimiser's own step on these gradients, on copies: the value it gives is the
        // one the next update will give.
        let (mut optimizer, mut params) = (self.optimizer.clone(), self.net.params.clone());
        let learning: Vec<(ParamId, &[f64])> =
            self.learning().into_iter().map(|p| (p, grads.param(p).expect("every parameter reaches E").data)).collect();
        optimizer.step_on(&mut params, &learning, eta);
        let updated = params.get(id).data()[index];
        let update = if learns {
            optimizer.explain_step(&self.optimizer, (id, index), [first.value, gradient, updated], eta)
        } else {
            vec![]
        };
        let mut highlight = Highlight { params: vec![name.to_string()], units: vec![unit.clone()] };
        highlight.units.push(source.trim_start_matches("out_").to_string());
        if let Some(p) = &path_sum {
            for (next, _, w, _) in &p.terms {
                highlight.params.push(w.clone());
                highlight.units.push(next.clone());
            }
        }
        Some(Gradient {
            name: name.to_string(),
            value: first.value,
            unit,
            source,
            chains,
            path_sum,
            shown,
            mean,
            penalty,
            gradient,
            learning_rate: eta,
            learns,
            optimizer: self.setup.optimizer,
            update,
            updated,
            highlight,
        })
    }

    /// ∂(λ·R)/∂w of weight `index` of layer `l`, from the penalty alone on a tape.
    fn penalty_gradient(&self, l: usize, index: usize) -> f64 {
        let tape = Tape::new();
        let id = self.net.layer_params(l).0;
        let Some(penalty) = self.penalty_on(&tape, &self.net.params) else { return 0.0 };
        tape.backward(penalty).param(id).expect("the weight reaches the penalty").data()[index]
    }

    /// The next batch's example `shown` explained, with the batch's update.
    pub fn explain_example(&self, shown: usize) -> ExampleExplained {
        let example = self.shown_example(shown);
        let net = self.network_for(&self.train[example]);
        let explained = crate::network::run(&net, 1, 1, false);
        let explain = crate::explain::json_value(&net, &explained);
        let step = &explained.steps[0];
        let mut deltas = Map::new();
        for u in step.layers.iter().flatten() {
            deltas.insert(u.name.clone(), Value::from(u.de_dnet));
        }
        let batch = self.batch();
        let mut after = self.clone();
        after.update();
        let (wnames, bnames) = param_names(&net);
        let mut updated = Map::new();
        let m = &after.net;
        for (l, (rows, biases)) in wnames.iter().zip(&bnames).enumerate() {
            for (j, (row, bias)) in rows.iter().zip(biases).enumerate() {
                for (i, name) in row.iter().enumerate() {
                    updated.insert(name.clone(), Value::from(m.weight(l, j, i)));
                }
                updated.insert(bias.clone(), Value::from(m.bias(l, j)));
            }
        }
        let points = &self.train[batch.clone()];
        ExampleExplained {
            example,
            batch: [batch.start, batch.end],
            network: net.file(),
            explain,
            deltas,
            updated,
            batch_loss: self.mean_loss(points),
            batch_loss_after: after.mean_loss(points),
        }
    }
}
