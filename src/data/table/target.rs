//! The target column of a table: which one it is, whether it holds classes or values, and its
//! cells for every row (rows with a missing target are left out of training and scoring).

use std::collections::HashMap;

use super::read::{Column, Table, brief, number_text};
use super::schema::sort_values;
use crate::data::{Scale, Targets};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Which column holds the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetColumn {
    Name(String),
    /// 0-based.
    Index(usize),
}

impl TargetColumn {
    /// A name, or a 0-based index when it is a number (the command line's `--target`).
    pub fn parse(text: &str) -> TargetColumn {
        match text.parse::<usize>() {
            Ok(i) => TargetColumn::Index(i),
            Err(_) => TargetColumn::Name(text.to_string()),
        }
    }

    /// The target's name in `table`; by default the column named `label`, `target` or `class`
    /// (any case), else the last one.
    pub fn resolve(wanted: Option<&TargetColumn>, table: &Table) -> Result<String> {
        let names = table.names();
        let path = &table.path;
        match wanted {
            Some(TargetColumn::Name(name)) if names.contains(&name.as_str()) => Ok(name.clone()),
            Some(TargetColumn::Name(name)) => {
                Err(Error::file(path, format!("no column named {name:?}; the columns are {}", brief(&names))))
            }
            Some(&TargetColumn::Index(i)) if i < names.len() => Ok(names[i].to_string()),
            Some(&TargetColumn::Index(i)) => Err(Error::file(
                path,
                format!("target column {i} is out of range: the file has {} columns ({})", names.len(), brief(&names)),
            )),
            None => Ok(names
                .iter()
                .find(|h| ["label", "target", "class"].contains(&h.to_ascii_lowercase().as_str()))
                .or(names.last())
                .expect("a table has at least one column")
                .to_string()),
        }
    }
}

/// Whether the target is a class or a real value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    Classify,
    Regress,
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Task::Classify => "classification",
            Task::Regress => "regression",
        })
    }
}

impl Task {
    /// A target of at most this many distinct integers (and no text) is read as classes.
    pub const MAX_INTEGER_CLASSES: usize = 20;

    /// Classification when the target holds text or a few distinct integers; else regression.
    pub fn guess(column: &Column) -> Task {
        if !column.text.is_empty() {
            return Task::Classify;
        }
        let mut distinct = std::collections::HashSet::new();
        for &x in column.numbers.iter().filter(|x| !x.is_nan()) {
            if x.fract() != 0.0 || (distinct.insert(x.to_bits()) && distinct.len() > Task::MAX_INTEGER_CLASSES) {
                return Task::Regress;
            }
        }
        Task::Classify
    }
}

/// The target of every row of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum TargetCells {
    /// A class index per row (`None`: missing), and the classes' names.
    Classes { labels: Vec<Option<usize>>, names: Vec<String> },
    /// A value per row, in the file's units (NaN: missing).
    Values(Vec<f32>),
}

impl TargetCells {
    /// Reads column `name` as `task`'s targets. Classes are named as the file writes them
    /// (numbers in their shortest form, so `1` and `1.0` are one class) and ordered
    /// numerically when they are all numbers; with `known` (a trained model's classes) they
    /// follow those, and a class the model does not know is an error.
    pub fn read(table: &Table, name: &str, task: Task, known: Option<&[String]>) -> Result<TargetCells> {
        let column = table.column(name).ok_or_else(|| {
            Error::file(&table.path, format!("no target column {name:?}; the columns are {}", brief(&table.names())))
        })?;
        if column.present() == 0 {
            return Err(Error::file(
                &table.path,
                format!("the target column {name:?} has no values (every cell is missing)"),
            ));
        }
        match task {
            Task::Regress => {
                if let Some((line, text)) = &column.first_text {
                    return Err(Error::data(
                        &table.path,
                        format!("line {line}, column {name:?}"),
                        format!("{text:?} is not a number, and a regression target must be"),
                    ));
                }
                Ok(TargetCells::Values(column.numbers.clone()))
            }
            Task::Classify => {
                // Each distinct value named once (a number in its shortest form), then every
                // row's class looked up by its value, never by a string per row.
                let by_code = &column.values;
                let mut by_bits: HashMap<u32, String> = HashMap::new();
                for &x in column.numbers.iter().filter(|x| !x.is_nan()) {
                    by_bits.entry(x.to_bits()).or_insert_with(|| number_text(x));
                }
                let names: Vec<String> = match known {
                    Some(known) => known.to_vec(),
                    None => {
                        let mut distinct: Vec<String> = by_code.iter().chain(by_bits.values()).cloned().collect();
                        distinct.sort();
                        distinct.dedup();
                        sort_values(&mut distinct);
                        distinct
                    }
                };
                let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
                let class_of = |value: &str| {
                    index.get(value).copied().ok_or_else(|| {
                        Error::file(
                            &table.path,
                            format!("class {value:?} is not one the model knows ({})", names.join(", ")),
                        )
                    })
                };
                let code_class: Vec<usize> = by_code.iter().map(|v| class_of(v)).collect::<Result<_>>()?;
                let bits_class: HashMap<u32, usize> =
                    by_bits.iter().map(|(&b, v)| class_of(v).map(|c| (b, c))).collect::<Result<_>>()?;
                let mut labels: Vec<Option<usize>> =
                    column.numbers.iter().map(|x| (!x.is_nan()).then(|| bits_class[&x.to_bits()])).collect();
                for &(row, code) in &column.text {
                    labels[row as usize] = Some(code_class[code as usize]);
                }
                Ok(TargetCells::Classes { labels, names })
            }
        }
    }

    /// The rows that have a target, in order.
    pub fn rows(&self) -> Vec<usize> {
        match self {
            TargetCells::Classes { labels, .. } => (0..labels.len()).filter(|&r| labels[r].is_some()).collect(),
            TargetCells::Values(values) => (0..values.len()).filter(|&r| !values[r].is_nan()).collect(),
        }
    }

    /// The standardisation of the values of `rows` (regression).
    pub fn fit_scale(&self, rows: &[usize]) -> Option<Scale> {
        match self {
            TargetCells::Classes { .. } => None,
            TargetCells::Values(values) => Some(Scale::fit(rows.iter().map(|&r| values[r] as f64))),
        }
    }

    /// The targets of `rows` (which must have one), values scaled by `scale`.
    pub fn targets(&self, rows: &[usize], scale: Option<Scale>, column: &str) -> Targets {
        match self {
            TargetCells::Classes { labels, names } => Targets::Classes {
                labels: rows.iter().map(|&r| labels[r].expect("rows with a target")).collect(),
                names: names.clone(),
            },
            TargetCells::Values(values) => {
                let scale = scale.unwrap_or(Scale::IDENTITY);
                let values = rows.iter().map(|&r| scale.apply(values[r])).collect();
                Targets::Values { values: Tensor::new(values, [rows.len(), 1]), names: vec![column.to_string()], scale }
            }
        }
    }
}
