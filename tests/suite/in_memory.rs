//! Tables handed over in memory (what the Python module does) train and predict as the same
//! table read from a file; a model travels as its two files in memory; a run stopped between
//! two steps keeps the last whole epoch.

use backprop::data::table::{Cell, Column, Table};
use backprop::pipeline::{DataFiles, Resume, TrainSpec, Training};
use backprop::tensor::Threads;
use backprop::train::{Control, EpochEnd, Observer};

/// penguins.csv as typed columns, cell by cell, as the Python module hands them over.
fn penguins_in_memory() -> Table {
    let text = std::fs::read_to_string("data/penguins.csv").unwrap();
    let mut lines = text.lines();
    let names: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let columns = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let cells = rows.iter().map(|row| match row[j] {
                "NA" | "" => Cell::Missing,
                cell => cell.parse::<f64>().map_or(Cell::Text(cell), Cell::Number),
            });
            Column::from_cells(name, cells).unwrap()
        })
        .collect();
    Table::from_columns("penguins", columns).unwrap()
}

fn spec() -> TrainSpec {
    TrainSpec { target: Some("species".into()), epochs: Some(4), ..TrainSpec::default() }
}

#[test]
fn a_table_in_memory_trains_the_model_its_file_trains() {
    let from_file = Training::new(DataFiles::new("data/penguins.csv"), spec(), Threads::ONE).unwrap();
    let from_memory = Training::from_table(penguins_in_memory(), spec(), Threads::ONE).unwrap();
    assert_eq!(from_memory.info.table, from_file.info.table, "the same schema, fitted on the same rows");
    let (mut a, mut b) = (from_file, from_memory);
    let report_a = a.run(&Resume::default(), &mut backprop::train::every_epoch(|_, _| Control::Continue)).unwrap();
    let report_b = b.run(&Resume::default(), &mut backprop::train::every_epoch(|_, _| Control::Continue)).unwrap();
    assert_eq!(report_a.history.last().unwrap().val_loss, report_b.history.last().unwrap().val_loss);
}

#[test]
fn no_test_part_is_kept_when_the_caller_holds_its_own_out() {
    let spec = TrainSpec { test_split: 0.0, ..spec() };
    let training = Training::from_table(penguins_in_memory(), spec.clone(), Threads::ONE).unwrap();
    assert_eq!(training.parts.test.len(), 0);
    assert_eq!(training.parts.train.len() + training.parts.val.as_ref().unwrap().len(), 344);
    let refused = Training::new(DataFiles::new("data/penguins.csv"), spec, Threads::ONE).err().unwrap();
    assert!(refused.to_string().contains("--test-split must hold some data out"), "{refused}");
}

/// Stops the run in the middle of epoch `at`.
struct StopIn {
    at: usize,
    epochs_seen: Vec<usize>,
}

impl Observer for StopIn {
    fn on_step(&mut self, epoch: usize, done: usize, steps: usize, _: f64, _: Option<f64>) -> Control {
        if epoch == self.at && done == steps / 2 { Control::Stop } else { Control::Continue }
    }

    fn on_epoch(&mut self, end: &EpochEnd<'_>) -> backprop::Result<Control> {
        self.epochs_seen.push(end.metrics.epoch);
        Ok(Control::Continue)
    }
}

#[test]
fn a_run_stopped_between_steps_keeps_the_last_whole_epoch() {
    let spec = TrainSpec { val_split: 0.0, ..spec() };
    let mut full = Training::from_table(penguins_in_memory(), spec.clone(), Threads::ONE).unwrap();
    let two = full
        .run(
            &Resume::default(),
            &mut backprop::train::every_epoch(|m, _| if m.epoch == 2 { Control::Stop } else { Control::Continue }),
        )
        .unwrap();
    let mut stopped = Training::from_table(penguins_in_memory(), spec, Threads::ONE).unwrap();
    let mut observer = StopIn { at: 3, epochs_seen: vec![] };
    let report = stopped.run(&Resume::default(), &mut observer).unwrap();
    assert_eq!(observer.epochs_seen, [1, 2], "epoch 3 never ended");
    assert_eq!(report.kept_epoch, 2);
    assert_eq!(numbers(&report.kept), numbers(&two.kept), "the weights after epoch 2, the half epoch undone");
    assert_eq!(numbers(&stopped.learner.params), numbers(&two.kept));
}

#[test]
fn a_model_travels_as_its_two_files_and_predicts_a_table_in_memory() {
    let mut training = Training::from_table(penguins_in_memory(), spec(), Threads::ONE).unwrap();
    let report = training.run(&Resume::default(), &mut backprop::train::every_epoch(|_, _| Control::Continue)).unwrap();
    let model = training.into_model(report, 4);
    let (json, weights) = model.to_files().unwrap();
    let again = backprop::pipeline::TrainedModel::from_files("pickle".as_ref(), &json, &weights).unwrap();
    let table = penguins_in_memory();
    let (a, _) = model.predict_table(&table, Threads::ONE).unwrap();
    let (b, notes) = again.predict_table(&table, Threads::ONE).unwrap();
    assert_eq!(a.outputs.data(), b.outputs.data());
    assert!(notes.iter().any(|n| n.contains("missing cells")), "{notes:?}");
    let (from_file, _) = model.predict_file("data/penguins.csv".as_ref(), Threads::ONE).unwrap();
    assert_eq!(from_file.outputs.data(), a.outputs.data(), "a file and its table in memory predict alike");
    let broken = backprop::pipeline::TrainedModel::from_files("pickle".as_ref(), &json, &weights[..weights.len() / 2]);
    assert!(broken.err().unwrap().to_string().contains("pickle/model.safetensors"));
}

#[test]
fn a_row_predicts_the_same_alone_and_in_any_batch() {
    let mut training = Training::from_table(penguins_in_memory(), spec(), Threads::ONE).unwrap();
    let report = training.run(&Resume::default(), &mut backprop::train::every_epoch(|_, _| Control::Continue)).unwrap();
    let model = training.into_model(report, 4);
    let features = &training_features();
    let all = model.predict(features, Threads::all()).outputs;
    let width = all.dims()[1];
    for rows in [1, 2, 3, 5, 8, 9, 40, 100, 200, features.dims()[0]] {
        let part = backprop::tensor::Tensor::new(
            features.data()[..rows * features.dims()[1]].to_vec(),
            [rows, features.dims()[1]],
        );
        let some = model.predict(&part, Threads::ONE).outputs;
        assert_eq!(some.data(), &all.data()[..rows * width], "{rows} rows");
    }

    fn training_features() -> backprop::tensor::Tensor<f32> {
        let training = Training::from_table(penguins_in_memory(), spec(), Threads::ONE).unwrap();
        training.parts.train.features.clone()
    }
}

fn numbers(params: &backprop::autograd::ParamStore<f32>) -> Vec<(String, Vec<f32>)> {
    params.iter().map(|(_, name, t)| (name.to_string(), t.data().to_vec())).collect()
}
