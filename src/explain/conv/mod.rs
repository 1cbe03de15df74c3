//! `explain` for a convolutional network: the step's lines (each `symbol = Σ left·right = the
//! numbers = value`, from [`crate::network::conv`]) as text, Markdown with LaTeX, JSON, the
//! engine's computation graph, and an HTML page that draws the image, the kernel and each
//! highlighted patch ([`html`]). The numbers are the engine's; this only lays them out.

mod html;

use std::collections::HashMap;
use std::fmt::Write;

use serde_json::json;

use super::render::{error_summary, latex_symbol};
use crate::error::Result;
use crate::limits::Limits;
use crate::network::conv::{ConvNetwork, ConvStep, ConvSteps, Line, Rule, run};
use crate::network::explainable;
use crate::present::{Format, factor, num, wrap};

/// A convolutional network's `explain`: checked against `limits`, every step run, the first
/// ones written in `format`.
pub fn answer(net: &ConvNetwork, steps: usize, verify: bool, format: Format, limits: &Limits) -> Result<String> {
    let kept = super::request::kept_steps(explainable(net.parameter_count())?, steps, verify, format, limits)?;
    if format == Format::Dot {
        return Ok(super::graph::conv_graph(net));
    }
    let explained = run(net, steps, kept, verify);
    Ok(match format {
        Format::Text => text(net, &explained),
        Format::Markdown => markdown(net, &explained),
        Format::Json => {
            let value = json!({
                "architecture": net.architecture().spec(),
                "input": net.input.dims()[1..],
                "targets": net.targets,
                "learning_rate": net.learning_rate,
                "steps": explained.steps,
                "errors": explained.errors,
                "final_loss": explained.final_loss,
            });
            format!("{}\n", serde_json::to_string_pretty(&value).expect("plain numbers and strings"))
        }
        Format::Html => html::page(net, &explained),
        Format::Dot => unreachable!("written above"),
    })
}

/// A line's products as symbols and as numbers: `k11·x11 + … + bk`, `1·0.5 + … + 0.1`.
fn sides(line: &Line) -> Option<(String, String)> {
    let Rule::Sum { terms, constant } = &line.rule else { return None };
    let mut symbolic: Vec<String> = terms
        .iter()
        .map(|t| match &t.right {
            Some((s, _)) => format!("{}·{s}", t.left),
            None => t.left.clone(),
        })
        .collect();
    let mut numeric: Vec<String> = terms
        .iter()
        .map(|t| match &t.right {
            Some((_, v)) => format!("{}·{}", factor(t.left_value), factor(*v)),
            None => factor(t.left_value),
        })
        .collect();
    if let Some((s, v)) = constant {
        symbolic.push(s.clone());
        numeric.push(factor(*v));
    }
    if symbolic.is_empty() {
        return Some(("0".into(), "0".into()));
    }
    Some((symbolic.join(" + "), numeric.join(" + ")))
}

/// Whether a sum is one factor alone (`dE/db1 = dE/dy1`), whose numbers are its value.
fn is_single(line: &Line) -> bool {
    matches!(&line.rule, Rule::Sum { terms, constant: None } if terms.len() == 1 && terms[0].right.is_none())
}

/// One line as text: `symbol = symbolic = numbers = value`, with `--verify`'s estimate.
fn text_line(line: &Line, numeric: &HashMap<String, f64>) -> String {
    let mut out = match (&line.rule, sides(line)) {
        (_, Some((symbolic, _))) if is_single(line) => format!("  {} = {symbolic} = {}", line.symbol, num(line.value)),
        (_, Some((symbolic, numbers))) => format!("  {} = {symbolic} = {numbers} = {}", line.symbol, num(line.value)),
        (Rule::Formula { symbolic, numeric: Some(n) }, None) => {
            format!("  {} = {symbolic} = {n} = {}", line.symbol, num(line.value))
        }
        (Rule::Formula { symbolic, numeric: None }, None) => {
            format!("  {} = {symbolic} = {}", line.symbol, num(line.value))
        }
        (Rule::Sum { .. }, None) => unreachable!("a sum has sides"),
    };
    out = wrap(&out);
    if let Some(n) = numeric.get(&line.symbol) {
        let _ = write!(out, "   [finite difference {}, difference {:.1e}]", num(*n), (n - line.value).abs());
    }
    out
}

/// E as the sum of its terms, each output named as the step names it.
fn error_formula(net: &ConvNetwork) -> String {
    let outputs = net.output_names();
    let k = outputs.len();
    outputs.iter().enumerate().map(|(i, out)| net.loss.term_of(i + 1, k, out)).collect::<Vec<_>>().join(" + ")
}

/// --verify's estimates by gradient symbol (`dE/dk11`).
fn estimates(step: &ConvStep) -> HashMap<String, f64> {
    step.updates.iter().filter_map(|u| u.numeric.map(|n| (format!("dE/d{}", u.name), n))).collect()
}

/// One step as text lines.
pub(super) fn step_text(net: &ConvNetwork, step: &ConvStep, out: &mut String) {
    let learning_rate = net.learning_rate;
    let numeric = estimates(step);
    let _ = writeln!(out, "Step {}\nForward pass", step.step);
    for section in &step.forward {
        let _ = writeln!(out, "{}", section.title);
        for line in &section.lines {
            let _ = writeln!(out, "{}", text_line(line, &numeric));
        }
    }
    let _ = writeln!(out, "Total error ({})", net.loss.title());
    let values: Vec<String> = step.error_terms.iter().map(|&t| num(t)).collect();
    let _ = writeln!(
        out,
        "{}",
        wrap(&format!("  E = {} = {} = {}", error_formula(net), values.join(" + "), num(step.loss)))
    );
    let _ = writeln!(out, "Backward pass, output first");
    for section in &step.backward {
        let _ = writeln!(out, "{}", section.title);
        if let Some(note) = &section.note {
            let _ = writeln!(out, "  {note}");
        }
        for line in &section.lines {
            let _ = writeln!(out, "{}", text_line(line, &numeric));
        }
    }
    let _ = writeln!(out, "Updates (η = {})", num(learning_rate));
    for u in step.updates.iter().filter(|u| !u.fixed) {
        let _ = writeln!(
            out,
            "{}",
            wrap(&format!(
                "  {0} ← {0} − η·dE/d{0} = {1} − {2}·{3} = {4}",
                u.name,
                num(u.value),
                num(learning_rate),
                factor(u.gradient),
                num(u.updated)
            ))
        );
    }
    if step.updates.iter().any(|u| u.fixed) {
        let _ = writeln!(out, "  (biases held fixed)");
    }
}

/// Every kept step as text, then the error over the steps.
pub(super) fn text(net: &ConvNetwork, explained: &ConvSteps) -> String {
    let mut out = String::new();
    for step in &explained.steps {
        step_text(net, step, &mut out);
        let _ = writeln!(out);
    }
    error_summary(&explained.errors, explained.final_loss, &mut out);
    out
}

/// A formula's text inside LaTeX.
fn latex_text(s: &str) -> String {
    format!("\\text{{{}}}", s.replace('{', "\\{").replace('}', "\\}"))
}

/// One line as display math.
fn markdown_line(line: &Line) -> String {
    let symbol = latex_symbol(&line.symbol);
    let (symbolic, numbers) = match &line.rule {
        Rule::Sum { terms, constant } => {
            let mut s: Vec<String> = terms
                .iter()
                .map(|t| match &t.right {
                    Some((r, _)) => format!("{} \\cdot {}", latex_symbol(&t.left), latex_symbol(r)),
                    None => latex_symbol(&t.left),
                })
                .collect();
            s.extend(constant.iter().map(|(c, _)| latex_symbol(c)));
            let (_, numbers) = sides(line).expect("a sum");
            (if s.is_empty() { "0".into() } else { s.join(" + ") }, Some(numbers.replace('·', " \\cdot ")))
        }
        Rule::Formula { symbolic, numeric } => (latex_text(symbolic), numeric.as_deref().map(latex_text)),
    };
    match numbers {
        Some(n) => format!("$${symbol} = {symbolic} = {n} = {}$$\n", num(line.value)),
        None => format!("$${symbol} = {symbolic} = {}$$\n", num(line.value)),
    }
}

fn markdown(net: &ConvNetwork, explained: &ConvSteps) -> String {
    let mut out = String::from("# Backpropagation through a convolution, step by step\n\n");
    let rate = net.learning_rate;
    for step in &explained.steps {
        let _ = writeln!(out, "## Step {}\n\n### Forward pass\n", step.step);
        for section in &step.forward {
            let _ = writeln!(out, "**{}**\n", section.title);
            section.lines.iter().for_each(|l| out.push_str(&markdown_line(l)));
            out.push('\n');
        }
        let values: Vec<String> = step.error_terms.iter().map(|&t| num(t)).collect();
        let _ = writeln!(
            out,
            "### Total error\n\n$$E = {} = {} = {}$$\n\n### Backward pass\n",
            latex_text(&error_formula(net)),
            values.join(" + "),
            num(step.loss)
        );
        for section in &step.backward {
            let _ = writeln!(out, "**{}**\n", section.title);
            if let Some(note) = &section.note {
                let _ = writeln!(out, "_{note}_\n");
            }
            section.lines.iter().for_each(|l| out.push_str(&markdown_line(l)));
            out.push('\n');
        }
        let _ = writeln!(out, "### Updates (η = {})\n", num(rate));
        for u in step.updates.iter().filter(|u| !u.fixed) {
            let _ = writeln!(
                out,
                "$${0}^+ = {0} - \\eta \\cdot {1} = {2} - {3} \\cdot {4} = {5}$$\n",
                latex_symbol(&u.name),
                latex_symbol(&format!("dE/d{}", u.name)),
                num(u.value),
                num(rate),
                factor(u.gradient),
                num(u.updated)
            );
        }
    }
    let mut tail = String::new();
    error_summary(&explained.errors, explained.final_loss, &mut tail);
    out.push_str(&tail.lines().map(|l| format!("{l}  \n")).collect::<String>());
    out
}
