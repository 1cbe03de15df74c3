//! Marking a learner's answers for a network, with the diagnosis: each wrong answer either
//! follows from an earlier wrong answer of theirs (carried), or is reproduced by mistakes of
//! the catalogue (named by id), or neither — said plainly, with the engine's value.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::answers::StepAnswers;
use super::mistakes::{Mistake, variants};
use super::network::{Mark, expected_of, last_step, mark_against};
use crate::error::Result;
use crate::network::{Network, Step, error_of};
use crate::present::num;

/// One answer marked and diagnosed.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    pub mark: Mark,
    /// The learner's earlier wrong answer this one follows from.
    pub carried_from: Option<String>,
    /// The mistakes that give the learner's value: (id, explanation, value).
    pub mistakes: Vec<(String, String, f64)>,
}

/// Each step explained with the network it starts from, and the error after the last update.
fn starts(net: &Network, steps: usize) -> (Vec<(Network, Step)>, f64) {
    let mut current = net.clone();
    let mut out = vec![];
    for s in 1..=steps {
        let (step, next) = crate::network::step(&current, s, false);
        out.push((current, step));
        current = next;
    }
    (out, error_of(&current))
}

/// What the learner's own earlier answers give for `symbol`, and the first of those that was
/// wrong: out_X from X, a gradient from its factors, w⁺ from ∂E/∂w, E from its terms, E⁺ from
/// the updated weights (through the engine).
fn from_learners_inputs(
    net: &Network,
    step: &Step,
    symbol: &str,
    given: &BTreeMap<String, &Mark>,
) -> Option<(f64, String)> {
    let wrong = |s: &str| given.get(s).filter(|m| !m.correct).map(|m| m.symbol.clone());
    let value = |s: &str| given.get(s).map(|m| m.given.value);
    if let Some(unit) = symbol.strip_prefix("out_") {
        let (l, _) = step
            .layers
            .iter()
            .enumerate()
            .find_map(|(l, us)| us.iter().position(|u| u.name == unit).map(|j| (l, j)))?;
        let act = net.model.activation(l);
        if !act.is_elementwise() {
            return None;
        }
        let x = crate::tensor::Tensor::<f64>::from_f64(&[value(unit)?], [1, 1]);
        return Some((act.apply_tensor(&x).item(), wrong(unit)?));
    }
    if let Some(param) = symbol.strip_prefix("dE/d")
        && let Some(p) = step.params.iter().find(|p| p.name == param)
    {
        let product: Option<f64> = p.factors.iter().map(|f| value(&f.symbol)).product();
        let first_wrong = p.factors.iter().find_map(|f| wrong(&f.symbol))?;
        return Some((product?, first_wrong));
    }
    if let Some(param) = symbol.strip_suffix('+')
        && let Some(p) = step.params.iter().find(|p| p.name == param)
    {
        let g = value(&format!("dE/d{param}"))?;
        return Some((crate::optim::descend(p.value, g, net.learning_rate), wrong(&format!("dE/d{param}"))?));
    }
    if symbol == "E" {
        let terms: Option<f64> = (1..=step.error_terms.len()).map(|k| value(&format!("E{k}"))).sum();
        let first = (1..=step.error_terms.len()).find_map(|k| wrong(&format!("E{k}")))?;
        return Some((terms?, first));
    }
    if symbol == "E+" {
        let mut next = net.clone();
        let mut first = None;
        for p in &step.params {
            let (l, j, i) = p.at;
            let v = value(&format!("{}+", p.name)).unwrap_or(p.updated);
            first = first.or_else(|| wrong(&format!("{}+", p.name)));
            match i {
                Some(i) => next.model.set_weight(l, j, i, v),
                None => next.model.set_bias(l, j, v),
            }
        }
        return Some((error_of(&next), first?));
    }
    None
}

/// Marks and diagnoses every answer.
pub fn check(net: &Network, answers: &[StepAnswers], max_steps: usize) -> Result<Vec<Checked>> {
    // Every step explained once: its values mark the answers, its start network feeds the
    // variants.
    let (steps, final_loss) = starts(net, last_step(answers, max_steps)?);
    let explained: Vec<Step> = steps.iter().map(|(_, s)| s.clone()).collect();
    let marks = mark_against(&expected_of(&explained, final_loss), answers)?;
    let mut out = vec![];
    for (n, (start, step)) in steps.iter().enumerate() {
        let here: Vec<&Mark> = marks.iter().filter(|m| m.step == n + 1).collect();
        if here.is_empty() {
            continue;
        }
        let given: BTreeMap<String, &Mark> = here.iter().map(|m| (m.symbol.clone(), *m)).collect();
        let catalogue: Vec<Mistake> = if here.iter().any(|m| !m.correct) { variants(start, step) } else { vec![] };
        for m in here {
            let mut checked = Checked { mark: m.clone(), carried_from: None, mistakes: vec![] };
            if !m.correct {
                if let Some((v, from)) = from_learners_inputs(start, step, &m.symbol, &given)
                    && m.given.matches(v)
                {
                    checked.carried_from = Some(from);
                }
                // A carried answer is right for the learner's own earlier value: no new mistake.
                for mistake in catalogue.iter().filter(|_| checked.carried_from.is_none()) {
                    if let Some(&v) = mistake.values.get(&m.symbol)
                        && m.given.matches(v)
                        && !checked.mistakes.iter().any(|(id, _, _)| id == mistake.id)
                    {
                        checked.mistakes.push((mistake.id.to_string(), mistake.explanation.clone(), v));
                    }
                }
            }
            out.push(checked);
        }
    }
    Ok(out)
}

/// The marks as text: the learner's value beside the engine's, ✓/✗, the diagnosis.
pub fn text(checked: &[Checked]) -> String {
    let mut out = String::new();
    let mut step = 0;
    for c in checked {
        if c.mark.step != step {
            step = c.mark.step;
            out.push_str(&format!("Step {step}\n"));
        }
        let m = &c.mark;
        let tick = if m.correct { "✓" } else { "✗" };
        out.push_str(&format!("  {tick} {} = {}   (engine: {})\n", m.symbol, m.given, num(m.expected)));
        if m.correct {
            continue;
        }
        if let Some(from) = &c.carried_from {
            out.push_str(&format!("      follows from your {from}: right for the value you used there\n"));
        }
        for (id, explanation, value) in &c.mistakes {
            out.push_str(&format!("      {id} (gives {}): {explanation}\n", num(*value)));
        }
        if c.carried_from.is_none() && c.mistakes.is_empty() {
            out.push_str("      no known mistake gives this value; the engine's value is above, and `backprop explain` shows its chain\n");
        }
    }
    let right = checked.iter().filter(|c| c.mark.correct).count();
    let carried = checked.iter().filter(|c| c.carried_from.is_some()).count();
    out.push_str(&format!(
        "{right} of {} right; {} wrong, {carried} of them carried from an earlier answer\n",
        checked.len(),
        checked.len() - right
    ));
    out
}

/// The marks as JSON: `{"answers": [{"symbol", "step", "given", "expected", "correct",
/// "carried_from", "mistakes": [{"id", "explanation", "value"}]}], "summary": {…}}`.
pub fn json(checked: &[Checked]) -> Value {
    let answers: Vec<Value> = checked
        .iter()
        .map(|c| {
            let mistakes: Vec<Value> =
                c.mistakes.iter().map(|(id, e, v)| json!({"id": id, "explanation": e, "value": v})).collect();
            json!({"step": c.mark.step, "symbol": c.mark.symbol, "given": c.mark.given.text,
                   "expected": c.mark.expected, "correct": c.mark.correct,
                   "carried_from": c.carried_from, "mistakes": mistakes})
        })
        .collect();
    let right = checked.iter().filter(|c| c.mark.correct).count();
    let carried = checked.iter().filter(|c| c.carried_from.is_some()).count();
    json!({"answers": answers, "summary": {"answers": checked.len(), "right": right, "wrong": checked.len() - right, "carried": carried}})
}
