//! A CSV (or `;`/tab/`|` table) through the training path — read, infer, fit the schema on
//! every row, encode — and then through the predict path with that schema.
#![no_main]

use backprop::data::table::{CsvOptions, FitOptions, TrainingTable};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|bytes: &[u8]| {
    let path = common::file("table.csv", bytes);
    let Ok(training) = TrainingTable::read(&path, &CsvOptions::default()) else { return };
    let schema = training.fit(&training.rows, FitOptions::default());
    let _ = training.dataset(&schema, &training.rows);
    if let Ok(file) = schema.read(&path, training.task, None) {
        let _ = schema.dataset(&file);
    }
});
