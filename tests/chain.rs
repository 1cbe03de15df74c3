//! The chain-rule calculator's expression language: what a slide writes parses to the tree a
//! person means, prints back in the tool's own syntax (which parses to the same tree), computes
//! on the engine's tape, and every malformed input gets a message with a caret at the fault.

use backprop::autograd::Tape;
use backprop::chain::{Expr, Func, parse_definition, parse_expr};
use proptest::prelude::*;

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
