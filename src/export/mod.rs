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

/// The model as an MLP, which is what the PyTorch export writes for now; a network with other
/// layers (convolutions, pooling, batch normalisation) is refused with its layers named (ONNX
/// takes it).
pub(crate) fn mlp_of(info: &crate::io::ModelInfo) -> crate::Result<crate::nn::MlpSpec> {
    info.architecture.as_mlp().ok_or_else(|| {
        crate::Error::invalid(format!(
            "the PyTorch export writes MLPs (dense layers and activations) so far; this model is `{}` (--format \
             onnx exports it)",
            info.architecture.spec()
        ))
    })
}
