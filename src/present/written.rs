//! Numbers as a learner writes them, and the marking rule: a hand calculation is marked at the
//! precision it was written to. Explain's `--check` and chain's `--check` both mark through here.

use std::fmt;

/// A number as the learner wrote it.
#[derive(Clone, Debug, PartialEq)]
pub struct Given {
    /// The literal, as written (`0.500`, `-2.5e-3`).
    pub text: String,
    pub value: f64,
    /// Decimal places the literal states: digits after the point, less the exponent
    /// (`0.500` → 3, `12` → 0, `2.5e-3` → 4, `1e3` → −3).
    pub decimals: i32,
}

impl Given {
    /// Reads a literal; `None` if it is not a finite decimal number.
    pub fn parse(literal: &str) -> Option<Given> {
        let text = literal.trim();
        let value: f64 = text.parse().ok().filter(|v: &f64| v.is_finite())?;
        let (mantissa, exponent) = match text.find(['e', 'E']) {
            Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
            None => (text, 0),
        };
        let after_point = mantissa.split_once('.').map_or(0, |(_, frac)| frac.len() as i32);
        Some(Given { text: text.to_string(), value, decimals: after_point - exponent })
    }

    /// One unit in the last place written: 10^−decimals.
    pub fn unit(&self) -> f64 {
        10f64.powi(-self.decimals)
    }

    /// The marking rule: right when within one unit in the last place written of the engine's
    /// value — half a unit for the learner's own rounding, and half a unit more for rounding
    /// carried from earlier steps rounded at the same precision. An answer rounded honestly at
    /// any number of decimals is always right.
    pub fn matches(&self, expected: f64) -> bool {
        (self.value - expected).abs() <= self.unit() * (1.0 + 1e-9)
    }
}

impl fmt::Display for Given {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
