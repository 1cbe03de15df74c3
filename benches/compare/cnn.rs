//! The convolutional workloads: the default image network of `backprop train` (`IMAGE_LAYERS`)
//! trained on the first 10,000 MNIST training images at batch 64 and 128 on 1 and 2 threads
//! (samples/s of the second epoch; Adam, no augmentation), and its inference (batch-1 latency,
//! batch-1024 samples/s), ours and PyTorch's (`comparison/peers/cnn_torch.py`, oneDNN's
//! convolutions) in the same round; with the convolutions' and products' FLOP rate as a share
//! of the FMA probe.

use std::fmt::Write;
use std::path::Path;

use crate::common;
use crate::peers::Python;
use crate::report::{OURS, Results, cell, ratio, times, yes_no};

/// The (batch, threads) rows of training.
pub const ROWS: [(usize, usize); 4] = [(64, 1), (64, 2), (128, 1), (128, 2)];

/// Images trained on per row (an epoch of the whole set is half a minute here).
const IMAGES: usize = 10_000;

fn row(batch: usize, threads: usize) -> String {
    format!("cnn b{batch} t{threads}")
}

/// FLOPs of one training sample's matrix products in the default network: each convolution
/// (as im2col products) and dense layer forward, its weight gradient, and its input gradient
/// but for the first layer's.
pub fn flop_per_sample() -> f64 {
    // (output positions × filters × taps, and whether its input gradient is needed)
    let products: [(f64, bool); 4] = [
        (24.0 * 24.0 * 32.0 * 25.0, false),     // conv 32 5 on 1×28×28
        (8.0 * 8.0 * 64.0 * 32.0 * 25.0, true), // conv 64 5 on 32×12×12
        (1024.0 * 256.0, true),                 // dense 256 on 64×4×4
        (256.0 * 10.0, true),                   // dense 10
    ];
    products.iter().map(|&(macs, input_gradient)| 2.0 * macs * if input_gradient { 3.0 } else { 2.0 }).sum()
}

/// One round: every training row and the inference rows, ours then PyTorch's.
pub fn run(results: &mut Results, python: Option<&Python>, mnist: &Path) {
    let data = common::mnist_images(mnist, IMAGES);
    let dir = mnist.display().to_string();
    for (b, t) in ROWS {
        let name = row(b, t);
        let ours = common::cnn_samples_per_second(&data, b, t);
        eprintln!("  {name}: {OURS} {ours:.0}");
        results.add(&name, OURS, ours);
        let Some(py) = python else { continue };
        match py.run("cnn_torch.py", &[&dir, &t.to_string(), &b.to_string(), &IMAGES.to_string()], false) {
            Ok(v) => {
                let value = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
                eprintln!("  {name}: PyTorch {}", value("samples_per_s"));
                results.add(&name, "PyTorch", value("samples_per_s"));
                // Inference is measured by the same script; once per thread count.
                if b == 64 {
                    results.add(&format!("cnn infer b1024 t{t}"), "PyTorch", value("infer_samples_per_s"));
                    results.add(&format!("cnn infer latency t{t}"), "PyTorch", value("latency_us"));
                }
            }
            Err(e) => results.failures.push(format!("{name}, PyTorch: {e}")),
        }
    }
    for t in [1, 2] {
        let (latency, rate) = common::cnn_inference(&data, t);
        eprintln!("  cnn inference, {t} thread(s): {latency:.0} us, {rate:.0} samples/s");
        results.add(&format!("cnn infer latency t{t}"), OURS, latency);
        results.add(&format!("cnn infer b1024 t{t}"), OURS, rate);
    }
}

/// The report's section: training rows with ratios, shares of the probe and the target (≥ 1.5×
/// PyTorch in every row), then inference.
pub fn table(w: &mut String, r: &Results) {
    if ROWS.iter().all(|&(b, t)| r.median(&row(b, t), OURS).is_none()) {
        return;
    }
    let flop = flop_per_sample();
    let per_core = r.median("ceiling t1", OURS);
    let _ = writeln!(
        w,
        "\n## Training: the default image network on 10,000 MNIST images, Adam 1e-3, no augmentation (samples/s)\n\n\
         conv 32 5, batchnorm, relu, maxpool 2, conv 64 5, batchnorm, relu, maxpool 2, dense 256, relu, dropout 0.3, \
         dense 10: {:.1} MFLOP of products per training sample. A share is the row's product rate over threads × the \
         per-core FMA ceiling ({}).\n",
        flop / 1e6,
        cell(per_core, |p| format!("{:.1} GFLOP/s", p / 1e9))
    );
    let _ = writeln!(
        w,
        "| batch | threads | backprop | PyTorch | share: backprop | share: PyTorch | × PyTorch | target ≥ 1.5× |"
    );
    let _ = writeln!(w, "|---|---|---|---|---|---|---|---|");
    for (b, t) in ROWS {
        let name = row(b, t);
        let (ours, torch) = (r.median(&name, OURS), r.median(&name, "PyTorch"));
        let share = |x: Option<f64>| x.zip(per_core).map(|(x, p)| x * flop / (p * t as f64));
        let vs = ratio(ours, torch, true);
        let _ = writeln!(
            w,
            "| {b} | {t} | {} | {} | {} | {} | {} | {} |",
            cell(ours, |v| format!("{v:.0}")),
            cell(torch, |v| format!("{v:.0}")),
            cell(share(ours), |s| format!("{:.0} %", s * 100.0)),
            cell(share(torch), |s| format!("{:.0} %", s * 100.0)),
            cell(vs, times),
            yes_no(vs.map(|x| x >= 1.5))
        );
    }
    let _ = writeln!(w, "\n## Inference: the default image network, no gradients\n");
    let _ = writeln!(w, "| | backprop | PyTorch | × PyTorch |");
    let _ = writeln!(w, "|---|---|---|---|");
    for (name, label, higher) in [
        ("cnn infer latency t1", "batch 1, latency µs, 1 thread", false),
        ("cnn infer latency t2", "batch 1, latency µs, 2 threads", false),
        ("cnn infer b1024 t1", "batch 1024, samples/s, 1 thread", true),
        ("cnn infer b1024 t2", "batch 1024, samples/s, 2 threads", true),
    ] {
        let (ours, torch) = (r.median(name, OURS), r.median(name, "PyTorch"));
        let _ = writeln!(
            w,
            "| {label} | {} | {} | {} |",
            cell(ours, |v| format!("{v:.0}")),
            cell(torch, |v| format!("{v:.0}")),
            cell(ratio(ours, torch, higher), times)
        );
    }
}
