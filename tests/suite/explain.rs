//! `backprop explain`: the lecture's numbers in every printed value; on random networks (depth
//! 1–4, width 1–5, every activation and loss) the factors shown multiply out to the engine's
//! gradient and the gradients agree with an independent scalar implementation; malformed
//! network files are named precisely; the text, Markdown and JSON of the lecture are pinned.

use std::path::Path;

use assert_cmd::Command;
use backprop::loss::Loss;
use backprop::network::{LayerFile, Network};
use backprop::nn::Activation;
use rand::Rng;

use crate::common;
use common::{Scratch, close, lecture_reference as reference};

#[test]
fn the_lectures_numbers_appear_in_every_field_of_the_json() {
    let r = &reference()["expected_float64"];
    let want = |k: &str| r[k].as_f64().unwrap();
    let out = Command::cargo_bin("backprop").unwrap().args(["explain", "--format", "json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let step = &v["steps"][0];
    close("E_total", step["loss"].as_f64().unwrap(), want("E_total"), 1e-12);
    close("E_o1", step["error_terms"][0].as_f64().unwrap(), want("E_o1"), 1e-12);
    close("E_o2", step["error_terms"][1].as_f64().unwrap(), want("E_o2"), 1e-12);
    let forward = step["forward"].as_array().unwrap();
    for (unit, net_key, out_key) in
        [(0, "net_h1", "out_h1"), (1, "net_h2", "out_h2"), (2, "net_o1", "out_o1"), (3, "net_o2", "out_o2")]
    {
        close(net_key, forward[unit]["net"].as_f64().unwrap(), want(net_key), 1e-12);
        close(out_key, forward[unit]["out"].as_f64().unwrap(), want(out_key), 1e-12);
    }
    for i in 1..=8 {
        let w = format!("w{i}");
        close(&w, step["gradients"][&w].as_f64().unwrap(), want(&format!("dE_dw{i}")), 1e-12);
        close(&w, step["updated"][&w].as_f64().unwrap(), want(&format!("w{i}_after_1_update")), 1e-12);
    }
    // The three factors of ∂E/∂w5, as the lecture names them.
    let f = step["factors"]["w5"].as_array().unwrap();
    let symbols: Vec<&str> = f.iter().map(|x| x["symbol"].as_str().unwrap()).collect();
    assert_eq!(symbols, ["dE/dout_y1", "dout_y1/dy1", "dy1/dw5"]);
    close("dE/dout_y1", f[0]["value"].as_f64().unwrap(), want("dE_dout_o1"), 1e-12);
    close("dout_y1/dy1", f[1]["value"].as_f64().unwrap(), want("dout_o1_dnet_o1"), 1e-12);
    close("dy1/dw5", f[2]["value"].as_f64().unwrap(), want("out_h1"), 1e-12);
    // A hidden weight's first factor is the path sum ∂E/∂out_H1.
    close("dE/dout_H1", step["factors"]["w1"][0]["value"].as_f64().unwrap(), want("dE_dout_h1"), 1e-12);
    close("E after one update", v["final_loss"].as_f64().unwrap(), want("E_total_after_1_update"), 1e-12);
    // Biases are held fixed, as in the lecture.
    assert_eq!(step["updated"]["b1"].as_f64().unwrap(), 0.35);
}

#[test]
fn the_text_shows_the_slides_lines() {
    let out = Command::cargo_bin("backprop").unwrap().arg("explain").output().unwrap();
    let wrapped = String::from_utf8(out.stdout).unwrap();
    assert!(wrapped.lines().all(|l| l.chars().count() <= 80), "readable at 80 columns:\n{wrapped}");
    // Lines broken at their `=` signs, joined again.
    let mut text = String::new();
    for line in wrapped.lines() {
        match line.trim_start().strip_prefix("= ") {
            Some(rest) => text.push_str(&format!(" = {rest}")),
            None => text.push_str(&format!("\n{line}")),
        }
    }
    for line in [
        "H1 = x1·w1 + x2·w2 + b1 = 0.05·0.15 + 0.1·0.2 + 0.35 = 0.3775",
        "out_H1 = σ(H1) = 1/(1+e^−H1) = 0.593269992",
        "E = ½(T1 − out_y1)² + ½(T2 − out_y2)² = 0.274811083 + 0.023560026 = 0.298371109",
        "dE/dw5 = dE/dout_y1 · dout_y1/dy1 · dy1/dw5 = 0.74136507 · 0.186815602 · 0.593269992 = 0.082167041",
        "dE/dout_H1 = dE/dy1·w5 + dE/dy2·w7 = 0.138498562·0.4 + (-0.038098237)·0.5 = 0.036350306",
        "w5 ← w5 − η·dE/dw5 = 0.4 − 0.5·0.082167041 = 0.35891648",
        "Error after 1 update: E = 0.291027774",
    ] {
        assert!(text.contains(line), "missing line: {line}\n{text}");
    }
}

/// Compares an output with its pinned copy in tests/snapshots (UPDATE_SNAPSHOTS=1 rewrites it).
fn snapshot(format: &str, file: &str) {
    let out = Command::cargo_bin("backprop").unwrap().args(["explain", "--format", format]).output().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(file);
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(&path, &out.stdout).unwrap();
    }
    let pinned = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        pinned,
        "{file} changed; rerun with UPDATE_SNAPSHOTS=1 if intended"
    );
}

#[test]
fn the_lectures_text_markdown_and_json_are_pinned() {
    snapshot("text", "lecture.txt");
    snapshot("markdown", "lecture.md");
    snapshot("json", "lecture.json");
}

/// A random network: depth 1–4, widths 1–5, activations and loss drawn at random.
fn random_network(rng: &mut backprop::Rng) -> Network {
    let depth = rng.random_range(1..=4);
    let mut widths = vec![rng.random_range(1..=5)];
    for _ in 0..depth {
        widths.push(rng.random_range(1..=5));
    }
    let loss = [Loss::HalfSse, Loss::Mse, Loss::Bce, Loss::CrossEntropy][rng.random_range(0..4)];
    let hidden = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Gelu,
        Activation::Silu,
        Activation::Linear,
    ];
    let outputs = *widths.last().unwrap();
    let layers: Vec<LayerFile> = (0..depth)
        .map(|l| {
            let activation = if l + 1 < depth {
                hidden[rng.random_range(0..hidden.len())]
            } else {
                match loss {
                    Loss::CrossEntropy => Activation::Softmax,
                    Loss::Bce => Activation::Sigmoid,
                    _ => hidden[rng.random_range(0..hidden.len())],
                }
            };
            LayerFile {
                weights: (0..widths[l + 1])
                    .map(|_| (0..widths[l]).map(|_| rng.random_range(-1.0..1.0)).collect())
                    .collect(),
                biases: (0..widths[l + 1]).map(|_| rng.random_range(-0.5..0.5)).collect(),
                activation,
            }
        })
        .collect();
    let targets = match loss {
        Loss::CrossEntropy => {
            let c = rng.random_range(0..outputs);
            (0..outputs).map(|k| f64::from(u8::from(k == c))).collect()
        }
        Loss::Bce => (0..outputs).map(|_| rng.random_range(0.0..1.0)).collect(),
        _ => (0..outputs).map(|_| rng.random_range(-1.0..1.0)).collect(),
    };
    Network {
        inputs: (0..widths[0]).map(|_| rng.random_range(-1.0..1.0)).collect(),
        targets,
        model: backprop::network::Model::from_layers(&layers),
        loss,
        learning_rate: 0.1,
        update_biases: rng.random_bool(0.5),
    }
}

/// The error by a plain scalar forward pass, written here independently of the engine.
fn scalar_error(net: &Network) -> f64 {
    let mut h = net.inputs.clone();
    for layer in &net.file().layers {
        let z: Vec<f64> = layer
            .weights
            .iter()
            .zip(&layer.biases)
            .map(|(row, b)| row.iter().zip(&h).map(|(w, x)| w * x).sum::<f64>() + b)
            .collect();
        h = match layer.activation {
            Activation::Sigmoid => z.iter().map(|v| 1.0 / (1.0 + (-v).exp())).collect(),
            Activation::Tanh => z.iter().map(|v| v.tanh()).collect(),
            Activation::Relu => z.iter().map(|v| v.max(0.0)).collect(),
            Activation::LeakyRelu => z.iter().map(|&v| if v > 0.0 { v } else { 0.01 * v }).collect(),
            // PyTorch's GELU(approximate="tanh") and SiLU, as their documentation writes them.
            Activation::Gelu => z
                .iter()
                .map(|&v| 0.5 * v * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (v + 0.044715 * v.powi(3))).tanh()))
                .collect(),
            Activation::Silu => z.iter().map(|&v| v / (1.0 + (-v).exp())).collect(),
            Activation::Linear => z,
            Activation::Softmax => {
                let m = z.iter().cloned().fold(f64::MIN, f64::max);
                let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
                z.iter().map(|v| (v - m).exp() / s).collect()
            }
        };
    }
    let k = h.len() as f64;
    let t = &net.targets;
    match net.loss {
        Loss::HalfSse => h.iter().zip(t).map(|(o, t)| 0.5 * (t - o).powi(2)).sum(),
        Loss::Mse => h.iter().zip(t).map(|(o, t)| (o - t).powi(2)).sum::<f64>() / k,
        Loss::CrossEntropy => -h.iter().zip(t).map(|(o, t)| t * o.ln()).sum::<f64>(),
        Loss::Bce => -h.iter().zip(t).map(|(o, t)| t * o.ln() + (1.0 - t) * (1.0 - o).ln()).sum::<f64>() / k,
    }
}

#[test]
fn on_random_networks_the_factors_multiply_out_and_the_gradients_match_an_independent_implementation() {
    let mut rng = backprop::rng(2026);
    for case in 0..200 {
        let net = random_network(&mut rng);
        let (step, _) = backprop::network::step(&net, 1, false);
        close(&format!("case {case}: E"), step.loss, scalar_error(&net), 1e-12);
        for p in &step.params {
            let product: f64 = p.factors.iter().map(|f| f.value).product();
            let tol = 1e-12 * p.gradient.abs().max(1.0);
            assert!(
                (product - p.gradient).abs() <= tol,
                "case {case}, {}: factors give {product}, engine {}",
                p.name,
                p.gradient
            );
            // Independent check: central differences of the scalar implementation.
            let (l, j, i) = p.at;
            let error_at = |delta: f64| {
                let mut nudged = net.clone();
                match i {
                    Some(i) => nudged.model.set_weight(l, j, i, net.model.weight(l, j, i) + delta),
                    None => nudged.model.set_bias(l, j, net.model.bias(l, j) + delta),
                }
                scalar_error(&nudged)
            };
            let numeric = (error_at(1e-6) - error_at(-1e-6)) / 2e-6;
            assert!(
                (numeric - p.gradient).abs() < 1e-6 * numeric.abs().max(1.0),
                "case {case}, {}: engine {}, finite difference {numeric}",
                p.name,
                p.gradient
            );
        }
        for ps in &step.path_sums {
            let sum: f64 = ps.terms.iter().map(|t| t.1 * t.3).sum();
            assert!((sum - ps.total).abs() < 1e-15, "case {case}: path sum of {}", ps.unit);
        }
    }
}

#[test]
fn steps_train_and_verify_shows_finite_differences() {
    let explained = backprop::network::run(&Network::lecture(), 10_000, 3, false);
    let r = &reference()["expected_float64"];
    close("E after 10,000", explained.final_loss, r["E_total_after_10000_updates"].as_f64().unwrap(), 1e-9 * 3.6e-5);
    assert_eq!((explained.steps.len(), explained.errors.len()), (3, 10_000));
    let out =
        Command::cargo_bin("backprop").unwrap().args(["explain", "--verify", "--format", "json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let numeric = v["steps"][0]["finite_differences"]["w5"].as_f64().unwrap();
    close("finite difference of w5", numeric, r["dE_dw5"].as_f64().unwrap(), 1e-8);
    let out = Command::cargo_bin("backprop").unwrap().args(["explain", "--verify"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("[finite difference 0.082167041, difference"), "{text}");
}

#[test]
fn a_three_layer_network_from_a_file_shows_sums_over_paths() {
    let dir = std::env::temp_dir().join(format!("backprop-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("deep.json");
    std::fs::write(
        &file,
        r#"{ "inputs": [0.5, -1.0], "targets": [0.2],
             "layers": [ {"weights": [[0.1, 0.2], [0.3, -0.4]], "biases": [0.0, 0.1], "activation": "tanh"},
                         {"weights": [[0.5, -0.6], [0.7, 0.8]], "biases": [0.2, -0.2], "activation": "relu"},
                         {"weights": [[1.0, -1.0]], "biases": [0.05], "activation": "linear"} ],
             "loss": "half-sse", "learning_rate": 0.1, "update_biases": true }"#,
    )
    .unwrap();
    let out = Command::cargo_bin("backprop").unwrap().args(["explain", file.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("dE/dout_H2_1 = dE/dy1·w9"), "{text}");
    assert!(text.contains("dE/dout_H1_1 = dE/dH2_1·w5 + dE/dH2_2·w7"), "{text}");
    assert!(text.contains("tanh'(net) = 1 − out²") && text.contains("relu'(net)"), "{text}");
    assert!(text.contains("b1 ← b1 − η·dE/db1"), "biases update when asked:\n{text}");
    let html = Command::cargo_bin("backprop")
        .unwrap()
        .args(["explain", file.to_str().unwrap(), "--format", "html"])
        .output()
        .unwrap();
    let page = String::from_utf8(html.stdout).unwrap();
    assert!(
        page.contains("<svg") && page.contains("H2_1") && page.contains("dE/dw9"),
        "the page has the diagram and the derivation"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_networks_are_named_by_file_and_field() {
    let dir = std::env::temp_dir().join(format!("backprop-explain-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            r#"{"inputs": [1, 2], "targets": [0.5], "layers": [{"weights": [[1, 2, 3]], "biases": [0], "activation": "sigmoid"}], "loss": "half-sse", "learning_rate": 0.5}"#,
            "layers[0].weights[0]: 3 weights, but 2 inputs",
        ),
        (
            r#"{"inputs": [1], "targets": [0.5, 0.1, 0.2], "layers": [{"weights": [[1], [2]], "biases": [0, 0], "activation": "sigmoid"}], "loss": "half-sse", "learning_rate": 0.5}"#,
            "targets: 3 targets for 2 outputs",
        ),
        (
            r#"{"inputs": [1], "targets": [1, 0], "layers": [{"weights": [[1], [2]], "biases": [0], "activation": "sigmoid"}], "loss": "half-sse", "learning_rate": 0.5}"#,
            "layers[0].biases: 1 biases for 2 units",
        ),
        (
            r#"{"inputs": [1], "targets": [1, 0], "layers": [{"weights": [[1], [2]], "biases": [0, 0], "activation": "sigmoid"}], "loss": "cross-entropy", "learning_rate": 0.5}"#,
            "cross-entropy needs a softmax output layer",
        ),
        (
            r#"{"inputs": [1], "targets": [1], "layers": [{"weights": [[1]], "biases": [0], "activation": "swish"}], "loss": "mse", "learning_rate": 0.5}"#,
            "unknown variant `swish`",
        ),
        (
            r#"{"inputs": [1], "targets": [1], "layers": [{"weights": [[1]], "biases": [0], "activation": "relu"}], "loss": "mse", "learning_rate": 0.5, "extra": 1}"#,
            "unknown field `extra`",
        ),
        (
            r#"{"inputs": [1], "targets": 3, "layers": [{"weights": [[1], [2]], "biases": [0, 0], "activation": "softmax"}], "loss": "cross-entropy", "learning_rate": 0.5}"#,
            "targets: class 3 for 2 outputs",
        ),
    ];
    for (i, (json, needle)) in cases.iter().enumerate() {
        let file = dir.join(format!("bad{i}.json"));
        std::fs::write(&file, json).unwrap();
        let out = Command::cargo_bin("backprop").unwrap().args(["explain", file.to_str().unwrap()]).output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains(&format!("bad{i}.json")) && err.contains(needle),
            "case {i}: expected {needle:?} in {err}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dot_draws_the_engines_computation_graph_with_values_and_gradients() {
    let out = Command::cargo_bin("backprop").unwrap().args(["explain", "--format", "dot"]).output().unwrap();
    let dot = String::from_utf8(out.stdout).unwrap();
    assert!(dot.starts_with("digraph tape {") && dot.trim_end().ends_with('}'));
    assert!(dot.contains("{Linear | H1, H2 | value 0.377500 0.392500 | grad 0.008771 0.009954}"), "{dot}");
    assert!(dot.contains("layers.1.weight | value 0.400000 0.450000 0.500000 0.550000 | grad 0.082167"), "{dot}");
    // Every node but the first feeds something or is E; every edge joins two declared nodes.
    let nodes = dot.lines().filter(|l| l.contains("[label=")).count();
    for line in dot.lines().filter(|l| l.contains("->")) {
        let ids: Vec<usize> = line
            .trim()
            .trim_end_matches(';')
            .split(" -> ")
            .map(|n| n.trim_start_matches('n').parse().unwrap())
            .collect();
        assert!(ids[0] < ids[1] && ids[1] < nodes, "{line}");
    }
}

/// A network file with GELU and SiLU hidden layers explains, and `--verify`'s finite differences
/// agree with every gradient it shows.
#[test]
fn gelu_and_silu_networks_explain_with_verify_agreeing() {
    let dir = Scratch::new("explain-gelu");
    for activation in ["gelu", "silu"] {
        let file = dir.0.join(format!("{activation}.json"));
        let net = format!(
            r#"{{ "inputs": [0.5, -1.2], "targets": [0.2],
                 "layers": [ {{"weights": [[0.3, -0.8], [1.1, 0.4], [-0.6, 0.9]], "biases": [0.1, -0.2, 0.05], "activation": "{activation}"}},
                             {{"weights": [[0.7, -0.5, 0.25]], "biases": [0.3], "activation": "linear"}} ],
                 "loss": "half-sse", "learning_rate": 0.1 }}"#
        );
        std::fs::write(&file, net).unwrap();
        let out = Command::cargo_bin("backprop")
            .unwrap()
            .args(["explain", file.to_str().unwrap(), "--verify", "--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let step = &v["steps"][0];
        let gradients = step["gradients"].as_object().unwrap();
        assert_eq!(gradients.len(), 13);
        for (name, g) in gradients {
            let numeric = step["finite_differences"][name].as_f64().unwrap();
            close(&format!("{activation}: dE/d{name}"), g.as_f64().unwrap(), numeric, 1e-8);
        }
        let text = Command::cargo_bin("backprop").unwrap().args(["explain", file.to_str().unwrap()]).output().unwrap();
        let text = String::from_utf8(text.stdout).unwrap();
        assert!(text.contains(&format!("{activation}'(net) =")), "the derivative's formula is shown:\n{text}");
    }
}
