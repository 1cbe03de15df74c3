//! The side-by-side benchmark: our side and the peers' side (PyTorch, JAX, numpy, micrograd) of
//! every workload in one session, round-robin over several rounds because these machines are
//! shared and noisy; then one table of medians and ratios, printed and written to
//! `comparison/results/compare.md` with a bar chart (`compare.svg`, `compare.png`).
//!
//! Run: `cargo bench --bench compare -- [--rounds N] [--only mlp,lecture,infer,cnn,mnist,mnist-fast,mnist-cnn]
//! [--venv DIR] [--mnist DIR] [--out DIR] [--no-peers]`. The first run creates the peers'
//! Python environment in `--venv` (default `/tmp/backprop-peers`, about 6 GB with PyTorch).
//! Workloads: the MLP 784-256-128-10 at batch 32/128/512 × 1/2 threads, each as a share of
//! this machine's f32 FMA ceiling (measured each round by a short probe); the lecture's network,
//! 10,000 steps; inference latency (batch 1) and throughput (batch 1024); the README's two MNIST
//! recipes (the acceptance run, and the fastest way to 98 %) and the default convolutional
//! network's run as whole processes (wall time, test accuracy, peak resident memory) against
//! PyTorch with the same hyper-parameters (`mnist.rs`); the default convolutional network's
//! training at batch 64/128 × 1/2 threads and its inference (`cnn.rs`).

mod ceiling;
mod cnn;
#[path = "../common/mod.rs"]
mod common;
mod mnist;
mod peers;
mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use report::{MLP_ROWS, OURS, Results, RunInfo, mlp_row};
use serde_json::Value;

/// The side-by-side benchmark (see the top of `benches/compare/main.rs`).
#[derive(Parser)]
struct Options {
    /// Interleaved rounds of every workload.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    rounds: u64,
    /// Only these workloads: mlp, lecture, infer, cnn, mnist, mnist-fast, mnist-cnn.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The peers' Python environment (created on the first run).
    #[arg(long, default_value = "/tmp/backprop-peers")]
    venv: PathBuf,
    /// The MNIST IDX files.
    #[arg(long, default_value = "../shared/data/mnist")]
    mnist: PathBuf,
    /// Where the report goes.
    #[arg(long, default_value = "comparison/results")]
    out: PathBuf,
    /// Our side only.
    #[arg(long)]
    no_peers: bool,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

impl Options {
    fn wants(&self, workload: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|w| w == workload)
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let opts = Options::parse();
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("comparison/peers");
    let mut results = Results::default();
    let python = if !opts.no_peers {
        peers::Python::prepare(&opts.venv, &scripts)
            .map_err(|e| results.failures.push(format!("every peer: no Python environment ({e})")))
            .ok()
    } else {
        None
    };
    // Absolute, since the peers run in their scripts' folder.
    let mnist_dir = std::fs::canonicalize(&opts.mnist).unwrap_or_else(|_| opts.mnist.clone());
    let mnist_ok = mnist_dir.join("train-images-idx3-ubyte.gz").exists();
    if mnist::RECIPES.iter().any(|r| opts.wants(r.key)) && !mnist_ok {
        results.failures.push(format!("MNIST: no MNIST files in {}", opts.mnist.display()));
    }
    let data = opts.wants("mlp").then(|| common::synthetic(60_000));
    if opts.wants("cnn") && !mnist_ok {
        results.failures.push(format!("cnn: no MNIST files in {}", opts.mnist.display()));
    }
    for round in 1..=opts.rounds as usize {
        eprintln!("round {round} of {}", opts.rounds);
        if data.is_some() || opts.wants("cnn") {
            for t in [1, 2] {
                match ceiling::fma_peak(t) {
                    Some(peak) => {
                        eprintln!("  ceiling, {t} thread(s): {:.1} GFLOP/s (f32 FMA probe)", peak / 1e9);
                        results.add(&format!("ceiling t{t}"), OURS, peak);
                    }
                    None => results.failures.push("ceiling: this CPU has neither AVX2 with FMA nor AVX-512".into()),
                }
            }
        }
        if let Some(data) = &data {
            for (b, t) in MLP_ROWS {
                let row = mlp_row(b, t);
                let ours = common::mlp_samples_per_second(data, b, t);
                eprintln!("  {row}: {OURS} {ours:.0}");
                results.add(&row, OURS, ours);
                if let Some(py) = &python {
                    let (bs, ts) = (b.to_string(), t.to_string());
                    let epochs = "1";
                    for (tool, script, one_core) in [
                        ("PyTorch", "mlp_torch.py", false),
                        ("JAX", "mlp_jax.py", t == 1),
                        ("numpy", "mlp_numpy.py", false),
                    ] {
                        peer(&mut results, &row, tool, py.run(script, &[&ts, &bs, epochs], one_core), |v| {
                            v["samples_per_s"].as_f64()
                        });
                    }
                }
            }
        }
        if opts.wants("lecture") {
            let (compiled, e1) = common::lecture_seconds::<f64>(true);
            let (recorded, e2) = common::lecture_seconds::<f64>(false);
            eprintln!(
                "  lecture: compiled {:.2} ms (error {e1:.4e}), recorded {:.2} ms (error {e2:.4e})",
                compiled * 1e3,
                recorded * 1e3
            );
            results.add("lecture", "backprop, compiled", compiled);
            results.add("lecture", "backprop, recorded every step", recorded);
            if let Some(py) = &python {
                // The peers time 5 runs and report the median; each round adds that median.
                for (tool, script, args) in [
                    ("numpy", "tiny_numpy.py", vec![]),
                    ("micrograd", "tiny_micrograd.py", vec![]),
                    ("PyTorch", "tiny_torch.py", vec!["float64"]),
                ] {
                    peer(&mut results, "lecture", tool, py.run(script, &args, false), |v| v["wall_s"].as_f64());
                }
            }
        }
        if opts.wants("infer") {
            for t in [1, 2] {
                let (latency, rate) = common::inference(t);
                eprintln!("  inference, {t} thread(s): {latency:.1} us, {rate:.0} samples/s");
                if t == 1 {
                    results.add("infer latency t1", OURS, latency);
                }
                results.add(&format!("infer b1024 t{t}"), OURS, rate);
                if let Some(py) = &python {
                    for (tool, script, one_core) in [
                        ("PyTorch", "infer_torch.py", false),
                        ("JAX", "infer_jax.py", t == 1),
                        ("numpy", "infer_numpy.py", false),
                    ] {
                        let out = py.run(script, &[&t.to_string()], one_core);
                        if let (1, Ok(v)) = (t, &out) {
                            results.add("infer latency t1", tool, v["latency_us"].as_f64().unwrap_or(f64::NAN));
                        }
                        peer(&mut results, &format!("infer b1024 t{t}"), tool, out, |v| v["samples_per_s"].as_f64());
                    }
                }
            }
        }
        if mnist_ok && opts.wants("cnn") {
            cnn::run(&mut results, python.as_ref(), &mnist_dir);
        }
        for recipe in mnist::RECIPES.iter().filter(|r| mnist_ok && opts.wants(r.key)) {
            mnist::run(recipe, &mut results, python.as_ref(), &scripts, &mnist_dir);
        }
    }
    let mnist_f32_bytes = mnist_ok.then_some(70_000.0 * 784.0 * 4.0);
    let info = RunInfo { machine: machine(), date: date(), rounds: opts.rounds as usize, mnist_f32_bytes };
    let md = report::markdown(&results, &info);
    println!("{md}");
    std::fs::create_dir_all(&opts.out).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    let path = opts.out.join("compare.md");
    backprop::io::write_atomic(&path, md.as_bytes()).map_err(|e| e.to_string())?;
    report::chart(&results, &opts.out)?;
    eprintln!("written: {}, compare.svg, compare.png", path.display());
    Ok(())
}

/// Records a peer's value, or why it is missing.
fn peer(
    results: &mut Results,
    row: &str,
    tool: &str,
    out: Result<Value, String>,
    value: impl Fn(&Value) -> Option<f64>,
) {
    match out.map(|v| (value(&v), v)) {
        Ok((Some(x), v)) => {
            eprintln!("  {row}: {tool} {x}");
            results.add(row, tool, x);
            if let Some(version) = v["version"].as_str() {
                results.versions.insert(tool.to_string(), version.to_string());
            }
        }
        Ok((None, v)) => results.failures.push(format!("{row}, {tool}: no value in {v}")),
        Err(e) => {
            eprintln!("  {row}: {tool} failed: {e}");
            results.failures.push(format!("{row}, {tool}: {e}"));
        }
    }
}

/// The CPU model and core count, from the machine itself.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let avx512 = std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|s| s.contains("avx512f"));
    format!("{cpu}, {cores} cores, {}", if avx512 { "AVX-512" } else { "AVX2, no AVX-512" })
}

fn date() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
