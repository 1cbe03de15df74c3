//! A table's preprocessing as ONNX nodes: one graph input per CSV column — numbers as float
//! (missing → the median, scaled, smoothly clipped where the schema says, a missing indicator),
//! yes/no and categorical columns as string looked up in `ai.onnx.ml` label encoders and
//! one-hot encoded — concatenated into the network's input, exactly as `predict` encodes a row.

use super::proto::data_type as dt;
use super::{Graph, attr_f, attr_floats, attr_i, attr_ints, attr_strings};
use crate::data::table::{Encoding, FeatureColumn, TableSchema, spellings};
use crate::error::{Error, Result};

/// Every column's features, concatenated in the schema's order: the network's input.
pub(super) fn preprocessing(g: &mut Graph, table: &TableSchema) -> Result<String> {
    let mut parts = Vec::new();
    // The reshapes around the string lookups, shared; only a table with text columns needs them.
    let (flat_shape, axis1) = if table.columns.iter().any(|c| !c.takes_numbers()) {
        (g.ints("shape_flat", &[1], &[-1]), g.ints("axis_1", &[1], &[1]))
    } else {
        (String::new(), String::new())
    };
    for (j, column) in table.columns.iter().enumerate() {
        let x = column.name.as_str();
        let p = |what: &str| format!("c{j}_{what}");
        match &column.encoding {
            Encoding::Numeric { median, scale, missing_indicator, clip } => {
                g.input(x, dt::FLOAT, 1);
                let missing = g.node("IsNaN", &[x], vec![], &p("missing"));
                let median = g.floats(&p("median"), &[1], &[*median]);
                let filled = g.node("Where", &[&missing, &median, x], vec![], &p("filled"));
                let mean = g.floats(&p("mean"), &[1], &[scale.mean as f32]);
                let std = g.floats(&p("std"), &[1], &[scale.std as f32]);
                let centred = g.node("Sub", &[&filled, &mean], vec![], &p("centred"));
                let scaled = g.node("Div", &[&centred, &std], vec![], &p("scaled"));
                parts.push(if *clip {
                    // x / √(1 + (x/3)²)
                    let three = g.floats(&p("three"), &[1], &[3.0]);
                    let one = g.floats(&p("one"), &[1], &[1.0]);
                    let x3 = g.node("Div", &[&scaled, &three], vec![], &p("over_3"));
                    let square = g.node("Mul", &[&x3, &x3], vec![], &p("square"));
                    let plus_one = g.node("Add", &[&square, &one], vec![], &p("plus_one"));
                    let root = g.node("Sqrt", &[&plus_one], vec![], &p("root"));
                    g.node("Div", &[&scaled, &root], vec![], &p("clipped"))
                } else {
                    scaled
                });
                if *missing_indicator {
                    parts.push(g.node("Cast", &[&missing], vec![attr_i("to", dt::FLOAT as i64)], &p("indicator")));
                }
            }
            Encoding::Boolean { true_value, false_value, fill, missing_indicator } => {
                // 1 for true, 0 for false, −1 for anything else (missing or unseen).
                let code = if column.takes_numbers() {
                    g.input(x, dt::FLOAT, 1);
                    let one = g.floats(&p("one"), &[1], &[1.0]);
                    let zero = g.floats(&p("zero"), &[1], &[0.0]);
                    let minus = g.floats(&p("minus_one"), &[1], &[-1.0]);
                    let is_one = g.node("Equal", &[x, &one], vec![], &p("is_one"));
                    let is_zero = g.node("Equal", &[x, &zero], vec![], &p("is_zero"));
                    let known = g.node("Or", &[&is_one, &is_zero], vec![], &p("known_value"));
                    g.node("Where", &[&known, x, &minus], vec![], &p("code"))
                } else {
                    g.input(x, dt::STRING, 1);
                    let flat = g.node("Reshape", &[x, &flat_shape], vec![], &p("flat"));
                    let (trues, falses) = (spellings(true_value), spellings(false_value));
                    let values: Vec<f32> = trues.iter().map(|_| 1.0).chain(falses.iter().map(|_| 0.0)).collect();
                    let keys: Vec<String> = trues.into_iter().chain(falses).collect();
                    let attrs = vec![
                        attr_strings("keys_strings", &keys),
                        attr_floats("values_floats", &values),
                        attr_f("default_float", -1.0),
                    ];
                    let code = g.ml_node("LabelEncoder", &[&flat], attrs, &p("code_flat"));
                    g.node("Unsqueeze", &[&code, &axis1], vec![], &p("code"))
                };
                let minus = g.floats(&p("unknown"), &[1], &[-1.0]);
                let unknown = g.node("Equal", &[&code, &minus], vec![], &p("unknown_value"));
                let fill = g.floats(&p("fill"), &[1], &[*fill]);
                parts.push(g.node("Where", &[&unknown, &fill, &code], vec![], &p("value")));
                if *missing_indicator {
                    parts.push(g.node("Cast", &[&unknown], vec![attr_i("to", dt::FLOAT as i64)], &p("indicator")));
                }
            }
            Encoding::Categorical { categories, rare, missing } => {
                g.input(x, dt::STRING, 1);
                let width = column.width() as i64;
                if width == 0 {
                    continue;
                }
                parts.push(one_hot(
                    g,
                    column,
                    &table.missing_markers,
                    categories,
                    rare,
                    *missing,
                    &flat_shape,
                    &axis1,
                    j,
                ));
            }
        }
    }
    if parts.is_empty() {
        return Err(Error::invalid("the model's table has no feature columns to export"));
    }
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    Ok(g.node("Concat", &refs, vec![attr_i("axis", 1)], "features"))
}

/// A categorical column one-hot: each string mapped to its feature's index (rare ones to
/// "other", missing markers to "missing", unseen ones to "other" or −1), then compared with
/// 0, 1, …, width − 1.
#[allow(clippy::too_many_arguments)]
fn one_hot(
    g: &mut Graph,
    column: &FeatureColumn,
    markers: &[String],
    categories: &[String],
    rare: &[String],
    missing: bool,
    flat_shape: &str,
    axis1: &str,
    j: usize,
) -> String {
    let p = |what: &str| format!("c{j}_{what}");
    let k = categories.len() as i64;
    let other = if rare.is_empty() { -1 } else { k };
    let missing_slot = if missing { k + i64::from(!rare.is_empty()) } else { -1 };
    let mut keys: Vec<String> = categories.to_vec();
    let mut values: Vec<i64> = (0..k).collect();
    keys.extend(rare.iter().cloned());
    values.extend(std::iter::repeat_n(other, rare.len()));
    keys.extend(markers.iter().cloned());
    values.extend(std::iter::repeat_n(missing_slot, markers.len()));
    let flat = g.node("Reshape", &[&column.name, flat_shape], vec![], &p("flat"));
    let attrs =
        vec![attr_strings("keys_strings", &keys), attr_ints("values_int64s", &values), attr_i("default_int64", other)];
    let slot = g.ml_node("LabelEncoder", &[&flat], attrs, &p("slot_flat"));
    let slot = g.node("Unsqueeze", &[&slot, axis1], vec![], &p("slot"));
    let width = column.width() as i64;
    let range = g.ints(&p("range"), &[1, width], &(0..width).collect::<Vec<_>>());
    let hit = g.node("Equal", &[&slot, &range], vec![], &p("hit"));
    g.node("Cast", &[&hit], vec![attr_i("to", dt::FLOAT as i64)], &p("one_hot"))
}
