//! The network in `model.py`: an MLP as the compact `MLP` class (a list of `nn.Linear` and one
//! activation), any other stack of layers as `Net`, whose `forward` is written out one line per
//! layer of the architecture, each commented with the layer's own text and the shape it makes.
//! Either way the modules holding weights sit in `self.layers` in order, so their names are
//! the weights file's (`layers.{k}.weight`, `layers.{k}.running_mean`).

use std::fmt::Write;

use crate::error::Result;
use crate::nn::{Activation, Architecture, LayerSpec, MlpSpec, SampleShape};

/// The activation as a call on `x` in PyTorch.
fn call(activation: Activation) -> &'static str {
    match activation {
        Activation::Relu => "torch.relu(x)",
        Activation::Sigmoid => "torch.sigmoid(x)",
        Activation::Tanh => "torch.tanh(x)",
        Activation::LeakyRelu => "F.leaky_relu(x, 0.01)",
        Activation::Gelu => "F.gelu(x, approximate=\"tanh\")",
        Activation::Silu => "F.silu(x)",
        Activation::Linear => "x",
        Activation::Softmax => "torch.softmax(x, dim=1)",
    }
}

/// The `MLP` class: `nn.Linear` layers, the hidden activation and dropout between them.
pub(super) fn mlp_class(arch: &MlpSpec) -> String {
    let layers: Vec<String> = arch.sizes.windows(2).map(|w| format!("nn.Linear({}, {})", w[0], w[1])).collect();
    format!(
        r#"class MLP(nn.Module):
    """The layers as backprop trained them: names and shapes match model.safetensors
    (layers.i.weight [out, in], layers.i.bias [out])."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([{layers}])
        self.dropout = nn.Dropout({dropout})

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = self.dropout({hidden})
        return {output}
"#,
        layers = layers.join(", "),
        dropout = arch.dropout,
        hidden = call(arch.activation),
        output = call(arch.output),
    )
}

/// The `Net` class of any architecture: the weighted modules (`nn.Conv2d`, `nn.BatchNorm2d`
/// or `1d`, `nn.Linear`) in `self.layers`, and a `forward` that takes rows of numbers (an
/// image's pixels channel by channel, as `predict` reads them) and applies each layer in turn.
pub(super) fn net_class(arch: &Architecture) -> Result<String> {
    let rows = arch.rows()?;
    let mut modules = vec![];
    let mut forward = String::new();
    if let SampleShape::Image { channels, height, width } = arch.input_shape()? {
        let _ = writeln!(forward, "        x = x.reshape(-1, {channels}, {height}, {width})");
    }
    let mut shape = arch.input_shape()?;
    for row in &rows {
        let k = modules.len();
        let line = match row.layer {
            LayerSpec::Dense { units } => {
                modules.push(format!("nn.Linear({}, {units})", shape.numel()));
                format!("self.layers[{k}](x)")
            }
            LayerSpec::Conv { filters, kernel, stride, padding, dilation } => {
                let c = shape.channels();
                modules.push(format!(
                    "nn.Conv2d({c}, {filters}, {kernel}, stride={stride}, padding={padding}, dilation={dilation})"
                ));
                format!("self.layers[{k}](x)")
            }
            LayerSpec::BatchNorm => {
                let d = if matches!(shape, SampleShape::Flat(_)) { 1 } else { 2 };
                modules.push(format!("nn.BatchNorm{d}d({})", shape.channels()));
                format!("self.layers[{k}](x)")
            }
            LayerSpec::MaxPool { kernel, stride, padding } => {
                format!("F.max_pool2d(x, {kernel}, stride={stride}, padding={padding})")
            }
            LayerSpec::AvgPool { kernel, stride, padding } => {
                format!("F.avg_pool2d(x, {kernel}, stride={stride}, padding={padding}, count_include_pad=True)")
            }
            LayerSpec::Flatten => "torch.flatten(x, 1)".to_string(),
            LayerSpec::GlobalAvgPool => "x.mean(dim=(2, 3))".to_string(),
            LayerSpec::Activation(a) => call(a).to_string(),
            LayerSpec::Dropout { p } => format!("F.dropout(x, {p}, self.training)"),
        };
        let _ = writeln!(forward, "        x = {line}  # {}: {}", row.layer, row.output);
        shape = row.output;
    }
    let modules: String = modules.iter().map(|m| format!("            {m},\n")).collect();
    Ok(format!(
        r#"class Net(nn.Module):
    """The layers as backprop trained them, one line of forward() each:

        {spec}

    The modules with weights sit in self.layers in order, so their names and shapes match
    model.safetensors (layers.k.weight, layers.k.bias; batch normalisation's running_mean and
    running_var too)."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([
{modules}        ])

    def forward(self, x):
{forward}        return x
"#,
        spec = arch.spec(),
    ))
}
