//! Every op's backward rule against central finite differences, from one table.
//!
//! Each case builds a small function from engine ops on random inputs (shapes drawn at random,
//! broadcasting cases, edge values such as relu's input on both sides of zero) and runs
//! `gradcheck` on it. The test then checks that the cases together exercised every `OpKind`:
//! an op added to the engine without a case here makes it fail.

use std::collections::BTreeSet;

use backprop::autograd::{GradcheckOptions, Op, OpKind, ParamStore, Tape, Var, gradcheck};
use backprop::nn::Activation;
use backprop::tensor::{Conv2dGeometry, Pool2d, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use strum::IntoEnumIterator;

type Fun = Box<dyn for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64>>;
type BinaryOp = for<'t> fn(Var<'t, f64>, Var<'t, f64>) -> Var<'t, f64>;

struct Case {
    name: String,
    inputs: Vec<Tensor<f64>>,
    f: Fun,
}

/// Random inputs for the cases, drawn from a seeded generator.
struct Gen {
    rng: ChaCha8Rng,
}

impl Gen {
    fn dim(&mut self) -> usize {
        self.rng.random_range(1..=4)
    }
    /// Values uniform in [lo, hi).
    fn tensor(&mut self, dims: &[usize], lo: f64, hi: f64) -> Tensor<f64> {
        let n = dims.iter().product();
        let data = (0..n).map(|_| self.rng.random_range(lo..hi)).collect();
        Tensor::new(data, dims)
    }
    /// Values with |x| in [0.1, 2): away from the kinks of relu and friends, both signs.
    fn signed_away_from_zero(&mut self, dims: &[usize]) -> Tensor<f64> {
        let mut t = self.tensor(dims, 0.1, 2.0);
        for x in t.data_mut() {
            if self.rng.random_bool(0.5) {
                *x = -*x;
            }
        }
        t
    }
}

fn case(name: impl Into<String>, inputs: Vec<Tensor<f64>>, f: Fun) -> Case {
    Case { name: name.into(), inputs, f }
}

fn cases(g: &mut Gen) -> Vec<Case> {
    let (m, n, k) = (g.dim() + 1, g.dim() + 1, g.dim());
    let mut cs = vec![];

    // Binary ops: same shapes, and each broadcasting pattern.
    let binary: [(&str, BinaryOp); 4] =
        [("add", |a, b| a + b), ("sub", |a, b| a - b), ("mul", |a, b| a * b), ("div", |a, b| a / b)];
    for (name, op) in binary {
        let shapes: [(&str, Vec<usize>, Vec<usize>); 5] = [
            ("same shape", vec![m, n], vec![m, n]),
            ("row broadcast", vec![m, n], vec![n]),
            ("column by row", vec![m, 1], vec![1, n]),
            ("scalar on the left", vec![], vec![m, n]),
            ("3-D against 2-D", vec![2, 1, n], vec![m, 1]),
        ];
        for (pattern, sa, sb) in shapes {
            // Divisors stay in [0.5, 2) so 1/b is smooth; other operands span both signs.
            let a = g.tensor(&sa, -2.0, 2.0);
            let b = if name == "div" { g.tensor(&sb, 0.5, 2.0) } else { g.tensor(&sb, -2.0, 2.0) };
            cs.push(case(format!("{name}, {pattern}"), vec![a, b], Box::new(move |_, v| op(v[0], v[1]))));
        }
    }
    cs.push(case("neg", vec![g.tensor(&[m, n], -2.0, 2.0)], Box::new(|_, v| -v[0])));
    cs.push(case("add scalar", vec![g.tensor(&[m, n], -2.0, 2.0)], Box::new(|_, v| v[0] + 1.5)));
    cs.push(case("mul scalar", vec![g.tensor(&[m, n], -2.0, 2.0)], Box::new(|_, v| v[0] * -0.75)));

    // Matrix products with every transpose flag, and batched.
    for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
        let a = if ta { g.tensor(&[k, m], -1.0, 1.0) } else { g.tensor(&[m, k], -1.0, 1.0) };
        let b = if tb { g.tensor(&[n, k], -1.0, 1.0) } else { g.tensor(&[k, n], -1.0, 1.0) };
        cs.push(case(
            format!("matmul, a transposed {ta}, b transposed {tb}"),
            vec![a, b],
            Box::new(move |_, v| v[0].matmul_opts(v[1], ta, tb)),
        ));
    }
    cs.push(case(
        "matmul, large enough for gemm",
        vec![g.tensor(&[9, 17], -1.0, 1.0), g.tensor(&[13, 17], -1.0, 1.0)],
        Box::new(|_, v| v[0].matmul_t(v[1])),
    ));
    cs.push(case(
        "matmul, batched 3-D",
        vec![g.tensor(&[2, m, k], -1.0, 1.0), g.tensor(&[2, k, n], -1.0, 1.0)],
        Box::new(|_, v| v[0].matmul(v[1])),
    ));
    cs.push(case(
        "linear: x·Wᵀ + b",
        vec![g.tensor(&[m, k], -1.0, 1.0), g.tensor(&[n, k], -1.0, 1.0), g.tensor(&[n], -1.0, 1.0)],
        Box::new(|_, v| v[0].linear(v[1], v[2])),
    ));
    cs.push(case(
        "linear, large enough for gemm",
        vec![g.tensor(&[9, 17], -1.0, 1.0), g.tensor(&[13, 17], -1.0, 1.0), g.tensor(&[13], -1.0, 1.0)],
        Box::new(|_, v| v[0].linear(v[1], v[2])),
    ));
    cs.push(case(
        "linear, wide: computed as (W·xᵀ)ᵀ",
        vec![g.tensor(&[5, 7], -1.0, 1.0), g.tensor(&[70, 7], -1.0, 1.0), g.tensor(&[70], -1.0, 1.0)],
        Box::new(|_, v| v[0].linear(v[1], v[2])),
    ));
    // Convolutions: plain; strided, padded and dilated; large enough for gemm.
    let plain = Conv2dGeometry::default();
    let odd = Conv2dGeometry { stride: [2, 1], padding: [1, 2], dilation: [2, 1] };
    for (name, x, w, geometry) in [
        ("conv2d 3×3", [2, 3, 5, 6], [4, 3, 3, 3], plain),
        ("conv2d strided, padded, dilated", [1, 2, 7, 6], [3, 2, 3, 2], odd),
        ("conv2d, large enough for gemm", [2, 4, 8, 8], [8, 4, 3, 3], Conv2dGeometry { padding: [1, 1], ..plain }),
    ] {
        cs.push(case(
            name,
            vec![g.tensor(&x, -1.0, 1.0), g.tensor(&w, -1.0, 1.0), g.tensor(&[w[0]], -1.0, 1.0)],
            Box::new(move |_, v| v[0].conv2d(v[1], v[2], geometry)),
        ));
    }
    // Pooling: 2×2 windows; overlapping and padded windows (random values, so no ties).
    let overlapping = Pool2d { kernel: [3, 2], stride: [2, 1], padding: [1, 1] };
    for (name, window) in [("2×2", Pool2d::square(2)), ("overlapping, padded", overlapping)] {
        let x = g.tensor(&[2, 3, 6, 5], -1.0, 1.0);
        cs.push(case(format!("max_pool2d {name}"), vec![x.clone()], Box::new(move |_, v| v[0].max_pool2d(window))));
        cs.push(case(format!("avg_pool2d {name}"), vec![x], Box::new(move |_, v| v[0].avg_pool2d(window))));
    }
    // Batch normalisation (training mode): every input's gradient, the batch statistics' own
    // dependence on x included.
    cs.push(case(
        "batch_norm2d",
        vec![g.tensor(&[3, 2, 3, 2], -1.0, 1.0), g.tensor(&[2], 0.5, 1.5), g.tensor(&[2], -1.0, 1.0)],
        Box::new(|_, v| v[0].batch_norm2d(v[1], v[2], 1e-5)),
    ));
    cs.push(case("transpose", vec![g.tensor(&[m, n], -1.0, 1.0)], Box::new(|_, v| v[0].t())));
    cs.push(case("reshape", vec![g.tensor(&[m, n], -1.0, 1.0)], Box::new(move |_, v| v[0].reshape([n * m]))));

    // Reductions.
    cs.push(case("sum", vec![g.tensor(&[m, n], -1.0, 1.0)], Box::new(|_, v| v[0].sum())));
    cs.push(case("mean", vec![g.tensor(&[m, n], -1.0, 1.0)], Box::new(|_, v| v[0].mean())));
    for axis in 0..3 {
        for keepdim in [false, true] {
            let dims = [m, n, k];
            cs.push(case(
                format!("sum over axis {axis}, keepdim {keepdim}"),
                vec![g.tensor(&dims, -1.0, 1.0)],
                Box::new(move |_, v| v[0].sum_axis(axis, keepdim)),
            ));
            cs.push(case(
                format!("mean over axis {axis}, keepdim {keepdim}"),
                vec![g.tensor(&dims, -1.0, 1.0)],
                Box::new(move |_, v| v[0].mean_axis(axis, keepdim)),
            ));
            cs.push(case(
                format!("max over axis {axis}, keepdim {keepdim}"),
                vec![g.tensor(&dims, -1.0, 1.0)],
                Box::new(move |_, v| v[0].max_axis(axis, keepdim)),
            ));
        }
    }

    // Elementwise functions, each on inputs where it is smooth.
    cs.push(case("exp", vec![g.tensor(&[m, n], -2.0, 2.0)], Box::new(|_, v| v[0].exp())));
    cs.push(case("log", vec![g.tensor(&[m, n], 0.2, 3.0)], Box::new(|_, v| v[0].log())));
    cs.push(case("sqrt", vec![g.tensor(&[m, n], 0.2, 3.0)], Box::new(|_, v| v[0].sqrt())));
    cs.push(case("powf 2.5", vec![g.tensor(&[m, n], 0.2, 3.0)], Box::new(|_, v| v[0].powf(2.5))));
    cs.push(case("powf −1.5", vec![g.tensor(&[m, n], 0.2, 3.0)], Box::new(|_, v| v[0].powf(-1.5))));
    cs.push(case("square of both signs", vec![g.tensor(&[m, n], -2.0, 2.0)], Box::new(|_, v| v[0].square())));
    cs.push(case("sigmoid", vec![g.tensor(&[m, n], -4.0, 4.0)], Box::new(|_, v| v[0].sigmoid())));
    cs.push(case("tanh", vec![g.tensor(&[m, n], -3.0, 3.0)], Box::new(|_, v| v[0].tanh())));
    cs.push(case("sin", vec![g.tensor(&[m, n], -4.0, 4.0)], Box::new(|_, v| v[0].sin())));
    cs.push(case("cos", vec![g.tensor(&[m, n], -4.0, 4.0)], Box::new(|_, v| v[0].cos())));
    cs.push(case("tan", vec![g.tensor(&[m, n], -1.2, 1.2)], Box::new(|_, v| v[0].tan())));
    cs.push(case("abs, both sides of zero", vec![g.signed_away_from_zero(&[m, n])], Box::new(|_, v| v[0].abs())));
    cs.push(case(
        "step, both sides of zero",
        vec![g.signed_away_from_zero(&[m, n])],
        Box::new(|t, v| t.apply(Op::Step(v[0].id()))),
    ));
    cs.push(case(
        "sign, both sides of zero",
        vec![g.signed_away_from_zero(&[m, n])],
        Box::new(|t, v| t.apply(Op::Sign(v[0].id()))),
    ));
    cs.push(case("gelu", vec![g.tensor(&[m, n], -4.0, 4.0)], Box::new(|_, v| Activation::Gelu.apply(v[0]))));
    cs.push(case("silu", vec![g.tensor(&[m, n], -4.0, 4.0)], Box::new(|_, v| Activation::Silu.apply(v[0]))));
    cs.push(case("relu, both sides of zero", vec![g.signed_away_from_zero(&[m, n])], Box::new(|_, v| v[0].relu())));
    cs.push(case(
        "leaky relu, both sides of zero",
        vec![g.signed_away_from_zero(&[m, n])],
        Box::new(|_, v| v[0].leaky_relu(0.01)),
    ));
    cs.push(case(
        "relu on all-negative input (zero gradient)",
        vec![g.tensor(&[m, n], -2.0, -0.1)],
        Box::new(|_, v| v[0].relu()),
    ));

    // Softmax family over both axes, and the class-index ops.
    for axis in 0..2 {
        cs.push(case(
            format!("softmax over axis {axis}"),
            vec![g.tensor(&[m, n], -3.0, 3.0)],
            Box::new(move |_, v| v[0].softmax(axis)),
        ));
        cs.push(case(
            format!("log softmax over axis {axis}"),
            vec![g.tensor(&[m, n], -3.0, 3.0)],
            Box::new(move |_, v| v[0].log_softmax(axis)),
        ));
    }
    let classes: Vec<usize> = (0..m).map(|_| g.rng.random_range(0..n)).collect();
    let c2 = classes.clone();
    cs.push(case("gather", vec![g.tensor(&[m, n], -1.0, 1.0)], Box::new(move |_, v| v[0].gather(&classes))));
    cs.push(case(
        "cross entropy (fused log softmax + nll)",
        vec![g.tensor(&[m, n], -3.0, 3.0)],
        Box::new(move |_, v| v[0].cross_entropy(&c2)),
    ));

    cs.push(case(
        "binary cross entropy from logits, both inputs",
        vec![g.tensor(&[m, n], -4.0, 4.0), g.tensor(&[m, n], 0.0, 1.0)],
        Box::new(|_, v| v[0].bce_with_logits(v[1])),
    ));
    cs.push(case(
        "half sum of squared errors, both inputs",
        vec![g.tensor(&[m, n], -2.0, 2.0), g.tensor(&[m, n], -2.0, 2.0)],
        Box::new(|_, v| v[0].half_sse(v[1])),
    ));

    // Composites: fan-out (a value used twice accumulates), and a parameter leaf.
    cs.push(case(
        "fan-out: x·x + σ(x)",
        vec![g.tensor(&[m, n], -2.0, 2.0)],
        Box::new(|_, v| v[0] * v[0] + v[0].sigmoid()),
    ));
    let mut store = ParamStore::new();
    let w = store.insert("layer.weight", g.tensor(&[n, k], -1.0, 1.0));
    cs.push(case(
        "layer with a parameter: tanh(x·Wᵀ), W from the store",
        vec![g.tensor(&[m, k], -1.0, 1.0)],
        Box::new(move |tape, v| v[0].matmul_t(tape.param(&store, w)).tanh()),
    ));
    cs
}

#[test]
fn every_op_passes_gradcheck_and_every_op_kind_is_covered() {
    let opts = GradcheckOptions::default();
    let mut covered = BTreeSet::new();
    let mut failures = vec![];
    for seed in 0..3 {
        let mut g = Gen { rng: ChaCha8Rng::seed_from_u64(seed) };
        for c in cases(&mut g) {
            let report = gradcheck(&c.f, &c.inputs, &opts);
            covered.extend(report.ops.iter().copied());
            if !report.passed() {
                let shapes: Vec<_> = c.inputs.iter().map(|t| t.shape()).collect();
                failures.push(format!("{} (seed {seed}, shapes {shapes:?}):\n{report}", c.name));
            }
        }
    }
    assert!(failures.is_empty(), "gradcheck failed for:\n{}", failures.join("\n"));
    let missing: Vec<OpKind> = OpKind::iter().filter(|k| !covered.contains(k)).collect();
    assert!(missing.is_empty(), "no gradcheck case exercises {missing:?}: add one to this table");
}

#[test]
fn gradcheck_catches_a_wrong_gradient() {
    // The rules are right, so fake a wrong one: a function that records sigmoid on the analytic
    // pass (inputs exactly as given) but computes tanh on every perturbed pass. The recorded
    // gradient, σ', is then wrong for the function being differenced, tanh, by up to 0.75.
    let given = [0.3, -0.7, 1.1];
    let f: Fun =
        Box::new(move |_, v| if v[0].value().data() == given { v[0].sigmoid().sum() } else { v[0].tanh().sum() });
    let report = gradcheck(f, &[Tensor::from_f64(&given, [3])], &GradcheckOptions::default());
    assert!(!report.passed(), "sigmoid's gradient must not pass as tanh's: {report}");
    assert!(report.inputs[0].max_abs_err > 0.1);
}
