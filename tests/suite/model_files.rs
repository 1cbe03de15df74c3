//! A model directory edited by hand: each well-formed but inconsistent `model.json` (or
//! weights file) is refused by `predict` and `eval` with exit 1 and a message naming the field,
//! never a panic and never predictions with exit 0. The edits are the ones a new user makes.

use crate::common;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(assert_cmd::cargo::cargo_bin("backprop")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A small trained model (iris, a few epochs) in a fresh directory, and its model.json.
fn trained(scratch: &common::Scratch, name: &str) -> (String, Value) {
    let out = scratch.path(name);
    let data = common::data_file("iris.csv").display().to_string();
    let (code, _, err) = run(&["train", "--data", &data, "--out", &out, "--quiet", "--epochs", "3", "--hidden", "8"]);
    assert_eq!(code, 0, "{err}");
    let info: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&out).join("model.json")).unwrap()).unwrap();
    (out, info)
}

/// Predict and eval on a model whose model.json is `info` both refuse it, naming `field`.
fn refused(dir: &str, info: &Value, says: &[&str]) {
    std::fs::write(Path::new(dir).join("model.json"), serde_json::to_string_pretty(info).unwrap()).unwrap();
    let data = common::data_file("iris.csv").display().to_string();
    for command in ["predict", "eval"] {
        let (code, stdout, err) = run(&[command, "--model", dir, "--data", &data]);
        assert_eq!(code, 1, "{command} exit code; stderr: {err}");
        assert!(!err.contains("panicked"), "{command}: {err}");
        assert!(stdout.is_empty(), "{command} wrote output for a broken model: {stdout}");
        for s in says {
            assert!(err.contains(s), "{command}: expected {s:?} in {err}");
        }
    }
}

#[test]
fn inconsistent_model_descriptions_are_refused_naming_the_field() {
    let scratch = common::Scratch::new("model-files");
    let (dir, info) = trained(&scratch, "iris");
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut v = info.clone();
        f(&mut v);
        v
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (edit(&|v| v["classes"] = json!(["0", "1"])), vec!["model.json", "classes: 2 classes for 3 outputs"]),
        (edit(&|v| v["classes"] = json!(["0", "1", "1"])), vec!["classes[2]: \"1\" is listed twice"]),
        (
            edit(&|v| v["task"] = json!("regress")),
            vec!["loss: cross-entropy is a classification loss", "classes: a regression has no classes"],
        ),
        (edit(&|v| v["architecture"]["dropout"] = json!(2.0)), vec!["architecture.dropout: 2 is not a probability"]),
        (edit(&|v| v["features"] = json!(["a", "b"])), vec!["features: 2 names for the network's 4 inputs"]),
        (
            edit(&|v| v["table"]["columns"][0]["scale"]["std"] = json!(0.0)),
            vec!["table.columns[0]", ".scale.std: 0 is not a positive finite number"],
        ),
        (edit(&|v| v["table"]["columns"][1]["median"] = json!(1e39)), vec![".median: inf is not a finite number"]),
        (edit(&|v| v["weights_from_epoch"] = json!(99)), vec!["weights_from_epoch: epoch 99 of 3 trained"]),
        (
            edit(&|v| v["architecture"]["output"] = json!("softmax")),
            vec!["architecture.output: softmax; backprop's models output logits"],
        ),
        (
            edit(&|v| v["table"]["target_scale"] = json!({"mean": 0.0, "std": 1.0})),
            vec!["table.target_scale: a classifier's target has no scale"],
        ),
        (edit(&|v| v["architecture"]["sizes"][1] = json!(9)), vec!["layers.0"]),
        (edit(&|v| v["version"] = json!(7)), vec!["version 7 is not one this build reads"]),
    ];
    for (bad, says) in &cases {
        refused(&dir, bad, says);
    }
    // Several faults at once are listed together.
    let many = edit(&|v| {
        v["classes"] = json!(["a"]);
        v["architecture"]["dropout"] = json!(-1.0);
    });
    refused(&dir, &many, &["faults", "classes", "architecture.dropout"]);
}

#[test]
fn a_version_1_standardiser_of_the_wrong_length_is_refused() {
    let scratch = common::Scratch::new("model-files-v1");
    let (dir, info) = trained(&scratch, "iris");
    let v1 = json!({
        "format": "backprop-model", "version": 1, "architecture": info["architecture"], "task": "classify",
        "loss": "cross-entropy", "input": "csv", "features": info["features"], "target_column": "label",
        "classes": info["classes"], "outputs": null,
        "standardizer": {"mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0, 1.0]},
        "epochs_trained": 3, "weights_from_epoch": 3
    });
    refused(&dir, &v1, &["standardizer.mean: 3 values for 4 features"]);
}

#[test]
fn weights_that_are_not_finite_are_refused() {
    let scratch = common::Scratch::new("model-files-nan");
    let (dir, _) = trained(&scratch, "iris");
    let path = Path::new(&dir).join("model.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    let (mut params, _) = backprop::io::params_from_safetensors(&path, &bytes).unwrap();
    let id = params.id("layers.0.weight").unwrap();
    params.get_mut(id).data_mut()[5] = f32::NAN;
    std::fs::write(&path, backprop::io::params_to_safetensors(&params, None).unwrap()).unwrap();
    let info: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&dir).join("model.json")).unwrap()).unwrap();
    refused(&dir, &info, &["model.safetensors: layers.0.weight[5]: NaN is not a finite number"]);
}

#[test]
fn outputs_that_are_not_finite_are_an_error_naming_the_samples_unless_allowed() {
    let scratch = common::Scratch::new("model-files-overflow");
    let (dir, _) = trained(&scratch, "iris");
    let csv = scratch.path("far.csv");
    std::fs::write(&csv, "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,label\n5.1,3.5,1.4,0.2,0\n3e38,-3e38,3e38,-3e38,1\n").unwrap();
    for command in ["predict", "eval"] {
        let (code, stdout, err) = run(&[command, "--model", &dir, "--data", &csv]);
        assert_eq!(code, 1, "{command}: {err}");
        assert!(stdout.is_empty() && !err.contains("panicked"), "{command}: {stdout} {err}");
        assert!(err.contains("far.csv") && err.contains("1 of 2 samples") && err.contains("samples 2;"), "{err}");
        let (code, stdout, err) = run(&[command, "--model", &dir, "--data", &csv, "--allow-non-finite"]);
        assert_eq!(code, 0, "{command} --allow-non-finite: {err}");
        assert!(err.contains("warning") && !stdout.is_empty(), "{command}: {err}");
    }
}

/// An edit of a checkpoint's training state (its JSON).
type StateEdit = dyn Fn(&mut Value);

/// Rewrites the checkpoint's training state with `f`.
fn edit_checkpoint(dir: &str, f: &StateEdit) {
    let path = Path::new(dir).join("checkpoint.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    let (params, mut metadata) = backprop::io::params_from_safetensors(&path, &bytes).unwrap();
    let mut state: Value = serde_json::from_str(&metadata["backprop.checkpoint"]).unwrap();
    f(&mut state);
    metadata.insert("backprop.checkpoint".into(), state.to_string());
    std::fs::write(&path, backprop::io::params_to_safetensors(&params, Some(metadata)).unwrap()).unwrap();
}

#[test]
fn a_checkpoint_that_does_not_fit_its_weights_is_refused_on_resume() {
    let scratch = common::Scratch::new("model-files-checkpoint");
    let data = common::data_file("iris.csv").display().to_string();
    let cases: Vec<(&StateEdit, &str)> = vec![
        (&|s| s["history"] = json!([s["history"][0].clone()]), "history: 1 epochs of metrics for epoch 3"),
        (&|s| s["optimizer"]["adam"]["m"][0] = json!([0.0]), "optimizer.m[0]: 1 values for a parameter of 32"),
        (&|s| s["optimizer"]["adam"]["beta1"] = json!(1.5), "optimizer.beta1: 1.5 is not in [0, 1)"),
        (&|s| s["best"] = json!([99, 0.5]), "best: epoch 99"),
    ];
    for (k, (edit, says)) in cases.into_iter().enumerate() {
        let (dir, _) = trained(&scratch, &format!("run{k}"));
        edit_checkpoint(&dir, edit);
        for args in [
            vec!["train", "--data", &data, "--out", &dir, "--quiet", "--epochs", "5", "--hidden", "8", "--resume"],
            vec!["inspect", "--model", &dir],
        ] {
            let (code, _, err) = run(&args);
            assert_eq!(code, 1, "{args:?}: {err}");
            assert!(
                !err.contains("panicked") && err.contains("checkpoint.safetensors") && err.contains(says),
                "{says:?} in {err}"
            );
        }
    }
}
