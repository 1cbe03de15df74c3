//! Train-and-predict in the library: what a user asks ([`TrainSpec`], [`DataFiles`]) →
//! the data read, split and encoded with the schema fitted on the training rows alone
//! ([`parts`]) → a typed [`TrainPlan`] ([`plan`], a pure function of the spec and a
//! description of the data) → a [`Training`] run by the library's loop → a [`TrainedModel`]
//! that saves, loads and predicts. The command line, the exports and the Python module are
//! views over these.
//!
//! ```
//! use backprop::pipeline::{DataFiles, TrainSpec, TrainedModel};
//! use backprop::tensor::Threads;
//!
//! let files = DataFiles::new("data/penguins.csv");
//! let spec = TrainSpec { target: Some("species".into()), epochs: Some(30), ..TrainSpec::default() };
//! let model = TrainedModel::train(&files, &spec)?;
//!
//! let dir = std::env::temp_dir().join(format!("backprop-doc-penguins-{}", std::process::id()));
//! model.save(&dir)?;
//! let reloaded = TrainedModel::load(&dir)?;
//! let (predictions, _notes) = reloaded.predict_file("data/penguins.csv".as_ref(), Threads::ONE)?;
//! let species = predictions.classes().expect("species are classes");
//! assert_eq!(species.len(), 344);
//! let right = std::fs::read_to_string("data/penguins.csv")?
//!     .lines()
//!     .skip(1)
//!     .zip(&species)
//!     .filter(|(line, s)| line.starts_with(*s))
//!     .count();
//! assert!(right as f64 / 344.0 > 0.9, "{right} of 344 penguins");
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod cv;
pub mod parts;
pub mod plan;
pub mod read;
mod trained;
mod training;

pub use crate::train::{DataFiles, TrainRequest, TrainSpec};
pub use cv::{CrossValidation, FoldResult, cross_validate};
pub use parts::Parts;
pub use plan::{DataDescription, TestSet, TrainPlan};
pub use trained::{Predictions, TrainedModel};
pub use training::{Resume, TestScores, Training};
