//! Reading a delimited text file into typed columns, in one pass and without keeping the text
//! of numbers: each cell is a number, a missing marker, or text (kept once per distinct value).
//! Which columns are features of which kind is decided afterwards (`infer`), from these counts.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The cells read as missing, whatever the column: empty, `NA`, `N/A`, `NaN`, `nan`, `null`,
/// `NULL`, `None`, `?` and `-` (as pandas, R and spreadsheets write them).
pub const MISSING_MARKERS: [&str; 10] = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?", "-"];

/// The most columns a table may have: each costs a column of cells and its bookkeeping, so a
/// header of millions of names is refused before any is allocated.
pub const MAX_COLUMNS: usize = 100_000;

/// The delimiters recognised from the header line, in order of preference on a tie.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// How to read a table file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadOptions {
    /// The field delimiter [default: recognised from the header line].
    pub delimiter: Option<u8>,
    /// Markers of a missing cell besides [`MISSING_MARKERS`].
    pub missing: Vec<String>,
    /// Read only these columns (by name); the others are skipped unparsed. `None`: every column.
    pub only: Option<Vec<String>>,
}

/// One column as read: a number per row (NaN where the cell is missing or text) and the text
/// cells, each a code into the column's distinct values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Column {
    pub name: String,
    /// The value of each row's cell; NaN for a missing or text cell.
    pub numbers: Vec<f32>,
    /// (row, code into `values`) of every text cell, in row order.
    pub text: Vec<(u32, u32)>,
    /// The distinct text values, in order of first appearance.
    pub values: Vec<String>,
    /// Cells that were a missing marker.
    pub missing: usize,
    /// The first text cell: (line, text), for messages.
    pub first_text: Option<(u64, String)>,
}

impl Column {
    /// Cells that are numbers.
    pub fn number_cells(&self) -> usize {
        self.numbers.len() - self.missing - self.text.len()
    }

    /// Cells that are not missing.
    pub fn present(&self) -> usize {
        self.numbers.len() - self.missing
    }

    /// Appends a text cell; `index` finds its code among the column's values (it lives only
    /// while the file is read).
    pub(super) fn push_text(&mut self, index: &mut HashMap<String, u32>, line: u64, cell: &str) {
        let row = self.numbers.len() as u32;
        let code = match index.get(cell) {
            Some(&code) => code,
            None => {
                let code = self.values.len() as u32;
                self.values.push(cell.to_string());
                index.insert(cell.to_string(), code);
                code
            }
        };
        self.text.push((row, code));
        self.first_text.get_or_insert_with(|| (line, cell.to_string()));
        self.numbers.push(f32::NAN);
    }
}

/// A number as a category's name: the shortest text that reads back as the same f32.
pub fn number_text(x: f32) -> String {
    format!("{x}")
}

/// A file read into columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub path: PathBuf,
    pub delimiter: u8,
    /// The columns read, in the file's order (all, or those asked for).
    pub columns: Vec<Column>,
    /// Header names that were not read (with [`ReadOptions::only`]).
    pub skipped: Vec<String>,
    /// The markers read as missing.
    pub missing_markers: Vec<String>,
    pub(super) rows: usize,
}

impl Table {
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// Reads `path`. Errors name the file and, for a bad row, its line.
    pub fn read(path: &Path, options: &ReadOptions) -> Result<Table> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        Table::from_reader(path, file, options)
    }

    /// Reads a table from `source` (an upload's body, say), named `path` in errors.
    pub fn from_reader(path: &Path, mut source: impl Read, options: &ReadOptions) -> Result<Table> {
        let mut head = vec![0u8; 64 * 1024];
        let n = read_up_to(&mut source, &mut head).map_err(|e| Error::io(path, e))?;
        head.truncate(n);
        let delimiter = options.delimiter.unwrap_or_else(|| sniff_delimiter(&head));
        let source = std::io::Cursor::new(head).chain(source);
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .delimiter(delimiter)
            .trim(::csv::Trim::All)
            .from_reader(source);
        let header = header_names(path, &mut reader)?;
        let wanted: Vec<bool> = match &options.only {
            None => vec![true; header.len()],
            Some(only) => header.iter().map(|h| only.contains(h)).collect(),
        };
        let mut columns: Vec<Column> = header
            .iter()
            .zip(&wanted)
            .filter(|&(_, &w)| w)
            .map(|(name, _)| Column { name: name.clone(), ..Column::default() })
            .collect();
        let skipped = header.iter().zip(&wanted).filter(|&(_, &w)| !w).map(|(h, _)| h.clone()).collect();
        let mut markers: Vec<String> = MISSING_MARKERS.iter().map(|m| m.to_string()).collect();
        markers.extend(options.missing.iter().filter(|m| !MISSING_MARKERS.contains(&m.as_str())).cloned());
        // Each column's text values by code, while reading.
        let mut indexes: Vec<HashMap<String, u32>> = vec![HashMap::new(); columns.len()];
        let mut record = ::csv::StringRecord::new();
        let mut rows = 0usize;
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(csv_error(path, e)),
            }
            let line = record.position().map_or(0, |p| p.line());
            if record.len() == 1 && record[0].is_empty() {
                continue;
            }
            if record.len() != header.len() {
                return Err(Error::data(
                    path,
                    format!("line {line}"),
                    format!("{} fields, but the header has {} columns", record.len(), header.len()),
                ));
            }
            let mut column = columns.iter_mut().zip(indexes.iter_mut());
            for (cell, _) in record.iter().zip(&wanted).filter(|&(_, &w)| w) {
                let (column, index) = column.next().expect("one column per wanted field");
                read_cell(path, line, column, index, cell, &markers)?;
            }
            rows += 1;
        }
        if rows == 0 {
            return Err(Error::file(path, "no data rows after the header"));
        }
        Ok(Table { path: path.to_path_buf(), delimiter, columns, skipped, missing_markers: markers, rows })
    }
}

/// One cell into its column: a finite number, a missing marker, or text. A number that is not
/// finite (`inf`) is an error: it can be neither learned from nor sensibly imputed.
fn read_cell(
    path: &Path,
    line: u64,
    column: &mut Column,
    index: &mut HashMap<String, u32>,
    cell: &str,
    markers: &[String],
) -> Result<()> {
    match cell.parse::<f64>() {
        Ok(x) if x.is_finite() => column.numbers.push(x as f32),
        Ok(x) if x.is_nan() => {
            column.missing += 1;
            column.numbers.push(f32::NAN);
        }
        Ok(_) => {
            return Err(Error::data(
                path,
                format!("line {line}, column {:?}", column.name),
                format!("{cell:?} is not a finite number (infinities cannot be learned from)"),
            ));
        }
        Err(_) if markers.iter().any(|m| m == cell) => {
            column.missing += 1;
            column.numbers.push(f32::NAN);
        }
        Err(_) => column.push_text(index, line, cell),
    }
    Ok(())
}

/// The header's names: unique, an empty one named after its position (`column_1`, as the
/// unnamed index column pandas writes).
fn header_names<R: Read>(path: &Path, reader: &mut ::csv::Reader<R>) -> Result<Vec<String>> {
    let header = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    if header.is_empty() || header.iter().all(str::is_empty) {
        return Err(Error::file(path, "the file is empty: expected a header line naming the columns"));
    }
    if header.len() > MAX_COLUMNS {
        return Err(Error::file(
            path,
            format!("line 1: {} columns; backprop reads tables of at most {MAX_COLUMNS}", header.len()),
        ));
    }
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(j, h)| {
            let h = h.trim_start_matches('\u{feff}');
            if h.is_empty() { format!("column_{}", j + 1) } else { h.to_string() }
        })
        .collect();
    for (j, name) in names.iter().enumerate() {
        if let Some(k) = names[..j].iter().position(|n| n == name) {
            return Err(Error::data(
                path,
                "line 1",
                format!("columns {} and {} are both named {name:?}; rename one", k + 1, j + 1),
            ));
        }
    }
    Ok(names)
}

/// The delimiter of a file from its first line: the candidate that occurs most often outside
/// quotes (a comma on a tie or when none occurs).
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (0..DELIMITERS.len()).max_by_key(|&i| (counts[i], std::cmp::Reverse(i))).unwrap_or(0);
    if counts[best] == 0 { b',' } else { DELIMITERS[best] }
}

fn read_up_to(file: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

pub(super) fn csv_error(path: &Path, e: ::csv::Error) -> Error {
    match e.position() {
        Some(p) => Error::data(path, format!("line {}", p.line()), e.to_string()),
        None => Error::file(path, e.to_string()),
    }
}

/// A list of names for a message: the first few, then how many more.
pub fn brief<S: AsRef<str>>(names: &[S]) -> String {
    let shown: Vec<String> = names.iter().take(5).map(|n| format!("{:?}", n.as_ref())).collect();
    match names.len() {
        n if n > 5 => format!("{}, … {} more", shown.join(", "), n - 5),
        _ => shown.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_is_the_most_frequent_candidate_outside_quotes() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\n1,5;2;3\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a|b|c\n"), b'|');
        assert_eq!(sniff_delimiter(b"\"x,y\";b;c\n"), b';', "commas inside quotes do not count");
        assert_eq!(sniff_delimiter(b"single\n1\n"), b',');
    }
}
