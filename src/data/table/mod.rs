//! Tabular data: a delimited text file read into typed columns ([`read`]), each column's kind
//! decided from the training file ([`infer`]), the preprocessing kept with the model
//! ([`schema`]), fitted on the training rows ([`fit`]) and applied to any rows ([`encode`]),
//! and the target ([`target`]).
//!
//! The flow: [`TrainingTable::read`] reads and understands a training file; the caller splits
//! its rows; [`TrainingTable::fit`] fits a [`TableSchema`] on the training rows alone and
//! [`TrainingTable::dataset`] encodes any rows with it. A trained model reads new files with
//! [`TableSchema::read`] and [`TableSchema::dataset`] — the same encoding, by column name.

mod encode;
mod fit;
mod frame;
mod infer;
mod read;
mod schema;
mod target;

use std::path::Path;

pub use encode::{EncodeReport, spellings};
pub use frame::Cell;
pub use infer::{Decision, Overrides, infer};
pub use read::{Column, DELIMITERS, MISSING_MARKERS, ReadOptions, Table, brief, number_text, sniff_delimiter};
pub use schema::{
    ColumnKind, Encoding, FeatureColumn, FitOptions, HEAVY_TAIL_IQRS, IgnoredColumn, NumericScaling, TableSchema,
    smooth_clip,
};
pub use target::{TargetCells, TargetColumn, Task};

use super::{Dataset, Targets};
use crate::error::Result;

/// How to read a CSV file for training.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CsvOptions {
    /// The target column [default: `label`, `target` or `class`, else the last].
    pub target: Option<TargetColumn>,
    /// [default: guessed from the target, see [`Task::guess`]].
    pub task: Option<Task>,
    pub read: ReadOptions,
    pub overrides: Overrides,
}

/// A training file read and understood: every column's kind decided, the target read.
#[derive(Clone, Debug)]
pub struct TrainingTable {
    pub table: Table,
    pub decisions: Vec<(String, Decision)>,
    pub target: String,
    pub task: Task,
    pub cells: TargetCells,
    /// The rows with a target (the others are dropped).
    pub rows: Vec<usize>,
}

impl TrainingTable {
    pub fn read(path: &Path, options: &CsvOptions) -> Result<TrainingTable> {
        TrainingTable::new(Table::read(path, &options.read)?, options)
    }

    /// A table already read (or built in memory, [`Table::from_columns`]) understood as
    /// [`TrainingTable::read`] understands a file.
    pub fn new(table: Table, options: &CsvOptions) -> Result<TrainingTable> {
        if table.columns.len() < 2 {
            return Err(crate::Error::file(
                &table.path,
                format!("only one column ({:?}); expected features and a target", table.columns[0].name),
            ));
        }
        let target = TargetColumn::resolve(options.target.as_ref(), &table)?;
        let decisions = infer(&table, &target, &options.overrides)?;
        let column = table.column(&target).expect("resolved in this table");
        let task = options.task.unwrap_or_else(|| Task::guess(column));
        let cells = TargetCells::read(&table, &target, task, None)?;
        let rows = cells.rows();
        Ok(TrainingTable { table, decisions, target, task, cells, rows })
    }

    /// Rows left out for a missing target.
    pub fn dropped(&self) -> usize {
        self.table.rows() - self.rows.len()
    }

    /// The schema fitted on `rows` alone (the training split); a regression target is
    /// standardised too when `options.standardize` says so.
    pub fn fit(&self, rows: &[usize], options: FitOptions) -> TableSchema {
        let mut schema = TableSchema::fit(&self.table, &self.decisions, &self.target, rows, options);
        if options.standardize {
            schema.target_scale = self.cells.fit_scale(rows);
        }
        schema
    }

    /// `rows` encoded with `schema`.
    pub fn dataset(&self, schema: &TableSchema, rows: &[usize]) -> Result<(Dataset, EncodeReport)> {
        let (features, report) = schema.encode(&self.table, rows)?;
        let targets = self.cells.targets(rows, schema.target_scale, &self.target);
        Ok((assemble(schema, features, targets), report))
    }
}

/// A file read for a trained model.
#[derive(Clone, Debug)]
pub struct ModelTable {
    pub table: Table,
    /// The target of every row, when the file has the target column.
    pub cells: Option<TargetCells>,
}

impl TableSchema {
    /// Reads the columns this schema uses (and the target, if present) from `path`, with the
    /// training file's missing markers; other columns are skipped (see [`Table::skipped`]).
    /// Classification targets are read as `classes`.
    pub fn read(&self, path: &Path, task: Task, classes: Option<&[String]>) -> Result<ModelTable> {
        let mut only: Vec<String> = self.columns.iter().map(|c| c.name.clone()).collect();
        only.push(self.target.clone());
        let options = ReadOptions { delimiter: None, missing: self.missing_markers.clone(), only: Some(only) };
        let table = Table::read(path, &options)?;
        let cells = match table.column(&self.target) {
            Some(_) => Some(TargetCells::read(&table, &self.target, task, classes)?),
            None => None,
        };
        Ok(ModelTable { table, cells })
    }

    /// The rows of `file` that have a target, encoded, with targets scaled as in training; an
    /// error when the file has no target column. Also returns the rows dropped for a missing
    /// target.
    pub fn dataset(&self, file: &ModelTable) -> Result<(Dataset, EncodeReport, usize)> {
        let cells = file.cells.as_ref().ok_or_else(|| {
            crate::Error::file(
                &file.table.path,
                format!("no target column {:?}; the columns are {}", self.target, brief(&file.table.names())),
            )
        })?;
        let rows = cells.rows();
        let (features, report) = self.encode(&file.table, &rows)?;
        let targets = cells.targets(&rows, self.target_scale, &self.target);
        Ok((assemble(self, features, targets), report, file.table.rows() - rows.len()))
    }
}

fn assemble(schema: &TableSchema, features: crate::tensor::Tensor<f32>, targets: Targets) -> Dataset {
    Dataset {
        features,
        targets,
        feature_names: schema.feature_names(),
        target_column: Some(schema.target.clone()),
        image: None,
    }
}

/// Reads a whole CSV file as a dataset in one call (for the library): every column's kind
/// inferred, missing cells filled, categories one-hot encoded, fitted on all of the file's
/// rows; features and targets keep their values (not standardised — see
/// [`Standardizer`](super::Standardizer)). Rows with a missing target are left out. Training
/// from the command line instead fits on the training split alone ([`TrainingTable`]).
pub fn load_csv(path: &Path, options: &CsvOptions) -> Result<Dataset> {
    let t = TrainingTable::read(path, options)?;
    let schema = t.fit(&t.rows, FitOptions { standardize: false, ..FitOptions::default() });
    Ok(t.dataset(&schema, &t.rows)?.0)
}
