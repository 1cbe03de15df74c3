//! Reading a data file for training or for a trained model: a table (CSV and its kin) or IDX
//! images (recognised by their first bytes), and lining it up with what a model expects — a
//! table through the model's schema (columns by name, the same encoding), images as they are.

use std::path::{Path, PathBuf};

use crate::data::folder::{FolderOptions, Pixels, describe_bad, is_image_name, list, load_image_folder, read_images};
use crate::data::table::{EncodeReport, ModelTable, Table, brief};
use crate::data::{Dataset, Targets, Task, load_mnist, looks_like_idx};
use crate::error::{Error, Result};
use crate::io::{InputKind, ModelInfo};
use crate::tensor::Tensor;

/// Which kind of file `path` is.
pub fn kind_of(path: &Path) -> Result<InputKind> {
    if !path.exists() {
        return Err(Error::file(path, "no such file"));
    }
    Ok(if path.is_dir() || is_image_name(path) {
        InputKind::Images
    } else if looks_like_idx(path) {
        InputKind::Idx
    } else {
        InputKind::Csv
    })
}

/// Loads IDX images with their `labels` (classes only).
pub fn load_images(data: &Path, labels: Option<&PathBuf>, task: Option<Task>) -> Result<Dataset> {
    let labels = labels.ok_or_else(|| {
        Error::invalid(format!("{} is an IDX image file: give its labels with --labels", data.display()))
    })?;
    if task == Some(Task::Regress) {
        return Err(Error::invalid("IDX labels are classes: --task regress does not apply"));
    }
    load_mnist(data, labels)
}

/// Re-labels a classification dataset so its class indices follow `names` (the model's).
pub fn align_classes(data: Dataset, names: &[String], path: &Path) -> Result<Dataset> {
    let Targets::Classes { labels, names: own } = &data.targets else { return Ok(data) };
    let map: Vec<usize> = own
        .iter()
        .map(|n| {
            names.iter().position(|m| m == n).ok_or_else(|| {
                Error::file(path, format!("class {n:?} is not one the model knows ({})", names.join(", ")))
            })
        })
        .collect::<Result<_>>()?;
    let labels = labels.iter().map(|&l| map[l]).collect();
    Ok(Dataset { targets: Targets::Classes { labels, names: names.to_vec() }, ..data })
}

/// Refuses a file of another kind than the model was trained on.
fn check_kind(info: &ModelInfo, data: &Path) -> Result<InputKind> {
    let kind = kind_of(data)?;
    if kind != info.input {
        return Err(Error::invalid(format!(
            "the model was trained on {} data but {} is {kind}",
            info.input,
            data.display()
        )));
    }
    Ok(kind)
}

/// Reads a table for a trained model: only its columns, by name, with its missing markers.
fn read_table(info: &ModelInfo, data: &Path) -> Result<ModelTable> {
    let schema = info.table.as_ref().ok_or_else(|| Error::invalid("the model has no table schema"))?;
    schema.read(data, info.task, info.classes.as_deref())
}

/// Loads labelled data for a trained model: a table encoded by the model's schema (rows with
/// a missing target left out), or IDX images with their labels. Also returns what the user
/// should hear about the file (extra columns, unseen categories, missing cells).
pub fn load_for_model(info: &ModelInfo, data: &Path, labels: Option<&PathBuf>) -> Result<(Dataset, Vec<String>)> {
    let dataset = match check_kind(info, data)? {
        InputKind::Idx => load_images(data, labels, Some(info.task))?,
        InputKind::Images => {
            let options = FolderOptions { shape: info.image, ..FolderOptions::default() };
            return load_image_folder(data, options, info.classes.as_deref());
        }
        InputKind::Csv => {
            let file = read_table(info, data)?;
            let schema = info.table.as_ref().expect("read_table checked it");
            let (dataset, report, dropped) = schema.dataset(&file)?;
            let mut notes = notes(&file.table, &report, data);
            if dropped > 0 {
                notes.push(format!("{}: {dropped} rows without a target value left out", data.display()));
            }
            return Ok((dataset, notes));
        }
    };
    check_width(info, dataset.width(), data)?;
    let dataset = match &info.classes {
        Some(classes) => align_classes(dataset, classes, data)?,
        None => dataset,
    };
    Ok((dataset, vec![]))
}

/// Loads just the inputs for a trained model (the target column may be absent), encoded as in
/// training, with the notes of [`load_for_model`].
pub fn load_features_for_model(info: &ModelInfo, data: &Path) -> Result<(Tensor<f32>, Vec<String>)> {
    match check_kind(info, data)? {
        InputKind::Images => {
            let (pixels, notes) = load_image_files_for_model(info, &[data.to_path_buf()])?;
            Ok((pixels.features, notes))
        }
        // IDX images need no labels to be predicted.
        InputKind::Idx => {
            let features = crate::data::load_images(data)?.0;
            check_width(info, features.dims()[1], data)?;
            Ok((features, vec![]))
        }
        InputKind::Csv => {
            let file = read_table(info, data)?;
            let schema = info.table.as_ref().expect("read_table checked it");
            let rows: Vec<usize> = (0..file.table.rows()).collect();
            let (features, report) = schema.encode(&file.table, &rows)?;
            Ok((features, notes(&file.table, &report, data)))
        }
    }
}

/// Pictures for an image model: each path a PNG or JPEG file, or a folder whose image files
/// (in any subfolders) are read in sorted order; resized to the model's size. Files that are
/// not usable images are left out and named in the notes.
pub fn load_image_files_for_model(info: &ModelInfo, paths: &[PathBuf]) -> Result<(Pixels, Vec<String>)> {
    let mut files = vec![];
    let mut notes = vec![];
    for path in paths {
        if check_kind(info, path)? != InputKind::Images {
            return Err(Error::file(path, "not a PNG or JPEG file, nor a folder of them"));
        }
        if path.is_dir() {
            let listing = list(path)?;
            notes.extend(listing.other_files_note(path));
            files.extend(listing.files.into_iter().map(|(file, _)| file));
        } else {
            files.push(path.clone());
        }
    }
    let options = FolderOptions { shape: info.image, ..FolderOptions::default() };
    let pixels = read_images(&files, options)?;
    if !pixels.bad.is_empty() {
        notes.push(format!(
            "{} of {} files left out, not usable images: {}",
            pixels.bad.len(),
            files.len(),
            describe_bad(&pixels.bad)
        ));
    }
    Ok((pixels, notes))
}

/// What a user should hear about a file read for a model: columns it did not use, values the
/// training data never had, missing cells.
pub fn notes(table: &Table, report: &EncodeReport, path: &Path) -> Vec<String> {
    let mut notes = Vec::new();
    let file = path.display();
    if !table.skipped.is_empty() {
        notes.push(format!(
            "{file}: ignored {} columns the model does not use: {}",
            table.skipped.len(),
            brief(&table.skipped)
        ));
    }
    let list =
        |counts: &[(String, usize)]| counts.iter().map(|(c, n)| format!("{c} ({n})")).collect::<Vec<_>>().join(", ");
    if !report.unseen.is_empty() {
        notes.push(format!(
            "{file}: values not seen in training, read as \"other\" or as none: {}",
            list(&report.unseen)
        ));
    }
    if !report.missing.is_empty() {
        notes.push(format!("{file}: missing cells, filled as in training: {}", list(&report.missing)));
    }
    notes
}

fn check_width(info: &ModelInfo, width: usize, data: &Path) -> Result<()> {
    let want = info.architecture.input_numel();
    if width != want {
        return Err(Error::file(data, format!("{width} features per sample, but the model takes {want}")));
    }
    Ok(())
}
