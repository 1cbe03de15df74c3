//! Reading a data file for any subcommand: CSV or IDX (recognised by its first bytes), and
//! lining the data up with what a model expects (feature order, class names, scaling).

use std::path::{Path, PathBuf};

use crate::data::{
    CsvOptions, Dataset, TargetColumn, Targets, Task, load_csv, load_csv_columns, load_mnist, looks_like_idx,
};
use crate::error::{Error, Result};
use crate::io::{InputKind, ModelInfo};
use crate::tensor::Tensor;

/// Which kind of file `path` is.
pub fn kind_of(path: &Path) -> Result<InputKind> {
    if !path.exists() {
        return Err(Error::file(path, "no such file"));
    }
    Ok(if looks_like_idx(path) { InputKind::Idx } else { InputKind::Csv })
}

/// Loads a labelled dataset: CSV with its target column, or IDX images with `labels`.
pub fn load_labelled(
    data: &Path,
    labels: Option<&PathBuf>,
    target: Option<&str>,
    task: Option<Task>,
) -> Result<(Dataset, InputKind)> {
    match kind_of(data)? {
        InputKind::Idx => {
            let labels = labels.ok_or_else(|| {
                Error::invalid(format!("{} is an IDX image file: give its labels with --labels", data.display()))
            })?;
            if task == Some(Task::Regress) {
                return Err(Error::invalid("IDX labels are classes: --task regress does not apply"));
            }
            Ok((load_mnist(data, labels)?, InputKind::Idx))
        }
        InputKind::Csv => {
            if labels.is_some() {
                return Err(Error::invalid(format!(
                    "--labels goes with IDX image files; {} is CSV (its target is a column: --target)",
                    data.display()
                )));
            }
            let target = target.map(|t| match t.parse::<usize>() {
                Ok(i) => TargetColumn::Index(i),
                Err(_) => TargetColumn::Name(t.to_string()),
            });
            Ok((load_csv(data, &CsvOptions { target, task })?, InputKind::Csv))
        }
    }
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

/// Loads labelled data for a trained model: same kind of file, same feature order, class
/// names mapped to the model's, the model's scaling applied.
pub fn load_for_model(info: &ModelInfo, data: &Path, labels: Option<&PathBuf>) -> Result<Dataset> {
    let kind = kind_of(data)?;
    if kind != info.input {
        return Err(Error::invalid(format!(
            "the model was trained on {} data but {} is {}",
            info.input,
            data.display(),
            kind
        )));
    }
    let (mut dataset, _) = load_labelled(data, labels, info.target_column.as_deref(), Some(info.task))?;
    if kind == InputKind::Csv && dataset.feature_names != info.features {
        // Same columns in another order are fine; missing ones are not.
        let features = load_csv_columns(data, &info.features)?;
        dataset = Dataset { features, feature_names: info.features.clone(), ..dataset };
    }
    check_width(info, dataset.width(), data)?;
    if let Some(classes) = &info.classes {
        dataset = align_classes(dataset, classes, data)?;
    }
    if let Some(s) = &info.standardizer {
        s.apply(&mut dataset.features);
    }
    Ok(dataset)
}

/// Loads just the inputs for a trained model (the target may be absent), scaled as in training.
pub fn load_features_for_model(info: &ModelInfo, data: &Path) -> Result<Tensor<f32>> {
    let mut features = match kind_of(data)? {
        // IDX images need no labels to be predicted.
        InputKind::Idx if info.input == InputKind::Idx => crate::data::load_images(data)?.0,
        InputKind::Csv if info.input == InputKind::Csv => load_csv_columns(data, &info.features)?,
        other => {
            return Err(Error::invalid(format!(
                "the model was trained on {} data but {} is {other}",
                info.input,
                data.display()
            )));
        }
    };
    check_width(info, features.dims()[1], data)?;
    if let Some(s) = &info.standardizer {
        s.apply(&mut features);
    }
    Ok(features)
}

fn check_width(info: &ModelInfo, width: usize, data: &Path) -> Result<()> {
    let want = info.architecture.sizes[0];
    if width != want {
        return Err(Error::file(data, format!("{width} features per sample, but the model takes {want}")));
    }
    Ok(())
}
