//! The `backprop` command as a user meets it: train, eval, predict and inspect on the shipped
//! data; the files a model directory holds; resume after an interruption (and after kill -9);
//! and every user error as one line on stderr with a non-zero exit code, never a panic.

use std::path::Path;
use std::process::Command as Process;
use std::time::{Duration, Instant};

use assert_cmd::Command;

use crate::common;
use common::Scratch;

fn repo(file: &str) -> String {
    common::data_file(file).display().to_string()
}

fn backprop() -> Command {
    Command::cargo_bin("backprop").unwrap()
}

/// Runs and returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = backprop().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Asserts a user error: exit 1, one line on stderr containing `needle`, no panic.
fn user_error(args: &[&str], needle: &str) {
    let (code, _, err) = run(args);
    assert_eq!(code, 1, "exit code for {args:?}; stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}

fn train_digits(out: &str, extra: &[&str]) -> String {
    let data = repo("digits.csv");
    let mut args = vec!["train", "--data", &data, "--out", out, "--quiet"];
    args.extend(extra);
    let (code, stdout, err) = run(&args);
    assert_eq!(code, 0, "train failed: {err}");
    stdout
}

#[test]
fn training_on_the_bundled_digits_with_defaults_reaches_95_percent_and_leaves_a_complete_model() {
    let s = Scratch::new("digits");
    let out = s.path("run");
    let stdout = train_digits(&out, &[]);
    let pct: f64 = stdout.split("test accuracy ").nth(1).and_then(|r| r.split(' ').next()).unwrap().parse().unwrap();
    assert!(pct >= 95.0, "{stdout}");
    for f in ["model.safetensors", "model.json", "metrics.csv", "curves.svg", "curves.png", "checkpoint.safetensors"] {
        assert!(Path::new(&out).join(f).exists(), "{f} missing");
    }
    let metrics = std::fs::read_to_string(Path::new(&out).join("metrics.csv")).unwrap();
    assert_eq!(
        metrics.lines().next().unwrap(),
        "epoch,train_loss,train_acc,val_loss,val_acc,val_r2,val_mae,val_rmse,lr,seconds"
    );
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(&out).join("model.json")).unwrap()).unwrap();
    let epochs = info["epochs_trained"].as_u64().unwrap() as usize;
    assert_eq!(metrics.lines().count(), 1 + epochs, "a header and a row per epoch trained");
    assert!(stdout.contains("stopped early") || epochs == 500, "automatic epochs end early or at 500: {stdout}");
    let svg = std::fs::read_to_string(Path::new(&out).join("curves.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("accuracy") && svg.contains("validation"));
    let png = std::fs::read(Path::new(&out).join("curves.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // eval --json: loss and accuracy as a fraction.
    let (code, json, _) = run(&["eval", "--model", &out, "--data", &repo("digits.csv"), "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let acc = v["accuracy"].as_f64().unwrap();
    assert!((0.95..=1.0).contains(&acc) && v["loss"].as_f64().unwrap() > 0.0, "{json}");
    assert_eq!(v["samples"], 1797);

    // eval as text has a confusion matrix whose counts add up to the samples.
    let (_, text, _) = run(&["eval", "--model", &out, "--data", &repo("digits.csv")]);
    assert!(text.contains("confusion matrix"), "{text}");
    let counts: usize = text
        .lines()
        .skip_while(|l| !l.starts_with("confusion"))
        .skip(2)
        .flat_map(|l| l.split_whitespace().skip(1).map(|c| c.parse::<usize>().unwrap()).collect::<Vec<_>>())
        .sum();
    assert_eq!(counts, 1797);

    // predict: a class and ten probabilities per row, agreeing with eval's accuracy.
    let pred = s.path("pred.csv");
    let (code, _, _) = run(&["predict", "--model", &out, "--data", &repo("digits.csv"), "--out", &pred]);
    assert_eq!(code, 0);
    let csv = std::fs::read_to_string(&pred).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), "class,p_0,p_1,p_2,p_3,p_4,p_5,p_6,p_7,p_8,p_9");
    let truth: Vec<String> = std::fs::read_to_string(repo("digits.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().to_string())
        .collect();
    let mut right = 0;
    for (row, t) in lines.zip(&truth) {
        let cells: Vec<&str> = row.split(',').collect();
        let p: f64 = cells[1..].iter().map(|c| c.parse::<f64>().unwrap()).sum();
        assert!((p - 1.0).abs() < 1e-4, "probabilities sum to 1: {row}");
        right += usize::from(cells[0] == t);
    }
    assert!((right as f64 / 1797.0 - acc).abs() < 1e-9, "predict and eval agree");

    let (code, text, _) = run(&["inspect", "--model", &out]);
    assert_eq!(code, 0);
    assert!(
        text.contains("MLP 64-128-64-10") && text.contains("layers.0.weight") && text.contains("[128, 64]"),
        "{text}"
    );
    assert!(text.contains("columns    numeric: pixel_0_0") && text.contains("target     label"), "{text}");
}

/// GELU and SiLU are reachable from the command line and train the bundled iris flowers as well
/// as ReLU does: the same bar (93 % of the held-out flowers) for each, with the same settings.
#[test]
fn every_hidden_activation_trains_iris_to_the_relu_bar() {
    let s = Scratch::new("activations");
    for activation in ["relu", "gelu", "silu"] {
        let out = s.path(activation);
        let data = repo("iris.csv");
        let (code, stdout, err) =
            run(&["train", "--data", &data, "--out", &out, "--quiet", "--activation", activation, "--epochs", "200"]);
        assert_eq!(code, 0, "{activation}: {err}");
        let accuracy: f64 = stdout
            .split("test accuracy ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("{activation}: no accuracy in {stdout:?}"));
        assert!(accuracy >= 93.0, "{activation}: {accuracy} % on held-out flowers");
        let model = std::fs::read_to_string(Path::new(&out).join("model.json")).unwrap();
        assert!(model.contains(&format!("\"activation\": \"{activation}\"")), "{model}");
    }
}

#[test]
fn regression_targets_give_r2_mae_and_rmse() {
    let s = Scratch::new("regress");
    // y = 2a − b + noise-free, so a network can fit it well.
    let mut csv = String::from("a,b,y\n");
    for i in 0..200 {
        let (a, b) = ((i % 17) as f64 / 17.0, (i % 11) as f64 / 11.0);
        csv.push_str(&format!("{a},{b},{}\n", 2.0 * a - b + 0.25));
    }
    let data = s.path("r.csv");
    std::fs::write(&data, csv).unwrap();
    let out = s.path("run");
    let (code, stdout, err) = run(&["train", "--data", &data, "--out", &out, "--epochs", "60", "--quiet"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("test R² ") && stdout.contains("MAE") && stdout.contains("RMSE"), "{stdout}");
    let (_, json, _) = run(&["eval", "--model", &out, "--data", &data, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for key in ["loss", "mse", "mae", "rmse", "r2"] {
        assert!(v[key].is_number(), "{key} in {json}");
    }
    assert!(v["r2"].as_f64().unwrap() > 0.9, "{json}");
    let (_, pred, _) = run(&["predict", "--model", &out, "--data", &data]);
    assert_eq!(pred.lines().next(), Some("y"));
    assert_eq!(pred.lines().count(), 201);
}

#[test]
fn a_resumed_run_ends_with_the_same_weights_as_an_uninterrupted_one() {
    let s = Scratch::new("resume");
    let (whole, parts) = (s.path("whole"), s.path("parts"));
    let common = ["--epochs", "6", "--threads", "1", "--seed", "5"];
    train_digits(&whole, &common);
    train_digits(&parts, &["--epochs", "3", "--threads", "1", "--seed", "5"]);
    let (code, _, err) = run(&[
        "train",
        "--data",
        &repo("digits.csv"),
        "--out",
        &parts,
        "--resume",
        "--epochs",
        "6",
        "--threads",
        "1",
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    let (a, b) = (
        std::fs::read(Path::new(&whole).join("model.safetensors")).unwrap(),
        std::fs::read(Path::new(&parts).join("model.safetensors")).unwrap(),
    );
    assert!(a == b, "model.safetensors differs between the whole run and the resumed one");
    // The checkpoints hold the last epoch's weights and optimiser state (and timings, which differ).
    let load = |dir: &str| backprop::io::ModelDir::new(dir).load_checkpoint().unwrap().unwrap();
    let ((ca, pa), (cb, pb)) = (load(&whole), load(&parts));
    assert_eq!(ca.epoch, 6);
    assert_eq!((ca.epoch, &ca.optimizer, ca.best), (cb.epoch, &cb.optimizer, cb.best));
    for ((_, name, x), (_, _, y)) in pa.iter().zip(pb.iter()) {
        assert!(x.data().iter().zip(y.data()).all(|(p, q)| p.to_bits() == q.to_bits()), "{name} differs");
    }
    let metrics = std::fs::read_to_string(Path::new(&parts).join("metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 7);
}

#[test]
fn kill_9_during_training_then_resume_completes_with_no_corrupt_file() {
    let s = Scratch::new("kill");
    let out = s.path("run");
    let bin = assert_cmd::cargo::cargo_bin("backprop");
    let data = repo("digits.csv");
    let args = ["train", "--data", &data, "--out", &out, "--epochs", "400", "--quiet", "--threads", "1"];
    let mut child = Process::new(&bin).args(args).spawn().unwrap();
    // Kill once a few checkpoints have been written.
    let start = Instant::now();
    while !Path::new(&out).join("metrics.csv").exists() && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let done_before = std::fs::read_to_string(Path::new(&out).join("metrics.csv")).unwrap().lines().count() - 1;
    assert!(done_before < 400, "the run was interrupted (it had done {done_before} epochs)");
    // Every file left behind is whole: the model loads, the checkpoint loads.
    let (code, _, err) = run(&["inspect", "--model", &out]);
    assert_eq!(code, 0, "{err}");
    let mut resume = args.to_vec();
    resume.push("--resume");
    let (code, stdout, err) = run(&resume);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("test accuracy"), "{stdout}");
    let metrics = std::fs::read_to_string(Path::new(&out).join("metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 401);
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "a killed write's temporary is cleaned up on resume: {leftovers:?}");
}

#[test]
fn the_weights_load_in_python_safetensors_and_give_the_same_predictions() {
    let check = Process::new("python3").args(["-c", "import safetensors, numpy"]).output();
    if !check.is_ok_and(|o| o.status.success()) {
        assert!(std::env::var("CI").is_err(), "CI installs python3 with safetensors and numpy; they are missing");
        eprintln!("skipped: python3 with safetensors and numpy is not installed here");
        return;
    }
    let s = Scratch::new("python");
    let out = s.path("run");
    train_digits(&out, &["--epochs", "3"]);
    let pred = s.path("pred.csv");
    assert_eq!(run(&["predict", "--model", &out, "--data", &repo("digits.csv"), "--out", &pred]).0, 0);
    // An independent forward pass: numpy on the safetensors weights, with model.json's scaling.
    let script = r#"
import json, sys, numpy as np
from safetensors.numpy import load_file
model, data, pred = sys.argv[1:4]
w = load_file(model + "/model.safetensors")
info = json.load(open(model + "/model.json"))
rows = np.loadtxt(data, delimiter=",", skiprows=1, dtype=np.float32)
cols = info["table"]["columns"]   # numeric: (x − mean) / std; boolean (the 0/1 pixels): x as it is
mean = np.array([c["scale"]["mean"] if c["kind"] == "numeric" else 0 for c in cols], np.float32)
std = np.array([c["scale"]["std"] if c["kind"] == "numeric" else 1 for c in cols], np.float32)
assert all(c["kind"] in ("numeric", "boolean") for c in cols)
x = (rows[:, :-1] - mean) / std
n = len(info["architecture"]["sizes"]) - 1
for i in range(n):
    W, b = w[f"layers.{i}.weight"], w[f"layers.{i}.bias"]   # nn.Linear layout: [out, in], [out]
    x = x @ W.T + b
    if i < n - 1:
        x = np.maximum(x, 0)
p = np.exp(x - x.max(axis=1, keepdims=True)); p /= p.sum(axis=1, keepdims=True)
ours = np.loadtxt(pred, delimiter=",", skiprows=1, usecols=range(1, 11))
print(float(np.abs(p - ours).max()))
"#;
    let out = Process::new("python3").args(["-c", script, &out, &repo("digits.csv"), &pred]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let diff: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!(diff < 1e-5, "numpy on the safetensors weights differs from backprop predict by {diff}");
}

#[test]
fn user_errors_are_one_line_and_a_non_zero_exit() {
    let s = Scratch::new("errors");
    let out = s.path("run");
    user_error(&["train", "--data", "no/such.csv", "--out", &out], "no/such.csv: no such file");
    user_error(
        &["train", "--data", &repo("digits.csv"), "--test-labels", "x", "--out", &out],
        "--test-labels goes with --test",
    );
    user_error(
        &["train", "--data", &repo("digits.csv"), "--labels", &repo("iris.csv"), "--out", &out],
        "--labels goes with IDX",
    );
    user_error(
        &["train", "--data", &repo("mnist-t10k-first100-images-idx3-ubyte.gz"), "--out", &out],
        "give its labels with --labels",
    );
    user_error(&["train", "--data", &repo("digits.csv"), "--val-split", "1.5", "--out", &out], "--val-split must be");
    user_error(
        &["train", "--data", &repo("digits.csv"), "--epochs", "0", "--out", &out],
        "--epochs must be at least 1",
    );
    user_error(
        &["train", "--data", &repo("digits.csv"), "--batch-size", "0", "--out", &out],
        "--batch-size must be at least 1",
    );
    user_error(
        &["train", "--data", &repo("digits.csv"), "--target", "nope", "--out", &out],
        "no column named \"nope\"",
    );
    user_error(&["eval", "--model", &s.path("missing"), "--data", &repo("digits.csv")], "no such model directory");

    // A model exists: a second train refuses to overwrite it, and a mismatched dataset is named.
    train_digits(&out, &["--epochs", "1"]);
    user_error(&["train", "--data", &repo("digits.csv"), "--out", &out], "already holds a model");
    user_error(&["eval", "--model", &out, "--data", &repo("iris.csv")], "missing 64 of the model's 64 input columns");
    user_error(
        &["predict", "--model", &out, "--data", &repo("mnist-t10k-first100-images-idx3-ubyte.gz")],
        "trained on CSV",
    );
    user_error(
        &["train", "--data", &repo("digits.csv"), "--out", &s.path("other"), "--resume"],
        "no checkpoint here to resume",
    );

    // Corrupt and truncated model files.
    let json = Path::new(&out).join("model.json");
    let good = std::fs::read_to_string(&json).unwrap();
    std::fs::write(&json, &good[..good.len() / 2]).unwrap();
    user_error(&["eval", "--model", &out, "--data", &repo("digits.csv")], "model.json: line");
    std::fs::write(&json, good.replace("\"relu\"", "\"swish\"")).unwrap();
    user_error(&["inspect", "--model", &out], "model.json");
    std::fs::write(&json, &good).unwrap();
    let weights = Path::new(&out).join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() - 100]).unwrap();
    user_error(
        &["predict", "--model", &out, "--data", &repo("digits.csv")],
        "model.safetensors: not a valid safetensors file",
    );

    // clap's own usage errors: exit 2 and the list of choices.
    let (code, _, err) = run(&["train", "--data", &repo("digits.csv"), "--activation", "swish", "--out", &out]);
    assert_eq!(code, 2);
    assert!(err.contains("possible values: relu, sigmoid, tanh, leaky-relu"), "{err}");
}

#[test]
fn every_command_has_help_with_an_example() {
    for cmd in ["train", "eval", "predict", "inspect", "lecture"] {
        let (code, out, _) = run(&[cmd, "--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("Example") && out.contains("backprop "), "{cmd} --help:\n{out}");
    }
}

/// The command line's bounds (`Limits::COMMAND_LINE`) are the ones its help states and the ones
/// it enforces.
#[test]
fn explains_help_states_the_command_lines_limits() {
    let limits = backprop::limits::Limits::COMMAND_LINE;
    let thousands = |n: usize| {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let (_, help, _) = run(&["explain", "--help"]);
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains(&format!("at most {}", thousands(limits.explain_steps))), "{help}");
    assert!(help.contains(&format!("Steps up to {}", thousands(limits.check_steps))), "{help}");
    let over = (limits.explain_steps + 1).to_string();
    let (code, _, err) = run(&["explain", "--steps", &over]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn divergence_stops_with_advice_and_keeps_the_last_good_model() {
    let s = Scratch::new("diverge");
    let out = s.path("run");
    let (code, _, err) =
        run(&["train", "--data", &repo("iris.csv"), "--out", &out, "--optimizer", "sgd", "--lr", "1e6", "--quiet"]);
    assert_eq!(code, 1);
    assert!(err.contains("diverged") && err.contains("lower learning rate"), "{err}");
    assert!(!err.contains("panicked"));
    // Whatever epochs finished before the loss blew up left a whole model with finite weights.
    let epochs_done = std::fs::read_to_string(Path::new(&out).join("metrics.csv")).map_or(0, |m| m.lines().count() - 1);
    assert!(epochs_done < 20, "training stopped early");
    if epochs_done > 0 {
        assert_eq!(run(&["inspect", "--model", &out]).0, 0);
        let (_, _, params) = backprop::io::ModelDir::new(&out).load_model().unwrap();
        assert!(params.iter().all(|(_, _, t)| t.data().iter().all(|x| x.is_finite())));
    }
}
