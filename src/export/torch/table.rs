//! A table's preprocessing in `model.py`: one plain dict per column (its kind, median, scale,
//! categories and slots), read by the module's `encode()` exactly as backprop encodes a row.

use std::fmt::Write;

use super::{py, py_list};
use crate::data::table::{Encoding, TableSchema, spellings};

/// The table's preprocessing as constants: one dict per column.
pub(super) fn write_table(out: &mut String, table: &TableSchema) {
    let _ = writeln!(out, "MISSING = {}  # cells read as missing", py_list(&table.missing_markers));
    let scale = table.target_scale.map_or((0.0, 1.0), |s| (s.mean, s.std));
    let _ =
        writeln!(out, "TARGET_MEAN, TARGET_STD = {:?}, {:?}  # regression targets were standardised", scale.0, scale.1);
    let _ = writeln!(out, "COLUMNS = [");
    for column in &table.columns {
        let name = py(&column.name);
        let line = match &column.encoding {
            Encoding::Numeric { median, scale, missing_indicator, clip } => format!(
                "{{\"name\": {name}, \"kind\": \"numeric\", \"median\": {}, \"mean\": {:?}, \"std\": {:?}, \"missing_indicator\": {}, \"clip\": {}}}",
                median,
                scale.mean,
                scale.std,
                if *missing_indicator { "True" } else { "False" },
                if *clip { "True" } else { "False" }
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
