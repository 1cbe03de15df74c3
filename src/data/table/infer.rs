//! What each column of a training file is: a numeric, boolean or categorical feature, or not a
//! feature at all (an identifier, free text, row numbers) — decided from the whole training
//! file's cells, and overridden by name (`--categorical`, `--numeric`, `--ignore`).

use std::collections::HashSet;
use std::path::Path;

use super::ColumnKind;
use super::read::{Column, Table, brief, number_text};
use crate::error::{Error, Result};

/// The user's say over inference, by column name.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Overrides {
    pub categorical: Vec<String>,
    pub numeric: Vec<String>,
    pub ignore: Vec<String>,
}

/// What a column of the training file becomes.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    Feature(ColumnKind),
    /// Left out, and why (shown to the user, kept in `model.json`).
    Ignored(String),
}

/// Value pairs read as a boolean (true first), compared without case.
const BOOLEAN_PAIRS: [(&str, &str); 6] =
    [("yes", "no"), ("true", "false"), ("y", "n"), ("t", "f"), ("on", "off"), ("1", "0")];

/// A text column with at least this many values, nearly all distinct, is an identifier or free
/// text; "nearly all" is [`IDENTIFIER_SHARE`] of its cells.
const IDENTIFIER_MIN_VALUES: usize = 20;
const IDENTIFIER_SHARE: f64 = 0.9;

/// Decides every column except `target`. Errors name the file and column: an override naming
/// no column, a column with no values, a numeric column with stray text.
pub fn infer(table: &Table, target: &str, overrides: &Overrides) -> Result<Vec<(String, Decision)>> {
    let path = table.path.as_path();
    for (flag, names) in
        [("--categorical", &overrides.categorical), ("--numeric", &overrides.numeric), ("--ignore", &overrides.ignore)]
    {
        for name in names {
            if table.column(name).is_none() {
                return Err(Error::file(
                    path,
                    format!("{flag} {name}: no such column; the columns are {}", brief(&table.names())),
                ));
            }
            if name == target {
                return Err(Error::invalid(format!("{flag} {name}: that is the target column")));
            }
        }
    }
    let said = |names: &[String], c: &Column| names.contains(&c.name);
    let mut decisions = Vec::new();
    for column in table.columns.iter().filter(|c| c.name != target) {
        let decision = if said(&overrides.ignore, column) {
            Decision::Ignored("--ignore".into())
        } else if column.present() == 0 {
            return Err(Error::file(
                path,
                format!(
                    "column {:?} has no values (every cell is missing); leave it out with --ignore {}",
                    column.name, column.name
                ),
            ));
        } else if said(&overrides.categorical, column) {
            Decision::Feature(ColumnKind::Categorical)
        } else if said(&overrides.numeric, column) {
            stray_text(path, column, "is --numeric")?;
            Decision::Feature(ColumnKind::Numeric)
        } else {
            guess(path, column)?
        };
        decisions.push((column.name.clone(), decision));
    }
    Ok(decisions)
}

/// A column's kind from its cells alone.
fn guess(path: &Path, column: &Column) -> Result<Decision> {
    let (numbers, texts) = (column.number_cells(), column.text.len());
    if texts == 0 {
        if is_row_number(column) {
            return Ok(Decision::Ignored("row numbers (1, 2, 3, …): an index, not a feature".into()));
        }
        // Exactly the values 0 and 1 (a constant column stays numeric, and harmless).
        let binary = column.numbers.iter().all(|&x| x.is_nan() || x == 0.0 || x == 1.0)
            && column.numbers.contains(&0.0)
            && column.numbers.contains(&1.0);
        return Ok(Decision::Feature(if binary { ColumnKind::Boolean } else { ColumnKind::Numeric }));
    }
    if numbers >= texts {
        stray_text(path, column, "holds numbers")?;
    }
    let distinct = distinct_values(column);
    if distinct.len() == 2 && boolean_pair(&distinct).is_some() {
        return Ok(Decision::Feature(ColumnKind::Boolean));
    }
    let present = column.present();
    if present >= IDENTIFIER_MIN_VALUES && distinct.len() as f64 >= IDENTIFIER_SHARE * present as f64 {
        return Ok(Decision::Ignored(format!(
            "{} distinct values in {present} cells: an identifier or free text, not a feature \
             (keep it with --categorical {})",
            distinct.len(),
            column.name
        )));
    }
    Ok(Decision::Feature(ColumnKind::Categorical))
}

/// An error for the first text cell of a column that should hold numbers only.
fn stray_text(path: &Path, column: &Column, why: &str) -> Result<()> {
    let Some((line, text)) = &column.first_text else { return Ok(()) };
    let more = match column.text.len() {
        1 => String::new(),
        n => format!(" (and {} more text cells)", n - 1),
    };
    Err(Error::data(
        path,
        format!("line {line}, column {:?}", column.name),
        format!(
            "{text:?} is not a number{more}, but the column {why} ({} number cells); \
             mark it missing with --na {text:?}, or read the column as categories with --categorical {}",
            column.number_cells(),
            column.name
        ),
    ))
}

/// The distinct present values of a column as text.
fn distinct_values(column: &Column) -> Vec<String> {
    let mut seen: HashSet<String> = column.values.iter().cloned().collect();
    let mut bits = HashSet::new();
    for &x in &column.numbers {
        if !x.is_nan() && bits.insert(x.to_bits()) {
            seen.insert(number_text(x));
        }
    }
    let mut out: Vec<String> = seen.into_iter().collect();
    out.sort();
    out
}

/// The (true, false) values of a two-valued column, when they are a known boolean pair.
pub(super) fn boolean_pair(values: &[String]) -> Option<(String, String)> {
    let [a, b] = values else { return None };
    BOOLEAN_PAIRS.iter().find_map(|(t, f)| {
        if a.eq_ignore_ascii_case(t) && b.eq_ignore_ascii_case(f) {
            Some((a.clone(), b.clone()))
        } else if b.eq_ignore_ascii_case(t) && a.eq_ignore_ascii_case(f) {
            Some((b.clone(), a.clone()))
        } else {
            None
        }
    })
}

/// The column counts the rows (0, 1, 2, … or 1, 2, 3, …), as an exported index does.
fn is_row_number(column: &Column) -> bool {
    let xs = &column.numbers;
    xs.len() >= IDENTIFIER_MIN_VALUES
        && (xs[0] == 0.0 || xs[0] == 1.0)
        && xs.iter().enumerate().all(|(i, &x)| x == xs[0] + i as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boolean_pairs_are_found_in_either_order_and_any_case() {
        let v = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
        assert_eq!(boolean_pair(&v("No", "Yes")), Some(("Yes".into(), "No".into())));
        assert_eq!(boolean_pair(&v("FALSE", "TRUE")), Some(("TRUE".into(), "FALSE".into())));
        assert_eq!(boolean_pair(&v("0", "1")), Some(("1".into(), "0".into())));
        assert_eq!(boolean_pair(&v("female", "male")), None, "two categories are not a boolean");
    }
}
