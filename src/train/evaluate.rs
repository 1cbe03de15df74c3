//! Scoring a model on a dataset without gradients: loss, accuracy, and the outputs for a caller
//! that tabulates them (the outputs by the tape-free inference path, the loss on a small tape
//! of its own); and the check that a model, a loss and a dataset fit together.

use super::Evaluation;
use super::step::batch_loss;
use crate::autograd::{ParamStore, Tape};
use crate::data::{Dataset, Targets};
use crate::error::{Error, Result};
use crate::loss::Loss;
use crate::metrics::RegressionTally;
use crate::nn::Sequential;
use crate::tensor::kernels::argmax;
use crate::tensor::{Tensor, Threads};

/// Correct predictions among the rows of `logits` (argmax = class).
pub(super) fn correct(logits: &[f32], width: usize, classes: &[usize]) -> usize {
    logits.chunks_exact(width.max(1)).zip(classes).filter(|&(row, &c)| argmax(row) == c).count()
}

/// Loss (and accuracy, for classes) of `model` on `data`, in chunks, with no gradients.
pub fn evaluate(
    model: &Sequential,
    params: &ParamStore<f32>,
    data: &Dataset,
    loss: Loss,
    threads: Threads,
) -> Result<Evaluation> {
    evaluate_with_outputs(model, params, data, loss, threads, |_| {})
}

/// [`evaluate`], handing the model's outputs to `outputs` as it goes (chunks of whole rows, in
/// order), for a caller that tabulates them too (`backprop eval`): one forward pass, not two.
pub fn evaluate_with_outputs(
    model: &Sequential,
    params: &ParamStore<f32>,
    data: &Dataset,
    loss: Loss,
    threads: Threads,
    outputs: impl FnMut(&[f32]),
) -> Result<Evaluation> {
    evaluate_weighted(model, params, data, loss, None, threads, outputs)
}

/// [`evaluate_with_outputs`] with class weights in the loss (as the run trains with them).
pub(super) fn evaluate_weighted(
    model: &Sequential,
    params: &ParamStore<f32>,
    data: &Dataset,
    loss: Loss,
    class_weights: Option<&[f32]>,
    threads: Threads,
    mut outputs: impl FnMut(&[f32]),
) -> Result<Evaluation> {
    check_fits(model, data, loss)?;
    let mut tape = Tape::with_threads(threads);
    let (mut total, mut right, mut classes) = (0.0, 0usize, Vec::new());
    let mut tally = RegressionTally::default();
    let indices: Vec<usize> = (0..data.len()).collect();
    let mut rows = vec![];
    for chunk in indices.chunks(1024) {
        // The outputs by inference (no tape: a convolutional network's layer outputs for 1,024
        // images would be held whole), then the loss on a tape of its own.
        rows.resize(chunk.len() * data.width(), 0.0);
        data.gather_features(chunk, &mut rows);
        let x = Tensor::new(std::mem::take(&mut rows), [chunk.len(), data.width()]);
        let logits = model.predict(params, &x, threads);
        rows = x.into_data();
        tape.reset();
        let out = tape.input(&logits);
        let l = batch_loss(loss, class_weights, out, data, chunk, &mut classes);
        total += l.item() as f64 * chunk.len() as f64;
        let v = logits.data();
        match &data.targets {
            Targets::Classes { .. } => right += correct(v, model.outputs(), &classes),
            Targets::Values { values, .. } => {
                let w = values.dims()[1];
                tally.add(&values.data()[chunk[0] * w..(chunk[chunk.len() - 1] + 1) * w], v)
            }
        }
        outputs(v);
    }
    let n = data.len().max(1) as f64;
    let regression = match &data.targets {
        Targets::Values { scale, .. } => Some(tally.scores(*scale)),
        Targets::Classes { .. } => None,
    };
    Ok(Evaluation { loss: total / n, accuracy: data.classes().map(|_| right as f64 / n), regression })
}

/// Checks that a model's inputs and outputs, and the loss, fit a dataset.
pub(super) fn check_fits(model: &Sequential, data: &Dataset, loss: Loss) -> Result<()> {
    if loss.takes_classes() && data.classes().is_none() {
        return Err(Error::invalid(
            "cross-entropy needs class targets; this dataset has real-valued targets (use mse)",
        ));
    }
    if model.inputs() != data.width() {
        return Err(Error::invalid(format!(
            "the model takes {} features but the data has {}",
            model.inputs(),
            data.width()
        )));
    }
    if model.outputs() != data.outputs() {
        return Err(Error::invalid(format!(
            "the model has {} outputs but the data calls for {}",
            model.outputs(),
            data.outputs()
        )));
    }
    Ok(())
}
