//! `backprop export --format onnx`, checked by the tools users deploy with: for a numeric
//! model, a model with categorical, yes/no and missing-value columns, a regression around 10⁵
//! and one model per activation, `onnx.checker.check_model(full_check=True)` passes and
//! onnxruntime's outputs on the raw CSV rows equal `backprop predict`'s (probabilities and
//! values to 1e-5, labels exactly; `tests/onnx/run.py`); the PyTorch folder's `model.py`
//! predicts the same (`tests/torch/standin.py`: real PyTorch where it is installed, else a
//! numpy stand-in for its few torch calls). The same model exports to the same bytes; bad
//! requests are one-line errors that write nothing.

use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;

use crate::common;
use common::Scratch;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("backprop").unwrap().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn ok(args: &[&str]) -> String {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 0, "{args:?}: {stderr}");
    stdout
}

/// Whether python3 can import onnx and onnxruntime; CI installs them, so there a missing
/// package fails the test instead of skipping it.
fn onnxruntime() -> bool {
    let found = Process::new("python3")
        .args(["-c", "import onnx, onnxruntime, numpy, safetensors"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var("CI").is_err(), "CI installs onnx and onnxruntime; they are missing");
        eprintln!("skipped: python3 with onnx and onnxruntime is not installed here");
    }
    found
}

/// Trains on `data` with `flags`, exports both ways, predicts, and checks each export on the
/// same file: returns run.py's JSON (onnxruntime's side).
fn round_trip(s: &Scratch, name: &str, data: &str, flags: &[&str]) -> serde_json::Value {
    let model = s.path(name);
    let mut train = vec!["train", "--data", data, "--out", &model, "--quiet"];
    train.extend(flags);
    ok(&train);
    let onnx = s.path(&format!("{name}.onnx"));
    ok(&["export", "--model", &model, "--format", "onnx", "--out", &onnx]);
    let predictions = s.path(&format!("{name}-predictions.csv"));
    ok(&["predict", "--model", &model, "--data", data, "--out", &predictions]);
    let v = compare("tests/onnx/run.py", &onnx, data, &predictions, name);
    // The PyTorch folder: model.py's own preprocessing and layers, in torch or its stand-in.
    let folder = s.path(&format!("{name}-torch"));
    ok(&["export", "--model", &model, "--format", "torch", "--out", &folder]);
    compare("tests/torch/standin.py", &folder, data, &predictions, &format!("{name} (torch)"));
    v
}

/// Runs a comparison script on an export, the data and `predict`'s output; asserts it agrees
/// (to 1e-5, every label) and returns its JSON.
fn compare(script: &str, export: &str, data: &str, predictions: &str, what: &str) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
    let out = Process::new("python3").arg(script).args([export, data, predictions]).output().unwrap();
    assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert!(v["max_diff"].as_f64().unwrap() < 1e-5, "{what}: {v}");
    assert_eq!(v["labels_differing"], 0, "{what}: {v}");
    v
}

/// A table with every column kind: numbers with missing cells, a yes/no column, a 0/1 column,
/// a category with rare values and missing cells, a heavy-tailed lot size (robustly scaled by
/// the default `--scaling auto`, beside standard ones), and a price around 10⁵.
fn houses(s: &Scratch) -> String {
    let mut csv = String::from("size,garage,pool,town,age,lot,price\n");
    for i in 0..400 {
        let size = if i % 23 == 0 { "NA".to_string() } else { format!("{:.3}", 1.0 + (i % 37) as f64 / 10.0) };
        let garage = ["yes", "no", "no", ""][i % 4]; // a yes/no column with missing cells
        let town = match i % 20 {
            0..=7 => "north",
            8..=13 => "south",
            14..=17 => "east",
            18 => "NA",
            _ => ["hamlet a", "hamlet b", "hamlet c"][i / 20 % 3], // rare: merged into other
        };
        let price = 100_000 + 20_000 * (i % 37) + if town == "north" { 30_000 } else { 0 };
        let lot = if i % 97 == 0 { 40_000 } else { 300 + 7 * (i % 41) };
        csv += &format!("{size},{garage},{},{town},{},{lot},{price}\n", i % 2, i % 50);
    }
    s.file("houses.csv", csv.as_bytes()).display().to_string()
}

#[test]
fn exports_run_in_onnxruntime_as_backprop_predicts() {
    if !onnxruntime() {
        return;
    }
    let s = Scratch::new("export");
    let iris = common::data_file("iris.csv").display().to_string();
    let v = round_trip(&s, "iris", &iris, &["--epochs", "20"]);
    assert_eq!(v["inputs"][0], "sepal_length_cm:tensor(float)", "{v}");
    let penguins = common::data_file("penguins.csv").display().to_string();
    let v = round_trip(&s, "penguins", &penguins, &["--target", "species", "--epochs", "20"]);
    assert!(v["inputs"].as_array().unwrap().contains(&"island:tensor(string)".into()), "{v}");
    let houses = houses(&s);
    let v = round_trip(&s, "houses", &houses, &["--epochs", "20", "--min-category-count", "5"]);
    let json = std::fs::read_to_string(Path::new(&s.path("houses")).join("model.json")).unwrap();
    let columns = serde_json::from_str::<serde_json::Value>(&json).unwrap()["table"]["columns"].clone();
    let clip = |name: &str| columns.as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["clip"].clone();
    assert_eq!((clip("lot"), clip("size")), (true.into(), serde_json::Value::Null), "auto: lot robust, size standard");
    let inputs = v["inputs"].to_string();
    assert!(inputs.contains("garage:tensor(string)") && inputs.contains("pool:tensor(float)"), "{v}");
    assert!(inputs.contains("town:tensor(string)") && inputs.contains("size:tensor(float)"), "{v}");
    // Robust scaling: the median, the quartiles and the smooth clip in both exports.
    round_trip(&s, "houses-robust", &houses, &["--epochs", "20", "--scaling", "robust"]);
}

#[test]
fn every_activation_exports() {
    if !onnxruntime() {
        return;
    }
    let s = Scratch::new("export-activations");
    let iris = common::data_file("iris.csv").display().to_string();
    for activation in ["relu", "sigmoid", "tanh", "leaky-relu", "gelu", "silu", "linear"] {
        round_trip(&s, activation, &iris, &["--activation", activation, "--epochs", "3", "--hidden", "16,8"]);
    }
}

#[test]
fn the_same_model_exports_to_the_same_bytes_and_bad_requests_write_nothing() {
    let s = Scratch::new("export-bytes");
    let model = s.path("model");
    let iris = common::data_file("iris.csv").display().to_string();
    ok(&["train", "--data", &iris, "--out", &model, "--quiet", "--epochs", "2"]);
    let (a, b) = (s.path("a.onnx"), s.path("b.onnx"));
    ok(&["export", "--model", &model, "--out", &a]);
    ok(&["export", "--model", &model, "--out", &b]);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "byte-stable");
    let before = std::fs::read(&a).unwrap();
    let (code, _, err) = run(&["export", "--model", &model, "--out", &a]);
    assert_eq!(code, 1);
    assert!(err.contains("already exists; use --overwrite"), "{err}");
    assert_eq!(std::fs::read(&a).unwrap(), before, "an existing file is left alone");
    let info = Path::new(&model).join("model.json");
    let text = std::fs::read_to_string(&info).unwrap();
    std::fs::write(&info, text.replace("\"version\": 2", "\"version\": 99")).unwrap();
    let c = s.path("c.onnx");
    let (code, _, err) = run(&["export", "--model", &model, "--out", &c]);
    assert!(code == 1 && err.contains("version 99 is not one this build reads"), "{err}");
    assert!(!Path::new(&c).exists(), "nothing written");
    std::fs::write(&info, "{ not json").unwrap();
    let (code, _, err) = run(&["export", "--model", &model, "--out", &c]);
    assert!(code == 1 && err.contains("model.json") && err.trim().lines().count() == 1, "{err}");
    assert!(!Path::new(&c).exists(), "nothing written");
}
