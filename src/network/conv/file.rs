//! A convolutional network written down for `explain`: an image, targets, and the layers in the
//! `--layers` words, those with weights as objects beside their numbers in PyTorch's layout:
//!
//! ```json
//! { "input": [[0.1, 0.5, 0.9, 0.2, 0.0], …],
//!   "targets": [0.01, 0.99],
//!   "layers": [ {"layer": "conv 1 3", "weight": [[1, 0, -1], [1, 0, -1], [1, 0, -1]], "bias": [0.1]},
//!               "relu", "maxpool 2",
//!               {"layer": "dense 2", "weight": [[0.3], [-0.2]], "bias": [0.1, 0.1]}, "sigmoid" ],
//!   "loss": "half-sse", "learning_rate": 0.5 }
//! ```
//!
//! The input is one channel's rows, or [channels][rows][columns]; a convolution's weight is
//! [filters][channels][k][k], or one k×k kernel when it has one filter on one channel. Every
//! fault is an error naming its field (`layers[0].weight[1][2]`).

use serde_json::Value;

use super::ConvNetwork;
use crate::autograd::ParamStore;
use crate::loss::Loss;
use crate::network::TargetsFile;
use crate::network::file::targets_for;
use crate::nn::{Activation, Architecture, LayerSpec, SampleShape, Sequential};
use crate::tensor::Tensor;

/// The most numbers `explain` writes out for any one map of a convolutional network (the
/// input, or a layer's outputs): each is a line of the derivation.
pub const MAX_INPUT_NUMBERS: usize = 1024;

/// The most products all of a network's sums may hold (each written out twice, as symbols and
/// as numbers, for the forward pass and again for the gradients): the example has 152.
pub const MAX_PRODUCTS: usize = 100_000;

type Fault = (String, String);

fn fault<T>(field: impl Into<String>, message: impl Into<String>) -> Result<T, Fault> {
    Err((field.into(), message.into()))
}

/// Whether a network file's layers are written in the `--layers` words (a string, or an object
/// with a `layer` field): the convolutional form, as opposed to the lecture's dense one.
pub fn is_layered(file: &Value) -> bool {
    file["layers"].as_array().is_some_and(|layers| layers.iter().any(|l| l.is_string() || l.get("layer").is_some()))
}

/// Whether the network file at `path` is in the convolutional form (see [`is_layered`]); a file
/// that is not JSON is left for the reader that names its line.
pub fn is_layered_file(path: &std::path::Path) -> crate::Result<bool> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path, e))?;
    Ok(serde_json::from_str::<Value>(&text).is_ok_and(|v| is_layered(&v)))
}

/// A nested array of numbers of `depth` levels, rectangular and finite: its dims and values.
fn numbers(value: &Value, depth: usize, field: &str) -> Result<(Vec<usize>, Vec<f64>), Fault> {
    if depth == 0 {
        return match value.as_f64() {
            Some(x) if x.is_finite() => Ok((vec![], vec![x])),
            _ => fault(field, format!("{value} is not a number")),
        };
    }
    let Some(items) = value.as_array() else {
        return fault(field, format!("a list nested {depth} deep is needed here, not {value}"));
    };
    if items.is_empty() {
        return fault(field, "an empty list");
    }
    let (mut dims, mut data) = (None::<Vec<usize>>, vec![]);
    for (i, item) in items.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let (d, values) = numbers(item, depth - 1, &at)?;
        match &dims {
            Some(first) if *first != d => {
                return fault(at, format!("{} numbers where the first has {}", shape_text(&d), shape_text(first)));
            }
            Some(_) => {}
            None => dims = Some(d),
        }
        data.extend(values);
    }
    let mut dims = dims.expect("not empty");
    dims.insert(0, items.len());
    Ok((dims, data))
}

fn shape_text(dims: &[usize]) -> String {
    if dims.is_empty() { "1".into() } else { dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("×") }
}

/// The nesting depth of a list's first elements (how many `[` open it).
fn depth_of(value: &Value) -> usize {
    match value.as_array().and_then(|a| a.first()) {
        Some(first) => 1 + depth_of(first),
        None => usize::from(value.is_array()),
    }
}

/// Reads the convolutional form of a network file (see the module's doc) into a checked
/// network; errors are (field, message).
pub fn parse(file: &Value) -> Result<ConvNetwork, Fault> {
    let Some(object) = file.as_object() else { return fault("", "a network file is one JSON object") };
    const FIELDS: [&str; 6] = ["input", "targets", "layers", "loss", "learning_rate", "update_biases"];
    if let Some(extra) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return fault(extra.clone(), format!("unknown field; a convolutional network has {}", FIELDS.join(", ")));
    }
    let input_value = file.get("input").ok_or(("input".to_string(), "the input image is missing".to_string()))?;
    let (mut dims, pixels) = match depth_of(input_value) {
        2 => numbers(input_value, 2, "input").map(|(d, v)| ([vec![1], d].concat(), v))?,
        3 => numbers(input_value, 3, "input")?,
        _ => return fault("input", "an image is rows of numbers ([[…], …]) or channels of them ([[[…], …], …])"),
    };
    if pixels.len() > MAX_INPUT_NUMBERS {
        return fault(
            "input",
            format!("{} numbers is more than explain writes out ({MAX_INPUT_NUMBERS})", pixels.len()),
        );
    }
    let loss: Loss = serde_json::from_value(file.get("loss").cloned().unwrap_or(Value::Null))
        .map_err(|e| ("loss".to_string(), e.to_string()))?;
    let learning_rate = file.get("learning_rate").and_then(Value::as_f64).unwrap_or(f64::NAN);
    if !(learning_rate.is_finite() && learning_rate >= 0.0) {
        return fault("learning_rate", "a non-negative number is needed");
    }
    let update_biases = match file.get("update_biases") {
        None => false,
        Some(v) => v.as_bool().ok_or(("update_biases".to_string(), "true or false".to_string()))?,
    };
    let Some(entries) = file.get("layers").and_then(Value::as_array).filter(|l| !l.is_empty()) else {
        return fault("layers", "a list of at least one layer is needed");
    };

    // The layers, with a flatten wherever a dense layer meets an image, and their weights.
    let mut shape = SampleShape::of(&dims).expect("three dims");
    let mut layers = vec![];
    let mut store = ParamStore::new();
    let mut products = 0usize;
    for (i, entry) in entries.iter().enumerate() {
        let field = format!("layers[{i}]");
        let text = entry.as_str().or_else(|| entry.get("layer").and_then(Value::as_str));
        let Some(text) = text else {
            return fault(
                field,
                "a layer is its text (\"relu\") or {\"layer\": \"conv 1 3\", \"weight\": …, \"bias\": …}",
            );
        };
        // Softmax is an output activation, which `--layers` leaves to the loss; here it is written.
        let layer = match text.trim() {
            "softmax" if i + 1 == entries.len() => LayerSpec::Activation(Activation::Softmax),
            _ => crate::nn::syntax::parse_layer(text).map_err(|e| (field.clone(), e.plain()))?,
        };
        match layer {
            LayerSpec::BatchNorm | LayerSpec::Dropout { .. } => {
                return fault(
                    field,
                    format!("explain writes out convolutions, pools, dense layers and activations, not `{layer}`"),
                );
            }
            LayerSpec::Activation(a) if !a.is_elementwise() && i + 1 != entries.len() => {
                return fault(field, "softmax only as the last layer");
            }
            LayerSpec::Dense { .. } if matches!(shape, SampleShape::Image { .. }) => {
                layers.push(LayerSpec::Flatten);
                shape = SampleShape::Flat(shape.numel());
            }
            _ => {}
        }
        if let Some(object) = entry.as_object()
            && let Some(extra) = object.keys().find(|k| !["layer", "weight", "bias"].contains(&k.as_str()))
        {
            return fault(format!("{field}.{extra}"), "unknown field; a layer has layer, weight and bias");
        }
        let output = layer.output(shape).map_err(|why| (field.clone(), format!("`{layer}` {why}")))?;
        if output.dims().contains(&0) {
            return fault(field, format!("`{layer}` leaves nothing ({output})"));
        }
        if output.numel() > MAX_INPUT_NUMBERS {
            let n = output.numel();
            return fault(
                field,
                format!(
                    "`{layer}` makes {n} numbers ({output}), more than explain writes out for one layer ({MAX_INPUT_NUMBERS})"
                ),
            );
        }
        products = products.saturating_add(match layer {
            LayerSpec::Conv { kernel, .. } => output.numel().saturating_mul(shape.channels() * kernel * kernel),
            LayerSpec::Dense { units } => units.saturating_mul(shape.numel()),
            _ => 0,
        });
        if products > MAX_PRODUCTS {
            return fault(
                field,
                format!(
                    "the sums up to `{layer}` hold more than {MAX_PRODUCTS} products, more than explain writes out"
                ),
            );
        }
        let expected = layer.parameters(shape);
        if expected.is_empty() && entry.is_object() && (entry.get("weight").is_some() || entry.get("bias").is_some()) {
            return fault(field, format!("`{layer}` has no weights"));
        }
        for (suffix, want, _) in &expected {
            let at = format!("{field}.{suffix}");
            let Some(value) = entry.get(*suffix) else {
                return fault(at, format!("`{layer}` needs its {suffix}, {} numbers", shape_text(want)));
            };
            // One kernel may stand for [1][1][k][k].
            let depth =
                if want.len() == 4 && want[0] == 1 && want[1] == 1 && depth_of(value) == 2 { 2 } else { want.len() };
            if depth_of(value) != depth {
                let layout =
                    if want.len() == 4 { " ([filters][channels][rows][columns])" } else { " ([units][inputs])" };
                let why = format!(
                    "`{layer}` on {shape} needs {} numbers{layout}, not a list nested {} deep",
                    shape_text(want),
                    depth_of(value)
                );
                return fault(at, why);
            }
            let (got, data) = numbers(value, depth, &at)?;
            let got = if depth == want.len() { got } else { [vec![1, 1], got].concat() };
            if got != *want {
                return fault(
                    at,
                    format!("{} numbers, but `{layer}` on {shape} needs {}", shape_text(&got), shape_text(want)),
                );
            }
            let k = layers.iter().filter(|l: &&LayerSpec| l.has_parameters()).count();
            store.insert(format!("layers.{k}.{suffix}"), Tensor::new(data, &want[..]));
        }
        shape = output;
        layers.push(layer);
    }
    let architecture = Architecture { input: dims.clone(), layers };
    architecture.rows().map_err(|e| ("layers".to_string(), e.to_string()))?;
    let output = match architecture.layers.last() {
        Some(LayerSpec::Activation(a)) => *a,
        _ => Activation::Linear,
    };
    let targets_file: TargetsFile = serde_json::from_value(file.get("targets").cloned().unwrap_or(Value::Null))
        .map_err(|_| ("targets".to_string(), "a list of numbers, or a class index".to_string()))?;
    let last = format!("layers[{}]", entries.len() - 1);
    let targets = targets_for(loss, output, &last, targets_file, architecture.outputs())?;
    let sequential =
        Sequential::from_store(&architecture, &store).map_err(|e| ("layers".to_string(), e.to_string()))?;
    dims.insert(0, 1);
    Ok(ConvNetwork {
        input: Tensor::new(pixels, &dims[..]),
        targets,
        sequential,
        params: store,
        loss,
        learning_rate,
        update_biases,
    })
}
