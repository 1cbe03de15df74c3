//! The playground's engine side (`backprop playground` serves it): a [`Setup`] as the page's
//! controls set it (data, features, layers, activation, learning rate, regularisation, batch
//! size), a [`Session`] that trains it one batch or one epoch at a time (a compiled plan), and the
//! views the page draws ([`Snapshot`], [`Gradient`]). Every number the page shows comes from here;
//! the page itself does no arithmetic. The network is `explain`'s network (weights `[out][in]`,
//! its parameter and unit names), so a clicked weight's chain is `explain`'s chain.

mod chains;
mod data;
mod session;
mod step;
mod view;

use serde::{Deserialize, Serialize};

use crate::loss::Loss;
use crate::nn::Activation;
use crate::optim::{Optimizer, OptimizerKind, OptimizerSettings};

pub use chains::{ExampleExplained, Gradient};
pub use data::{
    DataSet, EXTENT, Feature, GENERATED_POINTS, Label, MAX_CLASSES, MAX_UPLOADED_POINTS, Point, Uploaded, read_upload,
};
pub use session::{Edit, Session};
pub use view::{GRID, Snapshot, UNIT_GRID};

/// The most hidden layers, and units in one.
pub const MAX_LAYERS: usize = 6;
pub const MAX_UNITS: usize = 8;
/// The largest batch.
pub const MAX_BATCH: usize = 50;
/// The most epochs one request may run.
pub const MAX_EPOCHS_PER_REQUEST: usize = 100;

/// A penalty on the weights (not the biases), added to the loss the gradients come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter)]
#[serde(rename_all = "kebab-case")]
pub enum Regularization {
    None,
    /// λ·Σ|w|.
    L1,
    /// λ·½Σw².
    L2,
}

/// Everything the page's controls set; `Default` is TensorFlow Playground's first screen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Setup {
    pub data: DataSet,
    /// Classes of the Gaussian and spiral shapes (circle and XOR have two).
    pub classes: usize,
    /// 0 to 50 (per cent).
    pub noise: u32,
    /// Share of the points that train, 10 to 90 (per cent).
    pub train_percent: u32,
    /// Seeds the points and the initial weights.
    pub seed: u64,
    pub features: Vec<Feature>,
    /// Units per hidden layer.
    pub hidden: Vec<usize>,
    pub activation: Activation,
    /// The loss; absent: half-SSE (the lecture's), or cross-entropy for three or more classes.
    pub loss: Option<Loss>,
    pub learning_rate: f64,
    /// The optimiser (the library's; plain SGD is TensorFlow Playground's and the lecture's).
    pub optimizer: OptimizerKind,
    /// SGD's and Nesterov's momentum (0: none).
    pub momentum: f64,
    pub regularization: Regularization,
    pub regularization_rate: f64,
    pub batch_size: usize,
    /// Whether biases learn (the lecture keeps them fixed).
    pub update_biases: bool,
    /// With the lecture's data: the network and example of `backprop exercise --seed N`'s
    /// sheet instead of the slide's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exercise: Option<u64>,
}

impl Default for Setup {
    fn default() -> Setup {
        Setup {
            data: DataSet::Circle,
            classes: 2,
            noise: 0,
            train_percent: 50,
            seed: 1,
            features: vec![Feature::X1, Feature::X2],
            hidden: vec![4, 2],
            activation: Activation::Tanh,
            loss: None,
            learning_rate: 0.03,
            optimizer: OptimizerKind::Sgd,
            momentum: 0.0,
            regularization: Regularization::None,
            regularization_rate: 0.0,
            batch_size: 10,
            update_biases: true,
            exercise: None,
        }
    }
}

impl Setup {
    /// The lecture's network: its example, 2-2-2 sigmoid, half-SSE, η = 0.5, fixed biases.
    pub fn lecture() -> Setup {
        Setup {
            data: DataSet::Lecture,
            features: vec![Feature::X1, Feature::X2],
            hidden: vec![2],
            activation: Activation::Sigmoid,
            loss: Some(Loss::HalfSse),
            learning_rate: 0.5,
            batch_size: 1,
            update_biases: false,
            ..Setup::default()
        }
    }

    /// The lecture's network, or the exercise sheet's when the setup names one.
    pub fn lecture_network(&self) -> crate::network::Network {
        match self.exercise {
            Some(seed) => crate::exercise::Exercise::new(seed).network,
            None => crate::network::Network::lecture(),
        }
    }

    /// Classes the data has (0 for regression and the lecture).
    pub fn class_count(&self) -> usize {
        match self.data {
            DataSet::Circle | DataSet::Xor => 2,
            DataSet::Gauss | DataSet::Spiral => self.classes,
            _ => 0,
        }
    }

    /// A fresh optimiser of the setup's kind (its penalty is the regularisation, so no weight
    /// decay of its own).
    pub fn optimizer(&self) -> Optimizer<f64> {
        Optimizer::new(self.optimizer, OptimizerSettings { momentum: self.momentum, weight_decay: 0.0 })
    }

    /// The loss this setup trains on.
    pub fn loss(&self, classes: usize) -> Loss {
        self.loss.unwrap_or(if classes > 2 { Loss::CrossEntropy } else { Loss::HalfSse })
    }

    /// Checks every field against the playground's bounds; the error names the field.
    pub fn check(&self) -> crate::Result<()> {
        let field = |name: &str, why: String| Err(crate::Error::invalid(format!("{name}: {why}")));
        if !(2..=MAX_CLASSES).contains(&self.classes) {
            return field("classes", format!("{} is not between 2 and {MAX_CLASSES}", self.classes));
        }
        if self.noise > 50 {
            return field("noise", format!("{} is more than 50", self.noise));
        }
        if !(10..=90).contains(&self.train_percent) {
            return field("train_percent", format!("{} is not between 10 and 90", self.train_percent));
        }
        if self.features.is_empty() {
            return field("features", "at least one input feature is needed".into());
        }
        if self.exercise.is_some() && self.data != DataSet::Lecture {
            return field("exercise", "an exercise sheet is the lecture's network: it needs data \"lecture\"".into());
        }
        let mut seen = self.features.clone();
        seen.sort_by_key(|f| *f as u8);
        seen.dedup();
        if seen.len() != self.features.len() {
            return field("features", "a feature is listed twice".into());
        }
        if self.hidden.len() > MAX_LAYERS {
            return field("hidden", format!("{} layers; the playground has at most {MAX_LAYERS}", self.hidden.len()));
        }
        if let Some(&bad) = self.hidden.iter().find(|&&u| !(1..=MAX_UNITS).contains(&u)) {
            return field("hidden", format!("a layer of {bad} units; layers have 1 to {MAX_UNITS}"));
        }
        if self.activation == Activation::Softmax {
            return field("activation", "softmax is an output layer's, not a hidden one's".into());
        }
        if !(self.learning_rate.is_finite() && (0.0..=10.0).contains(&self.learning_rate)) {
            return field("learning_rate", format!("{} is not between 0 and 10", self.learning_rate));
        }
        if !(self.momentum.is_finite() && (0.0..1.0).contains(&self.momentum)) {
            return field("momentum", format!("{} is not at least 0 and below 1", self.momentum));
        }
        if !(self.regularization_rate.is_finite() && (0.0..=10.0).contains(&self.regularization_rate)) {
            return field("regularization_rate", format!("{} is not between 0 and 10", self.regularization_rate));
        }
        if !(1..=MAX_BATCH).contains(&self.batch_size) {
            return field("batch_size", format!("{} is not between 1 and {MAX_BATCH}", self.batch_size));
        }
        match (self.data.is_regression(), self.loss) {
            (true, Some(l @ (Loss::CrossEntropy | Loss::Bce))) => {
                field("loss", format!("{l} is a classification loss; regression trains on half-sse or mse"))
            }
            _ => Ok(()),
        }
    }
}
