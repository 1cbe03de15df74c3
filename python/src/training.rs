//! `train`: a table in memory trained as `backprop train` trains a file, with the GIL released.
//!
//! The run goes on in a thread of its own while the calling (main) thread waits in short
//! slices with the GIL released, checking for Ctrl-C between them: Python delivers signals to
//! the main thread only, so that is where `KeyboardInterrupt` can be seen. On one, the run is
//! asked to stop before its next step; the unfinished epoch is undone and the weights kept so
//! far are returned, with the interrupt re-raised by the Python half after it has said which
//! epoch it kept.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use backprop::pipeline::{Resume, TrainSpec, Training};
use backprop::train::{Control, EpochEnd, Observer};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::{Model, columns, guarded, panic_error, threads};

/// How often the waiting thread looks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// What a run returned: the model (none when no epoch finished), whether the user interrupted
/// it, the run described before it started (`backprop train`'s header), and every epoch's
/// metrics as JSON.
type Trained = (Option<Model>, bool, String, String);

/// Trains on `columns` (see `columns.rs`) with the spec `spec` (`TrainSpec`'s JSON: the
/// command line's options by their field names), on `n_jobs` threads. `class_weights` weighs
/// each class's cross-entropy by its name (1 for a class not named: scikit-learn's dict form
/// of `class_weight`; the spec's `class_weight` is the command line's `balanced`). `on_start`, if given, is
/// called with the run's description and its planned epochs before the first step; `on_epoch`
/// with each epoch's metrics (a dict). Both from the training thread, holding the GIL.
#[pyfunction]
#[pyo3(signature = (columns, spec, n_jobs=None, class_weights=None, on_start=None, on_epoch=None))]
#[allow(clippy::too_many_arguments)]
pub fn train(
    py: Python<'_>,
    columns: &Bound<'_, PyList>,
    spec: &str,
    n_jobs: Option<i64>,
    class_weights: Option<HashMap<String, f64>>,
    on_start: Option<Py<PyAny>>,
    on_epoch: Option<Py<PyAny>>,
) -> PyResult<Trained> {
    let spec: TrainSpec =
        serde_json::from_str(spec).map_err(|e| PyValueError::new_err(format!("training settings: {e}")))?;
    let table = columns::table("X", columns)?;
    let threads = threads(n_jobs);
    let stop = AtomicBool::new(false);
    let (sender, receiver) = mpsc::channel();
    // Locked only by the waiting thread: a Mutex makes the receiver shareable with `detach`.
    let receiver = std::sync::Mutex::new(receiver);
    let mut interrupted = None;
    let outcome = std::thread::scope(|scope| {
        let stop = &stop;
        scope.spawn(move || {
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut training = Training::from_table(table, spec, threads)?;
                if let Some(weights) = &class_weights {
                    let classes = training.info.classes.as_deref().unwrap_or_default();
                    let weights = classes.iter().map(|c| weights.get(c).copied().unwrap_or(1.0) as f32).collect();
                    training.plan.config.class_weights = Some(weights);
                }
                let description = training.describe();
                let mut observer = Watch { stop, on_epoch, error: None };
                if let Some(on_start) = &on_start {
                    let epochs = training.plan.config.epochs;
                    let called = Python::attach(|py| on_start.call1(py, (description.as_str(), epochs)).map(|_| ()));
                    observer.error = called.err();
                    if observer.error.is_some() {
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                let report = training.run(&Resume::default(), &mut observer)?;
                let history = serde_json::to_string(&report.history).unwrap_or_else(|_| "[]".into());
                let epochs = report.history.last().map_or(0, |m| m.epoch);
                let model = (!report.history.is_empty()).then(|| training.into_model(report, epochs));
                Ok((model, description, history, observer.error))
            }));
            // The receiver waits for this one message; it cannot have gone.
            let _ = sender.send(run);
        });
        loop {
            match py.detach(|| receiver.lock().expect("one waiting thread").recv_timeout(SIGNAL_POLL)) {
                Ok(run) => return run,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Err(signal) = py.check_signals() {
                        stop.store(true, Ordering::Relaxed);
                        interrupted.get_or_insert(signal);
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => unreachable!("the training thread always sends"),
            }
        }
    });
    let (model, description, history, callback_error) = match outcome {
        Ok(result) => guarded(|| result)?,
        Err(panic) => return Err(panic_error(panic)),
    };
    if let Some(error) = callback_error {
        return Err(error);
    }
    let model = model.map(|inner| Model { inner });
    match interrupted {
        // Only Ctrl-C is swallowed here (the Python half re-raises it); any other exception a
        // signal handler raised goes up as it is.
        Some(signal) if !signal.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) => Err(signal),
        Some(_) => Ok((model, true, description, history)),
        None => Ok((model, false, description, history)),
    }
}

/// The run's observer: stops between steps once asked, and hands each epoch to `on_epoch`.
struct Watch<'a> {
    stop: &'a AtomicBool,
    on_epoch: Option<Py<PyAny>>,
    /// An exception `on_epoch` raised: the run stops and it is raised to the caller.
    error: Option<PyErr>,
}

impl Observer for Watch<'_> {
    fn on_step(&mut self, _epoch: usize, _done: usize, _steps: usize, _loss: f64, _accuracy: Option<f64>) -> Control {
        if self.stop.load(Ordering::Relaxed) { Control::Stop } else { Control::Continue }
    }

    fn on_epoch(&mut self, end: &EpochEnd<'_>) -> backprop::Result<Control> {
        if let Some(callback) = &self.on_epoch {
            let m = end.metrics;
            let called = Python::attach(|py| -> PyResult<()> {
                let epoch = PyDict::new(py);
                epoch.set_item("epoch", m.epoch)?;
                epoch.set_item("train_loss", m.train_loss)?;
                epoch.set_item("train_accuracy", m.train_accuracy)?;
                epoch.set_item("val_loss", m.val_loss)?;
                epoch.set_item("val_accuracy", m.val_accuracy)?;
                epoch.set_item("val_r2", m.val_regression.map(|r| r.r2))?;
                epoch.set_item("seconds", m.seconds)?;
                epoch.set_item("kept_epoch", end.kept.0)?;
                epoch.set_item("last", end.last)?;
                callback.call1(py, (epoch,))?;
                Ok(())
            });
            if let Err(error) = called {
                self.error = Some(error);
                return Ok(Control::Stop);
            }
        }
        Ok(if self.stop.load(Ordering::Relaxed) { Control::Stop } else { Control::Continue })
    }
}
