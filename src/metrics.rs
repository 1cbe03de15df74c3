//! Scores a practitioner reads beside the loss: R², MAE and RMSE for regression (in the file's
//! units), a confusion matrix for classes, and for two classes precision, recall, F1 and ROC
//! AUC (class 1 — the second in the model's order — is the positive one).

use serde::{Deserialize, Serialize};

use crate::data::Scale;
use crate::tensor::Tensor;

/// Regression errors.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegressionScores {
    /// 1 − Σ(y − ŷ)² / Σ(y − ȳ)²: the share of the targets' variance explained (NaN when the
    /// targets are constant).
    pub r2: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Root mean squared error.
    pub rmse: f64,
}

/// Sums for [`RegressionScores`], added to a chunk at a time.
#[derive(Clone, Copy, Debug, Default)]
pub struct RegressionTally {
    n: usize,
    sum: f64,
    sum_sq: f64,
    abs_err: f64,
    sq_err: f64,
}

impl RegressionTally {
    pub fn add(&mut self, targets: &[f32], predictions: &[f32]) {
        for (&y, &p) in targets.iter().zip(predictions) {
            let (y, e) = (y as f64, (p - y) as f64);
            self.n += 1;
            self.sum += y;
            self.sum_sq += y * y;
            self.abs_err += e.abs();
            self.sq_err += e * e;
        }
    }

    /// The scores, for targets standardised by `scale`, in the file's units (R² is the same in
    /// any units; the errors scale by the standard deviation).
    pub fn scores(&self, scale: Scale) -> RegressionScores {
        let n = self.n.max(1) as f64;
        let variance = self.sum_sq - self.sum * self.sum / n;
        let r2 = if variance > 1e-12 * self.sum_sq.max(1.0) { 1.0 - self.sq_err / variance } else { f64::NAN };
        RegressionScores { r2, mae: self.abs_err / n * scale.std, rmse: (self.sq_err / n).sqrt() * scale.std }
    }
}

/// `confusion[true][predicted]` counts.
pub fn confusion(labels: &[usize], predicted: &[usize], classes: usize) -> Vec<Vec<usize>> {
    let mut m = vec![vec![0; classes]; classes];
    for (&t, &p) in labels.iter().zip(predicted) {
        m[t][p] += 1;
    }
    m
}

/// A two-class model's scores, class 1 positive.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BinaryScores {
    /// Of the samples predicted positive, the share that are (NaN when none is predicted).
    pub precision: f64,
    /// Of the positive samples, the share predicted positive (NaN when there are none).
    pub recall: f64,
    /// The harmonic mean of precision and recall.
    pub f1: f64,
    /// The area under the ROC curve: the chance that a random positive sample scores above a
    /// random negative one (ties count half); NaN without both classes.
    pub auc: f64,
}

impl BinaryScores {
    /// From the true labels (0 or 1) and each sample's probability of class 1; predicted
    /// positive when that probability is above ½.
    pub fn of(labels: &[usize], p_positive: &[f32]) -> BinaryScores {
        let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
        for (&t, &p) in labels.iter().zip(p_positive) {
            match (t == 1, p > 0.5) {
                (true, true) => tp += 1,
                (false, true) => fp += 1,
                (true, false) => fn_ += 1,
                (false, false) => {}
            }
        }
        let ratio = |a: usize, b: usize| if b == 0 { f64::NAN } else { a as f64 / b as f64 };
        let precision = ratio(tp, tp + fp);
        let recall = ratio(tp, tp + fn_);
        let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
        BinaryScores { precision, recall, f1, auc: roc_auc(labels, p_positive) }
    }
}

impl BinaryScores {
    /// From the true labels and a two-class model's logits [samples, 2].
    pub fn of_logits(labels: &[usize], logits: &Tensor<f32>) -> BinaryScores {
        let p: Vec<f32> = logits.softmax(1).data().chunks_exact(2).map(|row| row[1]).collect();
        BinaryScores::of(labels, &p)
    }
}

/// ROC AUC by the rank sum (Mann–Whitney U) with tied scores given their mean rank.
pub fn roc_auc(labels: &[usize], scores: &[f32]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut positives) = (0.0f64, 0usize);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if labels[k] == 1 {
                rank_sum += mean_rank;
                positives += 1;
            }
        }
        i = j + 1;
    }
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return f64::NAN;
    }
    let p = positives as f64;
    (rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_the_ordered_pairs() {
        // Positives scored 0.8 and 0.4, negatives 0.5 and 0.1: of the 4 pairs, 3 are ordered.
        assert_eq!(roc_auc(&[1, 0, 1, 0], &[0.8, 0.5, 0.4, 0.1]), 0.75);
        assert_eq!(roc_auc(&[1, 0], &[0.3, 0.3]), 0.5, "a tie counts half");
        assert!(roc_auc(&[1, 1], &[0.3, 0.4]).is_nan());
    }

    #[test]
    fn precision_recall_and_f1_from_the_counts() {
        // tp = 2 (rows 0, 1), fp = 1 (row 2), fn = 1 (row 3), tn = 1.
        let s = BinaryScores::of(&[1, 1, 0, 1, 0], &[0.9, 0.6, 0.7, 0.2, 0.1]);
        assert_eq!((s.precision, s.recall), (2.0 / 3.0, 2.0 / 3.0));
        assert!((s.f1 - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn regression_scores_in_the_files_units() {
        let mut t = RegressionTally::default();
        // Standardised targets −1, 0, 1 predicted as −1, 0.5, 1: SSE 0.25, variance sum 2.
        t.add(&[-1.0, 0.0, 1.0], &[-1.0, 0.5, 1.0]);
        let s = t.scores(Scale { mean: 1e5, std: 2e4 });
        assert!((s.r2 - (1.0 - 0.25 / 2.0)).abs() < 1e-12);
        assert!((s.mae - 0.5 / 3.0 * 2e4).abs() < 1e-6);
        assert!((s.rmse - (0.25f64 / 3.0).sqrt() * 2e4).abs() < 1e-6);
    }
}
