//! CSV datasets: one header line, one sample per line, numeric features, one target column.
//! Every problem is reported with the file, the line and the column at fault.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Dataset, Targets};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Which column holds the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetColumn {
    Name(String),
    /// 0-based.
    Index(usize),
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

/// How to read a CSV file. By default the target is the column named `label`, `target` or
/// `class` (else the last one), and the task is classification when the target holds at most
/// [`CsvOptions::MAX_CLASSES`] distinct integers (or any text), else regression.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CsvOptions {
    pub target: Option<TargetColumn>,
    pub task: Option<Task>,
}

impl CsvOptions {
    pub const MAX_CLASSES: usize = 20;
}

/// Opens a CSV file and reads its header, which must name at least one column.
pub(crate) fn open_csv(path: &Path) -> Result<(Vec<String>, ::csv::Reader<std::fs::File>)> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader =
        ::csv::ReaderBuilder::new().has_headers(true).flexible(true).trim(::csv::Trim::All).from_reader(file);
    let header: Vec<String> = reader.headers().map_err(|e| csv_error(path, e))?.iter().map(str::to_string).collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err(Error::file(path, "the file is empty: expected a header line naming the columns"));
    }
    Ok((header, reader))
}

/// Calls `each(line, record)` for every data row, skipping blank lines and rejecting rows whose
/// field count differs from the header's. Returns the number of rows.
fn for_each_row(
    path: &Path,
    reader: &mut ::csv::Reader<std::fs::File>,
    columns: usize,
    mut each: impl FnMut(u64, &::csv::StringRecord) -> Result<()>,
) -> Result<usize> {
    let mut rows = 0;
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, e))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        if record.len() != columns {
            return Err(Error::data(
                path,
                format!("line {line}"),
                format!("{} fields, but the header has {columns} columns", record.len()),
            ));
        }
        each(line, &record)?;
        rows += 1;
    }
    if rows == 0 {
        return Err(Error::file(path, "no data rows after the header"));
    }
    Ok(rows)
}

/// Reads a dataset from a CSV file.
pub fn load_csv(path: &Path, options: &CsvOptions) -> Result<Dataset> {
    let (header, mut reader) = open_csv(path)?;
    if header.len() < 2 {
        return Err(Error::file(path, format!("only one column ({:?}); expected features and a target", header[0])));
    }
    let target = target_index(path, &header, options.target.as_ref())?;

    // Features as numbers; the target kept as text until the task is known.
    let mut features = Vec::new();
    let mut target_cells: Vec<(String, u64)> = Vec::new();
    let rows = for_each_row(path, &mut reader, header.len(), |line, record| {
        for (j, cell) in record.iter().enumerate() {
            if j == target {
                target_cells.push((cell.to_string(), line));
            } else {
                features.push(number(path, line, &header[j], cell)?);
            }
        }
        Ok(())
    })?;
    let task = match options.task {
        Some(task) => task,
        None => guess_task(&target_cells),
    };
    let targets = match task {
        Task::Classify => classes(&target_cells),
        Task::Regress => {
            let values = target_cells
                .iter()
                .map(|(cell, line)| number(path, *line, &header[target], cell))
                .collect::<Result<Vec<f32>>>()?;
            Targets::Values { values: Tensor::new(values, [rows, 1]), names: vec![header[target].clone()] }
        }
    };
    let feature_names: Vec<String> =
        header.iter().enumerate().filter(|&(j, _)| j != target).map(|(_, n)| n.clone()).collect();
    let width = feature_names.len();
    let target_column = Some(header[target].clone());
    Ok(Dataset { features: Tensor::new(features, [rows, width]), targets, feature_names, target_column })
}

/// Reads just the named columns of a CSV file, in the given order, as features (for a model
/// that knows its inputs by name). Other columns, such as a target, are ignored.
pub fn load_csv_columns(path: &Path, names: &[String]) -> Result<Tensor<f32>> {
    let (header, mut reader) = open_csv(path)?;
    let missing: Vec<&String> = names.iter().filter(|n| !header.contains(n)).collect();
    if !missing.is_empty() {
        return Err(Error::file(
            path,
            format!(
                "missing {} of the model's {} input columns ({}); the file has {}",
                missing.len(),
                names.len(),
                brief(&missing),
                brief(&header.iter().collect::<Vec<_>>())
            ),
        ));
    }
    let index: Vec<usize> = names.iter().map(|n| header.iter().position(|h| h == n).expect("checked above")).collect();
    let mut data = Vec::new();
    let rows = for_each_row(path, &mut reader, header.len(), |line, record| {
        for &j in &index {
            data.push(number(path, line, &header[j], &record[j])?);
        }
        Ok(())
    })?;
    Ok(Tensor::new(data, [rows, names.len()]))
}

/// A list of names for a message: the first few, then how many more.
fn brief(names: &[&String]) -> String {
    let shown: Vec<String> = names.iter().take(5).map(|n| format!("{n:?}")).collect();
    match names.len() {
        n if n > 5 => format!("{}, … {} more", shown.join(", "), n - 5),
        _ => shown.join(", "),
    }
}

fn csv_error(path: &Path, e: ::csv::Error) -> Error {
    match e.position() {
        Some(p) => Error::data(path, format!("line {}", p.line()), e.to_string()),
        None => Error::file(path, e.to_string()),
    }
}

/// The index of the target column.
fn target_index(path: &Path, header: &[String], wanted: Option<&TargetColumn>) -> Result<usize> {
    let columns = || header.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>().join(", ");
    match wanted {
        Some(TargetColumn::Name(name)) => header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::file(path, format!("no column named {name:?}; the columns are {}", columns()))),
        Some(&TargetColumn::Index(i)) if i < header.len() => Ok(i),
        Some(&TargetColumn::Index(i)) => Err(Error::file(
            path,
            format!("target column {i} is out of range: the file has {} columns ({})", header.len(), columns()),
        )),
        None => Ok(header
            .iter()
            .position(|h| ["label", "target", "class"].contains(&h.to_ascii_lowercase().as_str()))
            .unwrap_or(header.len() - 1)),
    }
}

/// A finite number, or an error naming the line, column and text.
fn number(path: &Path, line: u64, column: &str, cell: &str) -> Result<f32> {
    let place = || format!("line {line}, column {column:?}");
    let x: f64 = cell.parse().map_err(|_| Error::data(path, place(), format!("{cell:?} is not a number")))?;
    if !x.is_finite() {
        return Err(Error::data(
            path,
            place(),
            format!("{cell:?} is not a finite number (NaN and infinities cannot be learned from)"),
        ));
    }
    Ok(x as f32)
}

/// Classification when the target is text, or a few distinct integers; regression otherwise.
fn guess_task(cells: &[(String, u64)]) -> Task {
    let numbers: Option<Vec<f64>> = cells.iter().map(|(c, _)| c.parse::<f64>().ok()).collect();
    match numbers {
        None => Task::Classify,
        Some(xs) => {
            let integers = xs.iter().all(|x| x.fract() == 0.0 && x.is_finite());
            let distinct: BTreeSet<i64> = xs.iter().map(|&x| x as i64).collect();
            if integers && distinct.len() <= CsvOptions::MAX_CLASSES { Task::Classify } else { Task::Regress }
        }
    }
}

/// Class indices for the distinct target values, ordered numerically when they are all
/// numbers (so labels 0–9 keep their meaning) and as text otherwise.
fn classes(cells: &[(String, u64)]) -> Targets {
    let distinct: BTreeSet<&str> = cells.iter().map(|(c, _)| c.as_str()).collect();
    let mut names: Vec<&str> = distinct.into_iter().collect();
    if names.iter().all(|n| n.parse::<f64>().is_ok()) {
        names.sort_by(|a, b| a.parse::<f64>().unwrap().total_cmp(&b.parse::<f64>().unwrap()));
    }
    let labels = cells.iter().map(|(c, _)| names.iter().position(|n| n == c).expect("every cell is a class")).collect();
    Targets::Classes { labels, names: names.into_iter().map(str::to_string).collect() }
}
