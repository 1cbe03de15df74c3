//! A model directory checked as a whole on load: `model.json`'s fields against each other and
//! against the weights — sizes, classes against outputs, the table schema against the features,
//! finite and positive scales, categories non-empty and unique, task against loss against the
//! output activation, the epochs — so that a file edited by hand (or by a bug) fails with one
//! line per fault naming the field, instead of panicking or predicting nonsense with exit 0.

use std::collections::HashSet;
use std::path::Path;

use crate::autograd::ParamStore;
use crate::data::table::Encoding;
use crate::data::{Scale, Task};
use crate::error::{Error, Result};
use crate::loss::Loss;
use crate::nn::{Activation, Architecture, LayerSpec};

use super::ModelInfo;

/// The faults found, each (field, message).
#[derive(Default)]
struct Faults(Vec<(String, String)>);

impl Faults {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push((field.into(), message.into()));
    }

    fn check(&mut self, ok: bool, field: impl Into<String>, message: impl FnOnce() -> String) {
        if !ok {
            self.add(field, message());
        }
    }

    /// A scale that divides: finite mean, finite std above zero.
    fn scale(&mut self, field: &str, s: &Scale) {
        self.check(s.mean.is_finite(), format!("{field}.mean"), || format!("{} is not a finite number", s.mean));
        self.check(s.std.is_finite() && s.std > 0.0, format!("{field}.std"), || {
            format!("{} is not a positive finite number (it divides every value)", s.std)
        });
    }

    /// Names that must be there and distinct.
    fn names(&mut self, field: &str, names: &[String]) {
        let mut seen = HashSet::new();
        for (i, n) in names.iter().enumerate() {
            self.check(!n.is_empty(), format!("{field}[{i}]"), || "an empty name".into());
            self.check(seen.insert(n), format!("{field}[{i}]"), || format!("{n:?} is listed twice"));
        }
    }
}

/// Checks `info` (read from `path`) against itself and against `params`.
pub fn check_model(path: &Path, info: &ModelInfo, params: &ParamStore<f32>) -> Result<()> {
    let mut f = Faults::default();
    let (inputs, outputs) = check_architecture(&mut f, &info.architecture);

    // The weights the architecture calls for, each finite.
    f.0.extend(non_finite_weights("model.safetensors: ", params));

    f.check(info.features.len() == inputs, "features", || {
        format!("{} names for the network's {inputs} inputs", info.features.len())
    });
    f.names("features", &info.features);
    f.check(info.weights_from_epoch <= info.epochs_trained, "weights_from_epoch", || {
        format!("epoch {} of {} trained", info.weights_from_epoch, info.epochs_trained)
    });

    // Task, loss, output activation and the output names agree.
    match info.task {
        Task::Classify => match &info.classes {
            None => f.add("classes", "a classifier needs its class names"),
            Some(classes) => {
                let fits = classes.len() == outputs || (info.loss == Loss::Bce && outputs == 1 && classes.len() == 2);
                f.check(fits, "classes", || format!("{} classes for {outputs} outputs", classes.len()));
                f.check(classes.len() >= 2, "classes", || "a classifier has two classes at least".into());
                f.names("classes", classes);
            }
        },
        Task::Regress => {
            f.check(!matches!(info.loss, Loss::CrossEntropy | Loss::Bce), "loss", || {
                format!("{} is a classification loss, but the task is regress", info.loss)
            });
            f.check(info.classes.is_none(), "classes", || "a regression has no classes".into());
            if let Some(names) = &info.outputs {
                f.check(names.len() == outputs, "outputs", || format!("{} names for {outputs} outputs", names.len()));
            }
        }
    }
    if let Some(table) = &info.table {
        check_table(&mut f, info, table);
    }

    refuse(path, "edited by hand, or not written by backprop?", &f.0)
}

/// The architecture's faults, and its (inputs, outputs). An MLP's are named by the fields of
/// its form in the file (`architecture.sizes`, `.dropout`, `.activation`, `.output`), any
/// other network's by layer (`architecture.layers[3]`).
fn check_architecture(f: &mut Faults, a: &Architecture) -> (usize, usize) {
    // Training works on logits (the loss applies softmax or sigmoid), so the saved network's
    // output layer is linear; another here would be applied on top of the loss's own.
    let logits = |f: &mut Faults, output: Activation| {
        f.check(output == Activation::Linear, "architecture.output", || {
            format!("{output}; backprop's models output logits (linear), and the loss applies its own")
        })
    };
    let probability = |f: &mut Faults, p: f64, field: String| {
        f.check((0.0..1.0).contains(&p), field, || format!("{p} is not a probability in [0, 1)"))
    };
    let softmax = || "softmax is an output layer's, not a hidden one's".to_string();
    if let Some(mlp) = a.as_mlp() {
        let sizes = &mlp.sizes;
        if let Some(i) = sizes.iter().position(|&s| s == 0) {
            f.add(format!("architecture.sizes[{i}]"), "a layer of 0 units");
        }
        probability(f, mlp.dropout, "architecture.dropout".into());
        f.check(mlp.activation != Activation::Softmax, "architecture.activation", softmax);
        logits(f, mlp.output);
        return (sizes[0], *sizes.last().expect("an MLP has two sizes at least"));
    }
    for (i, layer) in a.layers.iter().enumerate() {
        match *layer {
            LayerSpec::Dropout { p } => probability(f, p, format!("architecture.layers[{i}]")),
            LayerSpec::Activation(Activation::Softmax) => f.add(format!("architecture.layers[{i}]"), softmax()),
            _ => {}
        }
    }
    match a.layers.last() {
        Some(LayerSpec::Dense { .. }) => {}
        Some(LayerSpec::Activation(output)) => logits(f, *output),
        _ => f.add("architecture.layers", "the last layer must be dense (the network's logits)"),
    }
    if let Err(e) = a.rows() {
        f.add("architecture", e.to_string());
    }
    (a.input_numel(), a.outputs())
}

/// The first weight of each tensor that is NaN or infinite, as a fault (`{prefix}{name}[i]`).
/// Model files and checkpoints both hold weights.
pub(super) fn non_finite_weights(prefix: &str, params: &ParamStore<f32>) -> Vec<(String, String)> {
    params
        .iter()
        .filter_map(|(_, name, t)| {
            let bad = t.data().iter().position(|v| !v.is_finite())?;
            Some((format!("{prefix}{name}[{bad}]"), format!("{} is not a finite number", t.data()[bad])))
        })
        .collect()
}

/// `Ok` when there are no faults; else one error for the file, `why` after the count, then
/// a line per fault (`  field: message`). Checkpoints report theirs the same way.
pub(super) fn refuse(path: &Path, why: &str, faults: &[(String, String)]) -> Result<()> {
    if faults.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = faults.iter().map(|(field, message)| format!("  {field}: {message}")).collect();
    let count = if lines.len() == 1 { "1 fault".to_string() } else { format!("{} faults", lines.len()) };
    Err(Error::file(path, format!("{count} — {why}\n{}", lines.join("\n"))))
}

/// The table schema against the features it must produce.
fn check_table(f: &mut Faults, info: &ModelInfo, table: &crate::data::TableSchema) {
    let produced = table.feature_names();
    f.check(produced == info.features, "table.columns", || {
        format!("they encode to {} features, but `features` lists {}", produced.len(), info.features.len())
    });
    let names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    f.names("table.columns", &names);
    f.check(!table.target.is_empty(), "table.target", || "the target column has no name".into());
    for (i, c) in table.columns.iter().enumerate() {
        let at = format!("table.columns[{i}] ({:?})", c.name);
        match &c.encoding {
            Encoding::Numeric { median, scale, .. } => {
                f.check(median.is_finite(), format!("{at}.median"), || format!("{median} is not a finite number"));
                f.scale(&format!("{at}.scale"), scale);
            }
            Encoding::Boolean { true_value, false_value, fill, .. } => {
                f.check(true_value != false_value, at.clone(), || format!("true and false are both {true_value:?}"));
                f.check((0.0..=1.0).contains(fill), format!("{at}.fill"), || {
                    format!("{fill} is not a share in [0, 1]")
                });
            }
            Encoding::Categorical { categories, rare, .. } => {
                f.check(!categories.is_empty() || !rare.is_empty(), format!("{at}.categories"), || {
                    "no categories".into()
                });
                let all: Vec<String> = categories.iter().chain(rare).cloned().collect();
                f.names(&format!("{at}.categories"), &all);
            }
        }
    }
    match (info.task, &table.target_scale) {
        (Task::Regress, Some(s)) => f.scale("table.target_scale", s),
        (Task::Classify, Some(_)) => f.add("table.target_scale", "a classifier's target has no scale"),
        _ => {}
    }
}
