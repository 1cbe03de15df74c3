//! Expressions in slide notation, for people: `10t`, `5t² + 3`, `2t·sin(t)`, `σ(x)`, `−x`.
//! (The tool's input syntax, `10*t`, is `Display`; both read back with `parse_expr`.)

use super::{Constant, Expr, Func};
use crate::autograd::symbolic::number_text;

fn superscript(n: i64) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let digits: String = n.unsigned_abs().to_string().bytes().map(|d| DIGITS[(d - b'0') as usize]).collect();
    if n < 0 { format!("⁻{digits}") } else { digits }
}

/// Whether `e` written out starts with a letter or a parenthesis, so a number before it can
/// multiply it by juxtaposition (`5x`, `2sin(t)`, `3(x + 1)`).
fn starts_with_letter(e: &Expr) -> bool {
    match e {
        Expr::Var(_) | Expr::Constant(_) | Expr::Call(..) => true,
        Expr::Pow(base, _) => starts_with_letter(base) || base.precedence() < 5,
        Expr::Mul(a, _) | Expr::Div(a, _) => starts_with_letter(a),
        Expr::Add(..) | Expr::Sub(..) => true, // it will be parenthesised
        _ => false,
    }
}

fn operand(e: &Expr, min: u8) -> String {
    if e.precedence() < min { format!("({})", pretty(e)) } else { pretty(e) }
}

/// `e` in slide notation.
pub fn pretty(e: &Expr) -> String {
    match e {
        Expr::Number(x) if *x < 0.0 => format!("−{}", number_text(-x)),
        Expr::Number(x) => number_text(*x),
        Expr::Constant(Constant::Pi) => "π".into(),
        Expr::Constant(Constant::E) => "e".into(),
        Expr::Var(name) => name.clone(),
        Expr::Neg(a) => format!("−{}", operand(a, 4)),
        Expr::Add(a, b) => format!("{} + {}", operand(a, 1), operand(b, 2)),
        Expr::Sub(a, b) => format!("{} − {}", operand(a, 1), operand(b, 2)),
        Expr::Mul(a, b) => match **a {
            // Not before an `e`: `2e1` would read as the number 20.
            Expr::Number(c) if c >= 0.0 && starts_with_letter(b) && !operand(b, 2).starts_with(['e', 'E']) => {
                format!("{}{}", number_text(c), operand(b, 2))
            }
            _ => format!("{}·{}", operand(a, 2), operand(b, 4)),
        },
        Expr::Div(a, b) => format!("{}/{}", operand(a, 2), operand(b, 4)),
        Expr::Pow(base, p) => match p.constant_value() {
            Some(n) if n == n.trunc() && n.abs() < 100.0 => format!("{}{}", operand(base, 5), superscript(n as i64)),
            _ => format!("{}^{}", operand(base, 5), operand(p, 4)),
        },
        Expr::Call(Func::Sigmoid, a) => format!("σ({})", pretty(a)),
        Expr::Call(f, a) => format!("{}({})", f.name(), pretty(a)),
    }
}
