//! Numbers as the program prints them: the lecture's 9 decimals for derivations, and 5
//! significant digits for errors and scales in a target's own units.

/// A number as the lecture prints it: rounded to 9 decimals, without trailing zeros
/// (0.3775, 0.593269992, 1).
pub fn num(x: f64) -> String {
    let s = format!("{x:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_string() } else { s.to_string() }
}

/// A factor inside a product: negative numbers in parentheses.
pub fn factor(x: f64) -> String {
    if x < 0.0 { format!("({})", num(x)) } else { num(x) }
}

/// A number with 5 significant digits, in plain notation when that is short enough (12345.6 →
/// 12346, 0.0012345 → 0.0012345): errors and scales in a target's units.
pub fn significant(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let digits = (4 - x.abs().log10().floor() as i32).max(0) as usize;
    if x.abs() >= 1e9 || x.abs() < 1e-4 { format!("{x:.4e}") } else { format!("{x:.digits$}") }
}
