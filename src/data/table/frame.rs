//! A table built in memory, column by column, instead of read from a file: what the Python
//! module hands over for a pandas DataFrame, a numpy array or an Arrow table. Its columns are
//! the same [`Column`]s a file's are, so kinds are inferred, schemas fitted and rows encoded by
//! the same code; only the cells arrive already typed (a number, a text, or missing) instead
//! of as text to parse.

use std::collections::HashMap;
use std::path::PathBuf;

use super::read::{Column, MAX_COLUMNS, MISSING_MARKERS, Table};
use crate::error::{Error, Result};

/// One cell handed over typed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    Number(f64),
    Text(&'a str),
    Missing,
}

impl Column {
    /// A column of numbers, NaN where a cell is missing; an infinite number is an error naming
    /// the column and row (0-based), as a file's names its line.
    pub fn from_numbers(name: &str, values: impl IntoIterator<Item = f64>) -> Result<Column> {
        Column::from_cells(name, values.into_iter().map(|x| if x.is_nan() { Cell::Missing } else { Cell::Number(x) }))
    }

    /// A column of typed cells: numbers and missing cells as in [`Column::from_numbers`], text
    /// kept as it is (a text that looks like a number stays text: its column's type said so).
    pub fn from_cells<'a>(name: &str, cells: impl IntoIterator<Item = Cell<'a>>) -> Result<Column> {
        let mut column = Column { name: name.to_string(), ..Column::default() };
        let mut index = HashMap::new();
        for (row, cell) in cells.into_iter().enumerate() {
            match cell {
                Cell::Number(x) if x.is_finite() => column.numbers.push(x as f32),
                Cell::Number(x) if x.is_nan() => column.push_missing(),
                Cell::Number(x) => {
                    return Err(Error::invalid(format!(
                        "column {name:?}, row {row}: {x} is not a finite number (infinities cannot be learned from)"
                    )));
                }
                Cell::Missing => column.push_missing(),
                // Rows are counted from 0 here, where a file's lines count from 1 with the header.
                Cell::Text(text) => column.push_text(&mut index, row as u64, text),
            }
        }
        Ok(column)
    }

    fn push_missing(&mut self) {
        self.missing += 1;
        self.numbers.push(f32::NAN);
    }
}

impl Table {
    /// A table of `columns`, named `name` in messages (where a file's path would be): all the
    /// same length, at least one row, names unique.
    pub fn from_columns(name: &str, columns: Vec<Column>) -> Result<Table> {
        let path = PathBuf::from(name);
        let Some(first) = columns.first() else {
            return Err(Error::file(&path, "no columns"));
        };
        if columns.len() > MAX_COLUMNS {
            return Err(Error::file(&path, format!("{} columns; at most {MAX_COLUMNS}", columns.len())));
        }
        let rows = first.numbers.len();
        for (j, column) in columns.iter().enumerate() {
            if column.numbers.len() != rows {
                return Err(Error::file(
                    &path,
                    format!(
                        "column {:?} has {} rows but column {:?} has {rows}",
                        column.name,
                        column.numbers.len(),
                        first.name
                    ),
                ));
            }
            if let Some(k) = columns[..j].iter().position(|c| c.name == column.name) {
                return Err(Error::file(
                    &path,
                    format!("columns {} and {} are both named {:?}; rename one", k + 1, j + 1, column.name),
                ));
            }
        }
        if rows == 0 {
            return Err(Error::file(&path, "no rows"));
        }
        let missing_markers = MISSING_MARKERS.iter().map(|m| m.to_string()).collect();
        Ok(Table { path, delimiter: b',', columns, skipped: vec![], missing_markers, rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_cells_become_the_columns_a_file_would_give() {
        let size = Column::from_numbers("size", [1.5, f64::NAN, 3.0]).unwrap();
        assert_eq!(size.missing, 1);
        assert_eq!(size.number_cells(), 2);
        let colour = Column::from_cells("colour", [Cell::Text("red"), Cell::Missing, Cell::Text("red")]).unwrap();
        assert_eq!(colour.values, ["red"]);
        assert_eq!(colour.text, [(0, 0), (2, 0)]);
        assert_eq!(colour.missing, 1);
        let table = Table::from_columns("frame", vec![size, colour]).unwrap();
        assert_eq!(table.rows(), 3);
    }

    #[test]
    fn bad_columns_are_named() {
        let inf = Column::from_numbers("x", [1.0, f64::INFINITY]).unwrap_err().to_string();
        assert!(inf.contains("column \"x\", row 1"), "{inf}");
        let a = Column::from_numbers("a", [1.0, 2.0]).unwrap();
        let b = Column::from_numbers("b", [1.0]).unwrap();
        let short = Table::from_columns("frame", vec![a.clone(), b]).unwrap_err().to_string();
        assert!(short.contains("column \"b\" has 1 rows but column \"a\" has 2"), "{short}");
        let twice = Table::from_columns("frame", vec![a.clone(), a]).unwrap_err().to_string();
        assert!(twice.contains("both named \"a\""), "{twice}");
    }
}
