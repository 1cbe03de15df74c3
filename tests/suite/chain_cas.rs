//! `backprop chain` against an independent computer algebra system: random systems of
//! definitions over the whole function set, differentiated by SymPy (tests/cas/derivatives.py)
//! and by the engine. At random points the symbolic derivative, the tape's value, the sum of
//! the paths' products and the substituted-first derivative all equal SymPy's to 1e-9
//! relative. The test fails in CI when python3 with sympy is missing and skips elsewhere.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use backprop::chain::derivation::evaluate;
use backprop::chain::{Expr, Func, System, derive};
use rand::Rng;
use rand::seq::IndexedRandom;

/// A random expression over `vars`, `depth` levels deep, every function used in its domain:
/// log and sqrt of something positive, tan of something inside (−π/2, π/2).
fn random_expr(rng: &mut backprop::Rng, vars: &[&str], depth: usize) -> String {
    if depth == 0 || rng.random_bool(0.2) {
        return if rng.random_bool(0.7) {
            vars.choose(rng).unwrap().to_string()
        } else {
            format!("{}", rng.random_range(1..=5))
        };
    }
    let a = random_expr(rng, vars, depth - 1);
    let b = random_expr(rng, vars, depth - 1);
    match rng.random_range(0..14) {
        0 => format!("({a} + {b})"),
        1 => format!("({a} - {b})"),
        2 | 3 => format!("({a})*({b})"),
        4 => format!("({a})/(1 + ({b})^2)"),
        5 => format!("({a})^{}", rng.random_range(2..=3)),
        6 => format!("log(1 + ({a})^2)"),
        7 => format!("sqrt(1 + ({a})^2)"),
        8 => format!("tan(sigmoid({a}))"),
        9 => format!("exp(sin({a}))"),
        10 => format!("cos({a})*tanh({b})"),
        11 => format!("sigmoid({a}) + relu({b})"),
        12 => format!("abs({a})*({b})"),
        _ => format!("(2 + sin({a}))^(1 + sigmoid({b}))"),
    }
}

/// A system: y from x, u and t; x from t; u from x and t (so several paths, a shared x).
fn random_system(rng: &mut backprop::Rng) -> Vec<(String, String)> {
    vec![
        ("y".into(), random_expr(rng, &["x", "u", "t"], 3)),
        ("u".into(), random_expr(rng, &["x", "t"], 2)),
        ("x".into(), random_expr(rng, &["t"], 2)),
    ]
}

#[test]
fn derivatives_match_sympy_at_random_points() {
    let has_sympy = Command::new("python3").args(["-c", "import sympy"]).status().is_ok_and(|s| s.success());
    if !has_sympy {
        assert!(std::env::var("CI").is_err(), "CI installs python3 with sympy; it is missing");
        eprintln!("skipped: python3 with sympy is not installed here");
        return;
    }
    let mut rng = backprop::rng(12);
    let mut cases = vec![];
    let mut ours = vec![];
    while cases.len() < 40 {
        let defs = random_system(&mut rng);
        let texts: Vec<String> = defs.iter().map(|(n, e)| format!("{n} = {e}")).collect();
        let system = System::new(&texts, None, "t").unwrap();
        let mut points = vec![];
        let mut values = vec![];
        for _ in 0..3 {
            let t: f64 = rng.random_range(0.3..1.5);
            let point: BTreeMap<String, f64> = [("t".to_string(), t)].into();
            let d =
                derive(system.clone(), point.clone(), false).unwrap_or_else(|e| panic!("{texts:?} at t = {t}: {e}"));
            let value = d.value.unwrap();
            let sum: f64 = d.paths.iter().map(|p| p.value.unwrap()).sum();
            for p in &d.paths {
                let product: f64 = p.edges.iter().map(|e| e.value.unwrap()).product();
                assert!((p.value.unwrap() - product).abs() <= 1e-12 * product.abs().max(1.0));
            }
            assert!((sum - value).abs() <= 1e-12 * value.abs().max(1.0));
            values.push([value, evaluate(&d.derivative, &point), evaluate(&d.substituted_derivative, &point)]);
            points.push(point);
        }
        cases.push(serde_json::json!({"definitions": defs, "output": "y", "wrt": "t", "points": points}));
        ours.push((texts, values));
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cas/derivatives.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(serde_json::to_string(&cases).unwrap().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "sympy failed: {}", String::from_utf8_lossy(&out.stderr));
    let theirs: Vec<Vec<f64>> = serde_json::from_slice(&out.stdout).unwrap();
    for ((texts, values), expected) in ours.iter().zip(&theirs) {
        for (v, want) in values.iter().zip(expected) {
            for (what, got) in ["tape", "derivative", "substituted derivative"].iter().zip(v) {
                let tol = 1e-9 * want.abs().max(1.0);
                assert!((got - want).abs() <= tol, "{texts:?}: {what} {got} vs sympy {want}");
            }
        }
    }
    // The function set is covered.
    let all: String = ours.iter().flat_map(|(t, _)| t.clone()).collect();
    use strum::IntoEnumIterator;
    for f in Func::iter().filter(|f| !matches!(f, Func::Step | Func::Sign)) {
        assert!(all.contains(&format!("{}(", f.name())), "no case uses {}", f.name());
    }
    let _ = Expr::Number(0.0);
}
