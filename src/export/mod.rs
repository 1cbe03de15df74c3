//! Models that leave: a trained model directory as one ONNX file ([`onnx`]) with its table
//! preprocessing in the graph, or as a PyTorch folder ([`torch`]) to go on training.

pub mod onnx;
pub mod torch;

/// What `backprop export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    /// One self-contained `.onnx` file for onnxruntime.
    Onnx,
    /// A folder: `model.py` (an `nn.Module`, the preprocessing, `load()`), the weights, a README.
    Torch,
}
