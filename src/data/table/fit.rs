//! Fitting a table's schema on the training rows alone: each numeric column's median and
//! scale, each boolean's values and fill, each categorical column's categories (the rare ones
//! set apart).

use std::collections::HashMap;

use super::encode::{CellTexts, spellings};
use super::infer::{Decision, boolean_pair};
use super::read::{Column, Table, number_text};
use super::schema::{
    ColumnKind, Encoding, FeatureColumn, FitOptions, HEAVY_TAIL_IQRS, IgnoredColumn, NumericScaling, TableSchema,
    sort_values,
};
use crate::data::Scale;

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
                ColumnKind::Numeric => fit_numeric(column, rows, missing_in_training, options),
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
}

fn fit_numeric(column: &Column, rows: &[usize], missing: usize, options: FitOptions) -> Encoding {
    let mut values: Vec<f32> = rows.iter().map(|&r| column.numbers[r]).filter(|x| !x.is_nan()).collect();
    let median = median(&mut values);
    // The robust scale, when this column takes it: always for `Robust`, for `Auto` when a
    // training value lies more than HEAVY_TAIL_IQRS of it from the median.
    let robust = match options.scaling {
        _ if !options.standardize => None,
        NumericScaling::Standard => None,
        NumericScaling::Robust => Some(robust_scale(&mut values, median)),
        NumericScaling::Auto => Some(robust_scale(&mut values, median)).filter(|scale| {
            // `values` is sorted now: the farthest value is at one end.
            let ends = [values.first(), values.last()].into_iter().flatten();
            ends.map(|&x| (x as f64 - median as f64).abs()).fold(0.0, f64::max) > HEAVY_TAIL_IQRS * scale.std
        }),
    };
    let scale = match robust {
        Some(scale) => scale,
        None if options.standardize => {
            let filled = values.iter().map(|&x| x as f64).chain(std::iter::repeat_n(median as f64, missing));
            Scale::fit(filled)
        }
        None => Scale::IDENTITY,
    };
    Encoding::Numeric { median, scale, missing_indicator: missing > 0, clip: robust.is_some() }
}

/// Centre the median, divide by the interquartile range; where the quartiles meet (a column
/// mostly of one value), by half the range; a constant column is only centred. Sorts `values`.
fn robust_scale(values: &mut [f32], median: f32) -> Scale {
    if values.is_empty() {
        return Scale { mean: median as f64, std: 1.0 };
    }
    values.sort_unstable_by(f32::total_cmp);
    let quantile = |q: f64| {
        let at = q * (values.len() - 1) as f64;
        let (low, high) = (values[at.floor() as usize] as f64, values[at.ceil() as usize] as f64);
        low + (high - low) * (at - at.floor())
    };
    let spread = quantile(0.75) - quantile(0.25);
    let half_range = (values[values.len() - 1] as f64 - values[0] as f64) / 2.0;
    let std = if spread > 0.0 {
        spread
    } else if half_range > 0.0 {
        half_range
    } else {
        1.0
    };
    Scale { mean: median as f64, std }
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
    let spelled_true = spellings(&true_value);
    let (mut trues, mut present) = (0usize, 0usize);
    for &r in rows {
        if let Some(t) = texts.get(column, r) {
            present += 1;
            trues += usize::from(spelled_true.iter().any(|s| *s == t));
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
