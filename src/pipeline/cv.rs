//! k-fold cross-validation with `train`'s defaults: a table's rows cut into K folds (stratified
//! by class: [`super::parts::fold_rows`]), each fold tested by a model trained on the others —
//! its own schema fitted on them, its own validation part, as `backprop train` would train it —
//! and each score's mean and standard deviation over the folds. Folds run side by side, one per
//! core (a small table's steps gain little from a second thread; a second fold gains all of it).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::parts::{fold, read_table};
use super::training::{Resume, Training};
use crate::data::Task;
use crate::data::table::TrainingTable;
use crate::error::{Error, Result};
use crate::tensor::Threads;
use crate::train::{Control, DataFiles, TrainSpec, every_epoch};

/// One fold's run: its parts' sizes, the kept epoch, and the kept model's scores on the fold.
#[derive(Clone, Debug, PartialEq)]
pub struct FoldResult {
    /// 0-based.
    pub fold: usize,
    pub train: usize,
    pub val: usize,
    pub test: usize,
    pub kept_epoch: usize,
    pub seconds: f64,
    /// (name, value): the scores of [`super::TestScores::named`].
    pub scores: Vec<(&'static str, f64)>,
}

/// A whole cross-validation.
#[derive(Clone, Debug, PartialEq)]
pub struct CrossValidation {
    pub task: Task,
    pub rows: usize,
    pub folds: Vec<FoldResult>,
}

impl CrossValidation {
    /// Each score's mean and sample standard deviation over the folds, in the folds' order of
    /// scores.
    pub fn summary(&self) -> Vec<(&'static str, f64, f64)> {
        let Some(first) = self.folds.first() else { return vec![] };
        first
            .scores
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                let values: Vec<f64> = self.folds.iter().map(|f| f.scores[i].1).collect();
                let n = values.len() as f64;
                let mean = values.iter().sum::<f64>() / n;
                let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0).max(1.0);
                (*name, mean, var.sqrt())
            })
            .collect()
    }
}

/// Cross-validates `spec` on the table `files.data` in `folds` folds, on `threads` threads: as
/// many folds at once as there are threads (at most `folds`), each on its share of them.
pub fn cross_validate(files: &DataFiles, spec: &TrainSpec, folds: usize, threads: Threads) -> Result<CrossValidation> {
    spec.validate_options()?;
    if files.test.is_some() || files.labels.is_some() || files.test_labels.is_some() {
        return Err(Error::invalid("cross-validation tests on each fold in turn: give --data alone"));
    }
    if folds < 2 {
        return Err(Error::invalid(format!("--folds must be at least 2, got {folds}")));
    }
    let table = read_table(files, spec)?;
    if folds > table.rows.len() {
        return Err(Error::invalid(format!("--folds {folds} is more than the table's {} rows", table.rows.len())));
    }
    let at_once = threads.get().min(folds);
    let each = Threads::new((threads.get() / at_once).max(1));
    let next = AtomicUsize::new(0);
    let done = Mutex::new(vec![]);
    std::thread::scope(|scope| {
        for _ in 0..at_once {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= folds {
                        break;
                    }
                    let result = run_fold(&table, k, folds, files, spec, each);
                    done.lock().expect("no fold panics holding the lock").push((k, result));
                }
            });
        }
    });
    let mut done = done.into_inner().expect("every fold finished");
    done.sort_by_key(|(k, _)| *k);
    let folds = done.into_iter().map(|(_, r)| r).collect::<Result<Vec<_>>>()?;
    Ok(CrossValidation { task: table.task, rows: table.rows.len(), folds })
}

fn run_fold(
    table: &TrainingTable,
    k: usize,
    of: usize,
    files: &DataFiles,
    spec: &TrainSpec,
    threads: Threads,
) -> Result<FoldResult> {
    let start = Instant::now();
    let parts = fold(table, k, of, spec)?;
    let mut training = Training::from_parts(files.clone(), spec.clone(), parts, threads)?;
    let report = training.run(&Resume::default(), &mut every_epoch(|_, _| Control::Continue))?;
    let scores = training.test(&report.kept)?;
    let parts = &training.parts;
    Ok(FoldResult {
        fold: k,
        train: parts.train.len(),
        val: parts.val.as_ref().map_or(0, |v| v.len()),
        test: parts.test.len(),
        kept_epoch: report.kept_epoch,
        seconds: start.elapsed().as_secs_f64(),
        scores: scores.named(),
    })
}
