//! The training loop as a library function: epochs × mini-batches, each step a fresh forward
//! pass on a reset tape, backward, clipping, an optimiser step at the scheduled learning rate;
//! per-epoch metrics, early stopping on validation loss, and a hook per epoch for the caller
//! (progress bars, checkpoints). Same seed and thread count ⇒ bit-identical weights.

use std::time::Instant;

use rand::Rng;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::autograd::{Grads, ParamStore, Tape, Var};
use crate::data::{Dataset, Targets};
use crate::error::{Error, Result};
use crate::loss::{self, Loss, Reduction};
use crate::nn::Sequential;
use crate::optim::{LrSchedule, Optimizer, clip_grad_norm, clip_grad_value};
use crate::tensor::{Shape, Threads, kernels::update_in_chunks};

/// How to train.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub loss: Loss,
    pub lr: LrSchedule,
    /// Rescale gradients whose global norm exceeds this.
    pub clip_norm: Option<f64>,
    /// Clamp every gradient element to ± this.
    pub clip_value: Option<f64>,
    /// Stop after this many epochs without a lower validation loss, keeping the best weights.
    pub early_stop: Option<usize>,
    /// Seeds the shuffling and dropout of every epoch.
    pub seed: u64,
    #[serde(skip)]
    pub threads: Threads,
}

impl TrainConfig {
    pub fn new(loss: Loss, lr: f64) -> TrainConfig {
        TrainConfig {
            epochs: 10,
            batch_size: 64,
            loss,
            lr: LrSchedule::constant(lr),
            clip_norm: None,
            clip_value: None,
            early_stop: None,
            seed: 0,
            threads: Threads::all(),
        }
    }
}

/// A model with its weights and its optimiser: what training changes, and what a checkpoint
/// saves.
#[derive(Clone, Debug)]
pub struct Learner {
    pub model: Sequential,
    pub params: ParamStore<f32>,
    pub optimizer: Optimizer<f32>,
}

/// What one epoch measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based.
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: Option<f64>,
    pub val_loss: Option<f64>,
    pub val_accuracy: Option<f64>,
    /// The learning rate at the end of the epoch.
    pub lr: f64,
    pub seconds: f64,
    pub samples_per_second: f64,
}

/// What the caller's hook tells the loop after an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// Watches a training run: after every step (progress bars) and every epoch (reports,
/// checkpoints, stopping).
pub trait Observer {
    /// After each optimiser step of epoch `epoch`: `done` of `steps` steps, with the running
    /// mean loss and accuracy of the epoch so far.
    fn on_step(&mut self, _epoch: usize, _done: usize, _steps: usize, _loss: f64, _accuracy: Option<f64>) {}

    /// After each epoch, with its metrics and the learner as it now stands.
    fn on_epoch(&mut self, metrics: &EpochMetrics, learner: &Learner) -> Control;
}

/// An epoch hook as a plain closure.
struct EpochHook<F>(F);

impl<F: FnMut(&EpochMetrics, &Learner) -> Control> Observer for EpochHook<F> {
    fn on_epoch(&mut self, metrics: &EpochMetrics, learner: &Learner) -> Control {
        (self.0)(metrics, learner)
    }
}

/// The outcome of [`train`].
#[derive(Clone, Debug, PartialEq)]
pub struct TrainReport {
    pub history: Vec<EpochMetrics>,
    /// The epoch whose weights were kept (the best validation loss), when validating.
    pub best_epoch: Option<usize>,
    pub stopped_early: bool,
}

/// Loss and accuracy of a model on a dataset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    pub loss: f64,
    pub accuracy: Option<f64>,
}

/// The loss of a batch on the tape, for the dataset's kind of targets. For class targets it
/// leaves the batch's labels in `classes`.
fn batch_loss<'t>(
    loss: Loss,
    out: Var<'t, f32>,
    data: &Dataset,
    indices: &[usize],
    classes: &mut Vec<usize>,
) -> Result<Var<'t, f32>> {
    let tape = out.tape();
    let target = match (&data.targets, loss) {
        (Targets::Classes { .. }, Loss::CrossEntropy) => {
            data.gather_classes(indices, classes);
            return Ok(loss::cross_entropy(out, classes, Reduction::Mean));
        }
        (Targets::Values { .. }, Loss::CrossEntropy) => {
            return Err(Error::invalid(
                "cross-entropy needs class targets; this dataset has real-valued targets (use mse)",
            ));
        }
        (Targets::Values { values, .. }, _) => {
            let shape = Shape::new(&[indices.len(), values.dims()[1]]);
            tape.input_with(shape, |buf| data.gather_values(indices, buf))
        }
        (Targets::Classes { names, .. }, _) => {
            // One-hot targets for the squared-error and binary losses on classes.
            data.gather_classes(indices, classes);
            let shape = Shape::new(&[indices.len(), names.len()]);
            tape.input_with(shape, |buf| {
                buf.fill(0.0);
                for (row, &c) in classes.iter().enumerate() {
                    buf[row * names.len() + c] = 1.0;
                }
            })
        }
    };
    Ok(match loss {
        Loss::Mse => loss::mse(out, target, Reduction::Mean),
        Loss::HalfSse => loss::half_sse(out, target),
        _ => loss::bce_with_logits(out, target, Reduction::Mean),
    })
}

/// One thread's part of a training step: its own tape and label buffer, kept across steps.
struct Shard {
    tape: Tape<f32>,
    classes: Vec<usize>,
}

/// What a shard hands back: its share of the batch's loss, its correct predictions, and the
/// gradients of that share.
struct ShardResult {
    loss: f64,
    correct: usize,
    grads: Grads<f32>,
}

impl Shard {
    fn new() -> Shard {
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
        loss: Loss,
        seed: u64,
    ) -> Result<ShardResult> {
        let (tape, classes) = (&mut self.tape, &mut self.classes);
        tape.reset();
        let mut rng = crate::rng(seed);
        let (value, correct_count, grads) = {
            let x =
                tape.input_with(Shape::new(&[indices.len(), data.width()]), |buf| data.gather_features(indices, buf));
            let out = learner.model.forward(tape, &learner.params, x, Some(&mut rng));
            let l = batch_loss(loss, out, data, indices, classes)? * (indices.len() as f64 / batch as f64);
            let mut correct_count = 0;
            if let Targets::Classes { .. } = data.targets {
                correct_count = tape.with_value(out.id(), |v| correct(v.data, learner.model.outputs(), classes));
            }
            (l.item() as f64, correct_count, tape.backward(l))
        };
        tape.reset(); // the tape lets go of the weights, so they update in place
        Ok(ShardResult { loss: value, correct: correct_count, grads })
    }
}

/// One step on one batch: every shard's forward and backward at once, then (if the loss is
/// finite) the shards' gradients summed, clipped, and applied at learning rate `lr`, each large
/// parameter split across the threads. Returns the batch's mean loss and its correct
/// predictions. Runs inside the run's thread pool.
fn train_step(
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
        .map(|((shard, indices), &seed)| shard.step(learner_ref, data, indices, batch.len(), cfg.loss, seed))
        .collect();
    let mut results = results.into_iter().collect::<Result<Vec<ShardResult>>>()?;
    let value: f64 = results.iter().map(|r| r.loss).sum();
    let correct = results.iter().map(|r| r.correct).sum();
    if value.is_finite() {
        let (first, rest) = results.split_first_mut().expect("at least one shard");
        for other in rest.iter() {
            for id in first.grads.param_ids() {
                if let (Some(sum), Some(g)) = (first.grads.param_mut(id), other.grads.param(id)) {
                    update_in_chunks(cfg.threads, sum, g.data, [], &|sum, g, []| {
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
        learner.optimizer.step_threads(&mut learner.params, &first.grads, lr, cfg.threads);
    }
    for (shard, result) in shards.iter_mut().zip(results) {
        shard.tape.recycle(result.grads);
    }
    Ok((value, correct))
}

/// Correct predictions among the rows of `logits` (argmax = class).
fn correct(logits: &[f32], width: usize, classes: &[usize]) -> usize {
    logits
        .chunks_exact(width.max(1))
        .zip(classes)
        .filter(|&(row, &c)| {
            let best = row.iter().enumerate().fold(0, |b, (j, &x)| if x > row[b] { j } else { b });
            best == c
        })
        .count()
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
    mut outputs: impl FnMut(&[f32]),
) -> Result<Evaluation> {
    check_fits(model, data)?;
    let mut tape = Tape::with_threads(threads);
    let (mut total, mut right, mut classes) = (0.0, 0usize, Vec::new());
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(1024) {
        tape.reset();
        let x = tape.input_with(Shape::new(&[chunk.len(), data.width()]), |buf| data.gather_features(chunk, buf));
        let out = model.forward(&tape, params, x, None);
        let l = batch_loss(loss, out, data, chunk, &mut classes)?;
        total += l.item() as f64 * chunk.len() as f64;
        tape.with_value(out.id(), |v| {
            if let Targets::Classes { .. } = data.targets {
                right += correct(v.data, model.outputs(), &classes);
            }
            outputs(v.data)
        });
    }
    let n = data.len().max(1) as f64;
    Ok(Evaluation { loss: total / n, accuracy: data.classes().map(|_| right as f64 / n) })
}

/// Checks that a model's inputs and outputs fit a dataset.
fn check_fits(model: &Sequential, data: &Dataset) -> Result<()> {
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

/// The generator of one epoch: derived from the seed and the epoch number alone, so a run
/// resumed at an epoch shuffles exactly as the uninterrupted run did.
pub fn epoch_rng(seed: u64, epoch: usize) -> crate::Rng {
    crate::rng(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Trains the learner on `data`, validating on `val` if given, for epochs
/// `start_epoch + 1 ..= cfg.epochs`. After each epoch `on_epoch` sees the metrics and the
/// learner (to report, save, or stop). With early stopping, the best weights by
/// validation loss are restored at the end. A NaN or infinite loss stops training with an
/// error, after restoring the weights from the start of that epoch.
pub fn train(
    learner: &mut Learner,
    data: &Dataset,
    val: Option<&Dataset>,
    cfg: &TrainConfig,
    start_epoch: usize,
    on_epoch: impl FnMut(&EpochMetrics, &Learner) -> Control + Send,
) -> Result<TrainReport> {
    train_observed(learner, data, val, cfg, start_epoch, &mut EpochHook(on_epoch))
}

/// [`train`] with an [`Observer`] that also sees every step.
pub fn train_observed(
    learner: &mut Learner,
    data: &Dataset,
    val: Option<&Dataset>,
    cfg: &TrainConfig,
    start_epoch: usize,
    observer: &mut (dyn Observer + Send),
) -> Result<TrainReport> {
    check_fits(&learner.model, data)?;
    if let Some(v) = val {
        check_fits(&learner.model, v)?;
    }
    if cfg.batch_size == 0 {
        return Err(Error::invalid("the batch size must be at least 1"));
    }
    if data.is_empty() {
        return Err(Error::invalid("the training data has no samples"));
    }
    // Data parallelism: each batch is cut into one shard per thread, each shard runs forward and
    // backward on its own tape (one-threaded kernels), and the gradients are summed in shard
    // order, so the result depends on the thread count but never on timing.
    let mut shards: Vec<Shard> = (0..cfg.threads.get()).map(|_| Shard::new()).collect();
    // The run's own pool, with exactly the configured number of threads.
    let pool = match cfg.threads.get() {
        1 => None,
        n => Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .thread_name(|i| format!("backprop-train-{i}"))
                .build()
                .map_err(|e| Error::invalid(format!("cannot start {n} training threads: {e}")))?,
        ),
    };
    // The whole run happens inside the pool: the shards, the gradient sum and the update then
    // hand work between threads that are already awake (a thread woken from outside a pool
    // costs tens of microseconds on these machines, as much as the whole update).
    let mut run = || run_epochs(learner, data, val, cfg, start_epoch, observer, &mut shards);
    match &pool {
        Some(pool) => pool.install(run),
        None => run(),
    }
}

/// The epochs of [`train_observed`], on its shards.
fn run_epochs(
    learner: &mut Learner,
    data: &Dataset,
    val: Option<&Dataset>,
    cfg: &TrainConfig,
    start_epoch: usize,
    observer: &mut (dyn Observer + Send),
    shards: &mut [Shard],
) -> Result<TrainReport> {
    let mut report = TrainReport { history: vec![], best_epoch: None, stopped_early: false };
    let (mut best, mut since_best) = (None::<(f64, ParamStore<f32>)>, 0);
    let steps_per_epoch = data.len().div_ceil(cfg.batch_size);
    let mut order: Vec<usize> = (0..data.len()).collect();
    for epoch in start_epoch + 1..=cfg.epochs {
        let start = Instant::now();
        let mut rng = epoch_rng(cfg.seed, epoch);
        order.sort_unstable();
        order.shuffle(&mut rng);
        let at_start = learner.params.clone();
        let (mut total, mut right, mut lr) = (0.0f64, 0usize, cfg.lr.base);
        for (step, batch) in order.chunks(cfg.batch_size).enumerate() {
            lr = cfg.lr.at((epoch - 1) as f64 + step as f64 / steps_per_epoch as f64);
            let seeds: Vec<u64> = (0..shards.len().min(batch.len())).map(|_| rng.random()).collect();
            let (value, correct) = train_step(shards, learner, data, batch, &seeds, cfg, lr)?;
            right += correct;
            if !value.is_finite() {
                learner.params = at_start;
                return Err(Error::invalid(format!(
                    "training diverged in epoch {epoch}, step {}: the loss is {value}; try a lower learning rate (it was {lr:.3e})",
                    step + 1
                )));
            }
            total += value * batch.len() as f64;
            let seen = (step * cfg.batch_size + batch.len()) as f64;
            let accuracy = data.classes().map(|_| right as f64 / seen);
            observer.on_step(epoch, step + 1, steps_per_epoch, total / seen, accuracy);
        }
        let seconds = start.elapsed().as_secs_f64();
        let n = data.len() as f64;
        let evaluation =
            val.map(|v| evaluate(&learner.model, &learner.params, v, cfg.loss, cfg.threads)).transpose()?;
        let metrics = EpochMetrics {
            epoch,
            train_loss: total / n,
            train_accuracy: data.classes().map(|_| right as f64 / n),
            val_loss: evaluation.map(|e| e.loss),
            val_accuracy: evaluation.and_then(|e| e.accuracy),
            lr,
            seconds,
            samples_per_second: n / seconds.max(1e-9),
        };
        let control = observer.on_epoch(&metrics, learner);
        report.history.push(metrics);
        if let Some(e) = evaluation {
            if best.as_ref().is_none_or(|(b, _)| e.loss < *b) {
                best = Some((e.loss, learner.params.clone()));
                report.best_epoch = Some(epoch);
                since_best = 0;
            } else {
                since_best += 1;
            }
            if cfg.early_stop.is_some_and(|patience| since_best >= patience) {
                report.stopped_early = true;
                break;
            }
        }
        if control == Control::Stop {
            break;
        }
    }
    if let (Some(_), Some((_, weights))) = (cfg.early_stop, best) {
        learner.params = weights;
    }
    Ok(report)
}
