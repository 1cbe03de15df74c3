//! Files a model leaves behind: weights in safetensors, the description in JSON, checkpoints
//! for resuming, metrics and plots. Every file is written atomically, so killing the process
//! mid-save never leaves a half-written model.

mod atomic;
mod checkpoint;
mod model;
mod plot;

pub use atomic::write_atomic;
pub use checkpoint::{Checkpoint, load_checkpoint, save_checkpoint};
pub use model::{
    InputKind, MODEL_FORMAT, MODEL_VERSION, ModelInfo, load_model, params_from_safetensors, params_to_safetensors,
    save_model,
};
pub use plot::{register_font as register_plot_font, write_curves};
