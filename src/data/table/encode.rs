//! Encoding a table's rows with a fitted schema: numbers filled and scaled, booleans as 0/1,
//! categories one-hot; unseen values and missing cells counted, never an error.

use std::collections::HashMap;

use super::read::{Column, Table, brief, number_text};
use super::schema::{Encoding, FeatureColumn, TableSchema, smooth_clip};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// What encoding a table met on the way: values the training rows never had, missing cells.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EncodeReport {
    /// (column, cells) whose value was not seen in training (categorical, boolean).
    pub unseen: Vec<(String, usize)>,
    /// (column, cells) that were missing.
    pub missing: Vec<(String, usize)>,
}

impl TableSchema {
    /// Encodes `rows` of `table` as [rows, features] (any column order; extra columns are not
    /// read). Unseen values and missing cells are counted, never an error; a missing column, or
    /// text in a numeric column, is.
    pub fn encode(&self, table: &Table, rows: &[usize]) -> Result<(Tensor<f32>, EncodeReport)> {
        let absent: Vec<&str> =
            self.columns.iter().map(|c| c.name.as_str()).filter(|n| table.column(n).is_none()).collect();
        if !absent.is_empty() {
            return Err(Error::file(
                &table.path,
                format!(
                    "missing {} of the model's {} input columns ({}); the file has {}",
                    absent.len(),
                    self.columns.len(),
                    brief(&absent),
                    brief(&table.names())
                ),
            ));
        }
        let width: usize = self.columns.iter().map(FeatureColumn::width).sum();
        let mut out = vec![0.0f32; rows.len() * width];
        let (mut unseen, mut missing) = (Vec::new(), Vec::new());
        let mut offset = 0;
        for feature in &self.columns {
            let column = table.column(&feature.name).expect("checked above");
            let counts = feature.encode(table, column, rows, &mut out, offset, width)?;
            if counts.unseen > 0 {
                unseen.push((feature.name.clone(), counts.unseen));
            }
            if counts.missing > 0 {
                missing.push((feature.name.clone(), counts.missing));
            }
            offset += feature.width();
        }
        Ok((Tensor::new(out, [rows.len(), width]), EncodeReport { unseen, missing }))
    }
}

/// What encoding a column met.
struct Counts {
    unseen: usize,
    missing: usize,
}

impl FeatureColumn {
    /// Writes this column's features of `rows` into `out` ([rows, width], at `offset`).
    fn encode(
        &self,
        table: &Table,
        column: &Column,
        rows: &[usize],
        out: &mut [f32],
        offset: usize,
        width: usize,
    ) -> Result<Counts> {
        let mut counts = Counts { unseen: 0, missing: 0 };
        let rows_out = out.chunks_exact_mut(width.max(1));
        match &self.encoding {
            Encoding::Numeric { median, scale, missing_indicator, clip } => {
                if let Some((line, text)) = &column.first_text {
                    return Err(Error::data(
                        &table.path,
                        format!("line {line}, column {:?}", column.name),
                        format!("{text:?} is not a number, and the model reads this column as numbers"),
                    ));
                }
                for (row, &r) in rows_out.zip(rows) {
                    let x = column.numbers[r];
                    let absent = x.is_nan();
                    counts.missing += usize::from(absent);
                    let scaled = scale.apply(if absent { *median } else { x });
                    row[offset] = if *clip { smooth_clip(scaled) } else { scaled };
                    if *missing_indicator {
                        row[offset + 1] = f32::from(u8::from(absent));
                    }
                }
            }
            Encoding::Boolean { true_value, false_value, fill, missing_indicator } => {
                let texts = CellTexts::new(column);
                let (trues, falses) = (spellings(true_value), spellings(false_value));
                let is = |spelled: &[String], t: &str| spelled.iter().any(|s| s == t);
                for (row, &r) in rows_out.zip(rows) {
                    let value = match texts.get(column, r) {
                        None => {
                            counts.missing += 1;
                            None
                        }
                        Some(t) if is(&trues, &t) => Some(1.0),
                        Some(t) if is(&falses, &t) => Some(0.0),
                        Some(_) => {
                            counts.unseen += 1;
                            None
                        }
                    };
                    row[offset] = value.unwrap_or(*fill);
                    if *missing_indicator {
                        row[offset + 1] = f32::from(u8::from(value.is_none()));
                    }
                }
            }
            Encoding::Categorical { categories, rare, missing } => {
                let slot: HashMap<&str, usize> = categories.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
                let other = !rare.is_empty();
                let other_slot = other.then_some(categories.len());
                let missing_slot = missing.then_some(categories.len() + usize::from(other));
                let texts = CellTexts::new(column);
                for (row, &r) in rows_out.zip(rows) {
                    let at = match texts.get(column, r) {
                        None => {
                            counts.missing += 1;
                            missing_slot
                        }
                        Some(t) => match slot.get(t.as_ref()) {
                            Some(&i) => Some(i),
                            None => {
                                counts.unseen += usize::from(rare.binary_search(&t.to_string()).is_err());
                                other_slot
                            }
                        },
                    };
                    if let Some(i) = at {
                        row[offset + i] = 1.0;
                    }
                }
            }
        }
        Ok(counts)
    }
}

/// A column's cells as text, row by row, without allocating for text cells.
pub(super) struct CellTexts {
    /// The code of each row's text cell, `u32::MAX` for a number or a missing cell.
    codes: Vec<u32>,
}

impl CellTexts {
    pub(super) fn new(column: &Column) -> CellTexts {
        let mut codes = vec![u32::MAX; column.numbers.len()];
        for &(row, code) in &column.text {
            codes[row as usize] = code;
        }
        CellTexts { codes }
    }

    /// Row `r`'s cell as text (a number in its shortest form), `None` when missing.
    pub(super) fn get<'c>(&self, column: &'c Column, r: usize) -> Option<std::borrow::Cow<'c, str>> {
        match self.codes[r] {
            u32::MAX if column.numbers[r].is_nan() => None,
            u32::MAX => Some(number_text(column.numbers[r]).into()),
            code => Some(column.values[code as usize].as_str().into()),
        }
    }
}

/// The spellings a boolean column's value is recognised in later: as written in training, in
/// lower case, upper case and capitalised (`yes`, `YES`, `Yes`) — a fixed list, so an exported
/// ONNX graph matches them with a plain lookup (onnxruntime's case folding needs a locale).
pub fn spellings(value: &str) -> Vec<String> {
    let lower = value.to_lowercase();
    let mut capital = lower.clone();
    if let Some(first) = capital.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    let mut all = vec![value.to_string(), lower, value.to_uppercase(), capital];
    all.sort();
    all.dedup();
    all
}
