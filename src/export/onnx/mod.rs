//! A trained model as one self-contained ONNX file: the table's preprocessing in the graph (one
//! input per CSV column: numeric columns as float, categorical and yes/no columns as string),
//! or an image model's rows of pixels, then the network (each layer as the op PyTorch's exporter
//! writes: `Gemm`, `Conv`, `MaxPool`, `AveragePool`, `BatchNormalization`, `Flatten`,
//! `GlobalAveragePool`, the activations), then `Softmax` and the class name for classification, or the value in the file's units for regression.
//!
//! Versions: IR 8 with the default domain at opset 17 and `ai.onnx.ml` at 2 — read by every
//! onnxruntime since 1.12 (2022) and by ONNX 1.12 and later. Opset 17 lacks a GELU op (it came
//! in 20), so GELU is written out in its tanh form from `Tanh`, `Mul` and `Add`; SiLU is
//! `x · Sigmoid(x)`.

mod proto;
mod table;

use prost::Message;
use proto::{
    AttributeProto, Dimension, DimensionValue, GraphProto, ModelProto, NodeProto, OperatorSetIdProto,
    StringStringEntryProto, TensorProto, TensorShapeProto, TensorTypeProto, TypeProto, ValueInfoProto,
    attribute_type as at, data_type as dt,
};

use crate::autograd::ParamStore;
use crate::error::{Error, Result};
use crate::io::ModelInfo;
use crate::nn::{Activation, BATCH_NORM_EPS, LayerSpec};

pub const IR_VERSION: i64 = 8;
pub const OPSET: i64 = 17;
pub const ML_OPSET: i64 = 2;
const ML: &str = "ai.onnx.ml";

/// The ONNX bytes of a model: its description, its weights, and `metadata` (key, value) pairs
/// to carry along (class names, features and version are added here).
pub fn export(info: &ModelInfo, params: &ParamStore<f32>, metadata: &[(String, String)]) -> Result<Vec<u8>> {
    let mut g = Graph::default();
    let features = match &info.table {
        Some(table) => table::preprocessing(&mut g, table)?,
        None => {
            let width = info.architecture.input_numel() as i64;
            g.input("input", dt::FLOAT, width);
            "input".to_string()
        }
    };
    let logits = network(&mut g, info, params, &features)?;
    match &info.classes {
        Some(classes) => {
            let p = g.node("Softmax", &[&logits], vec![attr_i("axis", 1)], "probabilities");
            let index = g.node("ArgMax", &[&p], vec![attr_i("axis", 1), attr_i("keepdims", 0)], "class_index");
            let keys: Vec<i64> = (0..classes.len() as i64).collect();
            let attrs = vec![
                attr_ints("keys_int64s", &keys),
                attr_strings("values_strings", classes),
                attr_s("default_string", ""),
            ];
            g.ml_node("LabelEncoder", &[&index], attrs, "label");
            g.output("label", dt::STRING, None);
            g.output("probabilities", dt::FLOAT, Some(classes.len() as i64));
        }
        None => {
            let scale = info.table.as_ref().and_then(|t| t.target_scale);
            let outputs = info.architecture.outputs() as i64;
            match scale {
                Some(s) => {
                    let std = g.floats("target_std", &[1], &[s.std as f32]);
                    let mean = g.floats("target_mean", &[1], &[s.mean as f32]);
                    let scaled = g.node("Mul", &[&logits, &std], vec![], "scaled");
                    g.node("Add", &[&scaled, &mean], vec![], "label");
                }
                None => {
                    g.node("Identity", &[&logits], vec![], "label");
                }
            }
            g.output("label", dt::FLOAT, Some(outputs));
        }
    }
    let mut props = vec![
        ("backprop_version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        ("features".to_string(), serde_json::to_string(&info.features).unwrap_or_default()),
    ];
    if let Some(classes) = &info.classes {
        props.push(("classes".to_string(), serde_json::to_string(classes).unwrap_or_default()));
    }
    props.extend(metadata.iter().cloned());
    let model = ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![
            OperatorSetIdProto { domain: String::new(), version: OPSET },
            OperatorSetIdProto { domain: ML.to_string(), version: ML_OPSET },
        ],
        producer_name: "backprop".to_string(),
        producer_version: env!("CARGO_PKG_VERSION").to_string(),
        doc_string: "Exported by `backprop export`: inputs are the training file's columns.".to_string(),
        graph: Some(GraphProto {
            node: g.nodes,
            name: "backprop".to_string(),
            initializer: g.initializers,
            doc_string: String::new(),
            input: g.inputs,
            output: g.outputs,
        }),
        metadata_props: props.into_iter().map(|(key, value)| StringStringEntryProto { key, value }).collect(),
    };
    Ok(model.encode_to_vec())
}

/// The graph as it is built: nodes in order (a topological order), constants, inputs, outputs.
#[derive(Default)]
struct Graph {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
}

impl Graph {
    /// Appends a node of the default domain with one output named `out`; returns the name.
    fn node(&mut self, op: &str, inputs: &[&str], attribute: Vec<AttributeProto>, out: &str) -> String {
        self.push(op, "", inputs, attribute, out)
    }

    /// A node of the `ai.onnx.ml` domain.
    fn ml_node(&mut self, op: &str, inputs: &[&str], attribute: Vec<AttributeProto>, out: &str) -> String {
        self.push(op, ML, inputs, attribute, out)
    }

    fn push(&mut self, op: &str, domain: &str, inputs: &[&str], attribute: Vec<AttributeProto>, out: &str) -> String {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![out.to_string()],
            name: format!("{op}_{}", self.nodes.len()),
            op_type: op.to_string(),
            domain: domain.to_string(),
            attribute,
        });
        out.to_string()
    }

    /// A float constant.
    fn floats(&mut self, name: &str, dims: &[i64], data: &[f32]) -> String {
        let raw = data.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.initializers.push(TensorProto {
            dims: dims.to_vec(),
            data_type: dt::FLOAT,
            name: name.to_string(),
            raw_data: raw,
            ..TensorProto::default()
        });
        name.to_string()
    }

    /// An int64 constant.
    fn ints(&mut self, name: &str, dims: &[i64], data: &[i64]) -> String {
        self.initializers.push(TensorProto {
            dims: dims.to_vec(),
            data_type: dt::INT64,
            name: name.to_string(),
            int64_data: data.to_vec(),
            ..TensorProto::default()
        });
        name.to_string()
    }

    /// An input of shape [N, width] (N symbolic).
    fn input(&mut self, name: &str, elem_type: i32, width: i64) {
        self.inputs.push(value_info(name, elem_type, Some(width)));
    }

    /// An output of shape [N] or [N, width].
    fn output(&mut self, name: &str, elem_type: i32, width: Option<i64>) {
        self.outputs.push(value_info(name, elem_type, width));
    }
}

fn value_info(name: &str, elem_type: i32, width: Option<i64>) -> ValueInfoProto {
    let mut dim = vec![Dimension { value: Some(DimensionValue::DimParam("N".to_string())) }];
    if let Some(w) = width {
        dim.push(Dimension { value: Some(DimensionValue::DimValue(w)) });
    }
    let shape = Some(TensorShapeProto { dim });
    ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto { tensor_type: Some(TensorTypeProto { elem_type, shape }) }),
        doc_string: String::new(),
    }
}

fn attr(name: &str, r#type: i32) -> AttributeProto {
    AttributeProto { name: name.to_string(), r#type, ..AttributeProto::default() }
}

fn attr_i(name: &str, i: i64) -> AttributeProto {
    AttributeProto { i: Some(i), ..attr(name, at::INT) }
}

fn attr_f(name: &str, f: f32) -> AttributeProto {
    AttributeProto { f: Some(f), ..attr(name, at::FLOAT) }
}

fn attr_s(name: &str, s: &str) -> AttributeProto {
    AttributeProto { s: Some(s.as_bytes().to_vec()), ..attr(name, at::STRING) }
}

fn attr_ints(name: &str, ints: &[i64]) -> AttributeProto {
    AttributeProto { ints: ints.to_vec(), ..attr(name, at::INTS) }
}

fn attr_floats(name: &str, floats: &[f32]) -> AttributeProto {
    AttributeProto { floats: floats.to_vec(), ..attr(name, at::FLOATS) }
}

fn attr_strings(name: &str, strings: &[String]) -> AttributeProto {
    AttributeProto { strings: strings.iter().map(|s| s.as_bytes().to_vec()).collect(), ..attr(name, at::STRINGS) }
}

/// The layers, each as the ONNX op PyTorch's exporter writes for it: `Gemm` (transB = 1: the
/// weights are PyTorch's [out, in]), `Conv`, `MaxPool`, `AveragePool` (padding counted),
/// `BatchNormalization` (running statistics), `Flatten`, `GlobalAveragePool`, and each
/// activation; dropout is the identity. An image model's input, rows of pixels as `predict`
/// reads them, is first reshaped to [N, channels, height, width].
fn network(g: &mut Graph, info: &ModelInfo, params: &ParamStore<f32>, input: &str) -> Result<String> {
    let arch = &info.architecture;
    let mut h = input.to_string();
    if let [c, height, width] = arch.input[..] {
        let shape = g.ints("image_shape", &[4], &[-1, c as i64, height as i64, width as i64]);
        h = g.node("Reshape", &[&h, &shape], vec![], "image");
    }
    let mut k = 0;
    for (i, layer) in arch.layers.iter().enumerate() {
        let at = format!("layer{i}");
        let mut tensor = |suffix: &str| -> Result<String> {
            let name = format!("layers.{k}.{suffix}");
            let t = params
                .id(&name)
                .map(|id| params.get(id))
                .ok_or_else(|| Error::invalid(format!("the model has no {name}: its weights do not fit its layers")))?;
            let dims: Vec<i64> = t.dims().iter().map(|&d| d as i64).collect();
            Ok(g.floats(&name, &dims, t.data()))
        };
        h = match *layer {
            LayerSpec::Dense { .. } => {
                let (w, b) = (tensor("weight")?, tensor("bias")?);
                g.node("Gemm", &[&h, &w, &b], vec![attr_i("transB", 1)], &format!("{at}_net"))
            }
            LayerSpec::Conv { kernel, stride, padding, dilation, .. } => {
                let (w, b) = (tensor("weight")?, tensor("bias")?);
                let attrs = vec![
                    attr_ints("kernel_shape", &[kernel as i64; 2]),
                    attr_ints("strides", &[stride as i64; 2]),
                    attr_ints("pads", &[padding as i64; 4]),
                    attr_ints("dilations", &[dilation as i64; 2]),
                ];
                g.node("Conv", &[&h, &w, &b], attrs, &format!("{at}_net"))
            }
            LayerSpec::MaxPool { kernel, stride, padding } | LayerSpec::AvgPool { kernel, stride, padding } => {
                let mut attrs = vec![
                    attr_ints("kernel_shape", &[kernel as i64; 2]),
                    attr_ints("strides", &[stride as i64; 2]),
                    attr_ints("pads", &[padding as i64; 4]),
                ];
                let op = match layer {
                    LayerSpec::MaxPool { .. } => "MaxPool",
                    _ => {
                        attrs.push(attr_i("count_include_pad", 1));
                        "AveragePool"
                    }
                };
                g.node(op, &[&h], attrs, &format!("{at}_out"))
            }
            LayerSpec::BatchNorm => {
                let [scale, bias, mean, var] =
                    [tensor("weight")?, tensor("bias")?, tensor("running_mean")?, tensor("running_var")?];
                let attrs = vec![attr_f("epsilon", BATCH_NORM_EPS as f32)];
                g.node("BatchNormalization", &[&h, &scale, &bias, &mean, &var], attrs, &format!("{at}_out"))
            }
            LayerSpec::Flatten => g.node("Flatten", &[&h], vec![attr_i("axis", 1)], &format!("{at}_out")),
            LayerSpec::GlobalAvgPool => {
                let pooled = g.node("GlobalAveragePool", &[&h], vec![], &format!("{at}_pooled"));
                g.node("Flatten", &[&pooled], vec![attr_i("axis", 1)], &format!("{at}_out"))
            }
            LayerSpec::Activation(a) => activate(g, a, &h, &at),
            LayerSpec::Dropout { .. } => h,
        };
        if layer.has_parameters() {
            k += 1;
        }
    }
    Ok(h)
}

/// `x` through `activation`, as ONNX ops.
fn activate(g: &mut Graph, activation: Activation, x: &str, at: &str) -> String {
    let out = format!("{at}_out");
    match activation {
        Activation::Linear => x.to_string(),
        Activation::Relu => g.node("Relu", &[x], vec![], &out),
        Activation::Sigmoid => g.node("Sigmoid", &[x], vec![], &out),
        Activation::Tanh => g.node("Tanh", &[x], vec![], &out),
        Activation::LeakyRelu => g.node("LeakyRelu", &[x], vec![attr_f("alpha", Activation::LEAKY_SLOPE as f32)], &out),
        Activation::Softmax => g.node("Softmax", &[x], vec![attr_i("axis", 1)], &out),
        Activation::Silu => {
            let s = g.node("Sigmoid", &[x], vec![], &format!("{at}_sigmoid"));
            g.node("Mul", &[x, &s], vec![], &out)
        }
        Activation::Gelu => {
            // ½x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), the library's tanh form.
            let n = |what: &str| format!("{at}_{what}");
            let c = g.floats(&n("c"), &[1], &[(2.0 / std::f64::consts::PI).sqrt() as f32]);
            let k = g.floats(&n("k"), &[1], &[0.044715]);
            let one = g.floats(&n("one"), &[1], &[1.0]);
            let half = g.floats(&n("half"), &[1], &[0.5]);
            let x2 = g.node("Mul", &[x, x], vec![], &n("x2"));
            let x3 = g.node("Mul", &[&x2, x], vec![], &n("x3"));
            let kx3 = g.node("Mul", &[&k, &x3], vec![], &n("kx3"));
            let inner = g.node("Add", &[x, &kx3], vec![], &n("inner"));
            let scaled = g.node("Mul", &[&c, &inner], vec![], &n("scaled"));
            let t = g.node("Tanh", &[&scaled], vec![], &n("tanh"));
            let one_t = g.node("Add", &[&one, &t], vec![], &n("one_plus_t"));
            let hx = g.node("Mul", &[&half, x], vec![], &n("half_x"));
            g.node("Mul", &[&hx, &one_t], vec![], &out)
        }
    }
}
