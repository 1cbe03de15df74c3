//! Tidying an expression the way a person would: constants folded, `1·x` and `x + 0` gone,
//! like terms and numeric coefficients collected, powers of one base merged (`5·2t` → `10t`,
//! `x·x` → `x^2`, `t^2·t` → `t^3`). Every step is an identity of real arithmetic, so the
//! result is always the same function; where no step applies the expression stays as it is,
//! longer but correct.
//!
//! The form: a sum of terms, each a numeric coefficient times a product of factors
//! `base^exponent`. Products of sums are not expanded (only a number distributes over a sum)
//! and nothing else is rewritten, so the result is at most three times its input's size and
//! the work is bounded by the input's size, itself bounded by [`super::MAX_NODES`].

use super::{Expr, Func};

/// One term of a sum: coefficient × Π base^exponent, the factors in a canonical order.
#[derive(Clone, Debug, PartialEq)]
struct Term {
    coef: f64,
    factors: Vec<(Expr, Expr)>,
}

impl Term {
    fn number(x: f64) -> Term {
        Term { coef: x, factors: vec![] }
    }

    fn factor(base: Expr, exponent: Expr) -> Term {
        Term { coef: 1.0, factors: vec![(base, exponent)] }
    }

    /// The product of two terms: coefficients multiplied, powers of one base merged.
    fn times(mut self, other: Term) -> Term {
        self.coef *= other.coef;
        for (base, exponent) in other.factors {
            match self.factors.iter().position(|(b, _)| *b == base) {
                Some(i) => {
                    let sum = simplify(&Expr::Add(Box::new(self.factors[i].1.clone()), Box::new(exponent)));
                    if sum == Expr::Number(0.0) {
                        self.factors.remove(i); // x·x⁻¹ = 1
                    } else {
                        self.factors[i].1 = sum;
                    }
                }
                None => self.factors.push((base, exponent)),
            }
        }
        self.factors.sort_by_key(|(b, _)| factor_order(b));
        self
    }

    /// The term raised to an integer power `n` (so (c·x^a)ⁿ = cⁿ·x^(a·n) holds for every x).
    fn powi(self, n: f64) -> Term {
        let factors = self
            .factors
            .into_iter()
            .map(|(b, e)| (b, simplify(&Expr::Mul(Box::new(e), Box::new(Expr::Number(n))))))
            .collect();
        Term { coef: self.coef.powf(n), factors }
    }

    /// What like terms share: the factors, as text.
    fn key(&self) -> String {
        self.factors.iter().map(|(b, e)| format!("{b}^{e}")).collect::<Vec<_>>().join("·")
    }

    /// The sum of the numeric exponents (the order terms are written in: highest first).
    fn degree(&self) -> f64 {
        self.factors.iter().map(|(_, e)| e.constant_value().unwrap_or(0.0)).sum()
    }
}

/// Factors in a stable order a person would write: numbers' partners first by kind (variables,
/// then constants, then calls and the rest), alphabetically within a kind.
fn factor_order(base: &Expr) -> (u8, String) {
    let kind = match base {
        Expr::Var(_) => 0,
        Expr::Constant(_) => 1,
        Expr::Call(..) => 2,
        _ => 3,
    };
    (kind, base.to_string())
}

/// The expression, simplified.
pub fn simplify(e: &Expr) -> Expr {
    from_terms(terms(e))
}

/// The sum `e` is, as terms with like terms collected.
fn terms(e: &Expr) -> Vec<Term> {
    match e {
        Expr::Number(x) => vec![Term::number(*x)],
        Expr::Var(_) | Expr::Constant(_) => vec![Term::factor(e.clone(), Expr::Number(1.0))],
        Expr::Neg(a) => negate(terms(a)),
        Expr::Add(a, b) => collect([terms(a), terms(b)].concat()),
        Expr::Sub(a, b) => collect([terms(a), negate(terms(b))].concat()),
        Expr::Mul(a, b) => product(terms(a), terms(b)),
        Expr::Div(a, b) => {
            let (top, bottom) = (terms(a), terms(b));
            match bottom.as_slice() {
                [t] if t.coef != 0.0 => {
                    let inverse = t.factors.iter().map(|(b, e)| (b.clone(), negated(e))).collect();
                    product(top, vec![Term { coef: 1.0 / t.coef, factors: inverse }])
                }
                _ => product(top, vec![Term::factor(from_terms(bottom), Expr::Number(-1.0))]),
            }
        }
        Expr::Pow(a, p) => power(terms(a), simplify(p)),
        Expr::Call(f, a) => {
            let arg = simplify(a);
            match arg.constant_value().and_then(|x| exact_value(*f, x)) {
                Some(v) => vec![Term::number(v)],
                None => vec![Term::factor(Expr::Call(*f, Box::new(arg)), Expr::Number(1.0))],
            }
        }
    }
}

/// −e for an exponent, simplified.
fn negated(e: &Expr) -> Expr {
    simplify(&Expr::Neg(Box::new(e.clone())))
}

/// f(x) where it is exact in floating point (sin 0 = 0, exp 0 = 1, …); otherwise left as f(x).
fn exact_value(f: Func, x: f64) -> Option<f64> {
    Some(match (f, x) {
        (Func::Sin | Func::Tan | Func::Tanh | Func::Sqrt, 0.0) => 0.0,
        (Func::Exp | Func::Cos, 0.0) => 1.0,
        (Func::Log | Func::Sqrt, 1.0) => 0.0,
        (Func::Sigmoid, 0.0) => 0.5,
        (Func::Abs, _) => x.abs(),
        (Func::Relu, _) => x.max(0.0),
        (Func::Step, _) => f64::from(u8::from(x > 0.0)),
        (Func::Sign, _) if x == 0.0 => 0.0,
        (Func::Sign, _) => x.signum(),
        _ => return None,
    })
}

fn negate(ts: Vec<Term>) -> Vec<Term> {
    ts.into_iter().map(|t| Term { coef: -t.coef, ..t }).collect()
}

/// Like terms added up, zero terms dropped, highest degree first.
fn collect(ts: Vec<Term>) -> Vec<Term> {
    let mut out: Vec<Term> = vec![];
    for t in ts {
        match out.iter_mut().find(|o| o.key() == t.key()) {
            Some(o) => o.coef += t.coef,
            None => out.push(t),
        }
    }
    out.retain(|t| t.coef != 0.0);
    out.sort_by(|a, b| {
        let constant = |t: &Term| t.factors.is_empty();
        let negative = |t: &Term| t.coef < 0.0;
        constant(a)
            .cmp(&constant(b))
            .then(b.degree().total_cmp(&a.degree()))
            .then(negative(a).cmp(&negative(b)))
            .then(a.key().cmp(&b.key()))
    });
    out
}

/// The product of two sums: term by term when one side is a single term (a coefficient
/// distributes over a sum), otherwise one factor of each, unexpanded.
fn product(a: Vec<Term>, b: Vec<Term>) -> Vec<Term> {
    match (a.as_slice(), b.as_slice()) {
        ([], _) | (_, []) => vec![],
        ([x], [y]) => collect(vec![x.clone().times(y.clone())]),
        ([x], ys) if x.factors.is_empty() => collect(ys.iter().map(|y| x.clone().times(y.clone())).collect()),
        (xs, [y]) if y.factors.is_empty() => collect(xs.iter().map(|x| x.clone().times(y.clone())).collect()),
        ([x], ys) => vec![x.clone().times(Term::factor(from_terms(ys.to_vec()), Expr::Number(1.0)))],
        (xs, [y]) => vec![Term::factor(from_terms(xs.to_vec()), Expr::Number(1.0)).times(y.clone())],
        (xs, ys) => vec![
            Term::factor(from_terms(xs.to_vec()), Expr::Number(1.0))
                .times(Term::factor(from_terms(ys.to_vec()), Expr::Number(1.0))),
        ],
    }
}

/// base^p: numbers folded, x¹ = x, x⁰ = 1, integer powers of a single term distributed.
fn power(base: Vec<Term>, p: Expr) -> Vec<Term> {
    let exponent = p.constant_value();
    if exponent == Some(0.0) {
        return vec![Term::number(1.0)];
    }
    if exponent == Some(1.0) {
        return base;
    }
    match (base.as_slice(), exponent) {
        ([], Some(q)) if q > 0.0 => vec![],
        ([t], Some(q)) if t.factors.is_empty() && t.coef.powf(q).is_finite() && !t.coef.powf(q).is_nan() => {
            vec![Term::number(t.coef.powf(q))]
        }
        ([t], Some(q)) if q == q.trunc() && t.coef != 0.0 => vec![t.clone().powi(q)],
        ([t], _) if t.coef == 1.0 && t.factors.len() == 1 && t.factors[0].1 == Expr::Number(1.0) => {
            vec![Term::factor(t.factors[0].0.clone(), p)]
        }
        _ => vec![Term::factor(from_terms(base), p)],
    }
}

/// A sum of terms written as an expression: subtraction for negative terms, negative
/// exponents as a denominator.
fn from_terms(mut ts: Vec<Term>) -> Expr {
    // A sum starts with a positive term where it has one: 1 − σ(x), not −σ(x) + 1.
    if let Some(i) = ts.iter().position(|t| t.coef > 0.0)
        && i > 0
    {
        let first = ts.remove(i);
        ts.insert(0, first);
    }
    let mut out: Option<Expr> = None;
    for t in ts {
        let negative = t.coef < 0.0;
        let magnitude = term_expr(Term { coef: t.coef.abs(), ..t });
        out = Some(match (out, negative) {
            (None, false) => magnitude,
            (None, true) => Expr::Neg(Box::new(magnitude)),
            (Some(sum), false) => Expr::Add(Box::new(sum), Box::new(magnitude)),
            (Some(sum), true) => Expr::Sub(Box::new(sum), Box::new(magnitude)),
        });
    }
    out.unwrap_or(Expr::Number(0.0))
}

/// One term (coefficient ≥ 0) as an expression: c·x·y^2/z.
fn term_expr(t: Term) -> Expr {
    let power = |b: Expr, e: Expr| if e == Expr::Number(1.0) { b } else { Expr::Pow(Box::new(b), Box::new(e)) };
    let (mut top, mut bottom) = (vec![], vec![]);
    for (b, e) in t.factors {
        match e.constant_value() {
            Some(q) if q < 0.0 => bottom.push(power(b, Expr::Number(-q))),
            _ => top.push(power(b, e)),
        }
    }
    let multiply = |fs: Vec<Expr>| fs.into_iter().reduce(|a, b| Expr::Mul(Box::new(a), Box::new(b)));
    let top = match (t.coef, multiply(top)) {
        (c, None) => Expr::Number(c),
        (1.0, Some(f)) => f,
        (c, Some(f)) => Expr::Mul(Box::new(Expr::Number(c)), Box::new(f)),
    };
    match multiply(bottom) {
        None => top,
        Some(b) => Expr::Div(Box::new(top), Box::new(b)),
    }
}
