//! `backprop._native`: the library's training, prediction and explanations as a Python
//! extension (PyO3). It is deliberately thin: columns in, a [`TrainedModel`] out, pages as
//! strings. scikit-learn's conventions, DataFrame handling and the report objects live in the
//! package's Python half (`backprop/`), which is the module users import.
//!
//! Three promises are kept here: training releases the GIL and runs on the library's threads;
//! Ctrl-C stops it between two steps ([`train`] watches for the signal on the calling thread
//! while the run goes on in another); and nothing inside Rust aborts the interpreter — a
//! library error becomes `ValueError` / `FileNotFoundError` / `OSError` with the command line's
//! message, and a panic (a bug) becomes `RuntimeError`.

mod columns;
mod reports;
mod training;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use backprop::data::Scale;
use backprop::network::TargetsFile;
use backprop::pipeline::TrainedModel;
use backprop::tensor::Threads;
use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

/// A library error as the Python exception of its kind, with the command line's message.
pub(crate) fn to_py(error: backprop::Error) -> PyErr {
    let message = error.to_string();
    match &error {
        backprop::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(message)
        }
        backprop::Error::Io { .. } => PyOSError::new_err(message),
        backprop::Error::File { message: m, .. } if m.starts_with("no such") => PyFileNotFoundError::new_err(message),
        _ => PyValueError::new_err(message),
    }
}

/// Runs `work`, turning a library error into its Python exception and a panic (a bug in
/// backprop) into `RuntimeError` instead of an abort.
pub(crate) fn guarded<T>(work: impl FnOnce() -> backprop::Result<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result.map_err(to_py),
        Err(panic) => Err(panic_error(panic)),
    }
}

/// A caught panic as `RuntimeError`, with its message.
pub(crate) fn panic_error(panic: Box<dyn std::any::Any + Send>) -> PyErr {
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".to_string());
    PyRuntimeError::new_err(format!("internal error in backprop (please report it): {message}"))
}

/// The number of threads `n_jobs` asks for: `None` or -1 every core, else at least 1.
pub(crate) fn threads(n_jobs: Option<i64>) -> Threads {
    match n_jobs {
        None | Some(-1) => Threads::all(),
        Some(n) if n >= 1 => Threads::new(n as usize),
        // scikit-learn's -2: all cores but one, and so on.
        Some(n) => Threads::new((Threads::all().get() as i64 + 1 + n).max(1) as usize),
    }
}

/// A trained model: `model.json`'s description and the weights.
#[pyclass(module = "backprop._native", frozen)]
pub struct Model {
    pub(crate) inner: TrainedModel,
}

#[pymethods]
impl Model {
    /// Predictions for the rows of `columns` (a list of (name, values) pairs, as `train` takes
    /// them): for classes, each class's probability [rows, classes]; for values, the values in
    /// the target's units [rows, outputs]. Also the notes a user should hear (unseen categories,
    /// missing cells).
    #[pyo3(signature = (columns, n_jobs=None))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        columns: &Bound<'py, PyList>,
        n_jobs: Option<i64>,
    ) -> PyResult<(Bound<'py, PyArray2<f64>>, Vec<String>)> {
        let table = columns::table("X", columns)?;
        let threads = threads(n_jobs);
        let (values, width, notes) = py.detach(|| {
            guarded(|| {
                let (predictions, notes) = self.inner.predict_table(&table, threads)?;
                let width = predictions.outputs.dims()[1];
                let values: Vec<f64> = if predictions.classify {
                    predictions.outputs.softmax(1).data().iter().map(|&p| p as f64).collect()
                } else {
                    let scale = predictions.scale;
                    predictions.outputs.data().iter().map(|&v| scale.invert(v) as f64).collect()
                };
                Ok((values, width, notes))
            })
        })?;
        let rows = values.len() / width.max(1);
        Ok((PyArray1::from_vec(py, values).reshape([rows, width])?, notes))
    }

    /// The model on one row of `columns` with its target (a class name, or a value in the
    /// target's units) as a network file's JSON, for `explain`: a plain gradient-descent step
    /// of `learning_rate`.
    fn network_file(
        &self,
        columns: &Bound<'_, PyList>,
        target: &Bound<'_, PyAny>,
        learning_rate: f64,
    ) -> PyResult<String> {
        let table = columns::table("X", columns)?;
        let model = &self.inner;
        let target = match &model.info.classes {
            Some(classes) => {
                let name: String = target.extract()?;
                let index = classes.iter().position(|c| *c == name).ok_or_else(|| {
                    PyValueError::new_err(format!("class {name:?} is not one the model knows ({})", classes.join(", ")))
                })?;
                TargetsFile::Class(index)
            }
            None => {
                let value: f64 = target.extract()?;
                let scale = model.info.table.as_ref().and_then(|t| t.target_scale).unwrap_or(Scale::IDENTITY);
                TargetsFile::Vector(vec![scale.apply(value as f32) as f64])
            }
        };
        guarded(|| {
            let schema =
                model.info.table.as_ref().ok_or_else(|| backprop::Error::invalid("the model has no table schema"))?;
            let (features, _) = schema.encode(&table, &[0])?;
            let file = model.network_file(features.data(), target, learning_rate)?;
            serde_json::to_string(&file).map_err(|e| backprop::Error::invalid(e.to_string()))
        })
    }

    /// The class names (classification), in the order of `predict`'s columns; `None` for values.
    #[getter]
    fn classes(&self) -> Option<Vec<String>> {
        self.inner.info.classes.clone()
    }

    /// The input columns the model reads, by name (a table's), in `model.json`'s order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.inner.info.table.as_ref().map_or(vec![], |t| t.columns.iter().map(|c| c.name.clone()).collect())
    }

    /// The epoch whose weights were kept, and how many epochs were trained.
    #[getter]
    fn epochs(&self) -> (usize, usize) {
        (self.inner.info.weights_from_epoch, self.inner.info.epochs_trained)
    }

    /// `model.json` as text.
    #[getter]
    fn description(&self) -> PyResult<String> {
        Ok(guarded(|| self.inner.to_files())?.0)
    }

    /// The model directory's two files in memory: `model.json`'s text and
    /// `model.safetensors`'s bytes (what a pickle carries).
    fn to_files<'py>(&self, py: Python<'py>) -> PyResult<(String, Bound<'py, PyBytes>)> {
        let (json, weights) = guarded(|| self.inner.to_files())?;
        Ok((json, PyBytes::new(py, &weights)))
    }

    /// A model from [`Model::to_files`]'s two files, checked as a directory is.
    #[staticmethod]
    fn from_files(json: &str, weights: &[u8]) -> PyResult<Model> {
        let inner = guarded(|| TrainedModel::from_files(Path::new("pickled model"), json, weights))?;
        Ok(Model { inner })
    }

    /// Writes `model.json` and `model.safetensors` into `dir` (created if need be), each
    /// atomically: a directory `backprop eval` and `predict` read.
    fn save(&self, dir: &str) -> PyResult<()> {
        guarded(|| self.inner.save(dir))
    }

    /// Reads a model directory written by `backprop train` or [`Model::save`].
    #[staticmethod]
    fn load(dir: &str) -> PyResult<Model> {
        Ok(Model { inner: guarded(|| TrainedModel::load(dir))? })
    }

    /// Writes the model as one ONNX file at `path` (atomically).
    fn export_onnx(&self, path: &str) -> PyResult<()> {
        guarded(|| {
            let bytes = self.inner.export_onnx(vec![])?;
            backprop::io::write_atomic(Path::new(path), &bytes)
        })
    }

    /// Writes the model as a PyTorch folder at `dir`: `model.py`, the weights, a README.
    fn export_torch(&self, dir: &str) -> PyResult<Vec<String>> {
        guarded(|| {
            let dir = Path::new(dir);
            std::fs::create_dir_all(dir).map_err(|e| backprop::Error::io(dir, e))?;
            let files = self.inner.export_torch()?;
            for (name, bytes) in &files {
                backprop::io::write_atomic(&dir.join(name), bytes)?;
            }
            Ok(files.iter().map(|(name, _)| name.to_string()).collect())
        })
    }
}

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Model>()?;
    module.add_function(wrap_pyfunction!(training::train, module)?)?;
    module.add_function(wrap_pyfunction!(reports::explain, module)?)?;
    module.add_function(wrap_pyfunction!(reports::chain, module)?)?;
    module.add_function(wrap_pyfunction!(reports::check, module)?)?;
    module.add_function(wrap_pyfunction!(reports::lecture, module)?)?;
    module.add_function(wrap_pyfunction!(reports::panic_for_test, module)?)?;
    Ok(())
}
