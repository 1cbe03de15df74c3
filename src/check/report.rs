//! Marking a learner's answers for a network, with the diagnosis: each wrong answer either
//! follows from an earlier wrong answer of theirs (carried), or is reproduced by mistakes of
//! the catalogue (named by id), or neither — said plainly, with the engine's value. Mistakes
//! that give the same wrong value are weighed against the learner's other answers: one that
//! would have made a right answer wrong is dropped (kept, saying so, only when every one
//! would), the rest are ranked by how many of the other answers they agree with (the right
//! ones they leave right, the wrong ones they also give), and a line says why ("your dE/dw5 is
//! right, so the slip is in the update").

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
    /// The mistakes that give the learner's value, the likeliest first.
    pub mistakes: Vec<Diagnosis>,
    /// Why the first is the likeliest, in one line, when the other answers decided it.
    pub why: Option<String>,
}

/// A mistake of the catalogue that gives a wrong answer, weighed against the others.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnosis {
    pub id: String,
    pub explanation: String,
    /// The value it gives for the answer.
    pub value: f64,
    /// How many of the learner's other answers (this step) it agrees with: the right ones it
    /// leaves right and the wrong ones it also gives.
    pub agrees: usize,
    /// The learner's other wrong answers (this step) it also gives.
    pub also_gives: Vec<String>,
    /// A right answer of the learner's that this mistake would have made wrong.
    pub ruled_out_by: Option<String>,
    slip: &'static str,
}

/// `mistake` weighed against the learner's answers of its step other than `symbol`.
fn weigh(mistake: &Mistake, symbol: &str, value: f64, given: &BTreeMap<String, &Mark>) -> Diagnosis {
    let mut also_gives = vec![];
    let mut ruled_out_by = None;
    let mut agrees = 0;
    for (other, m) in given.iter().filter(|(s, _)| s.as_str() != symbol) {
        // What the mistake gives for the other answer (the engine's value where it changes nothing).
        let gives = mistake.values.get(other).copied().unwrap_or(m.expected);
        if m.given.matches(gives) {
            agrees += 1;
            if !m.correct {
                also_gives.push(other.clone());
            }
        } else if m.correct {
            ruled_out_by.get_or_insert_with(|| other.clone());
        }
    }
    Diagnosis {
        id: mistake.id.to_string(),
        explanation: mistake.explanation.clone(),
        value,
        agrees,
        also_gives,
        ruled_out_by,
        slip: mistake.slip,
    }
}

/// The diagnoses of one wrong answer, likeliest first, and the line that says why.
fn rank(mut found: Vec<Diagnosis>) -> (Vec<Diagnosis>, Option<String>) {
    let fits = |d: &Diagnosis| d.ruled_out_by.is_none();
    // The one agreeing with most of the other answers first; the catalogue's order among equals.
    found.sort_by_key(|d| std::cmp::Reverse(d.agrees));
    let Some(best) = found.iter().find(|d| fits(d)).cloned() else {
        let why = (!found.is_empty()).then(|| {
            "no known mistake fits all your answers (each below would have made a right one wrong); \
             the first fits the most of them"
                .to_string()
        });
        return (found, why);
    };
    let dropped = found.iter().find(|d| !fits(d)).cloned();
    found.retain(fits);
    let why = match dropped {
        Some(d) => Some(format!(
            "your {} is right, so the slip is in {}",
            d.ruled_out_by.as_deref().unwrap_or_default(),
            best.slip
        )),
        None if !best.also_gives.is_empty() && found.len() > 1 => {
            Some(format!("{} also gives your {}", best.id, best.also_gives.join(" and ")))
        }
        None => None,
    };
    (found, why)
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
    Ok(diagnose(
        &marks,
        steps.len(),
        |n| variants(&steps[n].0, &steps[n].1),
        |n, symbol, given| from_learners_inputs(&steps[n].0, &steps[n].1, symbol, given),
    ))
}

/// The learner's answer of one step, by symbol.
pub(super) type Given<'a> = BTreeMap<String, &'a Mark>;

/// Each mark of steps 1 ..= `steps` diagnosed: a wrong one is carried from the learner's own
/// earlier answers (`carried(step index, symbol, their answers)` gives the value those make and
/// the first wrong one), or matched against `catalogue(step index)`'s mistakes, weighed and
/// ranked. For any network whose steps give marks and a catalogue.
pub(super) fn diagnose(
    marks: &[Mark],
    steps: usize,
    catalogue: impl Fn(usize) -> Vec<Mistake>,
    carried: impl Fn(usize, &str, &Given) -> Option<(f64, String)>,
) -> Vec<Checked> {
    let mut out = vec![];
    for n in 0..steps {
        let here: Vec<&Mark> = marks.iter().filter(|m| m.step == n + 1).collect();
        if here.is_empty() {
            continue;
        }
        let given: Given = here.iter().map(|m| (m.symbol.clone(), *m)).collect();
        let catalogue: Vec<Mistake> = if here.iter().any(|m| !m.correct) { catalogue(n) } else { vec![] };
        for m in here {
            let mut checked = Checked { mark: m.clone(), carried_from: None, mistakes: vec![], why: None };
            if !m.correct {
                if let Some((v, from)) = carried(n, &m.symbol, &given)
                    && m.given.matches(v)
                {
                    checked.carried_from = Some(from);
                }
                // A carried answer is right for the learner's own earlier value: no new mistake.
                let mut found: Vec<Diagnosis> = vec![];
                for mistake in catalogue.iter().filter(|_| checked.carried_from.is_none()) {
                    if let Some(&v) = mistake.values.get(&m.symbol)
                        && m.given.matches(v)
                    {
                        let d = weigh(mistake, &m.symbol, v, &given);
                        // One entry per id: its variant that fits the other answers best.
                        let score = |d: &Diagnosis| (d.ruled_out_by.is_none(), d.agrees);
                        match found.iter_mut().find(|f| f.id == d.id) {
                            Some(f) if score(&d) > score(f) => *f = d,
                            Some(_) => {}
                            None => found.push(d),
                        }
                    }
                }
                (checked.mistakes, checked.why) = rank(found);
            }
            out.push(checked);
        }
    }
    out
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
        for d in &c.mistakes {
            let unlikely = d.ruled_out_by.as_ref().map(|s| format!(", though your {s} is right")).unwrap_or_default();
            out.push_str(&format!("      {} (gives {}{unlikely}): {}\n", d.id, num(d.value), d.explanation));
        }
        if let Some(why) = &c.why {
            out.push_str(&format!("      why: {why}\n"));
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
/// "carried_from", "mistakes": [{"id", "explanation", "value", "agrees", "also_gives",
/// "ruled_out_by"}],
/// "why"}], "summary": {…}}`.
pub fn json(checked: &[Checked]) -> Value {
    let answers: Vec<Value> = checked
        .iter()
        .map(|c| {
            let mistakes: Vec<Value> = c
                .mistakes
                .iter()
                .map(|d| {
                    json!({"id": d.id, "explanation": d.explanation, "value": d.value, "agrees": d.agrees,
                           "also_gives": d.also_gives, "ruled_out_by": d.ruled_out_by})
                })
                .collect();
            json!({"step": c.mark.step, "symbol": c.mark.symbol, "given": c.mark.given.text,
                   "expected": c.mark.expected, "correct": c.mark.correct,
                   "carried_from": c.carried_from, "mistakes": mistakes, "why": c.why})
        })
        .collect();
    let right = checked.iter().filter(|c| c.mark.correct).count();
    let carried = checked.iter().filter(|c| c.carried_from.is_some()).count();
    json!({"answers": answers, "summary": {"answers": checked.len(), "right": right, "wrong": checked.len() - right, "carried": carried}})
}
