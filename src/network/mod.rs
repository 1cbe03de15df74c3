//! The small network that the lecture's tools work on: explain, check, the playground's chain
//! panel and the server all read a network here, train it a step at a time on the engine's tape
//! and name its parts in the lecture's notation. A network file ([`NetworkFile`]) is read and
//! checked into a [`Network`], whose layers are the library's own [`Model`] (a `Sequential`
//! with its weights in a `ParamStore`): [`LayerFile`] is only how layers are written down.
//! [`step`] and [`run`] return the numbers each feature shows.

mod any;
pub mod conv;
mod file;
pub(crate) mod model;
mod names;
pub(crate) mod step;

pub use any::AnyNetwork;
pub use file::{LayerFile, MAX_PARAMETERS, Network, NetworkFile, TargetsFile, explainable};
pub use model::{Model, Place, error_of};
pub use names::{input_name, param_names, unit_name};
pub use step::{Factor, Param, PathSum, Step, Steps, Unit, run, step};
