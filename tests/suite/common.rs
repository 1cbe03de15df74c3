//! Helpers shared by the integration tests: the shipped data files, a fresh scratch directory,
//! and a closeness assertion that says by how much a number missed.
#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};

/// A file under `data/`.
pub fn data_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name)
}

/// `data/lecture-example.json`: the worked example's reference numbers.
pub fn lecture_reference() -> serde_json::Value {
    let text =
        std::fs::read_to_string(data_file("lecture-example.json")).expect("data/lecture-example.json is in the repo");
    serde_json::from_str(&text).expect("lecture-example.json is valid JSON")
}

/// Asserts |got − want| ≤ tol, naming the quantity.
pub fn close(name: &str, got: f64, want: f64, tol: f64) {
    let err = (got - want).abs();
    assert!(err <= tol, "{name}: got {got:.17}, expected {want:.17} (|diff| = {err:.3e} > {tol:.0e})");
}

/// A fresh directory under the system's temp dir (unique per process and call), removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("backprop-test-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// A path inside, as a string (for command lines).
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }

    /// A file inside with `contents`.
    pub fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
