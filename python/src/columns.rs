//! Columns from Python: a list of `(name, values)` pairs, each `values` either a float64 or
//! float32 numpy array (numbers, NaN where missing: read in place, a column of a 2-D array as
//! its strided view, so the Python side copies nothing), a factorised column `(codes, values)`
//! (each row an int64 code into its distinct cells, -1 where missing) or a list of cells (`None`, `str`, `int`, `float`, `bool`). The package's Python half
//! turns a DataFrame, an array or an Arrow table into this list; here it becomes the library's
//! [`Table`], whose kinds and encodings are decided as a CSV file's are.

use backprop::data::table::{Cell, Column, Table};
use numpy::PyReadonlyArray1;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyList, PyString, PyTuple};

/// The table of `columns`, named `name` in messages.
pub(crate) fn table(name: &str, columns: &Bound<'_, PyList>) -> PyResult<Table> {
    let mut read = Vec::with_capacity(columns.len());
    for item in columns.iter() {
        let pair = item.cast::<PyTuple>().map_err(|_| PyTypeError::new_err("each column is a (name, values) pair"))?;
        let column_name: String = pair.get_item(0)?.extract()?;
        let values = pair.get_item(1)?;
        read.push(column(&column_name, &values)?);
    }
    Table::from_columns(name, read).map_err(crate::to_py)
}

fn column(name: &str, values: &Bound<'_, PyAny>) -> PyResult<Column> {
    // A column of a 2-D array arrives as a strided view, read in place.
    if let Ok(numbers) = values.extract::<PyReadonlyArray1<'_, f64>>() {
        let view = numbers.as_array();
        return Column::from_numbers(name, view.iter().copied()).map_err(|e| PyValueError::new_err(e.to_string()));
    }
    if let Ok(numbers) = values.extract::<PyReadonlyArray1<'_, f32>>() {
        let view = numbers.as_array();
        let values = view.iter().map(|&x| x as f64);
        return Column::from_numbers(name, values).map_err(|e| PyValueError::new_err(e.to_string()));
    }
    if let Ok(pair) = values.cast::<PyTuple>() {
        return coded(name, &pair.get_item(0)?, &pair.get_item(1)?);
    }
    let list = values.cast::<PyList>().map_err(|_| {
        PyTypeError::new_err(format!("column {name:?}: expected a float array, (codes, values) or a list of cells"))
    })?;
    let items: Vec<Bound<'_, PyAny>> = list.iter().collect();
    let cells = cells(name, &items)?;
    Column::from_cells(name, cells).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// A factorised column: each row a code (int64; -1 where missing) into `values`, its distinct
/// cells, each read once.
fn coded(name: &str, codes: &Bound<'_, PyAny>, values: &Bound<'_, PyAny>) -> PyResult<Column> {
    let codes = codes.extract::<PyReadonlyArray1<'_, i64>>()?;
    let items: Vec<Bound<'_, PyAny>> = values.cast::<PyList>()?.iter().collect();
    let distinct = cells(name, &items)?;
    let view = codes.as_array();
    let mut rows = Vec::with_capacity(view.len());
    for (row, &code) in view.iter().enumerate() {
        rows.push(match usize::try_from(code) {
            Ok(code) => *distinct.get(code).ok_or_else(|| {
                PyValueError::new_err(format!("column {name:?}, row {row}: code {code} of {} values", distinct.len()))
            })?,
            Err(_) => Cell::Missing,
        });
    }
    Column::from_cells(name, rows).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Python objects as cells: `None` missing, `str` text (borrowed from its Python string while
/// the column is built), `bool`, `int`, `float` and other numbers as numbers; anything else a
/// `TypeError` naming the column and row.
fn cells<'a>(name: &str, items: &'a [Bound<'_, PyAny>]) -> PyResult<Vec<Cell<'a>>> {
    let mut cells = Vec::with_capacity(items.len());
    for (row, item) in items.iter().enumerate() {
        cells.push(if item.is_none() {
            Cell::Missing
        } else if let Ok(text) = item.cast::<PyString>() {
            Cell::Text(text.to_str()?)
        } else if item.is_instance_of::<PyBool>() {
            Cell::Number(if item.extract::<bool>()? { 1.0 } else { 0.0 })
        } else if item.is_instance_of::<PyInt>() || item.is_instance_of::<PyFloat>() {
            Cell::Number(item.extract::<f64>()?)
        } else if let Ok(x) = item.extract::<f64>() {
            // numpy scalars and other numbers.
            Cell::Number(x)
        } else {
            let kind = item.get_type().name()?;
            return Err(PyTypeError::new_err(format!(
                "column {name:?}, row {row}: argument must be a string or a number, not {kind}"
            )));
        });
    }
    Ok(cells)
}
