//! The playground's training step as a compiled plan (see `autograd::plan`). An update used to
//! build its model, parameter store and tape afresh and record the batch's whole graph (17 µs
//! for 2-8-8-1 at batch 10); the graph is the same from batch to batch, so it is now recorded
//! once per batch size and replayed: an update copies in the weights and the batch and runs
//! the same kernels and rules, so its numbers are the tape's, bit for bit (a test compares them
//! with [`Session::batch_gradients`], which stays on the tape for the page's explanations).

use std::fmt;

use super::session::Session;
use super::{Point, Regularization};
use crate::autograd::{NodeId, ParamId, Plan, Tape};
use crate::loss::Loss;
use crate::network::model_of;
use crate::nn::Activation;

/// What a batch's recorded graph depends on; everything else (the weights, the points) is a
/// value given to the plan on each update. It is compared on every update, so a new network,
/// loss, penalty or batch size is seen there, without anyone having to say it changed.
#[derive(Clone, Debug, PartialEq)]
struct GraphKey {
    /// (outputs, inputs, activation) of each layer.
    layers: Vec<(usize, usize, Activation)>,
    loss: Loss,
    /// The penalty and its rate's bits (the rate is a constant of the graph).
    penalty: (Regularization, u64),
    rows: usize,
}

impl GraphKey {
    fn of(session: &Session, rows: usize) -> GraphKey {
        let setup = session.setup();
        GraphKey {
            layers: session.layers.iter().map(|l| (l.weights.len(), l.weights[0].len(), l.activation)).collect(),
            loss: session.loss,
            penalty: (setup.regularization, setup.regularization_rate.to_bits()),
            rows,
        }
    }
}

/// One batch graph, compiled.
struct Compiled {
    key: GraphKey,
    plan: Plan<f64>,
    inputs: NodeId,
    targets: NodeId,
    /// Each layer's (weight, bias).
    params: Vec<(ParamId, ParamId)>,
}

/// A session's compiled steps: at most two, a full batch and an epoch's shorter last one.
#[derive(Default)]
pub(super) struct CompiledSteps(Vec<Compiled>);

/// A copy compiles its own on its first update (a plan is not shared).
impl Clone for CompiledSteps {
    fn clone(&self) -> CompiledSteps {
        CompiledSteps::default()
    }
}

impl fmt::Debug for CompiledSteps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CompiledSteps({} plans)", self.0.len())
    }
}

impl Session {
    /// One step of gradient descent on the next batch, through its compiled plan: every weight
    /// (and, if the setup says so, every bias) moves by −η·∂E/∂w.
    pub(super) fn descend_on_batch(&mut self) {
        let mut steps = std::mem::take(&mut self.compiled);
        let step = steps.for_next_batch(self);
        self.descend(|l| {
            let (w, b) = step.params[l];
            let grad = |p| step.plan.grad(p).expect("every parameter reaches E").data;
            (grad(w), grad(b))
        });
        self.compiled = steps;
    }

    /// w ← w − η·∂E/∂w for every layer's weights, and likewise for its biases if the setup
    /// updates them, with layer `l`'s (∂E/∂W in rows of its inputs, ∂E/∂b) from `grads(l)`.
    pub(super) fn descend<'g>(&mut self, grads: impl Fn(usize) -> (&'g [f64], &'g [f64])) {
        let (eta, update_biases) = (self.setup().learning_rate, self.setup().update_biases);
        for (l, layer) in self.layers.iter_mut().enumerate() {
            let (gw, gb) = grads(l);
            let cols = layer.weights[0].len();
            for (row, g) in layer.weights.iter_mut().zip(gw.chunks_exact(cols)) {
                row.iter_mut().zip(g).for_each(|(w, g)| *w -= eta * g);
            }
            if update_biases {
                layer.biases.iter_mut().zip(gb).for_each(|(b, g)| *b -= eta * g);
            }
        }
    }
}

impl CompiledSteps {
    /// The next batch's step, run: its plan (compiled now if this graph has none yet) with the
    /// session's weights and the batch's points copied in, forward and backward.
    fn for_next_batch(&mut self, session: &Session) -> &Compiled {
        let points: Vec<_> = session.train[session.batch()].iter().collect();
        let key = GraphKey::of(session, points.len());
        let index = match self.0.iter().position(|c| c.key == key) {
            Some(i) => i,
            None => {
                if self.0.len() == 2 {
                    self.0.remove(0);
                }
                self.0.push(Compiled::new(session, &points, key));
                self.0.len() - 1
            }
        };
        let step = &mut self.0[index];
        for (layer, &(w, b)) in session.layers.iter().zip(&step.params) {
            let weights = step.plan.param_mut(w);
            for (to, row) in weights.chunks_exact_mut(layer.weights[0].len()).zip(&layer.weights) {
                to.copy_from_slice(row);
            }
            step.plan.param_mut(b).copy_from_slice(&layer.biases);
        }
        let (x, t) = session.tensors(&points);
        step.plan.set_input(step.inputs, x.data());
        step.plan.set_input(step.targets, t.data());
        step.plan.forward();
        step.plan.backward();
        step
    }
}

impl Compiled {
    /// Records the batch's E (with the penalty) on a tape, as [`Session::batch_gradients`] does,
    /// and compiles it.
    fn new(session: &Session, points: &[&Point], key: GraphKey) -> Compiled {
        let (model, store) = model_of(&session.layers);
        let tape = Tape::new();
        let objective = session.objective(&tape, &model, &store, points);
        let loss = objective.penalty.map_or(objective.data, |p| objective.data + p);
        let plan = tape.compile(loss);
        let params = (0..session.layers.len())
            .map(|l| {
                let id = |what: &str| store.id(&format!("layers.{l}.{what}")).expect("every layer has its parameters");
                (id("weight"), id("bias"))
            })
            .collect();
        let (inputs, targets) = (objective.inputs.id(), objective.targets.id());
        drop(tape);
        Compiled { key, plan, inputs, targets, params }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DataSet, Regularization, Session, Setup};
    use crate::loss::Loss;

    /// The update as it was before plans: the batch's gradients from a fresh tape
    /// ([`Session::batch_gradients`]), then w ← w − η·∂E/∂w.
    fn update_on_the_tape(s: &mut Session) {
        let (grads, store) = s.batch_gradients();
        s.descend(|l| {
            let g = |what: &str| grads.param(store.id(&format!("layers.{l}.{what}")).unwrap()).unwrap().data;
            (g("weight"), g("bias"))
        });
        s.advance();
    }

    fn bits(s: &Session) -> Vec<u64> {
        s.layers.iter().flat_map(|l| l.weights.iter().flatten().chain(&l.biases)).map(|v| v.to_bits()).collect()
    }

    /// Every loss, both penalties, a batch size that leaves a shorter last batch, and a change
    /// of setup between updates: the compiled step moves every weight exactly as the tape does.
    #[test]
    fn the_compiled_step_gives_the_tapes_weights_bit_for_bit() {
        let setups = [
            Setup::lecture(),
            Setup { batch_size: 7, ..Setup::default() },
            Setup { loss: Some(Loss::CrossEntropy), classes: 3, data: DataSet::Gauss, ..Setup::default() },
            Setup {
                loss: Some(Loss::Bce),
                regularization: Regularization::L1,
                regularization_rate: 0.01,
                ..Setup::default()
            },
            Setup {
                data: DataSet::Plane,
                regularization: Regularization::L2,
                regularization_rate: 0.03,
                ..Setup::default()
            },
        ];
        for setup in setups {
            let mut compiled = Session::new(setup.clone()).unwrap();
            let mut taped = compiled.clone();
            for step in 0..40 {
                if step == 25 {
                    // The penalty's rate is a constant of the graph: a new one must be seen.
                    let changed = Setup { regularization_rate: 0.05, ..compiled.setup.clone() };
                    compiled.apply(changed.clone()).unwrap();
                    taped.apply(changed).unwrap();
                }
                compiled.update();
                update_on_the_tape(&mut taped);
                assert_eq!(bits(&compiled), bits(&taped), "{:?}, update {step}", setup.data);
            }
            assert!(compiled.compiled.0.len() <= 2);
        }
    }
}
