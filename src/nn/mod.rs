//! Layers and models built from engine ops: the vocabulary of layers (`layer.rs`), a whole
//! network's shapes (`architecture.rs`, parsed from `--layers` text by `syntax.rs`), `Linear` and `Conv2d`
//! (PyTorch's layouts), batch normalisation with its running statistics, activations as
//! layers, `Dropout`, and `Sequential` with an MLP builder. Layers hold only the ids of their
//! parameters; the values live in a [`crate::autograd::ParamStore`] under stable dotted names.

mod activation;
mod architecture;
mod batch_norm;
mod conv;
mod dropout;
mod init;
mod layer;
mod linear;
mod mlp;
mod sequential;
pub mod syntax;

pub use activation::Activation;
pub use architecture::{Architecture, LayerRow};
pub use batch_norm::{BatchNorm, Moments};
pub use conv::Conv2d;
pub use dropout::Dropout;
pub use init::Init;
pub use layer::{BATCH_NORM_EPS, BATCH_NORM_MOMENTUM, LayerSpec, SampleShape};
pub use linear::Linear;
pub use mlp::MlpSpec;
pub use sequential::{Layer, Sequential};
