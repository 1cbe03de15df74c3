//! Inputs that claim far more than they hold, each run through the command line under a 1 GiB
//! address-space limit (`ulimit -v`): refused early with a message, never an allocation that
//! the limit would turn into an abort.

mod common;

use std::io::Write;
use std::process::Command;

/// The limit, in KiB: far below what any of these inputs claims.
const LIMIT_KIB: u64 = 1 << 20;

/// Runs `backprop ARGS` under the limit: (exit code, stderr).
fn limited(args: &[&str]) -> (i32, String) {
    let bin = assert_cmd::cargo::cargo_bin("backprop");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {LIMIT_KIB} && exec \"$0\" \"$@\""))
        .arg(&bin)
        .args(args)
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into())
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
