//! One training step, data-parallel: the batch cut into one shard per thread, each shard's
//! forward and backward on its own tape, then the optimiser's update split across the threads.
//! Without clipping the update is fused: it adds the shards' gradients up, in order, block by
//! block as it reads them. With clipping they are summed first, then clipped, then applied.

use rayon::prelude::*;

use super::evaluate::correct;
use super::{Learner, TrainConfig};
use crate::autograd::{Grads, Tape, Var};
use crate::data::{Dataset, Targets};
use crate::error::Result;
use crate::loss::{Loss, Target, label_smoothed};
use crate::nn::Moments;
use crate::optim::{clip_grad_norm, clip_grad_value};
use crate::tensor::{Shape, update_in_chunks};

/// The loss of a batch on the tape, for the dataset's kind of targets (class targets weighted
/// by `class_weights`, if any). For class targets it leaves the batch's labels in `classes`.
pub(super) fn batch_loss<'t>(
    loss: Loss,
    class_weights: Option<&[f32]>,
    out: Var<'t, f32>,
    data: &Dataset,
    indices: &[usize],
    classes: &mut Vec<usize>,
) -> Var<'t, f32> {
    let target = match &data.targets {
        Targets::Classes { .. } => {
            data.gather_classes(indices, classes);
            match class_weights {
                Some(weights) => Target::WeightedClasses(classes, weights),
                None => Target::Classes(classes),
            }
        }
        Targets::Values { values, .. } => {
            let shape = Shape::new(&[indices.len(), values.dims()[1]]);
            Target::Dense(out.tape().input_with(shape, |buf| data.gather_values(indices, buf)))
        }
    };
    loss.of_logits(out, target)
}

/// One thread's part of a training step: its own tape and label buffer, kept across steps.
pub(super) struct Shard {
    tape: Tape<f32>,
    classes: Vec<usize>,
}

/// What a shard hands back: its share of the batch's loss, its correct predictions, the
/// gradients of that share, and its batch-norm layers' input moments.
struct ShardResult {
    loss: f64,
    correct: usize,
    grads: Grads<f32>,
    moments: Vec<Moments>,
}

impl Shard {
    pub(super) fn new() -> Shard {
        Shard { tape: Tape::new(), classes: Vec::new() }
    }

    /// Forward and backward for the samples `indices` of a batch of `batch` samples. The
    /// shard's loss is its mean times its share of the batch, so the shards' losses and
    /// gradients add up to those of the whole batch's mean.
    fn step(
        &mut self,
        learner: &Learner,
        data: &Dataset,
        indices: &[usize],
        batch: usize,
        cfg: &TrainConfig,
        seed: u64,
    ) -> Result<ShardResult> {
        let (tape, classes) = (&mut self.tape, &mut self.classes);
        tape.reset();
        let mut rng = crate::rng(seed);
        let (value, correct_count, grads, moments) = {
            let x = tape.input_with(Shape::new(&[indices.len(), data.width()]), |buf| {
                data.gather_features(indices, buf);
                if let (Some(augment), Some(image)) = (&cfg.augment, data.image) {
                    augment.apply(buf, image, &mut rng);
                }
            });
            let (out, moments) = learner.model.forward_training(tape, &learner.params, x, &mut rng);
            let weights = cfg.class_weights.as_deref();
            let mut l = batch_loss(cfg.loss, weights, out, data, indices, classes);
            if cfg.label_smoothing > 0.0 && matches!(data.targets, Targets::Classes { .. }) {
                l = label_smoothed(l, out, cfg.label_smoothing);
            }
            let l = l * (indices.len() as f64 / batch as f64);
            let mut correct_count = 0;
            if let Targets::Classes { .. } = data.targets {
                correct_count = tape.with_value(out.id(), |v| correct(v.data, learner.model.outputs(), classes));
            }
            (l.item() as f64, correct_count, tape.backward(l), moments)
        };
        tape.reset(); // the tape lets go of the weights, so they update in place
        Ok(ShardResult { loss: value, correct: correct_count, grads, moments })
    }
}

/// One step on one batch: every shard's forward and backward at once, then (if the loss is
/// finite) the shards' gradients summed, clipped, and applied at learning rate `lr`, each large
/// parameter split across the threads. Returns the batch's mean loss and its correct
/// predictions. Runs inside the run's thread pool.
pub(super) fn train_step(
    shards: &mut [Shard],
    learner: &mut Learner,
    data: &Dataset,
    batch: &[usize],
    seeds: &[u64],
    cfg: &TrainConfig,
    lr: f64,
) -> Result<(f64, usize)> {
    let per_part = batch.len().div_ceil(seeds.len());
    let learner_ref = &*learner;
    let results: Vec<Result<ShardResult>> = shards[..seeds.len()]
        .par_iter_mut()
        .zip(batch.par_chunks(per_part))
        .zip(seeds)
        .map(|((shard, indices), &seed)| shard.step(learner_ref, data, indices, batch.len(), cfg, seed))
        .collect();
    let mut results = results.into_iter().collect::<Result<Vec<ShardResult>>>()?;
    let value: f64 = results.iter().map(|r| r.loss).sum();
    let correct = results.iter().map(|r| r.correct).sum();
    if value.is_finite() {
        if cfg.clip_norm.is_none() && cfg.clip_value.is_none() {
            // The fused step: the optimiser adds the shards' gradients up as it reads them.
            let parts: Vec<&Grads<f32>> = results.iter().map(|r| &r.grads).collect();
            learner.optimizer.step_sum(&mut learner.params, &parts, lr, cfg.threads);
        } else {
            // Clipping needs the whole summed gradient before any weight changes.
            let (first, rest) = results.split_first_mut().expect("at least one shard");
            for other in rest.iter() {
                for id in first.grads.param_ids() {
                    if let (Some(sum), Some(g)) = (first.grads.param_mut(id), other.grads.param(id)) {
                        update_in_chunks(cfg.threads, sum, &[g.data], [], &|sum, g, []| {
                            sum.iter_mut().zip(g).for_each(|(s, &x)| *s += x)
                        });
                    }
                }
            }
            if let Some(max) = cfg.clip_norm {
                clip_grad_norm(&mut first.grads, max);
            }
            if let Some(limit) = cfg.clip_value {
                clip_grad_value(&mut first.grads, limit);
            }
            learner.optimizer.step_sum(&mut learner.params, &[&first.grads], lr, cfg.threads);
        }
        let moments: Vec<Vec<Moments>> = results.iter_mut().map(|r| std::mem::take(&mut r.moments)).collect();
        learner.model.update_running_statistics(&mut learner.params, &moments);
    }
    for (shard, result) in shards.iter_mut().zip(results) {
        shard.tape.recycle(result.grads);
    }
    Ok((value, correct))
}
