//! Inputs that claim far more than they hold, each run through the command line under a 1 GiB
//! address-space limit (`ulimit -v`): refused early with a message, never an allocation that
//! the limit would turn into an abort. (One test uses a lower limit, said where.)

use crate::common;

use std::io::Write;
use std::process::Command;

/// The limit, in KiB: far below what any of these inputs claims.
const LIMIT_KIB: u64 = 1 << 20;

/// Runs `backprop ARGS` under the limit: (exit code, stderr).
fn limited(args: &[&str]) -> (i32, String) {
    let (code, _, err) = limited_to(LIMIT_KIB, args);
    (code, err)
}

/// Runs `backprop ARGS` under a limit of `kib` KiB: (exit code, stdout, stderr).
fn limited_to(kib: u64, args: &[&str]) -> (i32, String, String) {
    let bin = assert_cmd::cargo::cargo_bin("backprop");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(&bin)
        .args(args)
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn refused(args: &[&str], says: &str) {
    let (code, err) = limited(args);
    assert_eq!(code, 1, "{args:?}: {err}");
    assert!(!err.contains("panicked") && !err.contains("memory allocation"), "{err}");
    assert!(err.contains(says), "{says:?} in {err}");
}

fn idx_header(dims: &[u32]) -> Vec<u8> {
    let mut h = vec![0, 0, 8, dims.len() as u8];
    dims.iter().for_each(|d| h.extend(d.to_be_bytes()));
    h
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn an_idx_header_claiming_a_billion_images_is_refused() {
    let scratch = common::Scratch::new("hostile-idx");
    let images = scratch.path("images.idx");
    let labels = scratch.path("labels.idx");
    let mut file = idx_header(&[1_000_000_000, 28, 28]);
    file.extend([0u8; 84]);
    std::fs::write(&images, &file).unwrap();
    std::fs::write(&labels, idx_header(&[1_000_000_000])).unwrap();
    refused(&["train", "--data", &images, "--labels", &labels, "--out", &scratch.path("m")], "truncated");
}

#[test]
fn a_gzip_bomb_is_inflated_no_further_than_its_header_and_refused() {
    let scratch = common::Scratch::new("hostile-gzip");
    let labels = scratch.path("labels.idx");
    std::fs::write(&labels, idx_header(&[10])).unwrap();
    // A header for ten 28 × 28 images, then 1.5 GiB of zeros: a few MB compressed.
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    bomb.write_all(&idx_header(&[10, 28, 28])).unwrap();
    let zeros = vec![0u8; 1 << 24];
    for _ in 0..96 {
        bomb.write_all(&zeros).unwrap();
    }
    let bytes = bomb.finish().unwrap();
    assert!(bytes.len() < 16 << 20, "the bomb is small: {} bytes", bytes.len());
    let images = scratch.path("bomb.idx.gz");
    std::fs::write(&images, bytes).unwrap();
    refused(&["train", "--data", &images, "--labels", &labels, "--out", &scratch.path("m")], "bytes after");
    // A header that itself claims more than the bound is refused before inflating anything.
    let images = scratch.path("claims.idx.gz");
    std::fs::write(&images, gzip(&idx_header(&[100_000, 100_000, 1_000]))).unwrap();
    refused(&["train", "--data", &images, "--labels", &labels, "--out", &scratch.path("m")], "more than 4 GiB");
}

#[test]
fn a_csv_header_of_ten_million_columns_is_refused() {
    let scratch = common::Scratch::new("hostile-csv");
    let csv = scratch.path("wide.csv");
    let header: Vec<String> = (0..10_000_000).map(|i| format!("c{i}")).collect();
    std::fs::write(&csv, format!("{}\n{}\n", header.join(","), vec!["1"; 10_000_000].join(","))).unwrap();
    refused(
        &["train", "--data", &csv, "--out", &scratch.path("m")],
        "10000000 columns; backprop reads tables of at most 100000",
    );
}

#[test]
fn a_safetensors_header_claiming_a_huge_tensor_is_refused() {
    let scratch = common::Scratch::new("hostile-safetensors");
    let data = common::data_file("iris.csv").display().to_string();
    let dir = scratch.path("iris");
    let out = Command::new(assert_cmd::cargo::cargo_bin("backprop"))
        .args(["train", "--data", &data, "--out", &dir, "--quiet", "--epochs", "2", "--hidden", "8"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let header = r#"{"layers.0.weight":{"dtype":"F32","shape":[100000,100000],"data_offsets":[0,40000000000]}}"#;
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend(header.as_bytes());
    std::fs::write(std::path::Path::new(&dir).join("model.safetensors"), file).unwrap();
    refused(&["predict", "--model", &dir, "--data", &data], "model.safetensors");
}

#[test]
fn explaining_many_steps_keeps_only_the_ones_it_writes_out() {
    // 100,000 steps of the lecture once held every step whole (about 730 MB); the text shows
    // three in full and the errors of the rest, so that is all it keeps.
    let (code, out, err) = limited_to(256 << 10, &["explain", "--steps", "100000"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Error after 100000 updates"), "{out}");
    // JSON writes every step whole, so it has a documented limit.
    refused(&["explain", "--steps", "100000", "--format", "json"], "12 parameters × 100000 steps is more than 600000");
}

#[test]
fn a_network_file_too_big_to_explain_and_answers_past_the_last_marked_step_are_refused() {
    let scratch = common::Scratch::new("hostile-network");
    // A 2-1000-1000-2 network, written out in full: about a million parameters in 4 MB.
    let row = |n: usize| format!("[{}]", vec!["0.1"; n].join(","));
    let layer = |inputs: usize, units: usize| {
        let weights = vec![row(inputs); units].join(",");
        format!(r#"{{"weights": [{weights}], "biases": {}, "activation": "sigmoid"}}"#, row(units))
    };
    let big = format!(
        r#"{{"inputs": [0.05, 0.1], "targets": [0.01, 0.99], "layers": [{}, {}, {}], "loss": "mse", "learning_rate": 0.5}}"#,
        layer(2, 1000),
        layer(1000, 1000),
        layer(1000, 2)
    );
    let network = scratch.file("big.json", big.as_bytes()).display().to_string();
    refused(&["explain", &network], "1006002 parameters is more than explain writes out (10,000)");
    // Answers for step 10⁹ of the lecture are refused before any step is run.
    let answers = scratch.file("answers.json", br#"[{"step": 1000000000, "E": 0.3}]"#).display().to_string();
    refused(&["explain", "--check", &answers], "step 1000000000: answers are marked for the first 1000 steps");
}
