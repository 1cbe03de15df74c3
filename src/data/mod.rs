//! Datasets: f32 features with class-index or real-vector targets, loaded from tables (CSV and
//! its kin, [`table`]) or MNIST's IDX files, standardised, split, shuffled and cut into mini-batches with a seeded generator.

mod augment;
pub mod folder;
mod idx;
pub mod table;

pub use self::augment::Augmentation;
pub use self::idx::{IMAGES_MAGIC, Idx, LABELS_MAGIC, load_images, load_mnist, looks_like_idx, read_idx};
pub use self::table::{CsvOptions, TableSchema, TargetColumn, Task, load_csv};

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::tensor::Tensor;

/// What a model learns to predict for each sample.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// A class index per sample; `names[i]` is how class i is written in the data.
    Classes { labels: Vec<usize>, names: Vec<String> },
    /// A real vector per sample: [samples, outputs], with a name per output; the values are
    /// the file's standardised by `scale` ([`Scale::IDENTITY`] when they are not), so scores
    /// can be reported in the file's units.
    Values { values: Tensor<f32>, names: Vec<String>, scale: Scale },
}

/// Samples as rows of `features` ([samples, features]), with their targets.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub features: Tensor<f32>,
    pub targets: Targets,
    pub feature_names: Vec<String>,
    /// The CSV column the targets were read from (none for IDX labels).
    pub target_column: Option<String>,
    /// Images: one sample's [channels, height, width] (its features are the pixels in that
    /// order, channel by channel).
    pub image: Option<[usize; 3]>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.features.dims()[0]
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of features per sample.
    pub fn width(&self) -> usize {
        self.features.dims()[1]
    }

    /// Number of classes, for a classification dataset.
    pub fn classes(&self) -> Option<usize> {
        match &self.targets {
            Targets::Classes { names, .. } => Some(names.len()),
            Targets::Values { .. } => None,
        }
    }

    /// Number of model outputs the targets call for (classes, or target columns).
    pub fn outputs(&self) -> usize {
        match &self.targets {
            Targets::Classes { names, .. } => names.len(),
            Targets::Values { values, .. } => values.dims()[1],
        }
    }

    /// The samples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let gather = |t: &Tensor<f32>| {
            let w = t.dims()[1];
            let mut out = vec![0.0; indices.len() * w];
            gather_rows(t, indices, &mut out);
            Tensor::new(out, [indices.len(), w])
        };
        let targets = match &self.targets {
            Targets::Classes { labels, names } => {
                Targets::Classes { labels: indices.iter().map(|&i| labels[i]).collect(), names: names.clone() }
            }
            Targets::Values { values, names, scale } => {
                Targets::Values { values: gather(values), names: names.clone(), scale: *scale }
            }
        };
        Dataset {
            features: gather(&self.features),
            targets,
            feature_names: self.feature_names.clone(),
            target_column: self.target_column.clone(),
            image: self.image,
        }
    }

    /// Shuffles the samples and splits off `fraction` of them (see [`split_indices`]) for
    /// validation: (training part, validation part).
    ///
    /// The training part keeps this dataset's memory: its rows move down in place, in their
    /// original order (training shuffles every epoch anyway), so splitting MNIST costs the
    /// held-out rows, not a second copy of the whole set.
    pub fn split(self, fraction: f64, rng: &mut crate::Rng) -> (Dataset, Dataset) {
        let all: Vec<usize> = (0..self.len()).collect();
        let (keep, held) = split_indices(&all, fraction, rng);
        let val = self.subset(&held);
        (self.retain(&keep), val)
    }

    /// Only the samples at `indices` (ascending), moved down in place.
    fn retain(self, indices: &[usize]) -> Dataset {
        let compact = |t: Tensor<f32>| {
            let w = t.dims()[1];
            let mut data = t.into_data();
            for (row, &i) in indices.iter().enumerate() {
                data.copy_within(i * w..(i + 1) * w, row * w); // i ≥ row: never overwrites a kept row
            }
            data.truncate(indices.len() * w);
            data.shrink_to_fit();
            Tensor::new(data, [indices.len(), w])
        };
        let targets = match self.targets {
            Targets::Classes { labels, names } => {
                Targets::Classes { labels: indices.iter().map(|&i| labels[i]).collect(), names }
            }
            Targets::Values { values, names, scale } => Targets::Values { values: compact(values), names, scale },
        };
        Dataset {
            features: compact(self.features),
            targets,
            feature_names: self.feature_names,
            target_column: self.target_column,
            image: self.image,
        }
    }

    /// Copies the features of the samples `indices` into `out` (row after row), for a
    /// mini-batch.
    pub fn gather_features(&self, indices: &[usize], out: &mut [f32]) {
        gather_rows(&self.features, indices, out);
    }

    /// Copies the target vectors of `indices` into `out` (regression targets only).
    pub fn gather_values(&self, indices: &[usize], out: &mut [f32]) {
        if let Targets::Values { values, .. } = &self.targets {
            gather_rows(values, indices, out);
        }
    }

    /// The class labels of `indices` into `out` (classification targets only).
    pub fn gather_classes(&self, indices: &[usize], out: &mut Vec<usize>) {
        out.clear();
        if let Targets::Classes { labels, .. } = &self.targets {
            out.extend(indices.iter().map(|&i| labels[i]));
        }
    }
}

/// Shuffles `items` and splits off `fraction` of them (rounded, at least one if the fraction is
/// positive): (the rest, in their original order; the part split off, shuffled).
pub fn split_indices(items: &[usize], fraction: f64, rng: &mut crate::Rng) -> (Vec<usize>, Vec<usize>) {
    let mut order = items.to_vec();
    order.shuffle(rng);
    let held = ((items.len() as f64 * fraction).round() as usize).clamp(usize::from(fraction > 0.0), items.len());
    let mut keep = order.split_off(held);
    keep.sort_unstable();
    (keep, order)
}

/// Copies rows `indices` of a [rows, width] tensor into `out`, one after another: the one row
/// gather behind mini-batches and subsets.
fn gather_rows(t: &Tensor<f32>, indices: &[usize], out: &mut [f32]) {
    let w = t.dims()[1];
    for (row, &i) in out.chunks_exact_mut(w.max(1)).zip(indices) {
        row.copy_from_slice(&t.data()[i * w..(i + 1) * w]);
    }
}

/// x ↦ (x − mean) / std: a column's or the target's standardisation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scale {
    pub mean: f64,
    pub std: f64,
}

impl Scale {
    pub const IDENTITY: Scale = Scale { mean: 0.0, std: 1.0 };

    /// The mean and (population) standard deviation of `values`; a constant gets std 1, so it
    /// maps to 0 instead of dividing by zero.
    pub fn fit(values: impl Iterator<Item = f64>) -> Scale {
        let (mut n, mut sum, mut sq) = (0usize, 0.0f64, 0.0f64);
        for x in values {
            (n, sum, sq) = (n + 1, sum + x, sq + x * x);
        }
        let n = n.max(1) as f64;
        let mean = sum / n;
        let std = (sq / n - mean * mean).max(0.0).sqrt();
        Scale { mean, std: if std < 1e-8 * mean.abs().max(1.0) { 1.0 } else { std } }
    }

    pub fn apply(&self, x: f32) -> f32 {
        ((x as f64 - self.mean) / self.std) as f32
    }

    pub fn invert(&self, z: f32) -> f32 {
        (z as f64 * self.std + self.mean) as f32
    }
}

/// Per-feature mean and standard deviation, fitted on training data and kept with the model so
/// that every later input is scaled the same way: x ← (x − mean) / std.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Standardizer {
    /// Statistics of each column of `features` [samples, features]. A constant column gets
    /// std 1 so it maps to 0 instead of dividing by zero.
    pub fn fit(features: &Tensor<f32>) -> Standardizer {
        let (n, w) = (features.dims()[0], features.dims()[1]);
        let mut mean = vec![0.0f64; w];
        let mut sq = vec![0.0f64; w];
        for row in features.data().chunks_exact(w.max(1)) {
            for (j, &x) in row.iter().enumerate() {
                mean[j] += x as f64;
                sq[j] += (x as f64) * (x as f64);
            }
        }
        let n = n.max(1) as f64;
        let std = mean.iter().zip(&sq).map(|(&s, &q)| {
            let var = (q / n - (s / n).powi(2)).max(0.0);
            if var.sqrt() < 1e-8 { 1.0 } else { var.sqrt() as f32 }
        });
        let std: Vec<f32> = std.collect();
        Standardizer { mean: mean.iter().map(|&s| (s / n) as f32).collect(), std }
    }

    /// Scales `features` in place.
    pub fn apply(&self, features: &mut Tensor<f32>) {
        let w = self.mean.len();
        for row in features.data_mut().chunks_exact_mut(w.max(1)) {
            for ((x, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *x = (*x - m) / s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Dataset {
        Dataset {
            features: Tensor::new((0..20).map(|x| x as f32).collect(), [10, 2]),
            targets: Targets::Classes { labels: (0..10).map(|i| i % 2).collect(), names: vec!["a".into(), "b".into()] },
            feature_names: vec!["x".into(), "y".into()],
            target_column: None,
            image: None,
        }
    }

    #[test]
    fn split_keeps_every_sample_exactly_once_and_depends_on_the_seed() {
        let d = toy();
        let (train, val) = d.clone().split(0.3, &mut crate::rng(1));
        assert_eq!((train.len(), val.len()), (7, 3));
        let mut firsts: Vec<f32> =
            train.features.data().iter().chain(val.features.data()).step_by(2).copied().collect();
        firsts.sort_by(f32::total_cmp);
        assert_eq!(firsts, (0..10).map(|i| (2 * i) as f32).collect::<Vec<_>>());
        // Each sample keeps its own features and label (sample i: features 2i, 2i+1; label i % 2).
        for part in [&train, &val] {
            let Targets::Classes { labels, .. } = &part.targets else { unreachable!("toy() has classes") };
            for (row, &label) in part.features.data().chunks(2).zip(labels) {
                let i = (row[0] / 2.0) as usize;
                assert_eq!((row[1], label), ((2 * i + 1) as f32, i % 2));
            }
        }
        let (train2, _) = d.clone().split(0.3, &mut crate::rng(1));
        assert_eq!(train, train2);
        let (train3, _) = d.split(0.3, &mut crate::rng(2));
        assert_ne!(train, train3);
    }

    #[test]
    fn standardised_columns_have_zero_mean_and_unit_spread() {
        let mut f = Tensor::new(vec![1.0, 5.0, 3.0, 5.0, 5.0, 5.0], [3, 2]);
        let s = Standardizer::fit(&f);
        s.apply(&mut f);
        let col0: Vec<f32> = f.data().iter().step_by(2).copied().collect();
        assert!(col0.iter().sum::<f32>().abs() < 1e-6);
        assert!((col0.iter().map(|x| x * x).sum::<f32>() / 3.0 - 1.0).abs() < 1e-5);
        assert_eq!(s.std[1], 1.0, "a constant column is not divided by zero");
        assert!(f.data().iter().skip(1).step_by(2).all(|&x| x == 0.0));
    }
}
