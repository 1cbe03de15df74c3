//! `backprop exercise`: a sheet per seed, its key checked against the lecture's formulas
//! written out here by hand, and `explain --exercise SEED --check` marking the key rounded to
//! four decimals all right and naming a mistake of the catalogue injected into it.

use serde_json::{Map, Value};

use crate::common::Scratch;

fn run(args: &[&str]) -> String {
    let out = assert_cmd::Command::cargo_bin("backprop").unwrap().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn sheet(seed: u64) -> Value {
    serde_json::from_str(&run(&["exercise", "--seed", &seed.to_string(), "--key", "--format", "json"])).unwrap()
}

/// `answers` marked against exercise `seed`'s network, as JSON.
fn marked(seed: u64, answers: &Map<String, Value>, literal: impl Fn(&str, f64) -> String) -> Value {
    let body: Vec<String> =
        answers.iter().map(|(k, v)| format!("{:?}: {}", k, literal(k, v.as_f64().unwrap()))).collect();
    let s = Scratch::new("exercise");
    let file = s.file("answers.json", format!("{{{}}}", body.join(", ")).as_bytes());
    serde_json::from_str(&run(&[
        "explain",
        "--exercise",
        &seed.to_string(),
        "--check",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]))
    .unwrap()
}

/// The key agrees with the lecture's formulas computed here from the sheet's givens:
/// net = Σ w·x + b, out = σ(net), E = Σ ½(T − out)², ∂E/∂w5 = (out_y1 − T1)·out_y1(1 − out_y1)·out_H1,
/// ∂E/∂w1 = Σ_k (out_yk − Tk)·out_yk(1 − out_yk)·w(H1→yk) · out_H1(1 − out_H1) · x1, w⁺ = w − η·∂E/∂w.
#[test]
fn the_key_is_the_lectures_formulas_applied_to_the_sheets_numbers() {
    for seed in [1, 7, 2026] {
        let v = sheet(seed);
        let n = &v["network"];
        let x: Vec<f64> = n["inputs"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        let t: Vec<f64> = n["targets"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        let layer = |l: usize| -> (Vec<Vec<f64>>, Vec<f64>) {
            let w = n["layers"][l]["weights"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_array().unwrap().iter().map(|w| w.as_f64().unwrap()).collect())
                .collect();
            let b = n["layers"][l]["biases"].as_array().unwrap().iter().map(|b| b.as_f64().unwrap()).collect();
            (w, b)
        };
        let ((w1, b1), (w2, b2)) = (layer(0), layer(1));
        let sigma = |z: f64| 1.0 / (1.0 + (-z).exp());
        let h: Vec<f64> = (0..2).map(|j| sigma(w1[j][0] * x[0] + w1[j][1] * x[1] + b1[j])).collect();
        let y: Vec<f64> = (0..2).map(|k| sigma(w2[k][0] * h[0] + w2[k][1] * h[1] + b2[k])).collect();
        let e: f64 = (0..2).map(|k| 0.5 * (t[k] - y[k]).powi(2)).sum();
        let delta: Vec<f64> = (0..2).map(|k| (y[k] - t[k]) * y[k] * (1.0 - y[k])).collect();
        let de_dw5 = delta[0] * h[0];
        let de_dw1 = (delta[0] * w2[0][0] + delta[1] * w2[1][0]) * h[0] * (1.0 - h[0]) * x[0];
        let key = &v["key"];
        let close = |symbol: &str, want: f64| {
            let got = key[symbol].as_f64().unwrap();
            assert!((got - want).abs() < 1e-12, "seed {seed}: {symbol} = {got}, the formula gives {want}");
        };
        close("out_H1", h[0]);
        close("out_y2", y[1]);
        close("E", e);
        close("dE/dw5", de_dw5);
        close("dE/dw1", de_dw1);
        close("w5+", w2[0][0] - 0.5 * de_dw5);
        close("w1+", w1[0][0] - 0.5 * de_dw1);
        assert_eq!(v["blanks"].as_array().unwrap().len(), key.as_object().unwrap().len());
    }
}

/// Filled with the key's numbers rounded to four decimals, every blank of twenty sheets is
/// marked right; the sheets differ.
#[test]
fn a_sheet_filled_with_the_key_to_four_decimals_is_all_right() {
    let mut firsts = vec![];
    for seed in 1..=20 {
        let v = sheet(seed);
        let key = v["key"].as_object().unwrap();
        firsts.push(v["network"]["layers"][0]["weights"][0][0].as_f64().unwrap());
        let m = marked(seed, key, |_, x| format!("{x:.4}"));
        assert_eq!(m["summary"]["wrong"], 0, "seed {seed}: {m}");
        assert_eq!(m["summary"]["right"], key.len());
    }
    firsts.sort_by(f64::total_cmp);
    firsts.dedup();
    assert!(firsts.len() > 10, "the sheets differ: {firsts:?}");
}

/// One mistake of the catalogue injected into a key (the rest rounded to four decimals) is
/// the one wrong answer, and the mistake named first.
#[test]
fn a_mistake_injected_into_the_key_is_named() {
    for seed in [3, 11] {
        let v = sheet(seed);
        let key = v["key"].as_object().unwrap();
        let k = |s: &str| key[s].as_f64().unwrap();
        let w5 = v["network"]["layers"][1]["weights"][0][0].as_f64().unwrap();
        let injected = [
            ("w5+", w5 + 0.5 * k("dE/dw5"), "update-sign"),
            ("w5+", w5 - k("dE/dw5"), "learning-rate"),
            ("dE/dw5", 2.0 * k("dE/dw5"), "missing-half"),
            ("dE/dw5", k("dE/dout_y1") * k("dy1/dw5"), "missing-activation-derivative"),
        ];
        for (symbol, wrong, id) in injected {
            let m = marked(seed, key, |s, x| if s == symbol { format!("{wrong:.6}") } else { format!("{x:.4}") });
            assert_eq!(m["summary"]["wrong"], 1, "seed {seed}, {id}: {m}");
            let a = m["answers"].as_array().unwrap().iter().find(|a| a["symbol"] == symbol).unwrap();
            assert_eq!(a["correct"], false);
            assert_eq!(a["mistakes"][0]["id"], id, "seed {seed}, {symbol} = {wrong}: {a}");
        }
    }
}

/// The sheet a learner gets: the givens and blanks, no numbers of the key.
#[test]
fn the_printed_sheet_gives_the_numbers_to_start_from_and_blanks() {
    let text = run(&["exercise", "--seed", "7"]);
    let v = sheet(7);
    for line in [
        "x1   = ",
        "T2   = ",
        "w8   = ",
        "b3   = ",
        "η    = 0.5",
        "dE/dw5         = ________",
        "E+             = ________",
    ] {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }
    let e = v["key"]["E"].as_f64().unwrap();
    assert!(!text.contains(&format!("{e:.6}")), "no key numbers on the learner's sheet");
    let md = run(&["exercise", "--seed", "7", "--format", "markdown"]);
    assert!(md.starts_with("# Backpropagation by hand — exercise 7") && md.contains("- dE/dw5 = ________"));
    let out =
        assert_cmd::Command::cargo_bin("backprop").unwrap().args(["exercise", "--format", "dot"]).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("text, markdown or json"));
}
