//! The chain-rule calculator's expression language: what a slide writes parses to the tree a
//! person means, prints back in the tool's own syntax (which parses to the same tree), computes
//! on the engine's tape, and every malformed input gets a message with a caret at the fault.

use backprop::autograd::Tape;
use backprop::chain::{Expr, Func, parse_definition, parse_expr, simplify};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

/// Each input with the tree it means, written in the tool's syntax (worked out by hand).
#[test]
fn slide_notation_reads_as_a_person_means_it() {
    let cases = [
        ("5x + 3", "5*x + 3"),
        ("t^2", "t^2"),
        ("t²", "t^2"),
        ("t**2", "t^2"),
        ("2t", "2*t"),
        ("3(x + 1)", "3*(x + 1)"),
        ("-x^2", "-x^2"),   // −(x²), not (−x)²
        ("2x^2", "2*x^2"),  // 2·(x²)
        ("2^3^2", "2^3^2"), // 2^(3^2): printed as read, right-associative
        ("(2^3)^2", "(2^3)^2"),
        ("x·y", "x*y"),
        ("x y", "x*y"),
        ("a − b − c", "a - b - c"), // (a − b) − c
        ("a − (b − c)", "a - (b - c)"),
        ("a/b/c", "a/b/c"),
        ("a/(b*c)", "a/(b*c)"),
        ("σ(w·x + b)", "sigmoid(w*x + b)"),
        ("ln(x)", "log(x)"),
        ("2π", "2*pi"),
        ("e^x", "e^x"),
        ("2e", "2*e"),
        ("1e-3x", "0.001*x"),
        ("x⁻¹", "x^(-1)"),
        ("x^-1", "x^(-1)"),
        ("sin(t)cos(t)", "sin(t)*cos(t)"),
        ("out_h1 * w5", "out_h1*w5"),
    ];
    for (input, want) in cases {
        let e = parse_expr(input).unwrap_or_else(|err| panic!("{input}: {err}"));
        assert_eq!(e.to_string(), want, "{input}");
        assert_eq!(parse_expr(&e.to_string()).unwrap(), e, "{want} reads back to the same tree");
    }
    // −x² is the negation of a power; 2^3^2 nests to the right.
    assert!(matches!(parse_expr("-x^2").unwrap(), Expr::Neg(inner) if matches!(*inner, Expr::Pow(..))));
    let Expr::Pow(_, exponent) = parse_expr("2^3^2").unwrap() else { panic!("a power") };
    assert!(matches!(*exponent, Expr::Pow(..)));
}

#[test]
fn a_definition_names_what_it_defines() {
    let d = parse_definition("y = 5x + 3").unwrap();
    assert_eq!((d.name.as_str(), d.expr.to_string()), ("y", "5*x + 3".to_string()));
    assert_eq!(d.expr.variables(), ["x"]);
    let z = parse_definition("z = x·y + sin(x)").unwrap();
    assert_eq!(z.expr.variables(), ["x", "y"]);
}

/// The message, and the caret's column, for each kind of bad input.
#[test]
fn every_bad_input_is_named_with_a_caret_at_the_fault() {
    let cases = [
        ("5x +", 4, "expected a number, a name or `(`, found the end"),
        ("(t + 1", 0, "this `(` is never closed"),
        ("t + 1)", 5, "expected an operator or the end, found `)`"),
        ("foo(t)", 0, "unknown function `foo`; the functions are exp, log, sqrt, sin, cos"),
        ("sin t", 0, "`sin` is a function: write `sin(…)`"),
        ("2 $ t", 2, "unexpected character `$`"),
        ("t^", 2, "expected an exponent after `^`"),
        ("1.2.3", 0, "`1.2.3` is not a number"),
        ("* t", 0, "expected a number, a name or `(`, found `*`"),
    ];
    for (input, at, needle) in cases {
        let err = parse_expr(input).expect_err(input);
        assert_eq!(err.at, at, "{input}: {err}");
        assert!(err.message.contains(needle), "{input}: {}", err.message);
        let shown = err.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[1], format!("  {input}"));
        assert_eq!(lines[2], format!("  {}^", " ".repeat(at)), "{input}: the caret");
    }
    let err = parse_definition("y = 3 +").unwrap_err();
    assert_eq!((err.at, err.text.as_str()), (7, "y = 3 +"), "positions count in the whole definition");
    assert!(parse_definition("sin = t").unwrap_err().message.contains("variable's name"));
    assert!(parse_definition("5x + 3").unwrap_err().message.contains("name = expression"));
    let huge = vec!["t"; 1500].join(" + ");
    assert!(parse_expr(&huge).unwrap_err().message.contains("up to 2000"));
}

/// Values from the engine's tape against identities and closed forms computed here.
#[test]
fn expressions_compute_on_the_tape() {
    let value = |text: &str, t: f64| {
        let tape = Tape::new();
        let x = tape.input(&backprop::tensor::Tensor::scalar(t));
        parse_expr(text).unwrap().on_tape(&tape, &|_| x).item()
    };
    assert_eq!(value("5x^2 + 3", 3.0), 48.0);
    assert!((value("sin(x)^2 + cos(x)^2", 0.7) - 1.0).abs() < 1e-15);
    assert!((value("log(exp(x))", 1.3) - 1.3).abs() < 1e-15);
    assert!((value("2^x", 0.5) - std::f64::consts::SQRT_2).abs() < 1e-15);
    assert!((value("σ(x) + σ(-x)", 0.3) - 1.0).abs() < 1e-15);
    assert!((value("tan(x)", 0.4) - 0.4f64.tan()).abs() < 1e-15);
    assert_eq!(value("abs(x) + relu(x)", -2.0), 2.0);
    assert!((value("sqrt(x)/x", 4.0) - 0.5).abs() < 1e-15);
    assert!((value("tanh(x)", 0.2) - 0.2f64.tanh()).abs() < 1e-15);
    assert!((value("2pi + e", 0.0) - (2.0 * std::f64::consts::PI + std::f64::consts::E)).abs() < 1e-15);
}

/// Random trees, printed and read back: the same tree.
fn tree() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        (0u32..100).prop_map(|n| Expr::Number(n as f64 / 4.0)),
        prop::sample::select(vec!["x", "y", "t", "w5"]).prop_map(|n| Expr::Var(n.to_string())),
    ];
    leaf.prop_recursive(5, 40, 2, |inner| {
        let b = Box::new;
        prop_oneof![
            inner.clone().prop_map(move |a| Expr::Neg(b(a))),
            (inner.clone(), inner.clone()).prop_map(move |(x, y)| Expr::Add(b(x), b(y))),
            (inner.clone(), inner.clone()).prop_map(move |(x, y)| Expr::Sub(b(x), b(y))),
            (inner.clone(), inner.clone()).prop_map(move |(x, y)| Expr::Mul(b(x), b(y))),
            (inner.clone(), inner.clone()).prop_map(move |(x, y)| Expr::Div(b(x), b(y))),
            (inner.clone(), inner.clone()).prop_map(move |(x, y)| Expr::Pow(b(x), b(y))),
            (prop::sample::select(vec![Func::Sin, Func::Exp, Func::Sigmoid, Func::Log]), inner)
                .prop_map(move |(f, a)| Expr::Call(f, b(a))),
        ]
    })
}

proptest! {
    #[test]
    fn what_is_printed_reads_back_to_the_same_tree(e in tree()) {
        let text = e.to_string();
        prop_assert_eq!(parse_expr(&text).unwrap(), e, "{}", text);
    }
}

/// The simplifier on a table of inputs, each output worked out by hand.
#[test]
fn the_simplifier_writes_what_a_person_would() {
    let cases = [
        ("5*(2*t)", "10*t"), // coefficients multiply
        ("1*x + 0", "x"),    // 1·x = x, x + 0 = x
        ("x*x", "x^2"),      // powers of one base merge
        ("t^2*t", "t^3"),
        ("2*x + 3*x", "5*x"), // like terms
        ("x - x", "0"),
        ("3 + 4*2", "11"), // constants fold
        ("2^10", "1024"),
        ("x^1", "x"),
        ("x^0", "1"),
        ("(2*x)^2", "4*x^2"), // an integer power of one term distributes
        ("x/x", "1"),
        ("6*x/3", "2*x"),
        ("x/(2*y)", "0.5*x/y"),
        ("-(-x)", "x"),
        ("0*sin(t) + cos(t)", "cos(t)"),
        ("sin(0) + exp(0)", "1"),
        ("5*x^2 + 3 + x^3", "x^3 + 5*x^2 + 3"), // highest degree first, the constant last
        ("2*(x + 1)", "2*x + 2"),               // a coefficient distributes over a sum
        ("(x + 1)*(x - 1)", "(x + 1)*(x - 1)"), // products of sums stay unexpanded
        ("y*x", "x*y"),                         // factors in a fixed order
        ("x^(1/2)*x^(1/2)", "x"),
    ];
    for (input, want) in cases {
        let got = simplify(&parse_expr(input).unwrap());
        assert_eq!(got.to_string(), want, "{input}");
    }
}

/// Simplifying never changes the function: random expressions agree before and after at random
/// points (where both are defined).
#[test]
fn simplifying_keeps_the_value() {
    let mut rng = backprop::rng(7);
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..300 {
        let e = tree().new_tree(&mut runner).unwrap().current();
        let s = simplify(&e);
        for _ in 0..3 {
            let point: f64 = rand::Rng::random_range(&mut rng, 0.2..2.0);
            let (a, b) = (eval(&e, point), eval(&s, point));
            if a.is_finite() && a.abs() < 1e12 {
                assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{e} = {a} but {s} = {b} at {point}");
            }
        }
        assert!(s.size() <= 3 * e.size(), "{e} grew to {s}");
    }
}

/// Every variable at `x` on the engine's tape.
fn eval(e: &Expr, x: f64) -> f64 {
    let tape = Tape::new();
    let v = tape.input(&backprop::tensor::Tensor::scalar(x));
    e.on_tape(&tape, &|_| v).item()
}

fn system(defs: &[&str], wrt: &str) -> backprop::chain::System {
    let defs: Vec<String> = defs.iter().map(|d| d.to_string()).collect();
    backprop::chain::System::new(&defs, None, wrt).unwrap()
}

fn at(point: &[(&str, f64)]) -> std::collections::BTreeMap<String, f64> {
    point.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// The lecture's slide, through the command line: exactly its lines, 10t and 30 at t = 3.
#[test]
fn the_slides_example_prints_the_slides_lines() {
    let out = assert_cmd::Command::cargo_bin("backprop")
        .unwrap()
        .args(["chain", "y = 5x + 3", "x = t^2", "--wrt", "t", "--at", "t=3"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let want = "dy/dt = dy/dx · dx/dt\n      = d/dx(5x + 3) · d/dt(t²)\n      = 5 · 2t\n      = 10t\n\
                at t = 3:  5 · 6 = 30\n\
                check: substituting first, y = 5t² + 3 and d/dt(5t² + 3) = 10t — the same.\n";
    assert_eq!(text, want);
}

/// z = x·y with x = t², y = sin t: two paths, each the product of its edges, summing to the
/// product rule's 2t·sin t + t²·cos t (worked by hand); every edge's value from the tape.
#[test]
fn several_paths_sum_and_each_is_the_product_of_its_edges() {
    let d =
        backprop::chain::derive(system(&["z = x*y", "x = t^2", "y = sin(t)"], "t"), at(&[("t", 1.0)]), true).unwrap();
    assert_eq!(d.paths.len(), 2);
    let (s, c) = (1f64.sin(), 1f64.cos());
    let by_hand = 2.0 * s + c;
    for p in &d.paths {
        let product: f64 = p.edges.iter().map(|e| e.value.unwrap()).product();
        assert!((p.value.unwrap() - product).abs() < 1e-15);
    }
    let sum: f64 = d.paths.iter().map(|p| p.value.unwrap()).sum();
    assert!((sum - by_hand).abs() < 1e-15 && (d.value.unwrap() - by_hand).abs() < 1e-15);
    assert!((d.finite_difference.unwrap() - by_hand).abs() < 1e-8);
    assert_eq!(d.paths[0].edges[0].symbol, "∂z/∂x");
    assert_eq!(d.paths[0].edges[1].symbol, "dx/dt");
    assert!(d.symbolically_equal, "{} vs {}", d.derivative, d.substituted_derivative);
    assert!((eval_at(&d.derivative, "t", 1.0) - by_hand).abs() < 1e-12, "{}", d.derivative);
}

fn eval_at(e: &Expr, name: &str, x: f64) -> f64 {
    backprop::chain::derivation::evaluate(e, &at(&[(name, x)]))
}

/// A shared subexpression: s = sin t feeds both u and v, so two paths run through it.
#[test]
fn a_shared_subexpression_is_reached_along_each_path() {
    let d = backprop::chain::derive(
        system(&["y = u + v", "u = s^2", "v = 3s", "s = sin(t)"], "t"),
        at(&[("t", 0.5)]),
        false,
    )
    .unwrap();
    assert_eq!(d.paths.len(), 2);
    // dy/dt = (2s + 3)·cos t with s = sin t.
    let by_hand = (2.0 * 0.5f64.sin() + 3.0) * 0.5f64.cos();
    assert!((d.value.unwrap() - by_hand).abs() < 1e-14);
    assert!((eval_at(&d.derivative, "t", 0.5) - by_hand).abs() < 1e-14);
}

/// Every function's symbolic rule against the engine's gradient and a central difference, at
/// points inside its domain (away from the kinks of relu, abs, step and sign).
#[test]
fn every_functions_rule_matches_the_tape_and_finite_differences() {
    use strum::IntoEnumIterator;
    for f in Func::iter() {
        for x in [-1.3f64, -0.4, 0.35, 0.9, 1.7] {
            let x = if matches!(f, Func::Log | Func::Sqrt) { x.abs() } else { x };
            let text = format!("y = {}(t)", f.name());
            let d = backprop::chain::derive(system(&[&text], "t"), at(&[("t", x)]), true).unwrap();
            let symbolic = eval_at(&d.derivative, "t", x);
            let tape = d.value.unwrap();
            let numeric = d.finite_difference.unwrap();
            assert!((symbolic - tape).abs() <= 1e-12 * tape.abs().max(1.0), "{f:?} at {x}: {symbolic} vs tape {tape}");
            assert!((tape - numeric).abs() <= 1e-7 * tape.abs().max(1.0), "{f:?} at {x}: tape {tape} vs {numeric}");
        }
    }
}

/// Each bad input: its own one-line message (after the caret lines of a parse error), exit 1.
#[test]
fn every_bad_input_to_chain_has_its_own_message() {
    let cases: [(&[&str], &str); 10] = [
        (&["y = 5x +", "--wrt", "t"], "expected a number, a name or `(`, found the end"),
        (&["y = foo(t)", "--wrt", "t"], "unknown function `foo`; the functions are exp, log"),
        (&["y = x", "--wrt", "q"], "--wrt q: no variable `q`"),
        (&["y = t", "--wrt", "t", "--of", "z"], "--of z: no definition defines `z`"),
        (&["x = y", "y = x", "--wrt", "x"], "go round in a circle: x → y → x"),
        (&["y = t", "y = 2t", "--wrt", "t"], "`y` is defined twice"),
        (&["y = 5x", "x = t", "--wrt", "t", "--at", "x=1"], "--at needs a value for t"),
        (&["y = log(x)", "x = t - 5", "--wrt", "t", "--at", "t=1"], "`log(x)` is outside log's domain"),
        (&["y = 1/t", "--wrt", "t", "--at", "t=0"], "`1/t` divides by zero at t = 0"),
        (&["y = t", "--wrt", "t", "--at", "t=abc"], "--at t=abc: \"abc\" is not a finite number"),
    ];
    for (args, needle) in cases {
        let out = assert_cmd::Command::cargo_bin("backprop").unwrap().arg("chain").args(args).output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.starts_with("error: ") && err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Every format renders the slide's derivation; the JSON's expressions read back as input.
#[test]
fn every_format_renders_and_json_expressions_are_valid_input() {
    use backprop::present::Format;
    let d = backprop::chain::derive(system(&["y = 5x + 3", "x = t^2"], "t"), at(&[("t", 3.0)]), true).unwrap();
    let json: serde_json::Value = serde_json::from_str(&backprop::chain::render(&d, Format::Json)).unwrap();
    assert_eq!(json["derivative"], "10*t");
    assert_eq!(json["substituted"]["expression"], "5*t^2 + 3");
    assert_eq!(json["substituted"]["derivative"], "10*t");
    assert_eq!(json["value"], 30.0);
    assert_eq!(json["paths"][0]["edges"][0]["symbol"], "dy/dx");
    assert_eq!(json["paths"][0]["edges"][0]["expression"], "5");
    assert_eq!(json["paths"][0]["edges"][1]["expression"], "2*t");
    for field in [&json["derivative"], &json["substituted"]["expression"], &json["paths"][0]["expression"]] {
        parse_expr(field.as_str().unwrap()).unwrap();
    }
    let markdown = backprop::chain::render(&d, Format::Markdown);
    assert!(markdown.contains(r"\frac{dy}{dt} = \frac{dy}{dx} \cdot \frac{dx}{dt}") && markdown.contains("= 10t$$"));
    let dot = backprop::chain::render(&d, Format::Dot);
    assert!(
        dot.contains("\"x\" -> \"y\" [label=\"dy/dx = 5 = 5\"]")
            && dot.contains("\"t\" -> \"x\" [label=\"dx/dt = 2t = 6\"]")
    );
    let html = backprop::chain::render(&d, Format::Html);
    assert!(html.contains("<svg") && html.contains("dx/dt = 2t = 6") && html.contains("= 10t"));
}

#[test]
fn chain_has_help_with_examples() {
    let out = assert_cmd::Command::cargo_bin("backprop").unwrap().args(["chain", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success() && help.contains("Examples:") && help.contains("backprop chain \"y = 5x + 3\""),
        "{help}"
    );
}

/// A diamond of definitions 40 levels deep (2⁴⁰ paths) is refused at once, not walked.
#[test]
fn a_deep_diamond_is_refused_by_the_path_bound() {
    let mut defs = vec!["y = x40".to_string()];
    for k in 1..=40 {
        defs.push(format!("x{k} = a{k} + b{k}"));
        defs.push(format!("a{k} = x{}^2", k - 1));
        defs.push(format!("b{k} = sin(x{})", k - 1));
    }
    defs.push("x0 = t".to_string());
    let system = backprop::chain::System::new(&defs, None, "t").unwrap();
    let err = backprop::chain::derive(system, at(&[]), false).unwrap_err().to_string();
    assert!(err.contains("more than 256 paths"), "{err}");
}

/// A learner's derivative may use the defined variables (they are substituted) but no other
/// names; either way no panic. (Found by the `chain` fuzz target: `--check "5x + 3"` indexed
/// a value of x that the comparison points did not hold.)
#[test]
fn a_checked_answer_in_defined_variables_is_substituted_and_unknown_names_are_refused() {
    let check = |answer: &str| {
        let out = assert_cmd::Command::cargo_bin("backprop")
            .unwrap()
            .args(["chain", "y = 5x + 3", "x = t^2", "--wrt", "t", "--at", "t=3", "--check", answer])
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!text.contains("panicked"), "{answer}: {text}");
        (out.status.code(), text)
    };
    let (code, text) = check("5x + 3");
    assert!(code == Some(0) && text.starts_with("✗ your dy/dt = 5x + 3"), "{text}");
    let (code, text) = check("5 * 2t = 30");
    assert!(code == Some(0) && text.starts_with("✓"), "{text}");
    let (code, text) = check("10 * x / t");
    assert!(code == Some(0) && text.starts_with("✓"), "x is t², so 10x/t is 10t: {text}");
    let (code, text) = check("5q");
    assert!(code == Some(1) && text.contains("the answer uses q, which is neither an input (t) nor defined"), "{text}");
    // The output by itself: a path of no edges (the fuzz target's third finding: a wrong answer
    // sliced that empty path).
    let out = assert_cmd::Command::cargo_bin("backprop")
        .unwrap()
        .args(["chain", "y = 5x", "x = t", "--wrt", "y", "--at", "t=1", "--check", "2"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.starts_with("✗ your dy/dy = 2 is not the chain rule's 1"), "{text}");
}

/// The variable differentiated by may itself be defined (`t = 2M`): the drawings' values come
/// from the point as the derivation computed it. (Found by the `chain` fuzz target: the HTML
/// and DOT pages re-evaluated `x = t²` without t's value and panicked.)
#[test]
fn a_defined_variable_of_differentiation_draws_with_its_value() {
    let defs: Vec<String> = ["y = 5x + 3", "x = t^2", "t = 2M"].iter().map(|s| s.to_string()).collect();
    let system = backprop::chain::System::new(&defs, None, "t").unwrap();
    let d = backprop::chain::derive(system, at(&[("M", 1.5)]), true).unwrap();
    use backprop::present::Format;
    for format in [Format::Text, Format::Json, Format::Markdown] {
        let page = backprop::chain::render(&d, format);
        assert!(page.contains("30"), "{format:?}: dy/dt = 10t = 30 at t = 3:\n{page}");
    }
    assert!(backprop::chain::render(&d, Format::Html).contains("x = t² = 9"));
    assert!(backprop::chain::render(&d, Format::Dot).contains("x = t²\\n= 9"));
}
