//! `explain` for convolutional networks: on the shipped example and on random small networks
//! (strides, padding, dilation, several channels and filters, max and average pools, two
//! convolutions), every line's products add up to the value it shows, and every parameter's
//! gradient and every input pixel's gradient equal central differences of E computed by an
//! independent scalar forward pass written here from the definitions; every format is written;
//! `--check` names the convolution's mistakes; bad files are named by field.

use backprop::check::conv::answer as check;
use backprop::check::parse_answers;
use backprop::limits::Limits;
use backprop::network::conv::{ConvNetwork, Part, Rule, parse, step};
use backprop::present::Format;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// The network `docs/explain.md` explains.
fn example_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/conv-network.json")
}

/// A layer as the scalar reference computes it.
#[derive(Clone, Debug)]
enum Layer {
    Conv { filters: usize, k: usize, stride: usize, pad: usize, dilation: usize, w: Vec<f64>, b: Vec<f64> },
    Act(&'static str),
    Pool { max: bool, k: usize, stride: usize, pad: usize },
    Dense { units: usize, w: Vec<f64>, b: Vec<f64> },
}

/// E of the network by the definitions, one number at a time (half-sse after a sigmoid output).
fn error(input: &[f64], dims: [usize; 3], layers: &[Layer], targets: &[f64]) -> f64 {
    let (mut x, [mut c, mut h, mut w]) = (input.to_vec(), dims);
    for layer in layers {
        match layer {
            Layer::Conv { filters, k, stride, pad, dilation, w: kw, b } => {
                let out = |n: usize| (n + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
                let (oh, ow) = (out(h), out(w));
                let mut y = vec![0.0; filters * oh * ow];
                for f in 0..*filters {
                    for oy in 0..oh {
                        for ox in 0..ow {
                            let mut s = b[f];
                            for ch in 0..c {
                                for u in 0..*k {
                                    for v in 0..*k {
                                        let r = (oy * stride + u * dilation) as isize - *pad as isize;
                                        let q = (ox * stride + v * dilation) as isize - *pad as isize;
                                        if r >= 0 && q >= 0 && (r as usize) < h && (q as usize) < w {
                                            s += kw[((f * c + ch) * k + u) * k + v]
                                                * x[(ch * h + r as usize) * w + q as usize];
                                        }
                                    }
                                }
                            }
                            y[(f * oh + oy) * ow + ox] = s;
                        }
                    }
                }
                (x, c, h, w) = (y, *filters, oh, ow);
            }
            Layer::Act(a) => {
                for v in &mut x {
                    *v = match *a {
                        "relu" => v.max(0.0),
                        "sigmoid" => 1.0 / (1.0 + (-*v).exp()),
                        "tanh" => v.tanh(),
                        _ => unreachable!(),
                    };
                }
            }
            Layer::Pool { max, k, stride, pad } => {
                let out = |n: usize| (n + 2 * pad - k) / stride + 1;
                let (oh, ow) = (out(h), out(w));
                let mut y = vec![];
                for ch in 0..c {
                    for oy in 0..oh {
                        for ox in 0..ow {
                            let mut items = vec![];
                            for u in 0..*k {
                                for v in 0..*k {
                                    let r = (oy * stride + u) as isize - *pad as isize;
                                    let q = (ox * stride + v) as isize - *pad as isize;
                                    let inside = r >= 0 && q >= 0 && (r as usize) < h && (q as usize) < w;
                                    items.push(if inside {
                                        Some(x[(ch * h + r as usize) * w + q as usize])
                                    } else {
                                        None
                                    });
                                }
                            }
                            y.push(if *max {
                                items.iter().flatten().fold(f64::NEG_INFINITY, |m, &v| m.max(v))
                            } else {
                                items.iter().map(|v| v.unwrap_or(0.0)).sum::<f64>() / (k * k) as f64
                            });
                        }
                    }
                }
                (x, h, w) = (y, oh, ow);
            }
            Layer::Dense { units, w: dw, b } => {
                let n = x.len();
                x = (0..*units).map(|j| b[j] + (0..n).map(|i| dw[j * n + i] * x[i]).sum::<f64>()).collect();
                (c, h, w) = (1, 1, *units);
            }
        }
    }
    x.iter().zip(targets).map(|(o, t)| 0.5 * (t - o) * (t - o)).sum()
}

/// The network file of the reference's layers (each with its weights in PyTorch's layout, flat
/// lists nested here).
fn file(input: &[f64], dims: [usize; 3], layers: &[Layer], targets: &[f64], rate: f64) -> Value {
    let image: Vec<Vec<Vec<f64>>> =
        input.chunks(dims[1] * dims[2]).map(|ch| ch.chunks(dims[2]).map(<[f64]>::to_vec).collect()).collect();
    let mut c = dims[0];
    let entries: Vec<Value> = layers
        .iter()
        .map(|l| match l {
            Layer::Conv { filters, k, stride, pad, dilation, w, b } => {
                let kernels: Vec<Vec<Vec<Vec<f64>>>> = w
                    .chunks(c * k * k)
                    .map(|f| f.chunks(k * k).map(|ch| ch.chunks(*k).map(<[f64]>::to_vec).collect()).collect())
                    .collect();
                c = *filters;
                json!({"layer": format!("conv {filters} {k} stride {stride} pad {pad} dilation {dilation}"), "weight": kernels, "bias": b})
            }
            Layer::Act(a) => json!(a),
            Layer::Pool { max, k, stride, pad } => {
                json!(format!("{} {k} stride {stride} pad {pad}", if *max { "maxpool" } else { "avgpool" }))
            }
            Layer::Dense { units, w, b } => {
                let rows: Vec<Vec<f64>> = w.chunks(w.len() / units).map(<[f64]>::to_vec).collect();
                json!({"layer": format!("dense {units}"), "weight": rows, "bias": b})
            }
        })
        .collect();
    json!({"input": image, "targets": targets, "layers": entries, "loss": "half-sse", "learning_rate": rate, "update_biases": true})
}

/// Central differences of `f` in each element of `x`.
fn differences(x: &[f64], f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let eps = 1e-6;
    (0..x.len())
        .map(|i| {
            let (mut up, mut down) = (x.to_vec(), x.to_vec());
            up[i] += eps;
            down[i] -= eps;
            (f(&up) - f(&down)) / (2.0 * eps)
        })
        .collect()
}

/// Checks one network: sums add up, and every gradient is the reference's central difference.
fn check_against_reference(input: &[f64], dims: [usize; 3], layers: &[Layer], targets: &[f64]) {
    let net = parse(&file(input, dims, layers, targets, 0.5)).unwrap_or_else(|e| panic!("{e:?}"));
    let (s, _) = step(&net, 1, false);
    close(s.loss, error(input, dims, layers, targets), 1e-12, "E");
    for line in s.forward.iter().chain(&s.backward).flat_map(|sec| &sec.lines) {
        if let Rule::Sum { terms, constant } = &line.rule {
            let total: f64 = terms.iter().map(|t| t.left_value * t.right.as_ref().map_or(1.0, |r| r.1)).sum::<f64>()
                + constant.as_ref().map_or(0.0, |c| c.1);
            close(total, line.value, 1e-12, &line.symbol);
        }
    }
    // Every parameter, in the store's order (each layer's weight, then bias).
    let mut flat: Vec<f64> = vec![];
    for l in layers {
        if let Layer::Conv { w, b, .. } | Layer::Dense { w, b, .. } = l {
            flat.extend(w);
            flat.extend(b);
        }
    }
    let rebuild = |values: &[f64]| {
        let mut at = 0;
        layers
            .iter()
            .map(|l| {
                let mut l = l.clone();
                if let Layer::Conv { w, b, .. } | Layer::Dense { w, b, .. } = &mut l {
                    for v in w.iter_mut().chain(b.iter_mut()) {
                        *v = values[at];
                        at += 1;
                    }
                }
                l
            })
            .collect::<Vec<_>>()
    };
    let numeric = differences(&flat, |v| error(input, dims, &rebuild(v), targets));
    assert_eq!(s.updates.len(), flat.len());
    for (u, n) in s.updates.iter().zip(&numeric) {
        close(u.gradient, *n, 1e-7, &format!("dE/d{}", u.name));
    }
    let input_lines = s
        .backward
        .iter()
        .find(|sec| sec.part == Part::InputGradients && sec.layer == 0)
        .expect("the first layer is a conv");
    let numeric = differences(input, |x| error(x, dims, layers, targets));
    for (line, n) in input_lines.lines.iter().zip(&numeric) {
        close(line.value, *n, 1e-7, &line.symbol);
    }
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol * want.abs().max(1.0), "{what}: {got} vs {want}");
}

#[test]
fn the_example_s_every_gradient_is_an_independent_central_difference() {
    let text = std::fs::read_to_string(example_path()).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let input: Vec<f64> = v["input"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|x| x.as_f64().unwrap())
        .collect();
    let numbers = |x: &Value| -> Vec<f64> {
        fn walk(x: &Value, out: &mut Vec<f64>) {
            match x {
                Value::Array(a) => a.iter().for_each(|y| walk(y, out)),
                _ => out.push(x.as_f64().unwrap()),
            }
        }
        let mut out = vec![];
        walk(x, &mut out);
        out
    };
    let l = &v["layers"];
    let layers = vec![
        Layer::Conv {
            filters: 1,
            k: 3,
            stride: 1,
            pad: 0,
            dilation: 1,
            w: numbers(&l[0]["weight"]),
            b: numbers(&l[0]["bias"]),
        },
        Layer::Act("relu"),
        Layer::Pool { max: true, k: 2, stride: 2, pad: 0 },
        Layer::Dense { units: 2, w: numbers(&l[3]["weight"]), b: numbers(&l[3]["bias"]) },
        Layer::Act("sigmoid"),
    ];
    check_against_reference(&input, [1, 6, 6], &layers, &numbers(&v["targets"]));
}

#[test]
fn random_small_convolutional_networks_agree_with_the_reference() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(41);
    let random =
        |n: usize, rng: &mut rand_chacha::ChaCha8Rng| (0..n).map(|_| rng.random_range(-1.0..1.0)).collect::<Vec<f64>>();
    for case in 0..12 {
        let c = rng.random_range(1..=2);
        let (h, w) = (rng.random_range(5..=7), rng.random_range(5..=7));
        let input = random(c * h * w, &mut rng);
        let filters = rng.random_range(1..=2);
        let k = rng.random_range(2..=3);
        let (stride, pad, dilation) = (rng.random_range(1..=2), rng.random_range(0..=1), 1 + case % 2);
        let mut layers = vec![Layer::Conv {
            filters,
            k,
            stride,
            pad,
            dilation,
            w: random(filters * c * k * k, &mut rng),
            b: random(filters, &mut rng),
        }];
        layers.push(Layer::Act(["relu", "sigmoid", "tanh"][case % 3]));
        let out = |n: usize| (n + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
        let (mut oh, mut ow, mut ch) = (out(h), out(w), filters);
        if case % 4 == 3 && oh >= 3 && ow >= 3 {
            // A second convolution on the first's maps.
            layers.push(Layer::Conv {
                filters: 2,
                k: 2,
                stride: 1,
                pad: 0,
                dilation: 1,
                w: random(2 * ch * 4, &mut rng),
                b: random(2, &mut rng),
            });
            (oh, ow, ch) = (oh - 1, ow - 1, 2);
        }
        if oh >= 2 && ow >= 2 {
            let max = case % 2 == 0;
            let pad = usize::from(case % 3 == 1);
            layers.push(Layer::Pool { max, k: 2, stride: 1 + case % 2, pad });
            let s = 1 + case % 2;
            (oh, ow) = ((oh + 2 * pad - 2) / s + 1, (ow + 2 * pad - 2) / s + 1);
        }
        let units = rng.random_range(1..=3);
        layers.push(Layer::Dense { units, w: random(units * ch * oh * ow, &mut rng), b: random(units, &mut rng) });
        layers.push(Layer::Act("sigmoid"));
        let targets: Vec<f64> = (0..units).map(|_| rng.random_range(0.0..1.0)).collect();
        check_against_reference(&input, [c, h, w], &layers, &targets);
    }
}

fn example() -> ConvNetwork {
    let text = std::fs::read_to_string(example_path()).unwrap();
    parse(&serde_json::from_str(&text).unwrap()).unwrap()
}

#[test]
fn every_format_writes_the_convolution_s_numbers() {
    let net = example();
    let limits = Limits::COMMAND_LINE;
    let text = backprop::explain::conv::answer(&net, 2, true, Format::Text, &limits).unwrap();
    assert!(text.contains("  dE/dk11 = dE/dC11·x11 + dE/dC12·x12 + "), "{text}");
    assert!(text.contains("the full convolution of dE/dC with the kernel flipped"));
    assert!(text.contains("P12 = max(out_C13, out_C14, out_C23, out_C24)"));
    assert!(text.contains("[finite difference"));
    assert!(text.contains("Step 2") && text.contains("Error after 2 updates"));
    let markdown = backprop::explain::conv::answer(&net, 1, false, Format::Markdown, &limits).unwrap();
    assert!(markdown.contains("$$\\frac{\\partial E}{\\partial k_{11}} = "), "{markdown}");
    let json: Value =
        serde_json::from_str(&backprop::explain::conv::answer(&net, 3, false, Format::Json, &limits).unwrap()).unwrap();
    assert_eq!(json["steps"].as_array().unwrap().len(), 3);
    assert_eq!(json["steps"][0]["forward"][0]["lines"][0]["symbol"], "C11");
    let html = backprop::explain::conv::answer(&net, 1, false, Format::Html, &limits).unwrap();
    assert!(html.contains("class=\"patch\"") && html.contains("kernel of `conv 1 3`"));
    let dot = backprop::explain::conv::answer(&net, 1, false, Format::Dot, &limits).unwrap();
    assert!(dot.starts_with("digraph") && dot.contains("C11 … C44"), "{dot}");
}

/// The engine's values of one step of the example, by symbol.
fn values() -> std::collections::BTreeMap<String, f64> {
    let (s, _) = step(&example(), 1, false);
    let mut out: std::collections::BTreeMap<String, f64> =
        s.forward.iter().chain(&s.backward).flat_map(|sec| &sec.lines).map(|l| (l.symbol.clone(), l.value)).collect();
    out.extend(s.updates.iter().map(|u| (format!("{}+", u.name), u.updated)));
    out
}

fn checked(answers: Value) -> Value {
    let answers = parse_answers(&answers.to_string(), std::path::Path::new("answers.json")).unwrap();
    serde_json::from_str(&check(&example(), &answers, Format::Json, &Limits::COMMAND_LINE).unwrap()).unwrap()
}

/// The mistake ids named for `symbol` in a check's JSON.
fn named(v: &Value, symbol: &str) -> Vec<String> {
    let answers = v["answers"].as_array().or_else(|| v[0]["answers"].as_array()).unwrap_or_else(|| panic!("{v}"));
    let a = answers.iter().find(|a| a["symbol"] == symbol).unwrap_or_else(|| panic!("{symbol} in {v}"));
    a["mistakes"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn check_names_the_convolution_s_mistakes() {
    let v = values();
    let (s, _) = step(&example(), 1, false);
    // The input's gradient with the kernel unflipped: for this kernel (odd in its columns) the
    // flipped kernel is its negative, so the unflipped sum is the right one's negative.
    let x = v["dE/dx14"];
    assert!(x.abs() > 1e-4);
    let marked = checked(json!({"dE/dx14": format!("{:.6}", -x)}));
    assert_eq!(named(&marked, "dE/dx14"), ["kernel-not-flipped"], "{marked}");
    // dE/dk11 with its largest term left out.
    let line = s.backward.iter().flat_map(|sec| &sec.lines).find(|l| l.symbol == "dE/dk11").unwrap();
    let Rule::Sum { terms, .. } = &line.rule else { panic!() };
    let largest = terms
        .iter()
        .map(|t| t.left_value * t.right.as_ref().unwrap().1)
        .fold(0.0f64, |m, p| if p.abs() > m.abs() { p } else { m });
    let marked = checked(json!({"dE/dk11": format!("{:.6}", line.value - largest)}));
    assert!(named(&marked, "dE/dk11").contains(&"position-left-out".to_string()), "{marked}");
    // The pool's gradient sent to an element that was not its window's maximum.
    let marked = checked(json!({"dE/dout_C13": format!("{:.6}", v["dE/dP12"])}));
    assert_eq!(v["dE/dout_C13"], 0.0);
    assert_eq!(named(&marked, "dE/dout_C13"), ["routed-to-every-element"], "{marked}");
    // Right answers are right; an unknown symbol is refused with the nearest known ones.
    let marked = checked(json!({"C11": format!("{:.4}", v["C11"]), "k11+": format!("{:.6}", v["k11+"])}));
    assert!(marked.to_string().contains("\"correct\":true"), "{marked}");
    let answers = parse_answers(r#"{"dE/dk1": 0.1}"#, std::path::Path::new("a.json")).unwrap();
    let err = check(&example(), &answers, Format::Text, &Limits::COMMAND_LINE).unwrap_err().to_string();
    assert!(err.contains("no symbol \"dE/dk1\"") && err.contains("dE/dk11"), "{err}");
}

#[test]
fn bad_network_files_are_named_by_field() {
    let base = || -> Value { serde_json::from_str(&std::fs::read_to_string(example_path()).unwrap()).unwrap() };
    let fails = |edit: &dyn Fn(&mut Value), field: &str, words: &str| {
        let mut v = base();
        edit(&mut v);
        let (f, message) = parse(&v).err().unwrap_or_else(|| panic!("{field} accepted"));
        assert_eq!(f, field, "{message}");
        assert!(message.contains(words), "{field}: {message}");
    };
    fails(&|v| v["layers"][0]["layer"] = json!("conv 1 7"), "layers[0]", "7×7");
    fails(
        &|v| v["layers"][0]["weight"][1] = json!([0.1, 0.2]),
        "layers[0].weight[1]",
        "2 numbers where the first has 3",
    );
    fails(&|v| v["layers"][0]["layer"] = json!("conv 2 3"), "layers[0].weight", "needs 2×1×3×3");
    fails(&|v| v["layers"][1] = json!("batchnorm"), "layers[1]", "not `batchnorm`");
    fails(&|v| v["layers"][2] = json!("maxpol 2"), "layers[2]", "unknown layer");
    fails(&|v| v["input"][2] = json!([0.1]), "input[2]", "1 numbers where the first has 6");
    fails(&|v| v["input"][0][0] = json!("a"), "input[0][0]", "not a number");
    fails(&|v| v["layers"][3]["bias"] = json!([0.1]), "layers[3].bias", "needs 2");
    fails(&|v| v["targets"] = json!([0.1]), "targets", "1 targets for 2 outputs");
    fails(&|v| v["colour"] = json!(true), "colour", "unknown field");
    // A padding that makes a map too large to write out, before any weight is read.
    fails(
        &|v| v["layers"][0]["layer"] = json!("conv 1 3 pad 100"),
        "layers[0]",
        "more than explain writes out for one layer",
    );
    fails(&|v| v["layers"][0]["stride"] = json!(2), "layers[0].stride", "unknown field");
}

#[test]
fn the_command_line_explains_checks_and_refuses_a_convolutional_file() {
    let s = crate::common::Scratch::new("explain-conv");
    let example = example_path().display().to_string();
    let run = |args: &[&str]| assert_cmd::Command::cargo_bin("backprop").unwrap().args(args).output().unwrap();
    let out = run(&["explain", &example, "--verify"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Kernel gradients, `conv 1 3`") && text.contains("difference"), "{text}");
    let html = s.path("conv.html");
    assert!(run(&["explain", &example, "--format", "html", "--out", &html]).status.success());
    assert!(std::fs::read_to_string(&html).unwrap().contains("class=\"patch\""));
    let answers = s.file("answers.json", br#"{"C11": 0.07, "dE/dbk": 1.0}"#);
    let out = run(&["explain", &example, "--check", &answers.display().to_string()]);
    assert!(out.status.success());
    let marked = String::from_utf8_lossy(&out.stdout);
    assert!(marked.contains("✓ C11") && marked.contains("✗ dE/dbk"), "{marked}");
    let bad = s.file("bad.json", br#"{"input": [[0.1, 0.2], [0.3, 0.4]], "targets": [1], "layers": ["conv 1 3"], "loss": "half-sse", "learning_rate": 0.1}"#);
    let out = run(&["explain", &bad.display().to_string()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.json") && err.contains("layers[0]") && err.contains("3×3"), "{err}");
}
