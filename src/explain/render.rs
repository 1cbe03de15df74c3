//! Writing explained steps out: text for the terminal, Markdown with LaTeX for notes, JSON for
//! scripts, Graphviz DOT of the network, and one self-contained HTML page with an SVG diagram
//! (drawn in [`super::html`]).

use std::fmt::Write;

use serde_json::{Map, Value, json};

use crate::loss::Loss;
use crate::network::{Network, Param, Step, Steps, input_name};
use crate::present::{Format, factor, num, wrap};

/// How many steps are written out in full before the rest is summarised.
pub(super) const FULL_STEPS: usize = 3;

/// JSON writes every step in full; it takes at most this many parameters × steps (about
/// 100 MB of output; the lecture's 12 parameters for 50,000 steps).
pub const MAX_JSON_PARAM_STEPS: usize = 600_000;

/// How many of `steps` steps `format` writes out in full, so [`crate::network::run`] keeps just
/// those; refused for JSON beyond [`MAX_JSON_PARAM_STEPS`].
pub fn steps_in_full(format: Format, steps: usize, parameters: usize) -> crate::Result<usize> {
    match format {
        Format::Json if parameters.saturating_mul(steps) > MAX_JSON_PARAM_STEPS => Err(crate::Error::invalid(format!(
            "JSON writes every step in full: {parameters} parameters × {steps} steps is more than \
             {MAX_JSON_PARAM_STEPS} (text, markdown and html summarise the steps after the first {FULL_STEPS})"
        ))),
        Format::Json => Ok(steps),
        _ => Ok(FULL_STEPS),
    }
}

/// E written out: the loss's title and its terms, one per output.
fn loss_formula(net: &Network) -> (String, String) {
    let k = net.targets.len();
    let terms: Vec<String> = (1..=k).map(|i| net.loss.term_formula(i, k)).collect();
    (net.loss.title().to_string(), terms.join(" + "))
}

/// The lines of one step's derivation, in the lecture's notation (plain text).
fn step_lines(net: &Network, step: &Step, current: &Network) -> Vec<String> {
    let mut out = vec![format!("Step {}", step.step), String::from("Forward pass")];
    for (l, units) in step.layers.iter().enumerate() {
        let layer = &current.model;
        for (j, u) in units.iter().enumerate() {
            let names = step.params.iter().filter(|p| p.at.0 == l && p.at.1 == j).collect::<Vec<&Param>>();
            let symbolic: Vec<String> = (0..layer.fan_in(l))
                .map(|i| format!("{}·{}", input_name(net, l, i), names[i].name))
                .chain(std::iter::once(names.last().unwrap().name.clone()))
                .collect();
            let numeric: Vec<String> = (0..layer.fan_in(l))
                .map(|i| {
                    let input = if l == 0 { current.inputs[i] } else { step.layers[l - 1][i].out };
                    format!("{}·{}", num(input), factor(layer.weight(l, j, i)))
                })
                .chain(std::iter::once(factor(layer.bias(l, j))))
                .collect();
            out.push(format!("  {} = {} = {} = {}", u.name, symbolic.join(" + "), numeric.join(" + "), num(u.net)));
            out.push(format!("  out_{} = {} = {}", u.name, layer.activation(l).formula_for(&u.name), num(u.out)));
        }
    }
    let (name, terms) = loss_formula(net);
    out.push(format!("Total error ({name})"));
    let values: Vec<String> = step.error_terms.iter().map(|&t| num(t)).collect();
    out.push(format!("  E = {terms} = {} = {}", values.join(" + "), num(step.loss)));

    out.push(String::from("Gradients, output layer first"));
    let mut seen = vec![];
    for a in (0..current.model.depth()).map(|l| current.model.activation(l)) {
        if let Some(f) = a.definition().derivative.filter(|f| !seen.contains(f)) {
            out.push(format!("  {f}"));
            seen.push(f);
        }
    }
    if net.loss == Loss::CrossEntropy {
        out.push("  with softmax and cross-entropy, dE/dy_k = out_y_k − T_k".to_string());
    }
    for l in (0..step.layers.len()).rev() {
        for p in step.path_sums.iter().filter(|p| step.layers[l].iter().any(|u| format!("out_{}", u.name) == p.unit)) {
            let symbolic: Vec<String> = p.terms.iter().map(|(n, _, w, _)| format!("dE/d{n}·{w}")).collect();
            let numeric: Vec<String> =
                p.terms.iter().map(|(_, d, _, w)| format!("{}·{}", factor(*d), factor(*w))).collect();
            out.push(format!(
                "  dE/d{} = {} = {} = {}",
                p.unit,
                symbolic.join(" + "),
                numeric.join(" + "),
                num(p.total)
            ));
        }
        for p in step.params.iter().filter(|p| p.at.0 == l) {
            let symbols: Vec<&str> = p.factors.iter().map(|f| f.symbol.as_str()).collect();
            let values: Vec<String> = p.factors.iter().map(|f| factor(f.value)).collect();
            let mut line =
                format!("  dE/d{} = {} = {} = {}", p.name, symbols.join(" · "), values.join(" · "), num(p.gradient));
            if let Some(n) = p.numeric {
                let _ = write!(line, "   [finite difference {}, difference {:.1e}]", num(n), (n - p.gradient).abs());
            }
            out.push(line);
        }
    }
    out.push(format!("Updates (η = {})", num(net.learning_rate)));
    for p in &step.params {
        let is_bias = p.at.2.is_none();
        if is_bias && !net.update_biases {
            continue;
        }
        out.push(format!(
            "  {0} ← {0} − η·dE/d{0} = {1} − {2}·{3} = {4}",
            p.name,
            num(p.value),
            num(net.learning_rate),
            factor(p.gradient),
            num(p.updated)
        ));
    }
    if !net.update_biases {
        out.push("  (biases held fixed)".to_string());
    }
    out
}

/// The networks each step starts from (step i's weights are step i−1's updates).
fn starting_networks(net: &Network, steps: &[Step]) -> Vec<Network> {
    let mut current = net.clone();
    let mut out = vec![];
    for step in steps {
        out.push(current.clone());
        for p in &step.params {
            let (l, j, i) = p.at;
            match i {
                Some(i) => current.model.set_weight(l, j, i, p.updated),
                None => current.model.set_bias(l, j, p.updated),
            }
        }
    }
    out
}

pub(super) fn text(net: &Network, explained: &Steps) -> String {
    let (steps, errors) = (&explained.steps, &explained.errors);
    let mut out = String::new();
    let starts = starting_networks(net, steps);
    for (step, start) in steps.iter().zip(&starts).take(FULL_STEPS) {
        for line in step_lines(net, step, start) {
            let _ = writeln!(out, "{}", wrap(&line));
        }
        let _ = writeln!(out);
    }
    error_summary(errors, explained.final_loss, &mut out);
    out
}

/// The error over the steps after the ones written in full (every tenth of the run), and the
/// error after the last update.
pub(super) fn error_summary(errors: &[f64], final_loss: f64, out: &mut String) {
    if errors.len() > FULL_STEPS {
        let _ = writeln!(out, "Error over the steps");
        let every = (errors.len() / 10).max(1);
        for (step, e) in (1..).zip(errors).filter(|(s, _)| *s <= FULL_STEPS || s % every == 0) {
            let _ = writeln!(out, "  step {step:>6}: E = {}", num(*e));
        }
    }
    let s = if errors.len() == 1 { "" } else { "s" };
    let _ = writeln!(out, "Error after {} update{s}: E = {}", errors.len(), num(final_loss));
}

/// `dE/dout_y1` → `\frac{\partial E}{\partial out_{y_1}}`, for Markdown's LaTeX.
pub(super) fn latex_symbol(s: &str) -> String {
    fn name(n: &str) -> String {
        let (prefix, rest) = n.strip_prefix("out_").map_or(("", n), |r| ("out_", r));
        let letters: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
        let digits = &rest[letters.len()..];
        let sub = digits.replace('_', ",");
        let core = if sub.is_empty() { letters } else { format!("{letters}_{{{sub}}}") };
        if prefix.is_empty() { core } else { format!("\\mathrm{{out}}_{{{core}}}") }
    }
    match s.split_once('/') {
        Some((top, bottom)) => {
            let top = top.trim_start_matches('d');
            let bottom = bottom.trim_start_matches('d');
            format!("\\frac{{\\partial {}}}{{\\partial {}}}", name(top), name(bottom))
        }
        None => name(s),
    }
}

fn markdown(net: &Network, explained: &Steps) -> String {
    let steps = &explained.steps;
    let mut out = String::from("# Backpropagation, step by step\n\n");
    let starts = starting_networks(net, steps);
    for (step, start) in steps.iter().zip(&starts).take(FULL_STEPS) {
        let _ = writeln!(out, "## Step {}\n\n### Forward pass\n", step.step);
        for (l, units) in step.layers.iter().enumerate() {
            for (j, u) in units.iter().enumerate() {
                let names: Vec<&Param> = step.params.iter().filter(|p| p.at.0 == l && p.at.1 == j).collect();
                let symbolic: Vec<String> = (0..start.model.fan_in(l))
                    .map(|i| format!("{} {}", latex_symbol(&input_name(net, l, i)), latex_symbol(&names[i].name)))
                    .chain(std::iter::once(latex_symbol(&names.last().unwrap().name)))
                    .collect();
                let _ = writeln!(out, "$${} = {} = {}$$", latex_symbol(&u.name), symbolic.join(" + "), num(u.net));
                let _ = writeln!(
                    out,
                    "$${} = {}({}) = {}$$\n",
                    latex_symbol(&format!("out_{}", u.name)),
                    start.model.activation(l).definition().latex,
                    latex_symbol(&u.name),
                    num(u.out)
                );
            }
        }
        let values: Vec<String> = step.error_terms.iter().map(|&t| num(t)).collect();
        let _ = writeln!(out, "### Total error\n\n$$E = {} = {}$$\n", values.join(" + "), num(step.loss));
        let _ = writeln!(out, "### Gradients\n");
        for p in &step.path_sums {
            let terms: Vec<String> = p
                .terms
                .iter()
                .map(|(n, _, w, _)| format!("{} {}", latex_symbol(&format!("dE/d{n}")), latex_symbol(w)))
                .collect();
            let _ = writeln!(
                out,
                "$${} = {} = {}$$\n",
                latex_symbol(&format!("dE/d{}", p.unit)),
                terms.join(" + "),
                num(p.total)
            );
        }
        for p in &step.params {
            let symbols: Vec<String> = p.factors.iter().map(|f| latex_symbol(&f.symbol)).collect();
            let values: Vec<String> = p.factors.iter().map(|f| factor(f.value)).collect();
            let _ = writeln!(
                out,
                "$${} = {} = {} = {}$$\n",
                latex_symbol(&format!("dE/d{}", p.name)),
                symbols.join(" \\cdot "),
                values.join(" \\cdot "),
                num(p.gradient)
            );
        }
        let _ = writeln!(out, "### Updates ($\\eta = {}$)\n", num(net.learning_rate));
        for p in step.params.iter().filter(|p| p.at.2.is_some() || net.update_biases) {
            let n = latex_symbol(&p.name);
            let _ = writeln!(
                out,
                "$${n} \\leftarrow {n} - \\eta {} = {} - {} \\cdot {} = {}$$\n",
                latex_symbol(&format!("dE/d{}", p.name)),
                num(p.value),
                num(net.learning_rate),
                factor(p.gradient),
                num(p.updated)
            );
        }
    }
    let _ = writeln!(out, "Error after {} update(s): $E = {}$", explained.errors.len(), num(explained.final_loss));
    out
}

/// The JSON contract: `steps`, each with `loss`, `forward`, `gradients`, `factors`, `updated`
/// (every step kept, see [`steps_in_full`]).
pub fn json_value(net: &Network, explained: &Steps) -> Value {
    let steps: Vec<Value> = explained
        .steps
        .iter()
        .map(|s| {
            let forward: Vec<Value> =
                s.layers.iter().flatten().map(|u| json!({"name": u.name, "net": u.net, "out": u.out})).collect();
            let (mut gradients, mut factors, mut updated, mut numeric) =
                (Map::new(), Map::new(), Map::new(), Map::new());
            for p in &s.params {
                gradients.insert(p.name.clone(), json!(p.gradient));
                factors.insert(p.name.clone(), json!(p.factors));
                updated.insert(p.name.clone(), json!(p.updated));
                if let Some(n) = p.numeric {
                    numeric.insert(p.name.clone(), json!(n));
                }
            }
            let mut step = json!({
                "step": s.step, "loss": s.loss, "error_terms": s.error_terms, "forward": forward,
                "gradients": gradients, "factors": factors, "path_sums": s.path_sums, "updated": updated,
            });
            if !numeric.is_empty() {
                step["finite_differences"] = Value::Object(numeric);
            }
            step
        })
        .collect();
    json!({
        "learning_rate": net.learning_rate,
        "update_biases": net.update_biases,
        "steps": steps,
        "final_loss": explained.final_loss,
    })
}

/// Renders explained steps in `format`.
pub fn render(format: Format, net: &Network, explained: &Steps) -> String {
    match format {
        Format::Text => text(net, explained),
        Format::Markdown => markdown(net, explained),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&json_value(net, explained)).expect("plain numbers and strings");
            s.push('\n');
            s
        }
        Format::Dot => super::graph::computation_graph(net),
        Format::Html => super::html::page(net, explained),
    }
}
