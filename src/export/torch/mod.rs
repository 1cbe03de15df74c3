//! A trained model as a PyTorch folder: `model.py` (an `nn.Module` with the same layers and
//! activations, the table's preprocessing as plain Python constants and one function, and
//! `load()`), the weights as `model.safetensors` beside it, and a three-line README. The code is
//! written to be read and edited: one constant per column, one loop per step.

use std::fmt::Write;

use crate::error::Result;
use crate::io::ModelInfo;

mod layers;
mod table;

/// The files of the folder: (name, contents).
pub fn export(info: &ModelInfo, weights: Vec<u8>) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let model_py = model_py(info)?;
    let rows = match info.image {
        Some(_) => "ROWS a list of image files",
        None => "ROWS a list of dicts of the CSV's cells (csv.DictReader)",
    };
    let readme = format!(
        "Predict: python3 -c \"import model; print(model.predict(ROWS))\", {rows}.\n\
Continue training: net = model.load(); net.train(); opt = torch.optim.AdamW(net.parameters()); loss = model.loss(net(model.encode(rows)), targets); loss.backward(); opt.step().\n\
On many machines: wrap model.load() in torch.nn.parallel.DistributedDataParallel after torch.distributed.init_process_group, as for any nn.Module.\n"
    );
    Ok(vec![
        ("model.py", model_py.into_bytes()),
        ("model.safetensors", weights),
        ("README.txt", readme.as_bytes().to_vec()),
    ])
}

/// A Python literal for a string.
pub(super) fn py(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

pub(super) fn py_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| py(s)).collect::<Vec<_>>().join(", "))
}

/// `model.py`: the docstring, the constants (classes, the table's columns or the image's
/// shape), the network's class, `load()`, `encode()`, `predict()` and `loss()`.
fn model_py(info: &ModelInfo) -> Result<String> {
    let arch = &info.architecture;
    let mlp = arch.as_mlp();
    let (what, class) = match &mlp {
        Some(m) => (format!("An MLP {}", m.sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("-")), "MLP"),
        None => (format!("A {}-layer", arch.layers.len()), "Net"),
    };
    let network = match &mlp {
        Some(m) => layers::mlp_class(m),
        None => layers::net_class(arch)?,
    };
    let mut out = String::new();
    let task = if info.classes.is_some() { "classifier" } else { "regressor" };
    let inputs = match info.image {
        Some(_) => "image files (paths; Pillow reads them) or rows of pixels",
        None => "rows of the training file's cells (dicts of strings, as csv.DictReader gives them)",
    };
    let _ = writeln!(
        out,
        "\"\"\"{what} {task} trained by backprop {}, as a PyTorch module.\n\n\
         model.load() gives the network with its trained weights (model.safetensors, beside this file).\n\
         model.encode(rows) turns {inputs}\n\
         into its input, exactly as backprop does; model.predict(rows) does both and returns the\n\
         predictions. Edit freely: it is plain PyTorch.\n\"\"\"\n",
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
    match (&info.table, info.image) {
        (Some(table), _) => {
            let _ = writeln!(out, "IMAGE = None  # a table");
            table::write_table(&mut out, table)
        }
        (None, image) => {
            let image = match image {
                Some([c, h, w]) => format!("({c}, {h}, {w})  # channels, height, width"),
                None => "None".to_string(),
            };
            let _ = writeln!(
                out,
                "COLUMNS = None  # images: encode() takes files, or rows of {} numbers in [0, 1] as they are\n\
                 IMAGE = {image}\nMISSING = []\nTARGET_MEAN, TARGET_STD = 0.0, 1.0",
                arch.input_numel()
            );
        }
    }
    let _ = write!(
        out,
        r#"

{network}

def load(directory=HERE):
    """The trained network, in evaluation mode (call .train() to go on training)."""
    net = {class}()
    state = load_file(os.path.join(directory, "model.safetensors"))
    # PyTorch counts batch normalisation's steps (num_batches_tracked); backprop keeps no count.
    for name, value in net.state_dict().items():
        if name.endswith("num_batches_tracked"):
            state.setdefault(name, value)
    net.load_state_dict(state)  # strict: every name and shape as PyTorch's
    return net.eval()


def _image(path):
    """One image file's pixels as backprop reads them: gray or RGB by the model's channels,
    resized to its size (bilinear), scaled to [0, 1], channel by channel."""
    import numpy as np
    from PIL import Image

    channels, height, width = IMAGE
    image = Image.open(path).convert("L" if channels == 1 else "RGB")
    if image.size != (width, height):
        image = image.resize((width, height), Image.BILINEAR)
    array = np.asarray(image, np.float32) / 255.0
    return (array if channels == 1 else array.transpose(2, 0, 1)).reshape(-1)


def _number(cell):
    cell = cell.strip()
    return math.nan if cell in MISSING else float(cell)


def encode(rows):
    """The network's input for rows of cells (dicts of strings by column name)."""
    if COLUMNS is None:
        if IMAGE is not None and rows and isinstance(rows[0], (str, os.PathLike)):
            import numpy as np

            return torch.tensor(np.stack([_image(path) for path in rows]))
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
                scaled = ((column["median"] if missing else x) - column["mean"]) / column["std"]
                # clip: x / sqrt(1 + (x/3)^2), an outlier kept within +-3
                features.append(scaled / math.sqrt(1.0 + (scaled / 3.0) ** 2) if column["clip"] else scaled)
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
    );
    Ok(out)
}
