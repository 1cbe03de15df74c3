//! Files a model leaves behind: weights in safetensors, the description in JSON, checkpoints
//! for resuming, metrics and plots. Every file is written atomically, so killing the process
//! mid-save never leaves a half-written model.

mod atomic;
mod checkpoint;
mod model;
mod model_dir;
#[cfg(feature = "cli")]
mod plot;
mod validate;

pub use atomic::write_atomic;
pub use checkpoint::Checkpoint;
pub use model::{InputKind, MODEL_FORMAT, MODEL_VERSION, ModelInfo, params_from_safetensors, params_to_safetensors};
pub use model_dir::ModelDir;
#[cfg(feature = "cli")]
pub use plot::{png_bytes, register_font as register_plot_font, write_curves};
pub use validate::check_model;
