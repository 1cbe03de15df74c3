//! The playground's training step as a compiled plan (see `autograd::plan`). An update used to
//! build its model, parameter store and tape afresh and record the batch's whole graph (17 µs
//! for 2-8-8-1 at batch 10); the graph is the same from batch to batch, so it is recorded once
//! per batch size and replayed: an update loads the weights (when the store was written since)
//! and the batch and runs the same kernels and rules, so its gradients are the tape's, bit for
//! bit (a test compares them with [`Session::batch_gradients`], which stays on the tape for the
//! page's explanations). The setup's optimiser then steps on them, as training does anywhere.

use std::fmt;

use super::session::Session;
use super::{Point, Regularization};
use crate::autograd::{NodeId, ParamId, Plan, Tape};
use crate::loss::Loss;
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
            layers: session.net.shape(),
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
}

/// A session's compiled steps: at most two, a full batch and an epoch's shorter last one.
#[derive(Default)]
pub(super) struct CompiledSteps(Vec<Compiled>);

impl CompiledSteps {
    /// The memory the plans hold, in bytes.
    pub(super) fn bytes(&self) -> usize {
        self.0.iter().map(|c| c.plan.bytes()).sum()
    }
}

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
    /// One step of the setup's optimiser on the next batch, its gradients from the compiled
    /// plan: every weight moves, and every bias if the setup says so.
    pub(super) fn descend_on_batch(&mut self) {
        let mut steps = std::mem::take(&mut self.compiled);
        let step = steps.for_next_batch(self);
        self.descend(|p| step.plan.grad(p).expect("every parameter reaches E").data);
        self.compiled = steps;
    }

    /// The parameters a step moves: every layer's weights, and its biases if the setup says so.
    pub(super) fn learning(&self) -> Vec<ParamId> {
        let biases = self.setup().update_biases;
        self.net.all_params().into_iter().flat_map(|(w, b)| std::iter::once(w).chain(biases.then_some(b))).collect()
    }

    /// One step of the setup's optimiser, with each learning parameter's ∂E/∂p from `grad`.
    pub(super) fn descend<'g>(&mut self, grad: impl Fn(ParamId) -> &'g [f64]) {
        let grads: Vec<(ParamId, &[f64])> = self.learning().into_iter().map(|p| (p, grad(p))).collect();
        let lr = self.setup().learning_rate;
        self.optimizer.step_on(&mut self.net.params, &grads, lr);
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
        step.plan.load_params(&session.net.params);
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
        let tape = Tape::new();
        let objective = session.objective(&tape, points);
        let loss = objective.penalty.map_or(objective.data, |p| objective.data + p);
        let plan = tape.compile(loss);
        let (inputs, targets) = (objective.inputs.id(), objective.targets.id());
        drop(tape);
        Compiled { key, plan, inputs, targets }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DataSet, Regularization, Session, Setup};
    use crate::loss::Loss;

    /// The update as it was before plans: the batch's gradients from a fresh tape
    /// ([`Session::batch_gradients`]), then w ← w − η·∂E/∂w.
    fn update_on_the_tape(s: &mut Session) {
        let grads = s.batch_gradients();
        s.descend(|p| grads.param(p).unwrap().data);
        s.advance();
    }

    fn bits(s: &Session) -> Vec<u64> {
        s.net.params.iter().flat_map(|(_, _, t)| t.data().to_vec()).map(f64::to_bits).collect()
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
