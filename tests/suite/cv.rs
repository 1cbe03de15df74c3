//! `backprop cv`: the folds partition the rows and keep each class's share; each fold trains as
//! `train` would on the other folds; the summary is the folds' mean and standard deviation.

use backprop::data::table::{CsvOptions, TargetColumn, TrainingTable};
use backprop::pipeline::parts::fold_rows;
use backprop::pipeline::{DataFiles, TrainSpec, cross_validate};
use backprop::tensor::Threads;

use assert_cmd::Command;

use crate::common::data_file as repo;

fn backprop_cmd() -> Command {
    Command::cargo_bin("backprop").unwrap()
}

fn penguins() -> TrainingTable {
    let options = CsvOptions { target: Some(TargetColumn::parse("species")), ..CsvOptions::default() };
    TrainingTable::read(&repo("penguins.csv"), &options).unwrap()
}

#[test]
fn the_folds_partition_the_rows_and_keep_each_class_share() {
    let table = penguins();
    let of = 5;
    let mut tested = vec![];
    for k in 0..of {
        let (rest, test) = fold_rows(&table, k, of, 42);
        assert_eq!(rest.len() + test.len(), table.rows.len());
        assert!(test.iter().all(|r| !rest.contains(r)));
        let backprop::data::table::TargetCells::Classes { labels, names } = &table.cells else { panic!("classes") };
        for (class, name) in names.iter().enumerate() {
            let all = table.rows.iter().filter(|&&r| labels[r] == Some(class)).count() as f64;
            let here = test.iter().filter(|&&r| labels[r] == Some(class)).count() as f64;
            assert!((here - all / of as f64).abs() <= 1.0, "fold {k}, class {name}: {here} of {all}");
        }
        tested.extend(test);
    }
    tested.sort_unstable();
    assert_eq!(tested, table.rows, "every row is tested exactly once");
}

#[test]
fn each_fold_is_scored_and_summarised() {
    let spec = TrainSpec { target: Some("species".into()), epochs: Some(20), ..TrainSpec::default() };
    let files = DataFiles::new(repo("penguins.csv"));
    let cv = cross_validate(&files, &spec, 4, Threads::new(2)).unwrap();
    assert_eq!(cv.folds.len(), 4);
    assert_eq!(cv.folds.iter().map(|f| f.test).sum::<usize>(), 344);
    let accuracy: Vec<f64> = cv.folds.iter().map(|f| f.scores[0].1).collect();
    assert!(accuracy.iter().all(|&a| a > 0.85), "{accuracy:?}");
    let (name, mean, sd) = cv.summary()[0];
    let expected = accuracy.iter().sum::<f64>() / 4.0;
    let var = accuracy.iter().map(|a| (a - expected).powi(2)).sum::<f64>() / 3.0;
    assert_eq!(name, "accuracy");
    assert!((mean - expected).abs() < 1e-12 && (sd - var.sqrt()).abs() < 1e-12);
    // Run again (the folds taken by whichever thread is free), each fold trains the same model.
    let alone = cross_validate(&files, &spec, 4, Threads::new(2)).unwrap();
    for (a, b) in alone.folds.iter().zip(&cv.folds) {
        assert_eq!((a.kept_epoch, &a.scores), (b.kept_epoch, &b.scores), "fold {} again", a.fold + 1);
    }
}

#[test]
fn the_command_prints_folds_and_summary_and_refuses_what_cannot_be_folded() {
    let out = backprop_cmd()
        .args([
            "cv",
            "--data",
            &repo("penguins.csv").to_string_lossy(),
            "--target",
            "sex",
            "--folds",
            "3",
            "--epochs",
            "5",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("3-fold cross-validation"), "{text}");
    assert!(text.contains("roc_auc") && text.contains("mean ± sd: accuracy"), "{text}");
    for (args, message) in [
        (vec!["--folds", "1"], "--folds must be at least 2"),
        (vec!["--folds", "1000"], "is more than the table's 344 rows"),
    ] {
        let out = backprop_cmd()
            .args(["cv", "--data", &repo("penguins.csv").to_string_lossy(), "--target", "species"])
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains(message), "{}", String::from_utf8_lossy(&out.stderr));
    }
}
