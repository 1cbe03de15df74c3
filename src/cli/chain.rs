//! `backprop chain`: the chain rule, step by step, for any expression.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;

use super::emit;
use crate::chain::{System, derive, render};
use crate::error::{Error, Result};
use crate::explain::Format;
use crate::io::write_atomic;

/// The chain rule, step by step: dy/dt as the product of local derivatives along every path
/// from y down to t, each derived symbolically (and, with --at, computed by the engine), then
/// checked against substituting first and differentiating directly.
///
/// Definitions are `name = expression`; the output is the first one defined (or --of), and the
/// variables no definition defines are the inputs. Expressions: numbers, names, + − * / ^ (or
/// **), unary minus, parentheses, implicit multiplication (5x, 2t, 3(x + 1)), superscripts
/// (t²), pi and e, and exp, log/ln, sqrt, sin, cos, tan, tanh, sigmoid/σ, relu, abs.
///
/// Examples:
///   backprop chain "y = 5x + 3" "x = t^2" --wrt t --at t=3
///   backprop chain "z = x*y" "x = t^2" "y = sin(t)" --wrt t --at t=1 --verify
///   backprop chain "E = (T - out)^2 / 2" "out = sigmoid(net)" "net = w*x + b" --wrt w --at w=0.4,x=0.6,b=0.1,T=1
///   backprop chain "y = 5x + 3" "x = t^2" --wrt t --format html --out chain.html
///   backprop chain "y = 5x + 3" "x = t^2" --wrt t --at t=3 --check "10t = 30"
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct ChainArgs {
    /// Definitions, `name = expression`, each one argument.
    #[arg(required = true, value_name = "DEFINITION")]
    definitions: Vec<String>,
    /// The variable to differentiate with respect to.
    #[arg(long, value_name = "VAR")]
    wrt: String,
    /// The point: VAR=VALUE,... (every input the numbers need).
    #[arg(long, value_delimiter = ',', value_name = "VAR=VALUE")]
    at: Vec<String>,
    /// Differentiate this definition instead of the first.
    #[arg(long, value_name = "NAME")]
    of: Option<String>,
    /// Add a central finite difference at the point.
    #[arg(long)]
    verify: bool,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Mark your own derivative: an expression ("10t"), and with --at optionally its value
    /// ("10t = 30"). The expression is right when it equals the chain rule's result at the
    /// point and at four more (a numeric check, not a symbolic proof); a wrong one is traced to
    /// known slips (missing-inner-derivative, power-rule, product-rule, sum-over-paths).
    #[arg(long, value_name = "ANSWER")]
    check: Option<String>,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// `--at t=3,x=1` as a map; each item must be NAME=NUMBER.
fn point(items: &[String]) -> Result<BTreeMap<String, f64>> {
    let mut out = BTreeMap::new();
    for item in items {
        let Some((name, value)) = item.split_once('=') else {
            return Err(Error::invalid(format!("--at {item}: expected VAR=VALUE, such as t=3")));
        };
        let value: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| Error::invalid(format!("--at {item}: {value:?} is not a finite number")))?;
        out.insert(name.trim().to_string(), value);
    }
    Ok(out)
}

pub fn run(args: ChainArgs) -> Result<()> {
    let at = point(&args.at)?;
    let system =
        System::new(&args.definitions, args.of.as_deref(), &args.wrt).map_err(|e| Error::invalid(e.to_string()))?;
    if args.verify && at.is_empty() {
        return Err(Error::invalid("--verify compares numbers at a point: give one with --at"));
    }
    let derivation = derive(system, at, args.verify).map_err(|e| Error::invalid(e.to_string()))?;
    let page = match &args.check {
        Some(answer) => checked(&derivation, answer, args.format)?,
        None => render(&derivation, args.format),
    };
    match &args.out {
        Some(path) => write_atomic(path, page.as_bytes()),
        None => emit(&page),
    }
}

/// `--check`: the learner's derivative (and value) marked, text or JSON.
fn checked(d: &crate::chain::Derivation, answer: &str, format: Format) -> Result<String> {
    use crate::chain::{check_derivative, parse_expr, pretty};
    use crate::check::Given;
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
    let c = check_derivative(d, &given);
    let s = &d.system;
    let head = format!("d{}/d{}", s.output, s.wrt);
    let wrt_values: Vec<String> =
        c.points.iter().filter_map(|p| p.get(&s.wrt)).map(|x| crate::explain::render::num(*x)).collect();
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
                let num = crate::explain::render::num;
                out.push_str(&format!("{tick} your value {g} at the point (engine: {})\n", num(*expected)));
            }
            out
        }
        other => {
            return Err(Error::invalid(format!("--check writes text or json, not {}", <&str>::from(other))));
        }
    })
}
