//! `backprop chain`: the chain rule, step by step, for any expression.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;

use super::emit;
use crate::chain::ChainRequest;
use crate::error::{Error, Result};
use crate::io::write_atomic;
use crate::limits::Limits;
use crate::present::Format;

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
    let request = ChainRequest {
        at: point(&args.at)?,
        definitions: args.definitions,
        wrt: args.wrt,
        of: args.of,
        verify: args.verify,
        answer: args.check,
        format: args.format,
    };
    let page = request.answer(&Limits::COMMAND_LINE)?;
    match &args.out {
        Some(path) => write_atomic(path, page.as_bytes()),
        None => emit(&page),
    }
}
