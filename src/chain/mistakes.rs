//! Checking a learner's derivative for `backprop chain --check`: right when it equals the
//! chain rule's result at a set of points (said so: a numeric check, not a symbolic proof);
//! when wrong, each known slip is recomputed — the rules with one of them got wrong — and the
//! ones that give the learner's expression are named.

use std::collections::BTreeMap;

use super::derivation::{ChainError, Derivation, evaluate};
use super::{Expr, simplify};
use crate::autograd::symbolic::{depends_on, derivative};

/// A slip in the rules of differentiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slip {
    /// f(g(t))' taken as f'(g(t)), without g'(t).
    NoInner,
    /// (xⁿ)' taken as xⁿ⁻¹ (the coefficient dropped).
    PowerNoCoefficient,
    /// (xⁿ)' taken as n·xⁿ (the exponent not lowered).
    PowerKeepsExponent,
    /// (a·b)' taken as a'·b.
    ProductFirstOnly,
    /// (a·b)' taken as a·b'.
    ProductSecondOnly,
}

/// d e/d wrt by the rules with `slip` made wherever it applies.
fn derive_with(e: &Expr, wrt: &str, slip: Slip) -> Expr {
    let b = Box::new;
    let d = |x: &Expr| derive_with(x, wrt, slip);
    match e {
        Expr::Number(_) | Expr::Constant(_) | Expr::Var(_) => derivative(e, wrt),
        Expr::Neg(a) => Expr::Neg(b(d(a))),
        Expr::Add(x, y) => Expr::Add(b(d(x)), b(d(y))),
        Expr::Sub(x, y) => Expr::Sub(b(d(x)), b(d(y))),
        Expr::Mul(x, y) => match slip {
            Slip::ProductFirstOnly => Expr::Mul(b(d(x)), y.clone()),
            Slip::ProductSecondOnly => Expr::Mul(x.clone(), b(d(y))),
            _ => Expr::Add(b(Expr::Mul(b(d(x)), y.clone())), b(Expr::Mul(x.clone(), b(d(y))))),
        },
        Expr::Div(x, y) => Expr::Sub(
            b(Expr::Div(b(d(x)), y.clone())),
            b(Expr::Div(b(Expr::Mul(x.clone(), b(d(y)))), b(Expr::Pow(y.clone(), b(Expr::Number(2.0)))))),
        ),
        Expr::Pow(x, p) if !depends_on(p, wrt) => {
            let lowered = Expr::Pow(x.clone(), b(Expr::Sub(p.clone(), b(Expr::Number(1.0)))));
            let outer = match slip {
                Slip::PowerNoCoefficient => lowered,
                Slip::PowerKeepsExponent => Expr::Mul(p.clone(), b(e.clone())),
                _ => Expr::Mul(p.clone(), b(lowered)),
            };
            if slip == Slip::NoInner { outer } else { Expr::Mul(b(outer), b(d(x))) }
        }
        Expr::Pow(..) => derivative(e, wrt),
        Expr::Call(f, a) => {
            let outer = f.derivative(a);
            if slip == Slip::NoInner { outer } else { Expr::Mul(b(outer), b(d(a))) }
        }
    }
}

/// The learner's derivative checked: right or not at the points, and the slips that give it.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainCheck {
    pub given: Expr,
    pub correct: bool,
    /// The values of the inputs it was compared at.
    pub points: Vec<BTreeMap<String, f64>>,
    /// (id, explanation, the expression the slip gives).
    pub mistakes: Vec<(String, String, Expr)>,
}

/// Points to compare at: the derivation's own point if any, and four more for every input.
fn points(d: &Derivation) -> Vec<BTreeMap<String, f64>> {
    let mut out = vec![];
    if !d.at.is_empty() {
        out.push(d.at.clone());
    }
    for x in [0.35, 0.8, 1.25, 1.9] {
        let mut p: BTreeMap<String, f64> = d.system.inputs.iter().map(|i| (i.clone(), x)).collect();
        p.insert(d.system.wrt.clone(), x);
        out.push(p);
    }
    out
}

/// Whether two expressions in the inputs agree (to 1e-9 relative) at every point where both are
/// defined, and at one point at least.
fn agree(a: &Expr, b: &Expr, at: &[BTreeMap<String, f64>]) -> bool {
    let mut compared = 0;
    for p in at {
        let (x, y) = (evaluate(a, p), evaluate(b, p));
        if x.is_finite() && y.is_finite() {
            if (x - y).abs() > 1e-9 * x.abs().max(y.abs()).max(1.0) {
                return false;
            }
            compared += 1;
        }
    }
    compared > 0
}

/// Checks the learner's derivative `given` against the derivation. It may use the defined
/// variables as well as the inputs (`5·2t`, or `10·sqrt(x)`); they are substituted before
/// comparing. Names that are neither are an error ([`ChainError`]) naming them.
pub fn check_derivative(d: &Derivation, written: &Expr) -> Result<ChainCheck, ChainError> {
    let s = &d.system;
    let given = &s.substitute(written)?;
    if let Some(unknown) = given.variables().into_iter().find(|v| !s.inputs.contains(v)) {
        return Err(ChainError::Invalid(format!(
            "the answer uses {unknown}, which is neither an input ({}) nor defined",
            s.inputs.join(", ")
        )));
    }
    let at = points(d);
    let correct = agree(given, &d.derivative, &at);
    let mut mistakes = vec![];
    if !correct {
        let s = &d.system;
        let substituted = |e: &Expr| s.substitute(e).ok();
        // The chain with every edge derived with one slip.
        let slips = [
            (
                Slip::NoInner,
                "missing-inner-derivative",
                "the outer function's derivative was written without the inner one: d/dt f(g(t)) = f'(g(t))·g'(t)",
            ),
            (Slip::PowerNoCoefficient, "power-rule", "the power rule lost its coefficient: d/dx xⁿ = n·xⁿ⁻¹"),
            (
                Slip::PowerKeepsExponent,
                "power-rule",
                "the power rule kept the exponent: d/dx xⁿ = n·xⁿ⁻¹, one power lower",
            ),
            (Slip::ProductFirstOnly, "product-rule", "one term of the product rule is missing: (a·b)' = a'·b + a·b'"),
            (Slip::ProductSecondOnly, "product-rule", "one term of the product rule is missing: (a·b)' = a'·b + a·b'"),
        ];
        let mut candidates: Vec<(String, String, Expr)> = vec![];
        for (slip, id, why) in slips {
            let total = d.paths.iter().try_fold(Expr::Number(0.0), |sum, p| {
                let product = p.edges.iter().try_fold(Expr::Number(1.0), |acc, e| {
                    Some(Expr::Mul(Box::new(acc), Box::new(substituted(&derive_with(&e.of, &e.from, slip))?)))
                })?;
                Some(Expr::Add(Box::new(sum), Box::new(product)))
            });
            if let Some(t) = total {
                candidates.push((id.into(), why.into(), simplify(&t)));
            }
            // Substituting first and differentiating with the slip.
            candidates.push((id.into(), why.into(), simplify(&derive_with(&d.substituted, &s.wrt, slip))));
        }
        // dy/dx without dx/dt: each path's last edge left off.
        let without_last = d.paths.iter().try_fold(Expr::Number(0.0), |sum, p| {
            // (A path of no edges, the output differentiated by itself, keeps its nothing.)
            let n = p.edges.len().saturating_sub(1).max(1).min(p.edges.len());
            let product = p.edges[..n].iter().try_fold(Expr::Number(1.0), |acc, e| {
                Some(Expr::Mul(Box::new(acc), Box::new(substituted(&e.derivative)?)))
            })?;
            Some(Expr::Add(Box::new(sum), Box::new(product)))
        });
        if let Some(t) = without_last.filter(|_| d.paths.iter().any(|p| p.edges.len() > 1)) {
            candidates.push((
                "missing-inner-derivative".into(),
                "the chain stopped before the variable: dy/dt = dy/dx · dx/dt, every link of the chain".into(),
                simplify(&t),
            ));
        }
        // One path left out of the sum.
        if d.paths.len() > 1 {
            for (i, _) in d.paths.iter().enumerate() {
                let rest =
                    d.paths.iter().enumerate().filter(|(j, _)| *j != i).fold(Expr::Number(0.0), |sum, (_, p)| {
                        Expr::Add(Box::new(sum), Box::new(p.expression.clone()))
                    });
                candidates.push((
                    "sum-over-paths".into(),
                    format!("path {} was left out; the derivative is the sum over every path from the output to the variable", i + 1),
                    simplify(&rest),
                ));
            }
        }
        for (id, why, e) in candidates {
            if !agree(&e, &d.derivative, &at)
                && agree(given, &e, &at)
                && !mistakes.iter().any(|(m, _, _): &(String, String, Expr)| *m == id)
            {
                mistakes.push((id, why, e));
            }
        }
    }
    Ok(ChainCheck { given: written.clone(), correct, points: at, mistakes })
}
