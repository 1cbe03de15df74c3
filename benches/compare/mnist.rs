//! The MNIST workloads: a recipe run as a whole process (load, train, test, save), ours through
//! `backprop train` and PyTorch's through `comparison/peers/mnist_torch.py` with the same
//! hyper-parameters, each under `peak.py` for wall time and peak resident memory.

use std::path::Path;

use serde_json::Value;

use crate::peers::Python;
use crate::report::{OURS, Results};

/// One MNIST recipe, as both sides run it.
pub struct Recipe {
    /// Its `--only` name and the prefix of its rows.
    pub key: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    /// `backprop train`'s options after the data files.
    pub ours: &'static [&'static str],
    /// PyTorch's script (in `comparison/peers/`) and its arguments after the data folder and
    /// the thread count.
    pub script: &'static str,
    pub torch: &'static [&'static str],
    /// How many times less wall time than PyTorch's the recipe is meant to take.
    pub target: f64,
    /// The test accuracy it is meant to reach.
    pub accuracy: f64,
}

/// The README's two MNIST commands, and the default convolutional network's run.
#[rustfmt::skip]
pub const RECIPES: [Recipe; 3] = [
    Recipe {
        key: "mnist",
        title: "MNIST acceptance run: the README's command vs PyTorch with the same hyper-parameters",
        summary: "784-256-128-10 ReLU, Adam 1e-3, cosine decay, batch 128, 10 epochs, 10 % validation (best epoch kept), 2 threads; whole process, load to test.",
        ours: &["--hidden", "256,128", "--epochs", "10", "--batch-size", "128", "--schedule", "cosine"],
        script: "mnist_torch.py",
        torch: &["10"],
        target: 1.0,
        accuracy: 0.98,
    },
    Recipe {
        key: "mnist-fast",
        title: "MNIST, the fastest documented way to 98 %: the README's recipe vs PyTorch running it",
        summary: "784-256-128-10 ReLU, Adam 4e-3, 0.3 epochs of linear warm-up then cosine decay to 0, batch 128, 3 epochs on all 60,000 images (no validation; the last epoch tested), 2 threads; whole process, load to test.",
        ours: &["--hidden", "256,128", "--epochs", "3", "--batch-size", "128", "--lr", "4e-3", "--warmup", "0.3",
                "--schedule", "cosine", "--val-split", "0"],
        script: "mnist_torch.py",
        torch: &["3", "4e-3", "0.3", "0"],
        target: 3.0,
        accuracy: 0.98,
    },
    Recipe {
        key: "mnist-cnn",
        title: "MNIST with the default convolutional network: `backprop train` on the IDX files vs PyTorch with the same recipe",
        summary: "conv 32 5, batchnorm, relu, maxpool 2, conv 64 5, batchnorm, relu, maxpool 2, dense 256, relu, dropout 0.3, dense 10; Adam 1e-3, cosine decay, batch 64, 12 epochs, each image shifted by up to 2 pixels (bilinear), 10 % validation (best epoch kept), 2 threads; whole process, load to test.",
        ours: &[],
        script: "mnist_cnn_torch.py",
        torch: &["12", "2"],
        target: 2.0,
        accuracy: 0.994,
    },
];

/// One round of `recipe`: ours, then PyTorch's if its environment is there.
pub fn run(recipe: &Recipe, results: &mut Results, python: Option<&Python>, scripts: &Path, dir: &Path) {
    let system = Python::system(scripts);
    let runner = python.unwrap_or(&system);
    let file = |name: &str| dir.join(name).display().to_string();
    let out = std::env::temp_dir().join(format!("backprop-compare-{}-{}", recipe.key, std::process::id()));
    let out_s = out.display().to_string();
    let (train, labels, test, test_labels) = (
        file("train-images-idx3-ubyte.gz"),
        file("train-labels-idx1-ubyte.gz"),
        file("t10k-images-idx3-ubyte.gz"),
        file("t10k-labels-idx1-ubyte.gz"),
    );
    #[rustfmt::skip]
    let mut ours = vec![
        env!("CARGO_BIN_EXE_backprop"), "train", "--data", &train, "--labels", &labels, "--test", &test,
        "--test-labels", &test_labels, "--threads", "2", "--quiet", "--overwrite", "--out", &out_s,
    ];
    ours.extend_from_slice(recipe.ours);
    match runner.peak(&ours) {
        Ok((v, stdout)) => {
            let accuracy = stdout
                .lines()
                .find_map(|l| l.strip_prefix("test accuracy ")?.split(' ').next()?.parse::<f64>().ok())
                .map(|pct| pct / 100.0);
            record(results, recipe, OURS, &v, accuracy);
        }
        Err(e) => results.failures.push(format!("{}, {OURS}: {e}", recipe.key)),
    }
    let _ = std::fs::remove_dir_all(&out);
    if let Some(py) = python {
        let (exe, script, d) = (py.exe(), py.script(recipe.script), dir.display().to_string());
        let mut command = vec![exe.as_str(), script.as_str(), d.as_str(), "2"];
        command.extend_from_slice(recipe.torch);
        match py.peak(&command) {
            Ok((v, stdout)) => {
                let line =
                    stdout.lines().find_map(|l| serde_json::from_str::<Value>(l).ok().filter(|j| j["tool"] == "torch"));
                record(results, recipe, "PyTorch", &v, line.and_then(|j| j["test_accuracy"].as_f64()));
            }
            Err(e) => results.failures.push(format!("{}, PyTorch: {e}", recipe.key)),
        }
    }
}

/// The row names of a recipe's measures.
pub fn row(recipe: &Recipe, measure: &str) -> String {
    format!("{} {measure}", recipe.key)
}

fn record(results: &mut Results, recipe: &Recipe, tool: &str, peak: &Value, accuracy: Option<f64>) {
    let (wall, rss) = (peak["wall_s"].as_f64(), peak["peak_rss_kib"].as_f64());
    eprintln!("  {}: {tool} wall {wall:?} s, peak {rss:?} KiB, accuracy {accuracy:?}", recipe.key);
    if let (Some(wall), Some(rss)) = (wall, rss) {
        results.add(&row(recipe, "wall"), tool, wall);
        results.add(&row(recipe, "rss"), tool, rss * 1024.0);
    }
    if let Some(a) = accuracy {
        results.add(&row(recipe, "accuracy"), tool, a);
    }
}
