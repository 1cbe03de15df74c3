//! Layers and models built from engine ops: `Linear` (PyTorch's layout), activations as layers,
//! `Dropout`, and `Sequential` with an MLP builder. Layers hold only the ids of their parameters;
//! the values live in a [`crate::autograd::ParamStore`] under stable dotted names.

mod activation;
mod dropout;
mod init;
mod linear;
mod sequential;

pub use activation::Activation;
pub use dropout::Dropout;
pub use init::Init;
pub use linear::Linear;
pub use sequential::{Layer, MlpSpec, Sequential};
