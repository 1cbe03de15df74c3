//! Images from the command line: `--layers` (its parse errors with a caret, a stack that does
//! not fit refused with the shapes), folders of PNG files with one subfolder per class
//! (written here from the shipped MNIST sample), training a small CNN on them, `predict` on a
//! folder and on single files, `eval`, `inspect`, and bad files counted, named and skipped or
//! refused — never a panic.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::common::{self, Scratch};

/// Runs and returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("backprop").unwrap().args(args).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// A refusal: exit 1, no panic, `needles` in stderr; returns stderr.
fn refused(args: &[&str], needles: &[&str]) -> String {
    let (code, _, err) = run(args);
    // 1 for a refusal of ours, 2 for clap's (an option's value that does not parse).
    assert!(code == 1 || code == 2, "exit code {code} for {args:?}; stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "expected {n:?} in: {err}");
    }
    err
}

/// The shipped 100 MNIST test digits as `root/<digit>/<index>.png` (8-bit gray).
fn digit_folder(root: &Path) -> Vec<PathBuf> {
    digit_pictures(root, false)
}

/// The same digits, gray or in colour (red the digit, green its negative, blue half the digit:
/// three channels that differ, so their order matters).
fn digit_pictures(root: &Path, colour: bool) -> Vec<PathBuf> {
    let images = common::data_file("mnist-t10k-first100-images-idx3-ubyte.gz");
    let labels = common::data_file("mnist-t10k-first100-labels-idx1-ubyte");
    let data = backprop::data::load_mnist(&images, &labels).unwrap();
    let backprop::data::Targets::Classes { labels, .. } = &data.targets else { panic!("classes") };
    let mut files = vec![];
    for (i, (pixels, label)) in data.features.data().chunks(784).zip(labels).enumerate() {
        let dir = root.join(label.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let byte = |v: f32| (v * 255.0).round() as u8;
        let path = dir.join(format!("{i:03}.png"));
        if colour {
            let bytes: Vec<u8> = pixels.iter().flat_map(|&p| [byte(p), byte(1.0 - p), byte(p / 2.0)]).collect();
            image::RgbImage::from_raw(28, 28, bytes).unwrap().save(&path).unwrap();
        } else {
            let bytes: Vec<u8> = pixels.iter().map(|&p| byte(p)).collect();
            image::GrayImage::from_raw(28, 28, bytes).unwrap().save(&path).unwrap();
        }
        files.push(path);
    }
    files
}

const SMALL_CNN: &str = "conv 4 3, batchnorm, relu, maxpool 2, dense 16, relu";

#[test]
fn layers_that_do_not_parse_or_do_not_fit_are_refused_before_training() {
    let images = common::data_file("mnist-t10k-first100-images-idx3-ubyte.gz").display().to_string();
    let labels = common::data_file("mnist-t10k-first100-labels-idx1-ubyte").display().to_string();
    let s = Scratch::new("layers-refused");
    let out = s.path("model");
    let base = ["train", "--data", &images, "--labels", &labels, "--epochs", "1", "--quiet", "--out", &out];
    fn with<'a>(base: &[&'a str], layers: &'a str) -> Vec<&'a str> {
        [base, &["--layers", layers]].concat()
    }
    let err = refused(&with(&base, "conv 8 3, relu, conv2 8 3"), &["unknown layer `conv2`", "conv N K"]);
    assert!(err.contains("\n  conv 8 3, relu, conv2 8 3\n                  ^^^^^"), "{err}");
    refused(
        &with(&base, "conv 8 5, maxpool 2, conv 8 5, maxpool 2, conv 8 5"),
        &["layer 5 (`conv 8 5`) needs at least 5×5 pixels", "maxpool 2 8×4×4 → `conv 8 5` ✗"],
    );
    refused(&[&with(&base, "dense 8")[..], &["--hidden", "8"]].concat(), &["--layers is the whole stack"]);
    let digits = common::data_file("digits.csv").display().to_string();
    let table = ["train", "--data", &digits, "--quiet", "--out", &out];
    refused(&[&table[..], &["--layers", "conv 4 3"]].concat(), &["needs an image", "64 features"]);
    refused(&[&table[..], &["--shift", "2"]].concat(), &["--shift, --rotate and --flip vary images"]);
}

#[test]
fn a_cnn_trains_on_a_folder_of_pngs_and_predicts_folders_and_files() {
    let s = Scratch::new("image-folder");
    let root = s.0.join("digits");
    let files = digit_folder(&root);
    let (root_s, out) = (root.display().to_string(), s.path("model"));
    let args = ["train", "--data", &root_s, "--layers", SMALL_CNN, "--epochs", "3", "--out", &out, "--seed", "1"];
    let (code, stdout, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let stdout = format!("{stdout}{err}");
    assert!(stdout.contains("image folder, images of 1×28×28"), "{stdout}");
    let conv = stdout.lines().find(|l| l.trim_start().starts_with("conv 4 3")).expect("a row per layer");
    assert_eq!(conv.split_whitespace().collect::<Vec<_>>(), ["conv", "4", "3", "4×26×26", "40"], "{stdout}");
    assert!(stdout.contains("augmentation: each training image shifted up to 2 px"), "{stdout}");

    let (code, csv, err) = run(&["predict", "--model", &out, "--data", &root_s]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "file,class,p_0,p_1,p_2,p_3,p_4,p_5,p_6,p_7,p_8,p_9");
    assert_eq!(rows.len(), 101, "one row per image");
    assert!(rows[1].starts_with(&format!("\"{}\",", files.iter().min().unwrap().display())), "{}", rows[1]);
    let one = files[7].display().to_string();
    let (code, single, _) = run(&["predict", "--model", &out, "--data", &one, &one]);
    assert_eq!(code, 0);
    assert_eq!(single.lines().count(), 3, "two files, two rows: {single}");
    let row = rows.iter().find(|r| r.starts_with(&format!("\"{one}\""))).unwrap();
    // The same probabilities to rounding (a product's blocking differs with the batch's size).
    let numbers = |r: &str| -> Vec<f64> { r.split(',').skip(2).map(|v| v.parse().unwrap()).collect() };
    let (alone, among) = (numbers(single.lines().nth(1).unwrap()), numbers(row));
    assert!(alone.iter().zip(&among).all(|(a, b)| (a - b).abs() < 1e-6), "{alone:?} alone, {among:?} in the folder");

    let (code, eval, err) = run(&["eval", "--model", &out, "--data", &root_s]);
    assert_eq!(code, 0, "{err}");
    assert!(eval.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["samples", "100"]), "{eval}");
    let (code, inspect, _) = run(&["inspect", "--model", &out]);
    assert_eq!(code, 0);
    assert!(
        inspect.contains("network    conv 4 3, batchnorm, relu, maxpool 2, flatten, dense 16, relu, dense 10"),
        "{inspect}"
    );
    assert!(inspect.contains("layers.1.running_var"), "{inspect}");
    // conv 4·9 + 4, batch norm 4 + 4 + 8 running, dense 16·676 + 16, dense 10·16 + 10: 11,058.
    assert!(inspect.contains("parameters 11058 in all (8 of them running statistics)"), "{inspect}");
}

#[test]
fn bad_files_are_counted_named_and_skipped_or_refused() {
    let s = Scratch::new("image-folder-bad");
    let root = s.0.join("digits");
    let files = digit_folder(&root);
    let truncated = root.join("3").join("truncated.png");
    let bytes = std::fs::read(&files[0]).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(root.join("5").join("notes.png"), b"not a picture").unwrap();
    image::RgbImage::new(28, 28).save(root.join("7").join("colour.png")).unwrap();
    std::fs::write(root.join("7").join("README.txt"), b"x").unwrap();
    let root_s = root.display().to_string();
    let out = s.path("model");
    let train =
        ["train", "--data", &root_s, "--layers", "conv 2 3, relu", "--epochs", "1", "--out", &out, "--overwrite"];
    let (code, stdout, err) = run(&train);
    assert_eq!(code, 0, "{err}");
    let said = format!("{stdout}{err}");
    assert!(said.contains("3 of 103 image files left out (--bad-images skip)"), "{said}");
    for name in ["truncated.png", "notes.png", "colour.png: colour (3 channels), but the images are gray"] {
        assert!(said.contains(name), "{name} is named: {said}");
    }
    assert!(said.contains("1 files that are not PNG or JPEG left out"), "{said}");
    refused(
        &[&train[..], &["--bad-images", "refuse"]].concat(),
        &["3 of 103 files are not usable images", "truncated.png"],
    );
    // Sizes checked before decoding: 103 images of 20,000² would need 153 GiB.
    refused(&[&train[..], &["--image-size", "20000"]].concat(), &["would take", "GiB", "--image-size"]);
    refused(&[&train[..], &["--image-size", "0x3"]].concat(), &["is not a size"]);
    let lonely = s.0.join("one-class");
    std::fs::create_dir_all(lonely.join("cat")).unwrap();
    std::fs::copy(&files[0], lonely.join("cat").join("a.png")).unwrap();
    refused(&["train", "--data", &lonely.display().to_string(), "--out", &out], &["1 class subfolders", "2 at least"]);
    let flat = s.0.join("flat");
    std::fs::create_dir_all(&flat).unwrap();
    std::fs::copy(&files[0], flat.join("a.png")).unwrap();
    refused(&["train", "--data", &flat.display().to_string(), "--out", &out], &["one subfolder per class"]);
}

/// Whether python3 has onnx, onnxruntime and Pillow; CI installs them, so there a missing one
/// is a failure, not a skip.
fn onnx_and_pillow() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import onnx, onnxruntime, numpy, PIL"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var("CI").is_err(), "CI installs onnx, onnxruntime and pillow; they are missing");
        eprintln!("skipped: python3 with onnx, onnxruntime and pillow is not installed here");
    }
    ok
}

#[test]
fn a_cnn_with_every_layer_kind_exports_to_onnx_and_pytorch_and_both_predict_as_predict_does() {
    if !onnx_and_pillow() {
        return;
    }
    let s = Scratch::new("image-onnx");
    for colour in [false, true] {
        let root = s.0.join(if colour { "colour" } else { "gray" });
        digit_pictures(&root, colour);
        let (root_s, model) = (root.display().to_string(), s.path(if colour { "m-colour" } else { "m-gray" }));
        let layers = "conv 6 3 pad 1, batchnorm, relu, maxpool 2, conv 8 3 stride 2 dilation 2, avgpool 2 stride 1 pad 1, \
                      gelu, conv 8 1, globalavgpool, dense 12, batchnorm, silu, dropout 0.2";
        let (code, _, err) = run(&["train", "--data", &root_s, "--layers", layers, "--epochs", "2", "--out", &model]);
        assert_eq!(code, 0, "{err}");
        let onnx = format!("{model}.onnx");
        let (code, _, err) = run(&["export", "--model", &model, "--format", "onnx", "--out", &onnx]);
        assert_eq!(code, 0, "{err}");
        let predictions = format!("{model}.csv");
        let (code, _, err) = run(&["predict", "--model", &model, "--data", &root_s, "--out", &predictions]);
        assert_eq!(code, 0, "{err}");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/onnx/images.py");
        let out = std::process::Command::new("python3").arg(script).args([&onnx, &predictions]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v["max_diff"].as_f64().unwrap() < 1e-5, "colour {colour}: {v}");
        assert_eq!((v["labels_differing"].as_u64(), v["rows"].as_u64()), (Some(0), Some(100)), "{v}");
        for op in ["Conv", "MaxPool", "AveragePool", "BatchNormalization", "GlobalAveragePool", "Flatten", "Gemm"] {
            assert!(v["ops"].as_array().unwrap().contains(&op.into()), "{op} in {v}");
        }
        // The PyTorch folder: model.py's Net on the same files, read by its own encode().
        let folder = format!("{model}-torch");
        let (code, _, err) = run(&["export", "--model", &model, "--format", "torch", "--out", &folder]);
        assert_eq!(code, 0, "{err}");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/torch/standin.py");
        let out =
            std::process::Command::new("python3").arg(script).args([&folder, &root_s, &predictions]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v["max_diff"].as_f64().unwrap() < 1e-5, "torch, colour {colour}: {v}");
        assert_eq!(v["labels_differing"], 0, "torch, colour {colour}: {v}");
        let code = std::fs::read_to_string(Path::new(&folder).join("model.py")).unwrap();
        for module in
            ["nn.Conv2d(", "nn.BatchNorm2d(", "nn.BatchNorm1d(", "F.max_pool2d(", "F.avg_pool2d(", "x.mean(dim=(2, 3))"]
        {
            assert!(code.contains(module), "{module} in model.py");
        }
    }
}
