//! "Check my work" for a convolutional network: a learner's numbers for the symbols `explain`
//! prints (`C11`, `out_C11`, `P11`, `dE/dk11`, `dE/dx23`, `k11+`, `E+`) marked against the
//! engine's, and each wrong one matched against the mistakes a learner makes with a
//! convolution, each recomputed from the step's own taps and values: the input's gradient with
//! the kernel not flipped, a kernel weight's (or bias's) sum with one position left out, and a
//! max pool's gradient sent to every element of the window instead of its maximum.

use std::collections::BTreeMap;

use super::network::{Expected, last_step, mark_against};
use super::report::diagnose;
use super::{Mistake, StepAnswers, json, text};
use crate::error::Result;
use crate::limits::Limits;
use crate::network::conv::{ConvNetwork, ConvStep, ConvTrace, Part, Rule, step};
use crate::optim::descend;
use crate::present::Format;

/// Every answer marked and diagnosed, as text or JSON.
pub fn answer(net: &ConvNetwork, answers: &[StepAnswers], format: Format, limits: &Limits) -> Result<String> {
    super::CheckRequest::takes(format)?;
    let last = last_step(answers, limits.check_steps)?;
    let mut current = net.clone();
    let mut steps = vec![];
    for s in 1..=last {
        let (explained, next) = step(&current, s, false);
        steps.push((current, explained));
        current = next;
    }
    let marks = mark_against(&expected(&steps, current.error()), answers)?;
    let checked = diagnose(&marks, steps.len(), |n| variants(&steps[n].0, &steps[n].1), |_, _, _| None);
    Ok(match format {
        Format::Json => format!("{:#}\n", json(&checked)),
        _ => text(&checked),
    })
}

/// The engine's value of every symbol of each step, in the order explain prints them.
fn expected(steps: &[(ConvNetwork, ConvStep)], final_loss: f64) -> Vec<Expected> {
    let after: Vec<f64> = steps.iter().skip(1).map(|(_, s)| s.loss).chain([final_loss]).collect();
    steps
        .iter()
        .zip(after)
        .map(|((_, s), error_after)| {
            let mut e = Expected { step: s.step, values: vec![] };
            let mut put = |symbol: String, value: f64| e.put(symbol, value);
            s.forward.iter().flat_map(|sec| &sec.lines).for_each(|l| put(l.symbol.clone(), l.value));
            for (k, &term) in s.error_terms.iter().enumerate() {
                put(format!("E{}", k + 1), term);
            }
            put("E".into(), s.loss);
            s.backward.iter().flat_map(|sec| &sec.lines).for_each(|l| put(l.symbol.clone(), l.value));
            for u in &s.updates {
                put(format!("{}+", u.name), u.updated);
            }
            put("E+".into(), error_after);
            e
        })
        .collect()
}

/// The catalogue for one step of `net`.
fn variants(net: &ConvNetwork, step: &ConvStep) -> Vec<Mistake> {
    let eta = net.learning_rate;
    let update = |name: &str, g: f64| -> Option<(String, f64)> {
        let u = step.updates.iter().find(|u| u.name == name)?;
        (!u.fixed).then(|| (format!("{name}+"), descend(u.value, g, eta)))
    };
    let mut out = vec![];
    for trace in &step.traces {
        out.push(Mistake {
            id: "kernel-not-flipped",
            slip: "the input's gradient",
            explanation:
                "the input's gradient is the full convolution of dE/dC with the kernel flipped (rotated 180°): \
                          dE/dx_rc = Σ_uv dE/dC_((r,c)−(u,v))·k_uv; sliding the kernel unflipped, as in the forward \
                          pass, pairs each dE/dC with the opposite weight"
                    .into(),
            values: unflipped(trace),
        });
        if let Some(pool) = trace.pool.as_ref().filter(|p| p.max) {
            let mut de_dout = vec![0.0; trace.output_names.len()];
            for (w, window) in pool.windows.iter().enumerate() {
                window.iter().for_each(|&e| de_dout[e] += pool.de_dout[w]);
            }
            let de_dnet: Vec<f64> = de_dout.iter().zip(&trace.local).map(|(d, l)| d * l).collect();
            let mut values: BTreeMap<String, f64> = BTreeMap::new();
            for (e, name) in pool.input_names.iter().enumerate() {
                values.insert(format!("dE/d{name}"), de_dout[e]);
                values.insert(format!("dE/d{}", trace.output_names[e]), de_dnet[e]);
            }
            for (name, g) in parameter_gradients(trace, &de_dnet) {
                values.extend(update(&name, g));
                values.insert(format!("dE/d{name}"), g);
            }
            for (p, g) in input_gradients(trace, &de_dnet, |w| w).into_iter().enumerate() {
                values.insert(format!("dE/d{}", trace.input_names[p]), g);
            }
            out.push(Mistake {
                id: "routed-to-every-element",
                slip: "the max pool's routing",
                explanation: "a max pool passes its gradient to the one element that was the maximum (the first, on a \
                              tie); the others did not change the output, so their gradient is 0"
                    .into(),
                values,
            });
        }
    }
    // A sum of a kernel weight's or bias's gradient with one position left out.
    for section in step.backward.iter().filter(|s| matches!(s.part, Part::KernelGradients | Part::BiasGradients)) {
        for line in &section.lines {
            let Rule::Sum { terms, .. } = &line.rule else { continue };
            let name = line.symbol.trim_start_matches("dE/d");
            for t in terms {
                let term = t.left_value * t.right.as_ref().map_or(1.0, |r| r.1);
                let g = line.value - term;
                let mut values: BTreeMap<String, f64> = [(line.symbol.clone(), g)].into();
                values.extend(update(name, g));
                out.push(Mistake {
                    id: "position-left-out",
                    slip: "a kernel gradient's sum",
                    explanation: format!(
                        "{} sums over every position the weight touched; the term {}{} is missing",
                        line.symbol,
                        t.left,
                        t.right.as_ref().map_or(String::new(), |r| format!("·{}", r.0))
                    ),
                    values,
                });
            }
        }
    }
    out
}

/// The input's gradient computed with the kernel not flipped: each dE/dC paired with the
/// weight opposite the one that touched the pixel.
fn unflipped(trace: &ConvTrace) -> BTreeMap<String, f64> {
    let k = trace.kernel_side;
    let flip = |w: usize| {
        let (base, u, v) = (w - w % (k * k), (w % (k * k)) / k, w % k);
        base + (k - 1 - u) * k + (k - 1 - v)
    };
    input_gradients(trace, &trace.de_dnet, flip)
        .into_iter()
        .enumerate()
        .map(|(p, g)| (format!("dE/d{}", trace.input_names[p]), g))
        .collect()
}

/// dE/dx from `de_dnet`, each tap's weight chosen by `weight_of`.
fn input_gradients(trace: &ConvTrace, de_dnet: &[f64], weight_of: impl Fn(usize) -> usize) -> Vec<f64> {
    let mut g = vec![0.0; trace.input_names.len()];
    for t in &trace.taps {
        g[t.input] += de_dnet[t.out] * trace.kernel[weight_of(t.weight)];
    }
    g
}

/// Every kernel weight's and bias's gradient from `de_dnet`: (name, gradient).
fn parameter_gradients(trace: &ConvTrace, de_dnet: &[f64]) -> Vec<(String, f64)> {
    let mut gw = vec![0.0; trace.kernel.len()];
    for t in &trace.taps {
        gw[t.weight] += de_dnet[t.out] * trace.inputs[t.input];
    }
    let per_filter = trace.output_names.len() / trace.bias_names.len();
    let gb = de_dnet.chunks(per_filter).map(|c| c.iter().sum::<f64>());
    trace.kernel_names.iter().cloned().zip(gw).chain(trace.bias_names.iter().cloned().zip(gb)).collect()
}
