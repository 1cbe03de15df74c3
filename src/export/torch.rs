//! A trained model as a PyTorch folder: `model.py` (an `nn.Module` with the same layers and
//! activations, the table's preprocessing as plain Python constants and one function, and
//! `load()`), the weights as `model.safetensors` beside it, and a three-line README. The code is
//! written to be read and edited: one constant per column, one loop per step.

use std::fmt::Write;

use crate::data::table::{Encoding, TableSchema, spellings};
use crate::error::Result;
use crate::io::ModelInfo;
use crate::nn::Activation;

/// The files of the folder: (name, contents).
pub fn export(info: &ModelInfo, weights: Vec<u8>) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let model_py = model_py(info, &super::mlp_of(info)?);
    let readme = "Predict: python3 -c \"import model; print(model.predict(ROWS))\", ROWS a list of dicts of the CSV's cells (csv.DictReader).\n\
Continue training: net = model.load(); net.train(); opt = torch.optim.AdamW(net.parameters()); loss = model.loss(net(model.encode(rows)), targets); loss.backward(); opt.step().\n\
On many machines: wrap model.load() in torch.nn.parallel.DistributedDataParallel after torch.distributed.init_process_group, as for any nn.Module.\n";
    Ok(vec![
        ("model.py", model_py.into_bytes()),
        ("model.safetensors", weights),
        ("README.txt", readme.as_bytes().to_vec()),
    ])
}

/// A Python literal for a string.
fn py(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn py_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| py(s)).collect::<Vec<_>>().join(", "))
}

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

fn model_py(info: &ModelInfo, arch: &crate::nn::MlpSpec) -> String {
    let mut out = String::new();
    let task = if info.classes.is_some() { "classifier" } else { "regressor" };
    let sizes: Vec<String> = arch.sizes.iter().map(|s| s.to_string()).collect();
    let _ = writeln!(
        out,
        "\"\"\"An MLP {} {task} trained by backprop {}, as a PyTorch module.\n\n\
         model.load() gives the network with its trained weights (model.safetensors, beside this file);\n\
         model.encode(rows) turns rows of the training file's cells (dicts of strings, as csv.DictReader\n\
         gives them) into its input, exactly as backprop does; model.predict(rows) does both and\n\
         returns the predictions. Edit freely: it is plain PyTorch.\n\"\"\"\n",
        sizes.join("-"),
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        out,
        "import math\nimport os\n\nimport torch\nimport torch.nn.functional as F\nfrom safetensors.torch import load_file\nfrom torch import nn\n"
    );
    let _ = writeln!(out, "HERE = os.path.dirname(os.path.abspath(__file__))");
    match &info.classes {
        Some(c) => {
            let _ = writeln!(out, "CLASSES = {}", py_list(c));
        }
        None => {
            let _ = writeln!(out, "CLASSES = None  # regression");
        }
    }
    match &info.table {
        Some(table) => write_table(&mut out, table),
        None => {
            let _ = writeln!(
                out,
                "COLUMNS = None  # images: encode() takes rows of {} floats as they are\nMISSING = []\nTARGET_MEAN, TARGET_STD = 0.0, 1.0\n",
                arch.sizes[0]
            );
        }
    }
    let hidden = call(arch.activation);
    let output = call(arch.output);
    let layers: Vec<String> = arch.sizes.windows(2).map(|w| format!("nn.Linear({}, {})", w[0], w[1])).collect();
    let layers = layers.join(", ");
    let _ = write!(
        out,
        r#"

class MLP(nn.Module):
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


def load(directory=HERE):
    """The trained network, in evaluation mode (call .train() to go on training)."""
    net = MLP()
    net.load_state_dict(load_file(os.path.join(directory, "model.safetensors")))
    return net.eval()


def _number(cell):
    cell = cell.strip()
    return math.nan if cell in MISSING else float(cell)


def encode(rows):
    """The network's input for rows of cells (dicts of strings by column name)."""
    if COLUMNS is None:
        return torch.tensor(rows, dtype=torch.float32)
    encoded = []
    for row in rows:
        features = []
        for column in COLUMNS:
            name, kind = column["name"], column["kind"]
            cell = row[name].strip()
            if kind == "numeric":
                x = _number(cell)
                missing = math.isnan(x)
                features.append(((column["median"] if missing else x) - column["mean"]) / column["std"])
                if column["missing_indicator"]:
                    features.append(1.0 if missing else 0.0)
            elif kind == "boolean":
                if cell in column["true"]:
                    value = 1.0
                elif cell in column["false"]:
                    value = 0.0
                else:
                    value = None
                    if column["numbers"] and cell not in MISSING:
                        x = float(cell)
                        value = 1.0 if x == 1.0 else 0.0 if x == 0.0 else None
                features.append(column["fill"] if value is None else value)
                if column["missing_indicator"]:
                    features.append(1.0 if value is None else 0.0)
            else:  # categorical: one-hot; rare and unseen values share "other", if there is one
                slots = [0.0] * column["width"]
                if cell in MISSING:
                    slot = column["missing_slot"]
                elif cell in column["categories"]:
                    slot = column["categories"].index(cell)
                else:
                    slot = column["other_slot"]
                if slot is not None:
                    slots[slot] = 1.0
                features.extend(slots)
        encoded.append(features)
    return torch.tensor(encoded, dtype=torch.float32)


def predict(rows, net=None):
    """Class names and probabilities, or values in the target's units."""
    net = net or load()
    with torch.no_grad():
        out = net(encode(rows))
    if CLASSES is None:
        return (out * TARGET_STD + TARGET_MEAN).tolist()
    probabilities = torch.softmax(out, dim=1)
    return [CLASSES[i] for i in probabilities.argmax(dim=1).tolist()], probabilities.tolist()


def loss(out, targets):
    """The loss backprop trained with: cross-entropy of class indices, or MSE of standardised
    values ((y - TARGET_MEAN) / TARGET_STD)."""
    if CLASSES is None:
        return F.mse_loss(out, targets)
    return F.cross_entropy(out, targets)
"#,
        dropout = arch.dropout,
    );
    out
}

/// The table's preprocessing as constants: one dict per column.
fn write_table(out: &mut String, table: &TableSchema) {
    let _ = writeln!(out, "MISSING = {}  # cells read as missing", py_list(&table.missing_markers));
    let scale = table.target_scale.map_or((0.0, 1.0), |s| (s.mean, s.std));
    let _ =
        writeln!(out, "TARGET_MEAN, TARGET_STD = {:?}, {:?}  # regression targets were standardised", scale.0, scale.1);
    let _ = writeln!(out, "COLUMNS = [");
    for column in &table.columns {
        let name = py(&column.name);
        let line = match &column.encoding {
            Encoding::Numeric { median, scale, missing_indicator } => format!(
                "{{\"name\": {name}, \"kind\": \"numeric\", \"median\": {}, \"mean\": {:?}, \"std\": {:?}, \"missing_indicator\": {}}}",
                median,
                scale.mean,
                scale.std,
                if *missing_indicator { "True" } else { "False" }
            ),
            Encoding::Boolean { true_value, false_value, fill, missing_indicator } => format!(
                "{{\"name\": {name}, \"kind\": \"boolean\", \"true\": {}, \"false\": {}, \"numbers\": {}, \"fill\": {}, \"missing_indicator\": {}}}",
                py_list(&spellings(true_value)),
                py_list(&spellings(false_value)),
                if column.takes_numbers() { "True" } else { "False" },
                fill,
                if *missing_indicator { "True" } else { "False" }
            ),
            Encoding::Categorical { categories, rare, missing } => {
                let k = categories.len();
                let other = if rare.is_empty() { "None".to_string() } else { k.to_string() };
                let missing_slot =
                    if *missing { (k + usize::from(!rare.is_empty())).to_string() } else { "None".to_string() };
                format!(
                    "{{\"name\": {name}, \"kind\": \"categorical\", \"categories\": {}, \"other_slot\": {other}, \"missing_slot\": {missing_slot}, \"width\": {}}}",
                    py_list(categories),
                    column.width()
                )
            }
        };
        let _ = writeln!(out, "    {line},");
    }
    let _ = writeln!(out, "]");
}
