//! Reading a learner's answers as written, and the marking rule: honest answers rounded to any
//! number of decimals are right, answers off by more than a unit in their last place are not,
//! and every malformed answers file names the field at fault.

use crate::common;

use backprop::check::{nearest, read_answers};
use backprop::present::Given;
use common::{Scratch, lecture_reference};

#[test]
fn a_literal_keeps_the_decimals_it_was_written_with() {
    let decimals = |t: &str| Given::parse(t).map(|g| g.decimals);
    assert_eq!(decimals("0.500"), Some(3));
    assert_eq!(decimals("12"), Some(0));
    assert_eq!(decimals("-0.25"), Some(2));
    assert_eq!(decimals("2.5e-3"), Some(4));
    assert_eq!(decimals("1e3"), Some(-3));
    assert_eq!(decimals(" 0.0821 "), Some(4));
    assert_eq!(decimals("abc"), None);
    assert_eq!(decimals("NaN"), None);
    assert_eq!(decimals("inf"), None);
}

/// Every reference number of the lecture, rounded honestly to 3–9 decimals, is right; moved by
/// two units in the last place it is wrong.
#[test]
fn honest_rounding_is_right_at_any_precision_and_two_units_off_is_not() {
    let r = lecture_reference();
    let values: Vec<f64> = r["expected_float64"].as_object().unwrap().values().filter_map(|v| v.as_f64()).collect();
    assert!(values.len() > 10);
    for &v in &values {
        for d in 3..=9usize {
            let honest = Given::parse(&format!("{v:.d$}")).unwrap();
            assert!(honest.matches(v), "{v} written as {honest}");
            let off = Given::parse(&format!("{:.d$}", v + 2.0 * 10f64.powi(-(d as i32)))).unwrap();
            assert!(!off.matches(v), "{v} written as {off} is two units off");
        }
    }
    // Half a unit more, carried from an earlier rounded step, is still right.
    assert!(Given::parse("0.5933").unwrap().matches(0.59327 + 0.00004));
}

#[test]
fn an_answers_file_is_one_step_or_a_list_of_steps_in_the_files_order() {
    let s = Scratch::new("answers");
    let one = s.file("one.json", br#"{"out_H1": 0.500, "E": "0.2984", "dE/dw5": 8.2e-2}"#);
    let steps = read_answers(&one).unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].step, 1);
    let symbols: Vec<&str> = steps[0].answers.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(symbols, ["out_H1", "E", "dE/dw5"], "the file's order");
    let out_h1 = &steps[0].answers[0].1;
    assert_eq!((out_h1.text.as_str(), out_h1.decimals), ("0.500", 3), "the literal, not the float");
    assert_eq!(steps[0].answers[1].1.decimals, 4, "a string holding a number");
    assert_eq!(steps[0].answers[2].1.decimals, 3);

    let many = s.file("many.json", br#"[{"step": 1, "E": 0.298}, {"step": 3, "E+": 0.29}]"#);
    let steps = read_answers(&many).unwrap();
    assert_eq!(steps.iter().map(|s| s.step).collect::<Vec<_>>(), [1, 3]);
}

#[test]
fn every_malformed_answers_file_names_the_field() {
    let s = Scratch::new("answers-bad");
    let cases: [(&[u8], &str); 8] = [
        (br#"{"E": "a lot"}"#, "\"E\": \"a lot\" is not a number"),
        (br#"{"E": true}"#, "\"E\": true is not a number"),
        (br#"[{"step": 0, "E": 1}]"#, "[0].step: 0 is not a step number"),
        (br#"[{"step": 2, "E": 1}, {"step": 2, "E": 1}]"#, "[1].step: step 2 is given twice"),
        (br#"{"E": 0.3"#, "line 1, column"),
        (b"[]", "the answers: there are none to mark"),
        (b"{}", "the answers: there are none to mark"),
        (br#"[{"step": 2}]"#, "the answers: there are none to mark"),
    ];
    for (i, (contents, needle)) in cases.iter().enumerate() {
        let path = s.file(&format!("bad{i}.json"), contents);
        let err = read_answers(&path).unwrap_err().to_string();
        assert!(err.contains(&format!("bad{i}.json")) && err.contains(needle), "case {i}: {err}");
    }
}

#[test]
fn an_unknown_symbol_finds_its_nearest_known_ones() {
    let known = ["dE/dw5", "dE/dw6", "out_H1", "out_H2", "E"];
    assert_eq!(nearest("dE/dw55", known), ["dE/dw5"]);
    assert_eq!(nearest("out_h1", known), ["out_H1"]);
    assert_eq!(nearest("dE/dw7", known), ["dE/dw5", "dE/dw6"]);
    assert!(nearest("something else", known).is_empty());
}

/// The engine's value of every symbol of the lecture's first step against the independent
/// float64 recomputation in `data/lecture-example.json`.
#[test]
fn every_symbol_of_the_lectures_step_has_the_reference_value() {
    let r = &lecture_reference()["expected_float64"];
    let step = &backprop::check::expected(&backprop::network::Network::lecture(), 1)[0];
    let pairs = [
        ("H1", "net_h1"),
        ("out_H1", "out_h1"),
        ("out_H2", "out_h2"),
        ("y1", "net_o1"),
        ("out_y1", "out_o1"),
        ("out_y2", "out_o2"),
        ("E1", "E_o1"),
        ("E2", "E_o2"),
        ("E", "E_total"),
        ("dE/dout_y1", "dE_dout_o1"),
        ("dout_y1/dy1", "dout_o1_dnet_o1"),
        ("dy1/dw5", "out_h1"),
        ("dE/dw5", "dE_dw5"),
        ("dE/dout_H1", "dE_dout_h1"),
        ("dout_H1/dH1", "dout_h1_dnet_h1"),
        ("dE/dw1", "dE_dw1"),
        ("dE/dw8", "dE_dw8"),
        ("w1+", "w1_after_1_update"),
        ("w5+", "w5_after_1_update"),
        ("E+", "E_total_after_1_update"),
    ];
    for (symbol, key) in pairs {
        let got = step.get(symbol).unwrap_or_else(|| panic!("no {symbol}"));
        common::close(symbol, got, r[key].as_f64().unwrap(), 1e-12);
    }
}

/// The slide's published numbers are marked right; the page's published error after one step
/// (0.291027924, from updating w5..w8 first) is marked wrong; an unknown symbol names the
/// nearest known one.
#[test]
fn the_slides_numbers_are_right_and_the_pages_error_after_one_step_is_not() {
    let s = Scratch::new("answers-lecture");
    let file = s.file(
        "slide.json",
        br#"{"H1": 0.3775, "out_H1": 0.593269992, "out_y1": 0.75136507, "E": 0.298371109,
             "dE/dout_y1": 0.74136507, "dout_y1/dy1": 0.186815602, "dE/dw5": 0.082167041,
             "dE/dout_H1": 0.036350306, "w5+": 0.35891648, "E+": 0.291027924}"#,
    );
    let answers = read_answers(&file).unwrap();
    let marks = backprop::check::mark(&backprop::network::Network::lecture(), &answers, 100).unwrap();
    for m in &marks {
        assert_eq!(m.correct, m.symbol != "E+", "{} = {} (engine {})", m.symbol, m.given, m.expected);
    }
    let right = s.file("right.json", br#"{"E+": 0.291027774}"#);
    assert!(
        backprop::check::mark(&backprop::network::Network::lecture(), &read_answers(&right).unwrap(), 100).unwrap()[0]
            .correct
    );
    let unknown = s.file("unknown.json", br#"{"dE/dw55": 0.08}"#);
    let err = backprop::check::mark(&backprop::network::Network::lecture(), &read_answers(&unknown).unwrap(), 100)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no symbol \"dE/dw55\"") && err.contains("did you mean dE/dw5?"), "{err}");
    let far = s.file("far.json", br#"[{"step": 7, "E": 0.2}]"#);
    let err =
        backprop::check::mark(&backprop::network::Network::lecture(), &read_answers(&far).unwrap(), 5).unwrap_err();
    assert!(err.to_string().contains("step 7"), "{err}");
}

/// The sequential-update variant reproduces the page's published error after one step and the
/// hidden weights of the recomputation in `data/lecture-example.json`
/// (`variants_for_reference.hidden_deltas_use_updated_w5_to_w8`).
#[test]
fn the_sequential_update_variant_reproduces_the_pages_numbers() {
    let net = backprop::network::Network::lecture();
    let (step, _) = backprop::network::step(&net, 1, false);
    let variants = backprop::check::variants(&net, &step);
    let seq = variants.iter().find(|m| m.id == "sequential-update").unwrap();
    let r = &lecture_reference()["variants_for_reference"]["hidden_deltas_use_updated_w5_to_w8"];
    common::close("E+", seq.values["E+"], r["E_total_after_1_update"].as_f64().unwrap(), 1e-12);
    for w in ["w1", "w2", "w3", "w4"] {
        common::close(w, seq.values[&format!("{w}+")], r[&format!("{w}_after_1_update")].as_f64().unwrap(), 1e-12);
    }
    // The normal step's gradients are unchanged for the output weights.
    common::close("dE/dw5", seq.values["dE/dw5"], step.params.iter().find(|p| p.name == "w5").unwrap().gradient, 1e-15);
}

/// Runs `backprop ARGS` and reads the JSON it prints.
fn json_of(args: &[&str]) -> serde_json::Value {
    let out = assert_cmd::Command::cargo_bin("backprop").unwrap().args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs `backprop explain [args] --check FILE --format json` on `answers`.
fn checked(answers: &str, args: &[&str]) -> serde_json::Value {
    let s = Scratch::new("check-cli");
    let file = s.file("answers.json", answers.as_bytes());
    json_of(&[&["explain"], args, &["--check", file.to_str().unwrap(), "--format", "json"]].concat())
}

/// Each mistake of the catalogue, injected into the lecture's step by hand (the values worked
/// out in the comments, from the slide's numbers), is marked wrong and named by its id; the
/// honest answers beside them stay right.
#[test]
fn each_injected_mistake_is_marked_wrong_and_named() {
    let cases = [
        // The page's published error after one step: w5..w8 updated first, then used.
        ("E+", "0.291027924", "sequential-update"),
        // x2 read as 0.01: H1 = 0.05·0.15 + 0.01·0.2 + 0.35 = 0.3595.
        ("H1", "0.3595", "wrong-input"),
        // dE/dw5 without σ'(y1): 0.74136507 · 0.593269992 = 0.439829649.
        ("dE/dw5", "0.439829649", "missing-activation-derivative"),
        // σ'(y1) as y1(1 − y1) = 1.105905967 · (−0.105905967) = −0.117122041.
        ("dout_y1/dy1", "-0.117122041", "derivative-of-net"),
        // (T − out) for ∂E/∂out: −0.74136507.
        ("dE/dout_y1", "-0.74136507", "sign-error"),
        // Σ(T − out)² without the ½: every gradient doubled, 2 · 0.082167041.
        ("dE/dw5", "0.164334082", "missing-half"),
        // ∂E/∂out_H1 through y1 alone: 0.138498562 · 0.4 = 0.055399425.
        ("dE/dout_H1", "0.055399425", "single-path"),
        // w5 + η·g = 0.4 + 0.5 · 0.082167041.
        ("w5+", "0.44108352", "update-sign"),
        // w5 − g, η forgotten: 0.4 − 0.082167041.
        ("w5+", "0.317832959", "learning-rate"),
        // b3 updated although fixed: 0.6 − 0.5 · 0.138498562.
        ("b3+", "0.530750719", "bias-update"),
    ];
    for (symbol, wrong, id) in cases {
        let answers = format!(r#"{{"out_H1": 0.593269992, "{symbol}": {wrong}, "E": 0.298371109}}"#);
        let v = checked(&answers, &[]);
        let list = v["answers"].as_array().unwrap();
        for a in list {
            let injected = a["symbol"] == symbol;
            assert_eq!(a["correct"], !injected, "{symbol} = {wrong}: {a}");
            if injected {
                let ids: Vec<&str> =
                    a["mistakes"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
                assert!(ids.contains(&id), "{symbol} = {wrong}: expected {id} among {ids:?}");
            }
        }
        assert_eq!(v["summary"]["wrong"], 1);
    }
}

/// The ids of the mistakes named for `symbol`, in the report's order, and the report's why.
fn diagnosis(v: &serde_json::Value, symbol: &str) -> (Vec<String>, serde_json::Value) {
    let a = v["answers"].as_array().unwrap().iter().find(|a| a["symbol"] == symbol).unwrap();
    let ids = a["mistakes"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()).collect();
    (ids, a["why"].clone())
}

/// Issue 34's example: with out_H1 and dE/dw5 right (the slide's numbers), w5+ = 0.4411 is
/// what both a sign error in ∂E/∂out and a sign error in the update give; the first would
/// have made dE/dw5 wrong too, so only the second is named, and the report says why.
#[test]
fn a_mistake_that_would_have_made_a_right_answer_wrong_is_not_named() {
    let v = checked(r#"{"out_H1": 0.5933, "dE/dw5": 0.0822, "w5+": 0.4411}"#, &[]);
    let (ids, why) = diagnosis(&v, "w5+");
    assert_eq!(ids, ["update-sign"]);
    assert_eq!(why, "your dE/dw5 is right, so the slip is in the update");
    // Without the right dE/dw5, both fit, in the catalogue's order.
    let (ids, why) = diagnosis(&checked(r#"{"w5+": 0.4411}"#, &[]), "w5+");
    assert_eq!(ids, ["sign-error", "update-sign"]);
    assert!(why.is_null(), "{why}");
}

/// A mistake that also gives the learner's other wrong answers comes first: ∂E/∂out with the
/// wrong sign (−0.7414) and w5+ = 0.4411 are both a sign error in ∂E/∂out.
#[test]
fn the_mistake_that_explains_more_of_the_answers_comes_first() {
    let v = checked(r#"{"dE/dout_y1": -0.7414, "w5+": 0.4411}"#, &[]);
    let (ids, why) = diagnosis(&v, "w5+");
    assert_eq!(ids, ["sign-error", "update-sign"]);
    assert_eq!(why, "sign-error also gives your dE/dout_y1");
    let a = v["answers"].as_array().unwrap().iter().find(|a| a["symbol"] == "w5+").unwrap();
    assert_eq!(a["mistakes"][0]["also_gives"], serde_json::json!(["dE/dout_y1"]));
}

/// When every mistake that gives the value contradicts a right answer, they are still shown,
/// each saying which answer rules it out: dE/dw5 doubled is Σ(T − out)² without the ½, but
/// the learner's E = 0.2984 has the ½.
#[test]
fn when_no_mistake_fits_every_answer_each_says_which_answer_rules_it_out() {
    let v = checked(r#"{"E": 0.2984, "dE/dw5": 0.1643}"#, &[]);
    let (ids, why) = diagnosis(&v, "dE/dw5");
    assert_eq!(ids, ["missing-half"]);
    assert!(why.as_str().unwrap().starts_with("no known mistake fits all your answers"), "{why}");
    let a = v["answers"].as_array().unwrap().iter().find(|a| a["symbol"] == "dE/dw5").unwrap();
    assert_eq!(a["mistakes"][0]["ruled_out_by"], "E");
}

/// An answer computed from an earlier wrong answer is marked carried, not a new mistake.
#[test]
fn an_answer_that_follows_from_an_earlier_wrong_one_is_carried() {
    // H1 with x2 = 0.01 (0.3595), then out_H1 = σ(0.3595) = 0.588919393 as the learner would.
    let v = checked(r#"{"H1": 0.3595, "out_H1": 0.5889, "dE/dw5": 0.0822, "w5+": 0.3589}"#, &[]);
    let a = &v["answers"];
    assert_eq!(a[0]["mistakes"][0]["id"], "wrong-input");
    assert_eq!(a[1]["carried_from"], "H1");
    assert!(a[1]["mistakes"].as_array().unwrap().is_empty());
    assert_eq!((a[2]["correct"].as_bool(), a[3]["correct"].as_bool()), (Some(true), Some(true)));
    // A gradient from the learner's own (wrong) factor: 0.7414 · 0.2000 · 0.5933 = 0.0880.
    let v = checked(r#"{"dE/dout_y1": 0.7414, "dout_y1/dy1": 0.2000, "dy1/dw5": 0.5933, "dE/dw5": 0.0880}"#, &[]);
    assert_eq!(v["answers"][3]["carried_from"], "dout_y1/dy1");
    assert_eq!(v["summary"]["carried"], 1);
}

#[test]
fn a_value_no_mistake_explains_says_so_plainly() {
    let s = Scratch::new("check-plain");
    let file = s.file("answers.json", br#"{"dE/dw5": 0.5000}"#);
    let out = assert_cmd::Command::cargo_bin("backprop")
        .unwrap()
        .args(["explain", "--check", file.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("✗ dE/dw5 = 0.5000   (engine: 0.082167041)")
            && text.contains("no known mistake gives this value"),
        "{text}"
    );
    let bad = assert_cmd::Command::cargo_bin("backprop")
        .unwrap()
        .args(["explain", "--check", file.to_str().unwrap(), "--format", "dot"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("checks are written as text or json, not dot"));
}

/// Runs `backprop chain ... --check ANSWER --format json`.
fn chain_checked(args: &[&str], answer: &str) -> serde_json::Value {
    json_of(&[&["chain"], args, &["--check", answer, "--format", "json"]].concat())
}

/// A learner's derivative: right on the slide; each chain slip (worked by hand in the
/// comments) marked wrong and named.
#[test]
fn chain_check_marks_the_derivative_and_names_the_slip() {
    let slide = ["y = 5x + 3", "x = t^2", "--wrt", "t", "--at", "t=3"];
    let v = chain_checked(&slide, "10t = 30");
    assert_eq!((v["correct"].as_bool(), v["value"]["correct"].as_bool()), (Some(true), Some(true)));
    assert_eq!(v["compared_at"].as_array().unwrap().len(), 5, "the point and four more");
    assert_eq!(chain_checked(&slide, "10t = 30.5")["value"]["correct"], false);
    let cases: [(&[&str], &str, &str); 6] = [
        // dy/dx = 5 without dx/dt.
        (&["y = 5x + 3", "x = t^2", "--wrt", "t"], "5", "missing-inner-derivative"),
        // d/dt sin(t²) = 2t·cos(t²); without the inner derivative cos(t²).
        (&["y = sin(t^2)", "--wrt", "t"], "cos(t^2)", "missing-inner-derivative"),
        // d/dt t³ = 3t²; t² drops the coefficient, 3t³ keeps the exponent.
        (&["y = t^3", "--wrt", "t"], "t^2", "power-rule"),
        (&["y = t^3", "--wrt", "t"], "3t^3", "power-rule"),
        // d/dt t·sin t = sin t + t·cos t; one term alone.
        (&["y = t*sin(t)", "--wrt", "t"], "t*cos(t)", "product-rule"),
        // z = x·y, x = t², y = sin t: the path through y left out gives 2t·sin t.
        (&["z = x*y", "x = t^2", "y = sin(t)", "--wrt", "t"], "2t*sin(t)", "sum-over-paths"),
    ];
    for (args, answer, id) in cases {
        let v = chain_checked(args, answer);
        assert_eq!(v["correct"], false, "{answer}");
        let ids: Vec<&str> = v["mistakes"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert!(ids.contains(&id), "{answer}: expected {id} among {ids:?}");
    }
    let bad = assert_cmd::Command::cargo_bin("backprop")
        .unwrap()
        .args(["chain", "y = t^2", "--wrt", "t", "--check", "2t +"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--check: expected a number, a name or `(`"));
}

/// On random networks (sigmoid or tanh layers, the lecture's loss), honest answers at 9
/// decimals are right, and a mistake injected into one answer — its value worked out here from
/// the mistake's own formula — is the only one marked wrong and is named by its id.
#[test]
fn mistakes_injected_into_random_networks_are_found() {
    use backprop::loss::Loss;
    use backprop::network::{LayerFile, Network, TargetsFile};
    use backprop::nn::Activation;
    use rand::Rng;
    let mut rng = backprop::rng(99);
    let mut tried = 0;
    for case in 0..30 {
        let widths = [rng.random_range(1..=3), rng.random_range(2..=3), rng.random_range(1..=2)];
        let act = if rng.random_bool(0.5) { Activation::Sigmoid } else { Activation::Tanh };
        let mut layers = vec![];
        for l in 0..2 {
            let weights =
                (0..widths[l + 1]).map(|_| (0..widths[l]).map(|_| rng.random_range(-1.0..1.0)).collect()).collect();
            let biases = (0..widths[l + 1]).map(|_| rng.random_range(-0.5..0.5)).collect();
            layers.push(LayerFile { weights, biases, activation: act });
        }
        let file = backprop::network::NetworkFile {
            inputs: (0..widths[0]).map(|_| rng.random_range(-1.0..1.0)).collect(),
            targets: TargetsFile::Vector((0..widths[2]).map(|_| rng.random_range(0.0..1.0)).collect()),
            layers,
            loss: Loss::HalfSse,
            learning_rate: 0.5,
            update_biases: false,
        };
        let net = Network::check(file).unwrap();
        let e = &backprop::check::expected(&net, 1)[0];
        let v = |s: &str| e.get(s).unwrap_or_else(|| panic!("case {case}: no {s}"));
        let (w, eta) = (net.model.weight(1, 0, 0), net.learning_rate);
        let first_out_w = format!("w{}", widths[0] * widths[1] + 1); // the first output weight
        let first_out_b = format!("b{}", widths[1] + 1);
        let y = v("y1");
        let injected: Vec<(String, f64, &str)> = vec![
            (format!("{first_out_w}+"), w + eta * v(&format!("dE/d{first_out_w}")), "update-sign"),
            (format!("{first_out_w}+"), w - v(&format!("dE/d{first_out_w}")), "learning-rate"),
            ("dE/dout_y1".into(), -v("dE/dout_y1"), "sign-error"),
            (format!("dE/d{first_out_w}"), 2.0 * v(&format!("dE/d{first_out_w}")), "missing-half"),
            (format!("{first_out_b}+"), net.model.bias(1, 0) - eta * v(&format!("dE/d{first_out_b}")), "bias-update"),
            (
                "dout_y1/dy1".into(),
                if act == Activation::Sigmoid { y * (1.0 - y) } else { 1.0 - y * y },
                "derivative-of-net",
            ),
            (format!("dE/d{first_out_w}"), v("dE/dout_y1") * v("out_H1"), "missing-activation-derivative"),
        ];
        for (symbol, wrong, id) in injected {
            if (wrong - v(&symbol)).abs() < 1e-6 {
                continue; // the mistake happens to give the right number here
            }
            tried += 1;
            let answers = format!(r#"{{"out_H1": {:.9}, "E": {:.9}, "{symbol}": {wrong:.9}}}"#, v("out_H1"), v("E"));
            let s = Scratch::new("inject");
            let path = s.file("a.json", answers.as_bytes());
            let marks = backprop::check::check(&net, &read_answers(&path).unwrap(), 10).unwrap();
            for m in &marks {
                assert_eq!(
                    m.mark.correct,
                    m.mark.symbol != symbol,
                    "case {case}, {id}: {} = {}",
                    m.mark.symbol,
                    m.mark.given
                );
            }
            let wrong_one = marks.iter().find(|m| m.mark.symbol == symbol).unwrap();
            assert!(
                wrong_one.mistakes.iter().any(|d| d.id == id),
                "case {case}: {symbol} = {wrong} not diagnosed as {id}: {:?}",
                wrong_one.mistakes
            );
        }
    }
    assert!(tried > 150, "{tried} injections");
}
