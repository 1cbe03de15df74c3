//! The preprocessing of a table, fitted on the training rows only and kept with the model
//! (`model.json`): how each column becomes features — numeric (missing → the training median,
//! a missing indicator, standardised), boolean (one 0/1 column) or categorical (one-hot over the
//! training categories, with "other" for rare and unseen ones and "missing") — and the target's
//! scale. `eval` and `predict` encode their files with the same schema.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::infer::{Decision, boolean_pair};
use super::read::{Column, Table, brief, number_text};
use crate::data::Scale;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// How one column becomes features. [`ColumnKind`] names the variants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[strum_discriminants(
    name(ColumnKind),
    derive(Hash, PartialOrd, Ord, Serialize, Deserialize, strum::IntoStaticStr, strum::EnumIter),
    serde(rename_all = "kebab-case"),
    strum(serialize_all = "kebab-case")
)]
pub enum Encoding {
    /// One feature, (x − mean) / std with a missing x read as the training median; plus a 0/1
    /// feature `<name>_missing` when the training rows had missing cells.
    Numeric { median: f32, scale: Scale, missing_indicator: bool },
    /// One 0/1 feature (missing: the training share of `true_value`), plus `<name>_missing`
    /// when the training rows had missing cells.
    Boolean { true_value: String, false_value: String, fill: f32, missing_indicator: bool },
    /// One-hot: a feature `<name>=<category>` per training category; `<name>=<other>` for the
    /// `rare` categories (seen in fewer training rows than the threshold) and, later, unseen
    /// ones; `<name>=<missing>` when the training rows had missing cells. A value with no
    /// feature of its own (unseen with no "other", missing with no "missing") is all zeros, as
    /// the training rows never taught the model anything about it.
    Categorical { categories: Vec<String>, rare: Vec<String>, missing: bool },
}

/// One feature column of the schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureColumn {
    pub name: String,
    /// Missing cells among the training rows.
    pub missing_in_training: usize,
    #[serde(flatten)]
    pub encoding: Encoding,
}

/// A column of the training file left out, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IgnoredColumn {
    pub name: String,
    pub reason: String,
}

/// The whole preprocessing of a table: `model.json`'s `"table"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableSchema {
    /// The features, in the training file's column order; their encoded features, in this
    /// order, are the network's inputs ([`TableSchema::feature_names`]).
    pub columns: Vec<FeatureColumn>,
    pub ignored: Vec<IgnoredColumn>,
    /// The cells read as missing.
    pub missing_markers: Vec<String>,
    pub target: String,
    /// Regression: the target's standardisation (the model predicts standardised values).
    pub target_scale: Option<Scale>,
}

/// How to fit a schema.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitOptions {
    /// Categories seen in fewer training rows merge into "other" [default: 5, or 1 % of the
    /// training rows when that is fewer].
    pub min_category_count: Option<usize>,
    /// Standardise numeric features (off: they keep their values, missing cells filled).
    pub standardize: bool,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        FitOptions { min_category_count: None, standardize: true }
    }
}

/// What encoding a table met on the way: values the training rows never had, missing cells.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EncodeReport {
    /// (column, cells) whose value was not seen in training (categorical, boolean).
    pub unseen: Vec<(String, usize)>,
    /// (column, cells) that were missing.
    pub missing: Vec<(String, usize)>,
}

impl TableSchema {
    /// Fits every feature column the decisions keep on the training `rows` of `table`.
    pub fn fit(
        table: &Table,
        decisions: &[(String, Decision)],
        target: &str,
        rows: &[usize],
        options: FitOptions,
    ) -> TableSchema {
        let mut in_training = vec![false; table.rows()];
        rows.iter().for_each(|&r| in_training[r] = true);
        let threshold = options.min_category_count.unwrap_or(5.min(rows.len().div_ceil(100)).max(1));
        let mut columns = Vec::new();
        let mut ignored = Vec::new();
        for (name, decision) in decisions {
            let column = table.column(name).expect("decisions are about the table's columns");
            let kind = match decision {
                Decision::Ignored(reason) => {
                    ignored.push(IgnoredColumn { name: name.clone(), reason: reason.clone() });
                    continue;
                }
                Decision::Feature(kind) => *kind,
            };
            let missing_in_training = rows.iter().filter(|&&r| column.numbers[r].is_nan()).count()
                - column.text.iter().filter(|&&(r, _)| in_training[r as usize]).count();
            let encoding = match kind {
                ColumnKind::Numeric => fit_numeric(column, rows, missing_in_training, options.standardize),
                ColumnKind::Boolean => fit_boolean(column, rows, missing_in_training),
                ColumnKind::Categorical => fit_categorical(column, &in_training, missing_in_training, threshold),
            };
            columns.push(FeatureColumn { name: name.clone(), missing_in_training, encoding });
        }
        TableSchema {
            columns,
            ignored,
            missing_markers: table.missing_markers.clone(),
            target: target.to_string(),
            target_scale: None,
        }
    }

    /// The encoded features' names, in the network's input order.
    pub fn feature_names(&self) -> Vec<String> {
        self.columns.iter().flat_map(FeatureColumn::feature_names).collect()
    }

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

    /// One line per kind of column, as `train` prints it before training and `inspect` shows
    /// it: `categorical: island (3), sex (2 + missing); numeric: bill_length_mm (2 missing →
    /// median), …`.
    pub fn summary(&self) -> Vec<String> {
        use strum::IntoEnumIterator;
        let mut lines = Vec::new();
        for kind in ColumnKind::iter() {
            let of_kind: Vec<&FeatureColumn> =
                self.columns.iter().filter(|c| ColumnKind::from(&c.encoding) == kind).collect();
            if of_kind.is_empty() {
                continue;
            }
            // Columns with something to say first; long plain lists shortened.
            let (notable, plain): (Vec<_>, Vec<_>) = of_kind.iter().partition(|c| c.note().is_some());
            let mut items: Vec<String> = notable
                .iter()
                .map(|c: &&FeatureColumn| format!("{} ({})", c.name, c.note().unwrap_or_default()))
                .collect();
            let room = 12usize.saturating_sub(items.len()).max(3);
            items.extend(plain.iter().take(room).map(|c| c.name.clone()));
            if plain.len() > room {
                items.push(format!("… {} more", plain.len() - room));
            }
            let name: &str = kind.into();
            lines.push(format!("{name}: {}", items.join(", ")));
        }
        if !self.ignored.is_empty() {
            let items: Vec<String> = self.ignored.iter().map(|c| format!("{} ({})", c.name, c.reason)).collect();
            lines.push(format!("ignored: {}", items.join("; ")));
        }
        lines
    }
}

/// What encoding a column met.
struct Counts {
    unseen: usize,
    missing: usize,
}

impl FeatureColumn {
    /// Encoded features this column becomes.
    pub fn width(&self) -> usize {
        match &self.encoding {
            Encoding::Numeric { missing_indicator, .. } | Encoding::Boolean { missing_indicator, .. } => {
                1 + usize::from(*missing_indicator)
            }
            Encoding::Categorical { categories, rare, missing } => {
                categories.len() + usize::from(!rare.is_empty()) + usize::from(*missing)
            }
        }
    }

    pub fn feature_names(&self) -> Vec<String> {
        let name = &self.name;
        match &self.encoding {
            Encoding::Numeric { missing_indicator, .. } | Encoding::Boolean { missing_indicator, .. } => {
                let mut names = vec![name.clone()];
                if *missing_indicator {
                    names.push(format!("{name}_missing"));
                }
                names
            }
            Encoding::Categorical { categories, rare, missing } => {
                let mut names: Vec<String> = categories.iter().map(|c| format!("{name}={c}")).collect();
                if !rare.is_empty() {
                    names.push(format!("{name}=<other>"));
                }
                if *missing {
                    names.push(format!("{name}=<missing>"));
                }
                names
            }
        }
    }

    /// What the summary says of this column beyond its name, if anything.
    fn note(&self) -> Option<String> {
        let m = self.missing_in_training;
        match &self.encoding {
            Encoding::Numeric { .. } => (m > 0).then(|| format!("{m} missing → median")),
            Encoding::Boolean { true_value, false_value, .. } => Some(format!(
                "{true_value}/{false_value}{}",
                if m > 0 { format!(", {m} missing") } else { String::new() }
            )),
            Encoding::Categorical { categories, rare, missing } => {
                let mut note = categories.len().to_string();
                if !rare.is_empty() {
                    note.push_str(&format!(" + other: {} rare", rare.len()));
                }
                if *missing {
                    note.push_str(" + missing");
                }
                if self.width() > 50 {
                    note.push_str(&format!(" → {} columns", self.width()));
                }
                Some(note)
            }
        }
    }

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
            Encoding::Numeric { median, scale, missing_indicator } => {
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
                    row[offset] = scale.apply(if absent { *median } else { x });
                    if *missing_indicator {
                        row[offset + 1] = f32::from(u8::from(absent));
                    }
                }
            }
            Encoding::Boolean { true_value, false_value, fill, missing_indicator } => {
                let texts = CellTexts::new(column);
                for (row, &r) in rows_out.zip(rows) {
                    let value = match texts.get(column, r) {
                        None => {
                            counts.missing += 1;
                            None
                        }
                        Some(t) if t.eq_ignore_ascii_case(true_value) => Some(1.0),
                        Some(t) if t.eq_ignore_ascii_case(false_value) => Some(0.0),
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
struct CellTexts {
    /// The code of each row's text cell, `u32::MAX` for a number or a missing cell.
    codes: Vec<u32>,
}

impl CellTexts {
    fn new(column: &Column) -> CellTexts {
        let mut codes = vec![u32::MAX; column.numbers.len()];
        for &(row, code) in &column.text {
            codes[row as usize] = code;
        }
        CellTexts { codes }
    }

    /// Row `r`'s cell as text (a number in its shortest form), `None` when missing.
    fn get<'c>(&self, column: &'c Column, r: usize) -> Option<std::borrow::Cow<'c, str>> {
        match self.codes[r] {
            u32::MAX if column.numbers[r].is_nan() => None,
            u32::MAX => Some(number_text(column.numbers[r]).into()),
            code => Some(column.values[code as usize].as_str().into()),
        }
    }
}

fn fit_numeric(column: &Column, rows: &[usize], missing: usize, standardize: bool) -> Encoding {
    let mut values: Vec<f32> = rows.iter().map(|&r| column.numbers[r]).filter(|x| !x.is_nan()).collect();
    let median = median(&mut values);
    let scale = if standardize {
        let filled = values.iter().map(|&x| x as f64).chain(std::iter::repeat_n(median as f64, missing));
        Scale::fit(filled)
    } else {
        Scale::IDENTITY
    };
    Encoding::Numeric { median, scale, missing_indicator: missing > 0 }
}

/// The median (the mean of the two middle values for an even count), 0 for no values.
fn median(values: &mut [f32]) -> f32 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    let (left, &mut upper, _) = values.select_nth_unstable_by(n / 2, f32::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        let lower = left.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        ((lower as f64 + upper as f64) / 2.0) as f32
    }
}

fn fit_boolean(column: &Column, rows: &[usize], missing: usize) -> Encoding {
    let (true_value, false_value) = if column.text.is_empty() {
        ("1".to_string(), "0".to_string())
    } else {
        let mut values = column.values.clone();
        values.sort();
        boolean_pair(&values).unwrap_or_else(|| (values[0].clone(), values.get(1).cloned().unwrap_or_default()))
    };
    let texts = CellTexts::new(column);
    let (mut trues, mut present) = (0usize, 0usize);
    for &r in rows {
        if let Some(t) = texts.get(column, r) {
            present += 1;
            trues += usize::from(t.eq_ignore_ascii_case(&true_value));
        }
    }
    let fill = if present == 0 { 0.0 } else { trues as f32 / present as f32 };
    Encoding::Boolean { true_value, false_value, fill, missing_indicator: missing > 0 }
}

fn fit_categorical(column: &Column, in_training: &[bool], missing: usize, threshold: usize) -> Encoding {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut by_code = vec![0usize; column.values.len()];
    for &(r, code) in &column.text {
        if in_training[r as usize] {
            by_code[code as usize] += 1;
        }
    }
    for (value, &n) in column.values.iter().zip(&by_code) {
        if n > 0 {
            counts.insert(value.clone(), n);
        }
    }
    let mut by_bits: HashMap<u32, usize> = HashMap::new();
    for (r, &x) in column.numbers.iter().enumerate() {
        if in_training[r] && !x.is_nan() {
            *by_bits.entry(x.to_bits()).or_default() += 1;
        }
    }
    for (bits, n) in by_bits {
        *counts.entry(number_text(f32::from_bits(bits))).or_default() += n;
    }
    let (kept, rare): (Vec<_>, Vec<_>) = counts.into_iter().partition(|&(_, n)| n >= threshold);
    let mut categories: Vec<String> = kept.into_iter().map(|(v, _)| v).collect();
    sort_values(&mut categories);
    // Sorted as text: encoding looks values up by binary search.
    let mut rare: Vec<String> = rare.into_iter().map(|(v, _)| v).collect();
    rare.sort();
    Encoding::Categorical { categories, rare, missing: missing > 0 }
}

/// Sorts values numerically when they are all numbers (so `2` comes before `10`), else as text.
pub fn sort_values(values: &mut [String]) {
    let number = |v: &String| v.parse::<f64>().ok();
    if values.iter().all(|v| number(v).is_some()) {
        values.sort_by(|a, b| number(a).unwrap_or(0.0).total_cmp(&number(b).unwrap_or(0.0)));
    } else {
        values.sort();
    }
}
