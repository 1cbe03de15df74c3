//! Marking a learner's derivative: [`check_derivative`]'s verdict on their expression, and
//! the check of their value, written out for `backprop chain --check` and the playground.

use super::{Derivation, check_derivative, parse_expr, pretty, render};
use crate::error::{Error, Result};
use crate::present::{Format, Given, num};

/// A learner's derivative (`10t`), and optionally its value at the point (`10t = 30`), marked
/// and written out as text or JSON: `chain --check` and the playground's check tab.
pub fn mark_answer(d: &Derivation, answer: &str, format: Format) -> Result<String> {
    let (expression, value) = match answer.rsplit_once('=') {
        Some((e, v)) => (e, Some(v.trim())),
        None => (answer, None),
    };
    let given = parse_expr(expression.trim()).map_err(|e| Error::invalid(format!("--check: {e}")))?;
    let value = match value {
        None => None,
        Some(v) => {
            let g = Given::parse(v).ok_or_else(|| Error::invalid(format!("--check: {v:?} is not a number")))?;
            let expected = d.value.ok_or_else(|| Error::invalid("--check with a value needs the point: give --at"))?;
            Some((g, expected))
        }
    };
    let c = check_derivative(d, &given).map_err(|e| Error::invalid(format!("--check: {e}")))?;
    let s = &d.system;
    let head = format!("d{}/d{}", s.output, s.wrt);
    let wrt_values: Vec<String> = c.points.iter().filter_map(|p| p.get(&s.wrt)).map(|x| num(*x)).collect();
    Ok(match format {
        Format::Json => {
            let mistakes: Vec<serde_json::Value> = c
                .mistakes
                .iter()
                .map(|(id, why, e)| serde_json::json!({"id": id, "explanation": why, "expression": e.to_string()}))
                .collect();
            let mut v = serde_json::json!({
                "given": c.given.to_string(), "derivative": d.derivative.to_string(), "correct": c.correct,
                "compared_at": c.points, "mistakes": mistakes,
            });
            if let Some((g, expected)) = &value {
                v["value"] =
                    serde_json::json!({"given": g.text, "expected": expected, "correct": g.matches(*expected)});
            }
            format!("{v:#}\n")
        }
        Format::Text => {
            let mut out = if c.correct {
                format!(
                    "✓ your {head} = {} equals the chain rule's {} at {} = {} (a numeric check, not a symbolic proof)\n",
                    pretty(&c.given),
                    pretty(&d.derivative),
                    s.wrt,
                    wrt_values.join(", ")
                )
            } else {
                format!("✗ your {head} = {} is not the chain rule's {}\n", pretty(&c.given), pretty(&d.derivative))
            };
            for (id, why, e) in &c.mistakes {
                out.push_str(&format!("    {id} (gives {}): {why}\n", pretty(e)));
            }
            if !c.correct && c.mistakes.is_empty() {
                out.push_str("    no known slip gives this; the derivation is below\n\n");
                out.push_str(&render(d, Format::Text));
            }
            if let Some((g, expected)) = &value {
                let tick = if g.matches(*expected) { "✓" } else { "✗" };
                let num = num;
                out.push_str(&format!("{tick} your value {g} at the point (engine: {})\n", num(*expected)));
            }
            out
        }
        other => {
            return Err(Error::invalid(format!("--check writes text or json, not {}", <&str>::from(other))));
        }
    })
}
