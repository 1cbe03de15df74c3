//! Losses: the one place that defines each. Every loss is composed from engine ops, so its
//! gradient comes from the rules in `autograd::ops`; the two that need care for stability
//! (cross-entropy and binary cross-entropy, both from logits) are single fused ops. Training
//! reads [`Loss::of_logits`], `explain` reads [`Loss::per_output`] and the formulas beside it,
//! the CLI parses this enum directly.

use serde::{Deserialize, Serialize};

use crate::autograd::Var;
use crate::tensor::{Float, Shape};

/// Whether a loss adds its terms up or averages them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reduction {
    Sum,
    Mean,
}

/// The losses a model can train on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Loss {
    /// Cross-entropy of logits against class indices (or class probabilities).
    CrossEntropy,
    /// Binary cross-entropy of logits against targets in [0, 1].
    Bce,
    /// Mean squared error: mean over every element of (out − T)².
    Mse,
    /// The lecture's E = Σ ½(T − out)², over every output of every sample.
    HalfSse,
}

/// A batch's targets as a loss reads them.
#[derive(Clone, Copy, Debug)]
pub enum Target<'t, 'c, T: Float> {
    /// One class index per row.
    Classes(&'c [usize]),
    /// One class index per row, and a weight per class (cross-entropy only).
    WeightedClasses(&'c [usize], &'c [f32]),
    /// A target value per output, [rows, outputs] (one-hot or probabilities for classes).
    Dense(Var<'t, T>),
}

impl Loss {
    /// The name files and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            Loss::HalfSse => "half-sse",
            Loss::Mse => "mse",
            Loss::Bce => "bce",
            Loss::CrossEntropy => "cross-entropy",
        }
    }

    /// Whether the targets are naturally class indices (otherwise real vectors).
    pub fn takes_classes(self) -> bool {
        self == Loss::CrossEntropy
    }

    /// The training loss of a batch of raw outputs (logits) [rows, outputs]: the mean over the
    /// batch for cross-entropy, BCE and MSE, the lecture's sum for half-SSE. Class targets are
    /// one-hot encoded for the losses that compare vectors.
    pub fn of_logits<'t, T: Float>(self, out: Var<'t, T>, target: Target<'t, '_, T>) -> Var<'t, T> {
        match (self, target) {
            (Loss::CrossEntropy, Target::Classes(classes)) => cross_entropy(out, classes, Reduction::Mean),
            (Loss::CrossEntropy, Target::WeightedClasses(classes, weights)) => {
                weighted_cross_entropy(out, classes, weights)
            }
            (_, Target::WeightedClasses(..)) => panic!("{self}: class weights apply to cross-entropy only"),
            (Loss::CrossEntropy, Target::Dense(t)) => {
                // −(1/N)·Σ T·log softmax(out): soft targets, the same value for one-hot ones.
                let rows = out.shape().dim(0).max(1) as f64;
                -(t * out.log_softmax(1)).sum() * (1.0 / rows)
            }
            (_, Target::Classes(classes)) => self.of_logits(out, Target::Dense(one_hot(out, classes))),
            (Loss::Bce, Target::Dense(t)) => bce_with_logits(out, t, Reduction::Mean),
            (Loss::Mse, Target::Dense(t)) => mse(out, t, Reduction::Mean),
            (Loss::HalfSse, Target::Dense(t)) => half_sse(out, t),
        }
    }

    /// Each output's share of the error of one sample, as the lecture writes it: the loss of the
    /// network's *outputs* (after the output activation, probabilities for softmax and sigmoid)
    /// against targets `t`, both [1, K]. Their sum is E. A batch [N, K] gets each example's terms
    /// in its row (the playground averages the rows' sums over the batch).
    pub fn per_output<'t, T: Float>(self, out: Var<'t, T>, t: Var<'t, T>) -> Var<'t, T> {
        // K, the outputs of one example: the last axis (rows of a batch are examples).
        let k = t.shape().dims().last().copied().unwrap_or(1).max(1) as f64;
        match self {
            // ½(T − out)² per output.
            Loss::HalfSse => (t - out).square() * 0.5,
            // (out − T)² / K per output.
            Loss::Mse => (out - t).square() * (1.0 / k),
            // −T·log out per output.
            Loss::CrossEntropy => -(t * out.log()),
            // −(T·log out + (1 − T)·log(1 − out)) / K per output.
            Loss::Bce => {
                // 1 − T as an op on T, not a new input: a compiled plan given new targets
                // then computes it from them ((−T) + 1 is 1 − T exactly).
                let one_minus_t = -t + 1.0;
                -(t * out.log() + one_minus_t * (-out + 1.0).log()) * (1.0 / k)
            }
        }
    }

    /// The loss's name in a derivation's heading.
    pub fn title(self) -> &'static str {
        match self {
            Loss::HalfSse => "½Σ(T − out)²",
            Loss::Mse => "mean squared error",
            Loss::CrossEntropy => "cross-entropy",
            Loss::Bce => "binary cross-entropy",
        }
    }

    /// Output `i`'s term of [`Loss::per_output`] written out (1-based `i` of `k` outputs).
    pub fn term_formula(self, i: usize, k: usize) -> String {
        self.term_of(i, k, &format!("out_y{i}"))
    }

    /// Output `i`'s term with the output named `out`.
    pub fn term_of(self, i: usize, k: usize, out: &str) -> String {
        match self {
            Loss::HalfSse => format!("½(T{i} − {out})²"),
            Loss::Mse => format!("({out} − T{i})²/{k}"),
            Loss::CrossEntropy => format!("−T{i}·log {out}"),
            Loss::Bce => format!("−(T{i}·log {out} + (1 − T{i})·log(1 − {out}))/{k}"),
        }
    }

    /// ∂E/∂out of output `i` (named `out`) of `k`: the derivative of its term.
    pub fn derivative_of(self, i: usize, k: usize, out: &str) -> String {
        match self {
            Loss::HalfSse => format!("−(T{i} − {out})"),
            Loss::Mse => format!("2({out} − T{i})/{k}"),
            Loss::CrossEntropy => format!("−T{i}/{out}"),
            Loss::Bce => format!("−(T{i}/{out} − (1 − T{i})/(1 − {out}))/{k}"),
        }
    }
}

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One-hot rows for class indices, as an input of `out`'s tape and shape.
fn one_hot<'t, T: Float>(out: Var<'t, T>, classes: &[usize]) -> Var<'t, T> {
    let width = out.shape().dim(1);
    out.tape().input_with(Shape::new(&[classes.len(), width]), |buf| {
        buf.fill(T::zero());
        for (row, &c) in classes.iter().enumerate() {
            buf[row * width + c] = T::one();
        }
    })
}

/// The lecture's error, E = Σ ½(T − out)² (one fused op).
pub fn half_sse<'t, T: Float>(out: Var<'t, T>, target: Var<'t, T>) -> Var<'t, T> {
    out.half_sse(target)
}

/// Squared error, (out − T)² summed or averaged over every element.
pub fn mse<'t, T: Float>(out: Var<'t, T>, target: Var<'t, T>, reduction: Reduction) -> Var<'t, T> {
    let squares = (out - target).square();
    match reduction {
        Reduction::Sum => squares.sum(),
        Reduction::Mean => squares.mean(),
    }
}

/// Binary cross-entropy of logits against targets in [0, 1], through the fused, stable op.
pub fn bce_with_logits<'t, T: Float>(logits: Var<'t, T>, target: Var<'t, T>, reduction: Reduction) -> Var<'t, T> {
    let mean = logits.bce_with_logits(target);
    match reduction {
        Reduction::Mean => mean,
        Reduction::Sum => mean * logits.shape().numel() as f64,
    }
}

/// Cross-entropy with a weight per class, (1/N)·Σᵢ w[tᵢ]·(−log softmax(xᵢ)[tᵢ]): mistakes on a
/// rare class cost more. It is the mean over rows (sklearn's `sample_weight`), not PyTorch's
/// division by the batch's total weight, so the shards of a batch split across threads add up
/// to the whole batch's loss; with [`ClassWeight::Balanced`] weights the two agree on average.
pub fn weighted_cross_entropy<'t, T: Float>(logits: Var<'t, T>, classes: &[usize], weights: &[f32]) -> Var<'t, T> {
    let rows = classes.len();
    let w = logits.tape().input_with(Shape::new(&[rows]), |buf| {
        for (b, &c) in buf.iter_mut().zip(classes) {
            *b = T::of(weights[c] as f64);
        }
    });
    -(logits.log_softmax(1).gather(classes) * w).sum() * (1.0 / rows.max(1) as f64)
}

/// How the classes of a cross-entropy loss are weighted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum ClassWeight {
    /// n / (k · n_c) for class c with n_c of the n training samples among k classes
    /// (scikit-learn's "balanced"): every class weighs as much in all as the others.
    Balanced,
}

impl ClassWeight {
    /// The weight of each of `k` classes, from the training labels. A class with no samples
    /// gets weight 1 (it never appears in the loss).
    pub fn weights(self, labels: &[usize], k: usize) -> Vec<f32> {
        let mut counts = vec![0usize; k];
        labels.iter().for_each(|&l| counts[l] += 1);
        match self {
            ClassWeight::Balanced => counts
                .iter()
                .map(|&c| if c == 0 { 1.0 } else { (labels.len() as f64 / (k as f64 * c as f64)) as f32 })
                .collect(),
        }
    }
}

/// Cross-entropy of logits [rows, classes] against class indices, through the fused
/// log-softmax + negative log-likelihood op.
pub fn cross_entropy<'t, T: Float>(logits: Var<'t, T>, classes: &[usize], reduction: Reduction) -> Var<'t, T> {
    let mean = logits.cross_entropy(classes);
    match reduction {
        Reduction::Mean => mean,
        Reduction::Sum => mean * classes.len() as f64,
    }
}

/// A class loss with label smoothing ε (PyTorch's `label_smoothing`): the target puts 1 − ε on
/// the true class and spreads ε evenly over all K, so the loss is (1 − ε)·`loss` plus ε times
/// the mean of −log softmax over the K classes, (1/N)·Σᵢ (1/K)·Σₖ −log pᵢₖ. It keeps the network
/// from driving its logits apart without bound to win the last bit of a confident loss.
pub fn label_smoothed<'t, T: Float>(loss: Var<'t, T>, logits: Var<'t, T>, epsilon: f64) -> Var<'t, T> {
    loss * (1.0 - epsilon) - logits.log_softmax(1).mean() * epsilon
}
