//! The engine's number for every symbol `explain` prints, step by step — what a learner's
//! answers are marked against: `H1`, `out_H1`, `y1`, `out_y1`, `E1`, `E`, each chain factor
//! (`dE/dout_y1`, `dout_y1/dy1`, `dy1/dw5`), each gradient (`dE/dw5`, `dE/db3`), each hidden
//! unit's path sum (`dE/dout_H1`), each updated parameter (`w5+`) and the error after the
//! update (`E+`). All of it read off `explain`'s steps, so off the engine's tape.

use super::answers::{StepAnswers, nearest};
use crate::error::{Error, Result};
use crate::network::{Network, Step};
use crate::present::Given;

/// The symbols of one step with the engine's values, in the order `explain` shows them.
#[derive(Clone, Debug, PartialEq)]
pub struct Expected {
    pub step: usize,
    pub values: Vec<(String, f64)>,
}

impl Expected {
    pub fn get(&self, symbol: &str) -> Option<f64> {
        self.values.iter().find(|(s, _)| s == symbol).map(|(_, v)| *v)
    }

    /// Adds a symbol's value the first time it is shown (a step shows some twice).
    pub(super) fn put(&mut self, symbol: String, value: f64) {
        if self.get(&symbol).is_none() {
            self.values.push((symbol, value));
        }
    }
}

/// The engine's values for steps 1 ..= `steps` of `net`.
pub fn expected(net: &Network, steps: usize) -> Vec<Expected> {
    let explained = crate::network::run(net, steps, steps, false);
    expected_of(&explained.steps, explained.final_loss)
}

/// The values of explained steps, `final_loss` being the error after the last one's update.
pub(super) fn expected_of(explained: &[Step], final_loss: f64) -> Vec<Expected> {
    let after: Vec<f64> = explained.iter().skip(1).map(|s| s.loss).chain(std::iter::once(final_loss)).collect();
    explained
        .iter()
        .zip(after)
        .map(|(s, error_after)| {
            let mut e = Expected { step: s.step, values: vec![] };
            let mut put = |symbol: String, value: f64| e.put(symbol, value);
            for u in s.layers.iter().flatten() {
                put(u.name.clone(), u.net);
                put(format!("out_{}", u.name), u.out);
            }
            for (k, &term) in s.error_terms.iter().enumerate() {
                put(format!("E{}", k + 1), term);
            }
            put("E".into(), s.loss);
            for p in &s.path_sums {
                put(format!("dE/d{}", p.unit), p.total);
            }
            for p in &s.params {
                for f in &p.factors {
                    put(f.symbol.clone(), f.value);
                }
                put(format!("dE/d{}", p.name), p.gradient);
                put(format!("{}+", p.name), p.updated);
            }
            put("E+".into(), error_after);
            e
        })
        .collect()
}

/// One answer marked.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub step: usize,
    pub symbol: String,
    pub given: Given,
    pub expected: f64,
    pub correct: bool,
}

/// Marks every answer against the engine (`answers` from [`super::read_answers`]). An unknown
/// symbol is an error naming the nearest known ones; a step beyond `max_steps` is refused.
pub fn mark(net: &Network, answers: &[StepAnswers], max_steps: usize) -> Result<Vec<Mark>> {
    mark_against(&expected(net, last_step(answers, max_steps)?), answers)
}

/// The last step the answers reach, refused beyond `max_steps`.
pub(super) fn last_step(answers: &[StepAnswers], max_steps: usize) -> Result<usize> {
    let last = answers.iter().map(|s| s.step).max().unwrap_or(1);
    if last > max_steps {
        return Err(Error::invalid(format!("step {last}: answers are marked for the first {max_steps} steps")));
    }
    Ok(last)
}

/// Marks every answer against the engine's values of every step they reach.
pub(super) fn mark_against(all: &[Expected], answers: &[StepAnswers]) -> Result<Vec<Mark>> {
    let mut marks = vec![];
    for step in answers {
        let engine = &all[step.step - 1];
        for (symbol, given) in &step.answers {
            let Some(value) = engine.get(symbol) else {
                let close = nearest(symbol, engine.values.iter().map(|(k, _)| k.as_str()));
                let hint =
                    if close.is_empty() { String::new() } else { format!("; did you mean {}?", close.join(" or ")) };
                return Err(Error::invalid(format!("step {}: no symbol {symbol:?} in this network{hint}", step.step)));
            };
            marks.push(Mark {
                step: step.step,
                symbol: symbol.clone(),
                given: given.clone(),
                expected: value,
                correct: given.matches(value),
            });
        }
    }
    Ok(marks)
}
