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
