//! A run's data: the training file (and `--test`) read and split into training, validation
//! and test parts — a table's rows split first and its preprocessing fitted on the training
//! rows alone, images split as they are.

use super::plan::{self, DataDescription, TestSet};
use super::read::{self, align_classes, kind_of, load_images};
use crate::data::folder::{FolderOptions, load_image_folder};
use crate::data::table::{CsvOptions, Overrides, ReadOptions, Table, TableSchema, TargetColumn, TrainingTable};
use crate::data::{Dataset, Targets, Task, split_indices};
use crate::error::{Error, Result};
use crate::io::InputKind;
use crate::nn::SampleShape;
use crate::train::{DataFiles, TrainSpec};

/// The data split into its parts, encoded and ready to train on.
pub struct Parts {
    pub kind: InputKind,
    pub train: Dataset,
    pub val: Option<Dataset>,
    pub test: Dataset,
    pub test_source: TestSet,
    /// A table's preprocessing, fitted on the training part.
    pub schema: Option<TableSchema>,
    /// What the user should hear about the data before training (rows dropped, test file notes).
    pub notes: Vec<String>,
}

impl Parts {
    pub fn describe(&self) -> DataDescription {
        let task = if self.train.classes().is_some() { Task::Classify } else { Task::Regress };
        DataDescription {
            kind: self.kind,
            task,
            sample: match self.train.image {
                Some([channels, height, width]) => SampleShape::Image { channels, height, width },
                None => SampleShape::Flat(self.train.width()),
            },
            outputs: self.train.outputs(),
            samples: self.train.len(),
        }
    }
}

/// Where the test set comes from, as the files and the spec say.
fn test_source(files: &DataFiles, spec: &TrainSpec) -> TestSet {
    match &files.test {
        Some(path) => TestSet::File(path.clone()),
        None => TestSet::HeldOut(spec.test_split),
    }
}

/// Reads `--data` (and `--test`) and splits them: a table's rows are split first and its
/// preprocessing fitted on the training rows alone; images are split as they are.
pub fn load(files: &DataFiles, spec: &TrainSpec) -> Result<Parts> {
    let kind = kind_of(&files.data)?;
    if let Some(test) = &files.test {
        let test_kind = kind_of(test)?;
        if test_kind != kind {
            return Err(Error::invalid(format!("--test is {test_kind} but --data is {kind}")));
        }
    }
    if kind != InputKind::Images && spec.image_size.is_some() {
        return Err(Error::invalid(format!(
            "--image-size resizes the pictures of an image folder; {} is {kind}",
            files.data.display()
        )));
    }
    match kind {
        InputKind::Csv => load_table(files, spec),
        InputKind::Idx | InputKind::Images => load_image_parts(kind, files, spec),
    }
}

fn load_table(files: &DataFiles, spec: &TrainSpec) -> Result<Parts> {
    if files.labels.is_some() {
        return Err(Error::invalid(format!(
            "--labels goes with IDX image files; {} is CSV (its target is a column: --target)",
            files.data.display()
        )));
    }
    let table = TrainingTable::read(&files.data, &csv_options(spec))?;
    split_table(&table, test_source(files, spec), spec)
}

/// Reads a table for training as `spec` says (a cross-validation reads it once for all its
/// folds: [`fold`]).
pub fn read_table(files: &DataFiles, spec: &TrainSpec) -> Result<TrainingTable> {
    if kind_of(&files.data)? != InputKind::Csv {
        return Err(Error::invalid(format!(
            "{} is not a table: cross-validation runs on CSV files",
            files.data.display()
        )));
    }
    TrainingTable::read(&files.data, &csv_options(spec))
}

/// Fold `fold` of `of` as the test part and the other folds as training and validation parts,
/// the schema fitted on this fold's training rows alone (see [`fold_rows`]).
pub fn fold(table: &TrainingTable, fold: usize, of: usize, spec: &TrainSpec) -> Result<Parts> {
    split_table(table, TestSet::Fold { fold, of }, spec)
}

/// The rows of `table` cut into `of` folds, seeded by `seed`: fold `fold`'s rows and the rest.
/// For classes the folds are stratified: each class's rows, shuffled, are dealt round the folds
/// one after another, so every fold holds each class in its share (±1 row); values are dealt
/// shuffled.
pub fn fold_rows(table: &TrainingTable, fold: usize, of: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    use rand::seq::SliceRandom;
    let mut rng = crate::rng(seed.wrapping_add(2));
    let mut groups: Vec<Vec<usize>> = match &table.cells {
        crate::data::table::TargetCells::Classes { labels, names } => {
            let mut by_class = vec![vec![]; names.len()];
            for &row in &table.rows {
                by_class[labels[row].expect("rows with a target")].push(row);
            }
            by_class
        }
        crate::data::table::TargetCells::Values(_) => vec![table.rows.clone()],
    };
    let (mut test, mut rest) = (vec![], vec![]);
    let mut position = 0;
    for group in &mut groups {
        group.shuffle(&mut rng);
        for &row in group.iter() {
            if position % of == fold {
                test.push(row)
            } else {
                rest.push(row)
            }
            position += 1;
        }
    }
    rest.sort_unstable();
    test.sort_unstable();
    (rest, test)
}

/// A table built in memory ([`Table::from_columns`]: a DataFrame handed over by the Python
/// module) understood and split as a file's rows are; `spec.test_split` may be 0, to train on
/// every row but the validation part.
pub fn from_table(table: Table, spec: &TrainSpec) -> Result<Parts> {
    let table = TrainingTable::new(table, &csv_options(spec))?;
    split_table(&table, TestSet::HeldOut(spec.test_split), spec)
}

/// How the spec says to read a table.
fn csv_options(spec: &TrainSpec) -> CsvOptions {
    CsvOptions {
        target: spec.target.as_deref().map(TargetColumn::parse),
        task: spec.task,
        read: ReadOptions { delimiter: spec.delimiter, missing: spec.na.clone(), only: None },
        overrides: Overrides {
            categorical: spec.categorical.clone(),
            numeric: spec.numeric.clone(),
            ignore: spec.ignore.clone(),
        },
    }
}

/// A table's rows split into training, validation and test parts (or the test part read from
/// `source`'s file), the schema fitted on the training rows alone and every part encoded.
fn split_table(table: &TrainingTable, source: TestSet, spec: &TrainSpec) -> Result<Parts> {
    let mut notes = Vec::new();
    if table.dropped() > 0 {
        notes.push(format!("{} rows without a target value left out", table.dropped()));
    }
    let seed = spec.seed;
    let (rest, test_rows) = match &source {
        TestSet::File(_) => (table.rows.clone(), vec![]),
        TestSet::HeldOut(fraction) => split_indices(&table.rows, *fraction, &mut crate::rng(seed)),
        TestSet::Fold { fold, of } => fold_rows(table, *fold, *of, seed),
    };
    let (train_rows, val_rows) = if spec.val_split > 0.0 {
        split_indices(&rest, spec.val_split, &mut crate::rng(seed.wrapping_add(1)))
    } else {
        (rest, vec![])
    };
    if train_rows.is_empty() {
        return Err(Error::invalid("no training samples left after holding out test and validation data"));
    }
    let fit = plan::fit_options(spec);
    let schema = table.fit(&train_rows, fit);
    // One-hot features are dense: say so when they grow large, and how to make them smaller.
    let width = schema.feature_names().len();
    let bytes = (table.rows.len() * width * 4) as f64;
    if bytes > 1e9 {
        notes.push(format!(
            "the encoded features take {:.1} GB ({} rows × {width} columns, one-hot columns included); \
             merge rare categories with --min-category-count or leave columns out with --ignore",
            bytes / 1e9,
            table.rows.len()
        ));
    }
    let (train, _) = table.dataset(&schema, &train_rows)?;
    let val = if val_rows.is_empty() { None } else { Some(table.dataset(&schema, &val_rows)?.0) };
    let test = match &source {
        TestSet::HeldOut(_) | TestSet::Fold { .. } => table.dataset(&schema, &test_rows)?.0,
        TestSet::File(path) => {
            let classes = match &train.targets {
                Targets::Classes { names, .. } => Some(names.as_slice()),
                Targets::Values { .. } => None,
            };
            let file = schema.read(path, table.task, classes)?;
            let (test, report, dropped) = schema.dataset(&file)?;
            notes.extend(read::notes(&file.table, &report, path));
            if dropped > 0 {
                notes.push(format!("{}: {dropped} rows without a target value left out", path.display()));
            }
            test
        }
    };
    Ok(Parts { kind: InputKind::Csv, train, val, test, test_source: source, schema: Some(schema), notes })
}

fn load_image_parts(kind: InputKind, files: &DataFiles, spec: &TrainSpec) -> Result<Parts> {
    let source = test_source(files, spec);
    let seed = spec.seed;
    let mut notes = vec![];
    let (data, test_file) = match kind {
        // The test file is read on the other core while the training file inflates.
        InputKind::Idx => rayon::join(
            || load_images(&files.data, files.labels.as_ref(), spec.task),
            || match &source {
                TestSet::File(path) => Some(load_images(path, files.test_labels.as_ref(), Some(Task::Classify))),
                TestSet::HeldOut(_) | TestSet::Fold { .. } => None,
            },
        ),
        _ => {
            if let Some(labels) = files.labels.as_ref().or(files.test_labels.as_ref()) {
                return Err(Error::invalid(format!(
                    "{} is an image folder: its subfolders are the classes, so {} is not needed",
                    files.data.display(),
                    labels.display()
                )));
            }
            if spec.task == Some(Task::Regress) {
                return Err(Error::invalid("an image folder's subfolders are classes: --task regress does not apply"));
            }
            let options = FolderOptions { size: spec.image_size, shape: None, bad: spec.bad_images };
            let (data, data_notes) = load_image_folder(&files.data, options, None)?;
            notes.extend(data_notes);
            let test = match &source {
                TestSet::File(path) => {
                    let Targets::Classes { names, .. } = &data.targets else { unreachable!("folders hold classes") };
                    let options = FolderOptions { shape: data.image, ..options };
                    Some(load_image_folder(path, options, Some(names)).map(|(test, test_notes)| {
                        notes.extend(test_notes);
                        test
                    }))
                }
                TestSet::HeldOut(_) | TestSet::Fold { .. } => None,
            };
            (Ok(data), test)
        }
    };
    let data = data?;
    let (rest, test) = match &source {
        TestSet::File(path) => {
            let test = test_file.expect("a test file was read")?;
            if test.width() != data.width() {
                return Err(Error::file(path, format!("{} features, but --data has {}", test.width(), data.width())));
            }
            let Targets::Classes { names, .. } = &data.targets else { unreachable!("IDX labels are classes") };
            let test = align_classes(test, names, path)?;
            (data, test)
        }
        TestSet::HeldOut(fraction) => data.split(*fraction, &mut crate::rng(seed)),
        TestSet::Fold { .. } => unreachable!("folds are cut from tables only (read_table refuses images)"),
    };
    let (train, val) = if spec.val_split > 0.0 {
        let (t, v) = rest.split(spec.val_split, &mut crate::rng(seed.wrapping_add(1)));
        (t, Some(v))
    } else {
        (rest, None)
    };
    if train.is_empty() {
        return Err(Error::invalid("no training samples left after holding out test and validation data"));
    }
    Ok(Parts { kind, train, val, test, test_source: source, schema: None, notes })
}
