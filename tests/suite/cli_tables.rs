//! Real tables through the command line, as a practitioner meets them: the Palmer penguins with
//! text and missing cells trained with no flag but the target, predicted with the target
//! removed and the columns reordered; a regression target around 10⁵ learned and reported in
//! its own units; unseen categories and extra or missing columns at predict time; balanced
//! class weights; a version-1 model still read; and bad tables refused in one line.

use std::path::Path;

use assert_cmd::Command;

use crate::common;
use common::Scratch;

/// Runs and returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("backprop").unwrap().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn ok(args: &[&str]) -> (String, String) {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 0, "{args:?} failed: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (stdout, stderr)
}

/// The penguins split 4:1 (every fifth row to the test file; the file is sorted by species).
fn penguins(s: &Scratch) -> (String, String, Vec<String>) {
    let text = std::fs::read_to_string(common::data_file("penguins.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let (mut train, mut test) = (vec![header.clone()], vec![header]);
    for (i, line) in lines.enumerate() {
        if i % 5 == 4 { &mut test } else { &mut train }.push(line.to_string());
    }
    let write = |name: &str, rows: &[String]| {
        let path = s.path(name);
        std::fs::write(&path, rows.join("\n") + "\n").unwrap();
        path
    };
    (write("train.csv", &train), write("test.csv", &test), test)
}

/// `rows` (a CSV with its header) with the columns in another order and without `drop`.
fn reorder(rows: &[String], order: &[&str], drop: &str) -> String {
    let header: Vec<&str> = rows[0].split(',').collect();
    let index: Vec<usize> =
        order.iter().filter(|c| **c != drop).map(|c| header.iter().position(|h| h == c).unwrap()).collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<&str> = row.split(',').collect();
        out += &index.iter().map(|&j| cells[j]).collect::<Vec<_>>().join(",");
        out.push('\n');
    }
    out
}

#[test]
fn penguins_train_with_defaults_and_predict_without_the_target_in_any_column_order() {
    let s = Scratch::new("penguins");
    let (train, test, test_rows) = penguins(&s);
    let out = s.path("model");
    let (stdout, stderr) = ok(&["train", "--data", &train, "--test", &test, "--target", "species", "--out", &out]);
    assert!(stderr.contains("columns: categorical: island (3), sex (2 + missing)"), "{stderr}");
    assert!(stderr.contains("bill_length_mm (2 missing → median)"), "{stderr}");
    let pct: f64 = stdout.split("test accuracy ").nth(1).and_then(|r| r.split(' ').next()).unwrap().parse().unwrap();
    assert!(pct >= 95.0, "{stdout}");

    let (eval, _) = ok(&["eval", "--model", &out, "--data", &test]);
    assert!(eval.contains("confusion matrix") && eval.contains("Chinstrap") && eval.contains("Gentoo"), "{eval}");
    let (inspect, _) = ok(&["inspect", "--model", &out]);
    assert!(inspect.contains("columns    categorical: island (3), sex (2 + missing)"), "{inspect}");

    let (as_is, _) = ok(&["predict", "--model", &out, "--data", &test]);
    let shuffled = s.file(
        "shuffled.csv",
        reorder(
            &test_rows,
            &[
                "year",
                "sex",
                "body_mass_g",
                "species",
                "flipper_length_mm",
                "island",
                "bill_depth_mm",
                "bill_length_mm",
            ],
            "species",
        )
        .as_bytes(),
    );
    let (reordered, notes) = ok(&["predict", "--model", &out, "--data", shuffled.to_str().unwrap()]);
    assert_eq!(reordered, as_is, "the same predictions, whatever the column order and with no target column");
    assert!(!notes.contains("ignored"), "no extra columns here: {notes}");
    assert!(as_is.starts_with("class,p_Adelie,p_Chinstrap,p_Gentoo\n"), "{as_is}");
    // An extra column is ignored with a notice; a missing feature column is an error naming it.
    let mut with_extra = test_rows.clone();
    for (i, row) in with_extra.iter_mut().enumerate() {
        row.push_str(if i == 0 { ",comment" } else { ",seen at dawn" });
    }
    let extra = s.file("extra.csv", (with_extra.join("\n") + "\n").as_bytes());
    let (_, notes) = ok(&["predict", "--model", &out, "--data", extra.to_str().unwrap()]);
    assert!(notes.contains("ignored 1 columns the model does not use: \"comment\""), "{notes}");
    let missing =
        s.file("missing.csv", reorder(&test_rows, &["island", "sex", "year", "bill_length_mm"], "").as_bytes());
    let (code, _, err) = run(&["predict", "--model", &out, "--data", missing.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("missing.csv") && err.contains("missing 3 of the model's 7 input columns"), "{err}");
    assert!(err.contains("\"bill_depth_mm\", \"flipper_length_mm\", \"body_mass_g\""), "{err}");
}

#[test]
fn unseen_categories_and_missing_cells_at_predict_time_are_counted_not_errors() {
    let s = Scratch::new("unseen");
    let (train, test, _) = penguins(&s);
    let out = s.path("model");
    ok(&["train", "--data", &train, "--test", &test, "--target", "species", "--out", &out, "--epochs", "5", "--quiet"]);
    let new = s.file(
        "new.csv",
        b"island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year\n\
          Atlantis,39.1,18.7,181,3750,male,2007\nDream,NA,NA,,?,NA,2008\nBiscoe,45,15,220,5000,unknown,2009\n",
    );
    let (pred, notes) = ok(&["predict", "--model", &out, "--data", new.to_str().unwrap()]);
    assert_eq!(pred.lines().count(), 4, "{pred}");
    assert!(
        notes.contains("values not seen in training") && notes.contains("island (1)") && notes.contains("sex (1)"),
        "{notes}"
    );
    assert!(
        notes.contains("missing cells") && notes.contains("bill_length_mm (1)") && notes.contains("body_mass_g (1)"),
        "{notes}"
    );
}

#[test]
fn a_target_around_100000_is_learned_and_reported_in_its_own_units() {
    let s = Scratch::new("prices");
    // price = 150,000 + 40,000·size − 25,000·age + 30,000 in town "north": linear, in 10⁵ dollars.
    let mut csv = String::from("size,age,town,price\n");
    let mut state = 7u64;
    let mut uniform = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..1500 {
        let (size, age) = (uniform() * 2.0, uniform() * 3.0);
        let town = ["north", "south", "east"][i % 3];
        let price = 150_000.0 + 40_000.0 * size - 25_000.0 * age + if town == "north" { 30_000.0 } else { 0.0 };
        let size = if i % 50 == 0 { "NA".to_string() } else { format!("{size:.4}") };
        csv += &format!("{size},{age:.4},{town},{price:.0}\n");
    }
    let data = s.file("houses.csv", csv.as_bytes());
    let data = data.to_str().unwrap();
    let out = s.path("model");
    let (stdout, stderr) = ok(&["train", "--data", data, "--out", &out]);
    assert!(stderr.contains("regression of price"), "{stderr}");
    assert!(stdout.contains("test R² "), "{stdout}");
    let (json, _) = ok(&["eval", "--model", &out, "--data", data, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let (r2, mae) = (v["r2"].as_f64().unwrap(), v["mae"].as_f64().unwrap());
    assert!(r2 > 0.9, "R² {r2}: {json}");
    // The targets spread over about ±60,000: an error in the file's units is in the thousands.
    assert!(mae > 10.0 && mae < 15_000.0, "MAE in dollars: {mae}");
    let metrics = std::fs::read_to_string(Path::new(&out).join("metrics.csv")).unwrap();
    let last = metrics.lines().last().unwrap().split(',').collect::<Vec<_>>();
    let val_r2: f64 = last[5].parse().unwrap();
    assert!(val_r2 > 0.9, "metrics.csv has the validation R²: {metrics}");
    let (pred, _) = ok(&["predict", "--model", &out, "--data", data]);
    let values: Vec<f64> = pred.lines().skip(1).map(|l| l.parse().unwrap()).collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    assert!((100_000.0..250_000.0).contains(&mean), "predictions in dollars, not standardised: mean {mean}");
}

#[test]
fn balanced_class_weights_are_printed_and_two_classes_get_precision_recall_f1_and_auc() {
    let s = Scratch::new("weights");
    let mut csv = String::from("x,noise,label\n");
    for i in 0..600 {
        // One positive in ten; the positives sit at x > 0.9.
        let x = (i as f64 * 0.618_034) % 1.0;
        let label = if x > 0.9 { "yes" } else { "no" };
        csv += &format!("{x:.5},{},{label}\n", (i * 7) % 13);
    }
    let data = s.file("rare.csv", csv.as_bytes());
    let data = data.to_str().unwrap();
    let out = s.path("model");
    let (stdout, stderr) = ok(&["train", "--data", data, "--class-weight", "balanced", "--out", &out]);
    let line = stderr.lines().find(|l| l.starts_with("class weights (balanced)")).unwrap_or_else(|| panic!("{stderr}"));
    let weight = |class: &str| -> f64 {
        line.split(&format!("{class} ")).nth(1).unwrap().split(',').next().unwrap().trim().parse().unwrap()
    };
    // n / (2 · n_c): the rare class weighs about 9 times the common one.
    assert!((weight("yes") / weight("no") - 9.0).abs() < 2.0, "{line}");
    assert!(stdout.contains("yes positive: precision") && stdout.contains("ROC AUC"), "{stdout}");
    let (json, _) = ok(&["eval", "--model", &out, "--data", data, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["positive_class"], "yes");
    for key in ["precision", "recall", "f1", "roc_auc"] {
        assert!(v[key].as_f64().is_some_and(|x| (0.0..=1.0).contains(&x)), "{key}: {json}");
    }
    assert!(v["roc_auc"].as_f64().unwrap() > 0.9, "{json}");
}

#[test]
fn a_version_1_model_json_is_still_read() {
    let s = Scratch::new("v1");
    let data = common::data_file("iris.csv").display().to_string();
    let out = s.path("model");
    ok(&["train", "--data", &data, "--out", &out, "--epochs", "3", "--quiet"]);
    let (before, _) = ok(&["eval", "--model", &out, "--data", &data, "--json"]);
    // Rewrite model.json as version 1 wrote it: a standardiser and the target column.
    let path = Path::new(&out).join("model.json");
    let mut info: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let table = info["table"].take();
    let cols = table["columns"].as_array().unwrap();
    assert!(cols.iter().all(|c| c["kind"] == "numeric"), "iris is all numbers");
    let mean: Vec<f64> = cols.iter().map(|c| c["scale"]["mean"].as_f64().unwrap()).collect();
    let std: Vec<f64> = cols.iter().map(|c| c["scale"]["std"].as_f64().unwrap()).collect();
    let obj = info.as_object_mut().unwrap();
    obj.remove("table");
    obj.insert("version".into(), 1.into());
    obj.insert("target_column".into(), table["target"].clone());
    obj.insert("standardizer".into(), serde_json::json!({"mean": mean, "std": std}));
    std::fs::write(&path, serde_json::to_string(&info).unwrap()).unwrap();
    let (after, _) = ok(&["eval", "--model", &out, "--data", &data, "--json"]);
    let (a, b): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&before).unwrap(), serde_json::from_str(&after).unwrap());
    assert_eq!(a["accuracy"], b["accuracy"]);
    assert!((a["loss"].as_f64().unwrap() - b["loss"].as_f64().unwrap()).abs() < 1e-6, "{before} vs {after}");
}

#[test]
fn bad_tables_are_one_line_errors_naming_file_line_and_column() {
    let s = Scratch::new("badtables");
    let out = s.path("model");
    let case = |name: &str, contents: &str, extra: &[&str], needle: &str| {
        let path = s.file(name, contents.as_bytes());
        let path = path.to_str().unwrap();
        let mut args = vec!["train", "--data", path, "--out", &out, "--overwrite"];
        args.extend(extra);
        let (code, _, err) = run(&args);
        assert_eq!(code, 1, "{name}: {err}");
        assert!(!err.contains("panicked") && err.trim().lines().count() == 1, "{name}: {err}");
        assert!(err.contains(name) && err.contains(needle), "{name}: expected {needle:?} in {err}");
    };
    let numbers: String = (0..40).map(|i| format!("{i}.5,{}\n", i % 2)).collect();
    case("stray.csv", &format!("x,y\n{numbers}1O.5,1\n"), &[], "line 42, column \"x\": \"1O.5\" is not a number");
    case("empty.csv", &format!("x,z,y\n{}", "1,,0\n2,NA,1\n"), &[], "column \"z\" has no values");
    case("notarget.csv", "x,y\n1,NA\n2,\n", &[], "the target column \"y\" has no values");
    case("ok.csv", "x,y\n1,0\n2,1\n", &["--categorical", "w"], "--categorical w: no such column");
    let train = s.file("t.csv", b"a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,0\n");
    let test = s.file("u.csv", b"a,y\n1,0\n");
    let (code, _, err) = run(&[
        "train",
        "--data",
        train.to_str().unwrap(),
        "--test",
        test.to_str().unwrap(),
        "--out",
        &out,
        "--overwrite",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("u.csv") && err.contains("missing 1 of the model's 2 input columns (\"b\")"), "{err}");
}

#[test]
fn a_test_set_outlier_changes_nothing_the_model_learned() {
    // The scaler (either kind), the medians, the category lists and the weights are fitted on
    // the training rows alone: a test row's body mass multiplied by 1000 and a new island leave
    // model.json's schema and model.safetensors as they were.
    let s = Scratch::new("outlier");
    let (train, test, mut test_rows) = penguins(&s);
    let header: Vec<&str> = test_rows[0].split(',').collect();
    let (mass, island) = (header.iter().position(|&h| h == "body_mass_g").unwrap(), 1);
    assert_eq!(header[island], "island");
    let mut cells: Vec<String> = test_rows[1].split(',').map(String::from).collect();
    cells[mass] = format!("{}", cells[mass].parse::<f64>().unwrap() * 1000.0);
    cells[island] = "Atlantis".into();
    test_rows[1] = cells.join(",");
    let moved = s.file("moved.csv", (test_rows.join("\n") + "\n").as_bytes());
    for scaling in ["standard", "robust", "auto"] {
        let files = |test: &str, name: &str| {
            let out = s.path(&format!("{name}-{scaling}"));
            let args = ["train", "--data", &train, "--test", test, "--target", "species", "--epochs", "3"];
            ok(&[&args[..], &["--scaling", scaling, "--out", &out, "--quiet"]].concat());
            let json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(Path::new(&out).join("model.json")).unwrap()).unwrap();
            (json["table"].clone(), std::fs::read(Path::new(&out).join("model.safetensors")).unwrap())
        };
        let (schema, weights) = files(&test, "as-is");
        assert!(!schema.is_null(), "model.json has the schema");
        assert_eq!(files(&moved.to_string_lossy(), "moved"), (schema, weights), "--scaling {scaling}");
    }
}
