//! Each image op's forward value and backward rule against PyTorch's autograd on the same
//! numbers (`tests/torch/autograd.py`): convolution (any stride, padding, dilation, channels),
//! max and average pooling (with padding), batch normalisation in training mode, and global
//! average pooling, in f64, to 1e-10. PyTorch is not on the build machines (CI checks these rules
//! against finite differences in `gradcheck_ops.rs`); where it is, point `BACKPROP_TORCH_PYTHON`
//! at an interpreter that has it (`cargo bench --bench compare` makes one in
//! `/tmp/backprop-peers`), and the test runs; without it, it says it skipped.

use backprop::autograd::{Tape, Var};
use backprop::tensor::{Conv2dGeometry, Pool2d, Tensor};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

fn random(rng: &mut rand_chacha::ChaCha8Rng, dims: &[usize]) -> Tensor<f64> {
    Tensor::new((0..dims.iter().product()).map(|_| rng.random_range(-1.0..1.0)).collect(), dims)
}

fn as_json(t: &Tensor<f64>) -> Value {
    json!({"dims": t.dims(), "data": t.data()})
}

/// One case: the op applied on the tape to `inputs` (named as the script names them), the
/// gradient of sum(y · upstream) in each, written with the op's settings.
fn case(
    rng: &mut rand_chacha::ChaCha8Rng,
    op: &str,
    settings: Value,
    inputs: &[(&str, Tensor<f64>)],
    apply: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
) -> Value {
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = inputs.iter().map(|(_, t)| tape.variable(t)).collect();
    let y = apply(&vars);
    let upstream = random(rng, y.shape().dims());
    let grads = tape.backward_from(y, &upstream);
    let mut ours = json!({"y": y.value().data()});
    let mut named = json!({});
    for ((name, t), v) in inputs.iter().zip(&vars) {
        ours[format!("d{name}")] = json!(grads.wrt(*v).expect("every input reaches y").data());
        named[*name] = as_json(t);
    }
    let mut case = json!({"op": op, "inputs": named, "upstream": upstream.data(), "ours": ours});
    for (k, v) in settings.as_object().unwrap() {
        case[k] = v.clone();
    }
    case
}

fn cases() -> Vec<Value> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
    let mut cases = vec![];
    for _ in 0..12 {
        let g = Conv2dGeometry {
            stride: [rng.random_range(1..=3), rng.random_range(1..=3)],
            padding: [rng.random_range(0..=2), rng.random_range(0..=2)],
            dilation: [rng.random_range(1..=2), rng.random_range(1..=2)],
        };
        let (n, c_in, c_out) = (rng.random_range(1..=3), rng.random_range(1..=3), rng.random_range(1..=4));
        let (kh, kw) = (rng.random_range(1..=3), rng.random_range(1..=3));
        let (h, w) = (rng.random_range(6..=10), rng.random_range(6..=10));
        let inputs = [
            ("x", random(&mut rng, &[n, c_in, h, w])),
            ("w", random(&mut rng, &[c_out, c_in, kh, kw])),
            ("b", random(&mut rng, &[c_out])),
        ];
        let settings = json!({"stride": g.stride, "padding": g.padding, "dilation": g.dilation});
        cases.push(case(&mut rng, "conv2d", settings, &inputs, |v| v[0].conv2d(v[1], v[2], g)));
    }
    for max in [true, false] {
        for _ in 0..8 {
            let kernel = [rng.random_range(1..=3), rng.random_range(1..=3)];
            let p = Pool2d {
                kernel,
                stride: [rng.random_range(1..=3), rng.random_range(1..=3)],
                padding: [rng.random_range(0..=kernel[0] / 2), rng.random_range(0..=kernel[1] / 2)],
            };
            let dims =
                [rng.random_range(1..=2), rng.random_range(1..=3), rng.random_range(4..=9), rng.random_range(4..=9)];
            let inputs = [("x", random(&mut rng, &dims))];
            let settings = json!({"kernel": p.kernel, "stride": p.stride, "padding": p.padding});
            let op = if max { "max_pool2d" } else { "avg_pool2d" };
            cases.push(case(&mut rng, op, settings, &inputs, |v| {
                if max { v[0].max_pool2d(p) } else { v[0].avg_pool2d(p) }
            }));
        }
    }
    for _ in 0..6 {
        let c = rng.random_range(1..=4);
        let dims = [rng.random_range(2..=4), c, rng.random_range(1..=5), rng.random_range(1..=5)];
        let inputs =
            [("x", random(&mut rng, &dims)), ("gamma", random(&mut rng, &[c])), ("beta", random(&mut rng, &[c]))];
        cases.push(case(&mut rng, "batch_norm2d", json!({}), &inputs, |v| v[0].batch_norm2d(v[1], v[2], 1e-5)));
        let [n, c, h, w] = dims;
        let inputs = [("x", random(&mut rng, &dims))];
        cases.push(case(&mut rng, "global_avg_pool", json!({}), &inputs, |v| {
            v[0].reshape([n, c, h * w]).mean_axis(2, false)
        }));
    }
    cases
}

#[test]
fn every_image_ops_backward_rule_is_pytorchs_autograd() {
    let cases = cases();
    let dir = std::env::temp_dir().join(format!("backprop-torch-autograd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cases.json");
    std::fs::write(&file, serde_json::to_vec(&cases).unwrap()).unwrap();
    let python = std::env::var("BACKPROP_TORCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/torch/autograd.py");
    let out = std::process::Command::new(&python).arg(script).arg(&file).output();
    std::fs::remove_dir_all(&dir).ok();
    let Ok(out) = out else {
        eprintln!("skipped: cannot start {python}");
        return;
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    if v["torch"].is_null() {
        eprintln!("skipped: {python} has no torch (set BACKPROP_TORCH_PYTHON to one that has)");
        return;
    }
    eprintln!("PyTorch {}: {}", v["torch"], v["max_diff"]);
    assert_eq!(v["cases"], cases.len());
    for op in ["conv2d", "max_pool2d", "avg_pool2d", "batch_norm2d", "global_avg_pool"] {
        let diff = v["max_diff"][op].as_f64().unwrap_or_else(|| panic!("{op} missing in {v}"));
        assert!(diff < 1e-10, "{op}: {diff} from PyTorch's value or gradient");
    }
}
