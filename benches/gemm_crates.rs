//! Our products beside another GEMM crate's, on the MLP's first layer (784 → 256), one thread,
//! as shares of this machine's f32 FMA probe: `cargo bench --bench gemm_crates`.
//!
//! Why it exists: the targets ask a whole training step for ≥ 90 % of the probe, and a
//! step is mostly these three products. This bench tells whether another well-kept crate would
//! lift that ceiling. The other crate is `rten-gemm` (the rten ML runtime's GEMM), picked
//! because it has what `gemm` lacks and a step could use: a weight matrix packed once and
//! reused (`prepack_b`), and the bias added inside the product. Our side is the engine's own
//! path (`tensor::linear` with its small-batch transpose, `linear_grad_weight`,
//! `linear_grad_input`), so the comparison is against what training runs, not a bare `gemm` call.
//!
//! Each figure is the median of 9 samples after a calibration to ~60 ms, like `engine`'s; each
//! product is checked once against ours.

#[allow(dead_code)] // the probe only
#[path = "compare/ceiling.rs"]
mod ceiling;
mod common;

use backprop::tensor::{Tensor, Threads, Write, linear, linear_grad_input, linear_grad_weight};
use common::{fill, gflop_rate as rate};
use rten_gemm::{BiasVector, GemmExecutor, GemmInputA, GemmInputB, GemmOptions};
use rten_tensor::NdTensorView;

/// The largest difference between two results, relative to the largest magnitude.
fn differs(a: &[f32], b: &[f32]) -> f32 {
    let scale = a.iter().fold(1.0f32, |m, x| m.max(x.abs()));
    a.iter().zip(b).fold(0.0f32, |m, (x, y)| m.max((x - y).abs())) / scale
}

fn main() {
    // rten-gemm parallelises over rayon's pool whenever it has more than one thread.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a one-thread pool");
    pool.install(|| {
        let ex = GemmExecutor::<f32>::new();
        let peak = ceiling::fma_peak(1).map(|p| p / 1e9);
        match peak {
            Some(p) => println!("f32 FMA probe: {p:.1} GFLOP/s on one core; rten-gemm's kernel: {}", ex.kernel_name()),
            None => println!("no FMA probe on this CPU; rten-gemm's kernel: {}", ex.kernel_name()),
        }
        let share = |g: f64| peak.map_or(String::new(), |p| format!(" {:>3.0} %", 100.0 * g / p));
        println!("784 → 256, one thread: GFLOP/s (share of the probe), median of 9");
        println!(
            "  rows | forward x·Wᵀ+b: ours, rten, rten prepacked W | ∂W = gᵀ·x: ours, rten | ∂x = g·W: ours, rten"
        );
        let (ins, outs) = (784, 256);
        for rows in [16, 32, 64, 128, 256, 512] {
            let flops = 2.0 * (rows * ins * outs) as f64;
            let (x, w, b, g) = (fill(rows * ins, 1), fill(outs * ins, 2), fill(outs, 3), fill(rows * outs, 4));
            let (xt, wt, bt, gt) = (
                Tensor::new(x.clone(), [rows, ins]),
                Tensor::new(w.clone(), [outs, ins]),
                Tensor::new(b.clone(), [outs]),
                Tensor::new(g.clone(), [rows, outs]),
            );
            let (xv, wv, gv) = (
                NdTensorView::from_data([rows, ins], &x[..]),
                NdTensorView::from_data([outs, ins], &w[..]),
                NdTensorView::from_data([rows, outs], &g[..]),
            );
            let packed = ex.prepack_b(wv.transposed());
            let with_bias = || GemmOptions { bias: Some(BiasVector::Row(&b)), ..Default::default() };

            let (mut ours, mut theirs) = (vec![0.0; rows * outs], vec![0.0; rows * outs]);
            let fwd = rate(flops, || linear(&mut ours, xt.view(), wt.view(), bt.view(), Threads::ONE));
            let fwd_rten = rate(flops, || {
                let (a, bm) = (GemmInputA::Unpacked(xv), GemmInputB::Unpacked(wv.transposed()));
                ex.gemm(&mut theirs, a, bm, with_bias()).expect("shapes fit")
            });
            assert!(differs(&ours, &theirs) < 1e-5, "forward at {rows} rows: the two disagree");
            let fwd_packed = rate(flops, || {
                let (a, bm) = (GemmInputA::Unpacked(xv), GemmInputB::Packed(&packed));
                ex.gemm(&mut theirs, a, bm, with_bias()).expect("shapes fit")
            });
            assert!(differs(&ours, &theirs) < 1e-5, "prepacked forward at {rows} rows: the two disagree");

            let (mut ours, mut theirs) = (vec![0.0; outs * ins], vec![0.0; outs * ins]);
            let dw =
                rate(flops, || linear_grad_weight(&mut ours, gt.view(), xt.view(), Write::Overwrite, Threads::ONE));
            let dw_rten = rate(flops, || {
                let (a, bm) = (GemmInputA::Unpacked(gv.transposed()), GemmInputB::Unpacked(xv));
                ex.gemm(&mut theirs, a, bm, GemmOptions::default()).expect("shapes fit")
            });
            assert!(differs(&ours, &theirs) < 1e-5, "∂W at {rows} rows: the two disagree");

            let (mut ours, mut theirs) = (vec![0.0; rows * ins], vec![0.0; rows * ins]);
            let dx = rate(flops, || linear_grad_input(&mut ours, gt.view(), wt.view(), Write::Overwrite, Threads::ONE));
            let dx_rten = rate(flops, || {
                let (a, bm) = (GemmInputA::Unpacked(gv), GemmInputB::Unpacked(wv));
                ex.gemm(&mut theirs, a, bm, GemmOptions::default()).expect("shapes fit")
            });
            assert!(differs(&ours, &theirs) < 1e-5, "∂x at {rows} rows: the two disagree");

            let cell = |g: f64| format!("{g:>6.1}{}", share(g));
            println!(
                "  {rows:>4} | {} {} {} | {} {} | {} {}",
                cell(fwd),
                cell(fwd_rten),
                cell(fwd_packed),
                cell(dw),
                cell(dw_rten),
                cell(dx),
                cell(dx_rten)
            );
        }
    });
}
