//! A learner's answers as written, and the marking rule. An answers file maps the symbols
//! `explain` prints (`"H1"`, `"out_y1"`, `"dE/dw5"`, `"w5+"`, `"E+"`) to numbers — one object
//! for the first step, or a list of objects with `"step"` for several. Each number is kept as
//! its literal (`0.500` has three decimals), read from the file's text, not from the parsed
//! float; a string holding a number is accepted too.

use std::fmt;
use std::path::Path;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{Error, Result};
use crate::present::Given;

/// One step's answers, in the file's order.
#[derive(Clone, Debug, PartialEq)]
pub struct StepAnswers {
    /// 1-based.
    pub step: usize,
    pub answers: Vec<(String, Given)>,
}

/// The entries of one JSON object in the file's order, each value kept as its raw text.
struct Entries(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Entries, D::Error> {
        struct Ordered;
        impl<'de> Visitor<'de> for Ordered {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object from symbols to numbers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Entries, A::Error> {
                let mut out = vec![];
                while let Some((k, v)) = map.next_entry::<String, Box<RawValue>>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(Ordered)
    }
}

/// Reads an answers file. Errors name the file and the field: a value that is not a number, a
/// `step` that is not a positive whole number, a step given twice, a malformed file.
pub fn read_answers(path: &Path) -> Result<Vec<StepAnswers>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_answers(&text, path)
}

/// Reads answers from JSON text; errors name `path` (a file, or what stands for one, such as
/// `answers` in a request) and the field.
pub fn parse_answers(text: &str, path: &Path) -> Result<Vec<StepAnswers>> {
    let malformed = |e: serde_json::Error| {
        Error::data(
            path,
            format!("line {}, column {}", e.line(), e.column()),
            format!("{e}; expected an object from symbols to numbers, or a list of such objects with \"step\""),
        )
    };
    let objects: Vec<Entries> = match text.trim_start().chars().next() {
        Some('[') => serde_json::from_str(text).map_err(malformed)?,
        _ => vec![serde_json::from_str(text).map_err(malformed)?],
    };
    let mut steps: Vec<StepAnswers> = vec![];
    for (i, Entries(entries)) in objects.into_iter().enumerate() {
        let mut step = if steps.is_empty() { 1 } else { steps.last().map_or(1, |s| s.step + 1) };
        let mut answers = vec![];
        for (symbol, raw) in entries {
            let literal = literal_of(raw.get());
            if symbol == "step" {
                step = literal.parse().ok().filter(|&s: &usize| s >= 1).ok_or_else(|| {
                    Error::data(path, format!("[{i}].step"), format!("{literal} is not a step number (1, 2, …)"))
                })?;
                continue;
            }
            let given = Given::parse(&literal)
                .ok_or_else(|| Error::data(path, format!("\"{symbol}\""), format!("{} is not a number", raw.get())))?;
            answers.push((symbol, given));
        }
        if steps.iter().any(|s| s.step == step) {
            return Err(Error::data(path, format!("[{i}].step"), format!("step {step} is given twice")));
        }
        steps.push(StepAnswers { step, answers });
    }
    if steps.iter().all(|s| s.answers.is_empty()) {
        // "0 of 0 right" would read as a pass.
        return Err(Error::data(
            path,
            "the answers",
            "there are none to mark; write symbols to numbers, e.g. {\"out_H1\": 0.5933}",
        ));
    }
    Ok(steps)
}

/// A raw JSON value's number text: a number's literal, or the inside of a string.
fn literal_of(raw: &str) -> String {
    let raw = raw.trim();
    match serde_json::from_str::<String>(raw) {
        Ok(inside) => inside,
        Err(_) => raw.to_string(),
    }
}

/// The known symbols closest to `symbol` (the fewest edits, at most 2): the "did you mean" of
/// an unknown symbol.
pub fn nearest<'a>(symbol: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let scored: Vec<(usize, &str)> = known.into_iter().map(|k| (distance(symbol, k), k)).collect();
    let best = scored.iter().map(|(d, _)| *d).min().unwrap_or(usize::MAX);
    if best > 2 {
        return vec![];
    }
    scored.into_iter().filter(|(d, _)| *d == best).map(|(_, k)| k).collect()
}

/// Levenshtein distance, by characters.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut prev = row[0];
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let next = (row[j] + 1).min(row[j - 1] + 1).min(prev + cost);
            prev = row[j];
            row[j] = next;
        }
    }
    row[b.len()]
}
