//! Writing a derivation out: text in the lecture's layout (80 columns), Markdown with LaTeX,
//! JSON for scripts (every expression in the tool's input syntax), Graphviz DOT of the graph
//! (each edge labelled with its local derivative and value), and one self-contained HTML page
//! with the graph drawn beside the derivation. Numbers are written as `explain` writes them.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Value, json};

use super::derivation::{Derivation, Edge};
use super::pretty::pretty;
use super::{Expr, Func};
use crate::present::{Format, PageStyle, escape, factor, num, page, wrap};

/// The derivation in `format`.
pub fn render(d: &Derivation, format: Format) -> String {
    match format {
        Format::Text => text(d),
        Format::Markdown => markdown(d),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&json_value(d)).expect("plain numbers and strings");
            s.push('\n');
            s
        }
        Format::Dot => dot(d),
        Format::Html => html(d),
    }
}

/// `d` or `∂`: partial when the output depends on more than one input.
fn d_of(d: &Derivation) -> &'static str {
    if d.system.inputs.len() > 1 { "∂" } else { "d" }
}

/// A factor of a product: sums and negatives in parentheses.
fn factor_text(e: &Expr) -> String {
    let text = pretty(e);
    match e {
        Expr::Add(..) | Expr::Sub(..) | Expr::Neg(_) => format!("({text})"),
        Expr::Number(x) if *x < 0.0 => format!("({text})"),
        _ => text,
    }
}

/// `d/dx(5x + 3)`, or `∂/∂x(x·y)`.
fn edge_operator(e: &Edge) -> String {
    let d = if e.symbol.starts_with('∂') { "∂" } else { "d" };
    format!("{d}/{d}{}({})", e.from, pretty(&e.of))
}

/// Paths joined by ` + `, each path's factors by ` · `.
fn sum_of_products(d: &Derivation, factor: impl Fn(&Edge) -> String) -> String {
    d.paths.iter().map(|p| p.edges.iter().map(&factor).collect::<Vec<_>>().join(" · ")).collect::<Vec<_>>().join(" + ")
}

fn point_text(at: &BTreeMap<String, f64>) -> String {
    at.iter().map(|(k, v)| format!("{k} = {}", num(*v))).collect::<Vec<_>>().join(", ")
}

/// The lines of the derivation, in the lecture's layout (a line may hold line breaks).
fn lines(d: &Derivation) -> Vec<String> {
    let s = &d.system;
    let dd = d_of(d);
    let head = format!("{dd}{}/{dd}{}", s.output, s.wrt);
    let mut out = vec![];
    if d.paths.is_empty() {
        out.push(format!("{head} = 0   ({} does not depend on {})", s.output, s.wrt));
    } else {
        let mut steps = vec![
            sum_of_products(d, |e| e.symbol.clone()),
            sum_of_products(d, edge_operator),
            sum_of_products(d, |e| factor_text(&e.derivative)),
            pretty(&d.derivative),
        ];
        steps.dedup();
        let indent = " ".repeat(head.chars().count());
        for (i, step) in steps.iter().enumerate() {
            // A step too long for 80 columns breaks at its `=` signs, as explain's do.
            out.push(wrap(&if i == 0 { format!("{head} = {step}") } else { format!("{indent} = {step}") }));
        }
    }
    if let Some(value) = d.value {
        let factors = d
            .paths
            .iter()
            .map(|p| p.edges.iter().map(|e| factor(e.value.unwrap_or(f64::NAN))).collect::<Vec<_>>().join(" · "))
            .collect::<Vec<_>>()
            .join(" + ");
        let shown = if d.paths.is_empty() { String::new() } else { format!("{factors} = ") };
        let line = format!("at {}:  {shown}{}", point_text(&d.at), num(value));
        if line.chars().count() <= 80 {
            out.push(line);
        } else {
            out.push(format!("at {}:", point_text(&d.at)));
            out.push(format!("   {shown}{}", num(value)));
        }
    }
    if let Some(fd) = d.finite_difference {
        let diff = d.value.map_or(String::new(), |v| format!(", difference {:.1e}", (fd - v).abs()));
        out.push(format!("finite difference: {}{diff}", num(fd)));
    }
    let first = format!("check: substituting first, {} = {}", s.output, pretty(&d.substituted));
    let direct = format!("{dd}/{dd}{}({}) = {}", s.wrt, pretty(&d.substituted), pretty(&d.substituted_derivative));
    let verdict = match &d.numeric_check {
        None => "— the same.".to_string(),
        Some((points, worst)) => {
            let at: Vec<String> = points.iter().map(|x| num(*x)).collect();
            format!(
                "— equal numerically at {} point(s) ({}: {}; largest relative difference {worst:.1e}), not a \
                 symbolic proof.",
                at.len(),
                s.wrt,
                at.join(", ")
            )
        }
    };
    let line = format!("{first} and {direct} {verdict}");
    if line.chars().count() <= 80 {
        out.push(line);
    } else {
        out.push(first);
        out.push(format!("       and {direct}"));
        out.push(format!("       {verdict}"));
    }
    out
}

fn text(d: &Derivation) -> String {
    lines(d).iter().map(|l| format!("{l}\n")).collect()
}

/// An expression in LaTeX.
fn latex(e: &Expr) -> String {
    let wrap = |e: &Expr, min: u8| if e.precedence() < min { format!("\\left({}\\right)", latex(e)) } else { latex(e) };
    match e {
        Expr::Number(x) => crate::autograd::symbolic::number_text(*x),
        Expr::Constant(super::Constant::Pi) => "\\pi".into(),
        Expr::Constant(super::Constant::E) => "e".into(),
        Expr::Var(v) => match v.split_once('_') {
            Some((a, b)) => format!("{a}_{{{b}}}"),
            None => v.clone(),
        },
        Expr::Neg(a) => format!("-{}", wrap(a, 4)),
        Expr::Add(a, b) => format!("{} + {}", wrap(a, 1), wrap(b, 2)),
        Expr::Sub(a, b) => format!("{} - {}", wrap(a, 1), wrap(b, 2)),
        Expr::Mul(a, b) => match **a {
            Expr::Number(_) if matches!(**b, Expr::Var(_) | Expr::Pow(..) | Expr::Call(..)) => {
                format!("{}{}", latex(a), wrap(b, 4))
            }
            _ => format!("{} \\cdot {}", wrap(a, 2), wrap(b, 4)),
        },
        Expr::Div(a, b) => format!("\\frac{{{}}}{{{}}}", latex(a), latex(b)),
        Expr::Pow(a, b) => format!("{{{}}}^{{{}}}", wrap(a, 5), latex(b)),
        Expr::Call(Func::Sigmoid, a) => format!("\\sigma\\left({}\\right)", latex(a)),
        Expr::Call(f @ (Func::Exp | Func::Log | Func::Sin | Func::Cos | Func::Tan | Func::Tanh), a) => {
            format!("\\{}\\left({}\\right)", f.name(), latex(a))
        }
        Expr::Call(Func::Sqrt, a) => format!("\\sqrt{{{}}}", latex(a)),
        Expr::Call(f, a) => format!("\\mathrm{{{}}}\\left({}\\right)", f.name(), latex(a)),
    }
}

fn markdown(d: &Derivation) -> String {
    let s = &d.system;
    let dd = if d_of(d) == "∂" { "\\partial " } else { "d" };
    let frac = |top: &str, bottom: &str| format!("\\frac{{{dd}{top}}}{{{dd}{bottom}}}");
    let edge_frac = |e: &Edge| {
        let p = if e.symbol.starts_with('∂') { "\\partial " } else { "d" };
        format!("\\frac{{{p}{}}}{{{p}{}}}", e.to, e.from)
    };
    let join = |f: &dyn Fn(&Edge) -> String| {
        d.paths
            .iter()
            .map(|p| p.edges.iter().map(f).collect::<Vec<_>>().join(" \\cdot "))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let mut out = format!("# The chain rule: {dd}{}/{dd}{}\n\n", s.output, s.wrt);
    out.push_str("Definitions:\n\n");
    for def in &s.definitions {
        let _ = writeln!(out, "$${} = {}$$\n", def.name, latex(&def.expr));
    }
    let head = frac(&s.output, &s.wrt);
    if d.paths.is_empty() {
        let _ = writeln!(out, "$${head} = 0$$\n");
    } else {
        let _ = writeln!(out, "$${head} = {}$$\n", join(&edge_frac));
        let _ = writeln!(
            out,
            "$$= {}$$\n",
            join(&|e: &Edge| {
                let p = if e.symbol.starts_with('∂') { "\\partial " } else { "d" };
                format!("\\frac{{{p}}}{{{p}{}}}\\left({}\\right)", e.from, latex(&e.of))
            })
        );
        let _ = writeln!(out, "$$= {}$$\n", join(&|e: &Edge| format!("\\left({}\\right)", latex(&e.derivative))));
        let _ = writeln!(out, "$$= {}$$\n", latex(&d.derivative));
    }
    if let Some(v) = d.value {
        let _ = writeln!(out, "At ${}$: ${head} = {}$\n", point_text(&d.at).replace(", ", ",\\ "), num(v));
    }
    let _ = writeln!(
        out,
        "Substituting first: ${} = {}$ and ${} = {}${}\n",
        s.output,
        latex(&d.substituted),
        head,
        latex(&d.substituted_derivative),
        if d.symbolically_equal { " — the same." } else { " — equal numerically (not a symbolic proof)." }
    );
    out
}

fn json_value(d: &Derivation) -> Value {
    let s = &d.system;
    let definitions: Vec<Value> =
        s.definitions.iter().map(|def| json!({"name": def.name, "expression": def.expr.to_string()})).collect();
    let paths: Vec<Value> = d
        .paths
        .iter()
        .map(|p| {
            let edges: Vec<Value> = p
                .edges
                .iter()
                .map(|e| {
                    json!({"from": e.from, "to": e.to, "symbol": e.symbol, "of": e.of.to_string(),
                           "expression": e.derivative.to_string(), "value": e.value})
                })
                .collect();
            json!({"edges": edges, "expression": p.expression.to_string(), "value": p.value})
        })
        .collect();
    let mut v = json!({
        "output": s.output, "wrt": s.wrt, "inputs": s.inputs, "definitions": definitions,
        "derivative": d.derivative.to_string(),
        "substituted": {"expression": d.substituted.to_string(), "derivative": d.substituted_derivative.to_string(),
                        "symbolically_equal": d.symbolically_equal},
        "paths": paths,
    });
    if !d.at.is_empty() {
        v["at"] = json!(d.at);
        v["value"] = json!(d.value);
    }
    if let Some(fd) = d.finite_difference {
        v["finite_difference"] = json!(fd);
    }
    v
}

/// Every variable with its value at the point, if any.
fn node_values(d: &Derivation) -> BTreeMap<String, Option<f64>> {
    let s = &d.system;
    // Every variable's value at the point, as the derivation computed them (a defined variable
    // may be the one differentiated by, so substituting the definitions would not reach it).
    let values = if d.at.is_empty() { None } else { super::derivation::values_at(s, &d.at).ok() };
    s.inputs
        .iter()
        .chain(s.definitions.iter().map(|def| &def.name))
        .map(|name| (name.clone(), values.as_ref().and_then(|v| v.get(name).copied())))
        .collect()
}

/// The graph's distinct edges (one per parent–child pair).
fn distinct_edges(d: &Derivation) -> Vec<&Edge> {
    let mut out: Vec<&Edge> = vec![];
    for e in d.paths.iter().flat_map(|p| &p.edges) {
        if !out.iter().any(|o| o.from == e.from && o.to == e.to) {
            out.push(e);
        }
    }
    out
}

fn edge_label(e: &Edge) -> String {
    let value = e.value.map_or(String::new(), |v| format!(" = {}", num(v)));
    format!("{} = {}{value}", e.symbol, pretty(&e.derivative))
}

fn dot(d: &Derivation) -> String {
    let mut out = String::from("digraph chain {\n  rankdir=BT;\n  node [shape=ellipse, fontname=\"Helvetica\"];\n");
    for (name, value) in node_values(d) {
        let expr = d.system.definition(&name).map_or(String::new(), |e| format!(" = {}", pretty(e)));
        let value = value.map_or(String::new(), |v| format!("\\n= {}", num(v)));
        let _ = writeln!(out, "  \"{name}\" [label=\"{name}{}{value}\"];", expr.replace('"', "\\\""));
    }
    for e in distinct_edges(d) {
        let _ = writeln!(out, "  \"{}\" -> \"{}\" [label=\"{}\"];", e.from, e.to, edge_label(e).replace('"', "\\\""));
    }
    out.push_str("}\n");
    out
}

fn html(d: &Derivation) -> String {
    let s = &d.system;
    // Layers: the output at the top, each variable one below the lowest variable that reads it.
    let mut depth: BTreeMap<String, usize> = BTreeMap::new();
    depth.insert(s.output.clone(), 0);
    for _ in 0..=s.definitions.len() + s.inputs.len() {
        for def in &s.definitions {
            let Some(&k) = depth.get(&def.name) else { continue };
            if def.name == s.wrt {
                continue;
            }
            for v in def.expr.variables() {
                let entry = depth.entry(v).or_insert(k + 1);
                *entry = (*entry).max(k + 1);
            }
        }
    }
    let layers = depth.values().max().copied().unwrap_or(0) + 1;
    let mut rows: Vec<Vec<&String>> = vec![vec![]; layers];
    for (name, &k) in &depth {
        rows[k].push(name);
    }
    let (w, row_gap) = (600i64, 150i64);
    let h = row_gap * layers as i64 + 40;
    let pos = |name: &str| -> (i64, i64) {
        let k = depth[name];
        let row = &rows[k];
        let i = row.iter().position(|n| *n == name).unwrap_or(0) as i64;
        (w * (2 * i + 1) / (2 * row.len() as i64), 50 + row_gap * k as i64)
    };
    let values = node_values(d);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"13\">\n"
    );
    let halo = "paint-order=\"stroke\" stroke=\"white\" stroke-width=\"4\"";
    for e in distinct_edges(d) {
        if !depth.contains_key(&e.from) || !depth.contains_key(&e.to) {
            continue;
        }
        let ((x1, y1), (x2, y2)) = (pos(&e.from), pos(&e.to));
        let _ = writeln!(
            svg,
            "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"#8899aa\" stroke-width=\"1.5\"/>"
        );
        let (mx, my) = ((x1 + x2) / 2, (y1 + y2) / 2);
        let _ = writeln!(
            svg,
            "<text x=\"{mx}\" y=\"{my}\" text-anchor=\"middle\" fill=\"#b03a2e\" {halo}>{}</text>",
            escape(&edge_label(e))
        );
    }
    for name in depth.keys() {
        let (x, y) = pos(name);
        let value = values.get(name).copied().flatten().map_or(String::new(), |v| format!(" = {}", num(v)));
        let expr = s.definition(name).map_or(String::new(), |e| format!(" = {}", pretty(e)));
        let _ = writeln!(
            svg,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"24\" fill=\"#eef4fb\" stroke=\"#1f4e8c\" stroke-width=\"2\"/>"
        );
        let _ = writeln!(
            svg,
            "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>",
            y + 5,
            escape(name)
        );
        let _ = writeln!(
            svg,
            "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" fill=\"#1f4e8c\" {halo}>{}</text>",
            y - 32,
            escape(&format!("{name}{expr}{value}"))
        );
    }
    svg.push_str("</svg>\n");
    let intro = "Each edge carries its local derivative (and its value at the point); the derivative along the graph is the sum over paths of the product of the edges.";
    let style = PageStyle { heading_px: None, text_px: 14, line_height: "1.5" };
    page("backprop chain", "The chain rule, step by step", intro, &svg, &text(d), style)
}
