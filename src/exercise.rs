//! Exercise sheets a teacher hands out: the lecture's 2-2-2 sigmoid network with its numbers
//! drawn from a seed (two decimals each, as the slide's), so each learner's sheet differs and
//! the same seed gives the same sheet again. A sheet gives what a hand calculation starts from —
//! inputs, targets, every weight and bias, η and the loss — and a blank for every number of
//! one step in the lecture's notation; the key fills them from the engine (`check::expected`),
//! and `explain --exercise SEED --check` marks answers to it as it marks the lecture's.

use rand::Rng;
use serde::Serialize;

use crate::check::expected;
use crate::loss::Loss;
use crate::network::{LayerFile, Network, input_name, param_names, unit_name};
use crate::nn::Activation;
use crate::present::{Format, num};

/// One sheet: its seed and its network.
#[derive(Clone, Debug, PartialEq)]
pub struct Exercise {
    pub seed: u64,
    pub network: Network,
}

/// A number with two decimals in `[low, high]`, away from zero by at least 0.05 (a weight of
/// 0 would make half the sheet trivial).
fn two_decimals(rng: &mut crate::Rng, low: f64, high: f64) -> f64 {
    loop {
        let v = (rng.random_range(low..=high) * 100.0).round() / 100.0;
        if v.abs() >= 0.05 {
            return v;
        }
    }
}

impl Exercise {
    /// The sheet for `seed`: inputs in [0.05, 0.95], targets in [0.01, 0.99], weights in
    /// [−0.9, 0.9], one bias per layer in [0.1, 0.9] (shared by its units, as the lecture's
    /// .35 and .60), sigmoid, E = Σ ½(T − out)², η = 0.5, biases fixed.
    pub fn new(seed: u64) -> Exercise {
        let mut rng = crate::rng(seed ^ 0x6578_6572_6369_7365); // "exercise": apart from other seeded draws
        let mut draw = |low, high| two_decimals(&mut rng, low, high);
        let inputs = vec![draw(0.05, 0.95), draw(0.05, 0.95)];
        let targets = vec![draw(0.01, 0.99), draw(0.01, 0.99)];
        let layer = |draw: &mut dyn FnMut(f64, f64) -> f64| {
            let weights = vec![vec![draw(-0.9, 0.9), draw(-0.9, 0.9)], vec![draw(-0.9, 0.9), draw(-0.9, 0.9)]];
            let bias = draw(0.1, 0.9);
            LayerFile { weights, biases: vec![bias, bias], activation: Activation::Sigmoid }
        };
        let hidden = layer(&mut draw);
        let output = layer(&mut draw);
        let network = Network {
            inputs,
            targets,
            model: crate::network::Model::from_layers(&[hidden, output]),
            loss: Loss::HalfSse,
            learning_rate: 0.5,
            update_biases: false,
        };
        Exercise { seed, network }
    }

    /// Every number of the step, in the order `explain` derives them, with the engine's value.
    pub fn all_numbers(&self) -> Vec<(String, f64)> {
        expected(&self.network, 1).remove(0).values
    }

    /// The sheet's sections: (heading, its numbers with the engine's values), in the order a
    /// hand calculation goes — forward, the error, the output layer's weights (each with its
    /// chain and update), the hidden units' path sums, the hidden weights, the error after the
    /// update. The biases' gradients and updates are left out: this network holds them fixed.
    pub fn sections(&self) -> Vec<(String, Vec<(String, f64)>)> {
        let net = &self.network;
        let (wnames, _) = param_names(net);
        let last = net.model.depth() - 1;
        let hidden_units: Vec<String> =
            (0..last).flat_map(|l| (0..net.model.units(l)).map(move |j| unit_name(net, l, j))).collect();
        let mut forward = vec![];
        let mut error = vec![];
        let mut path_sums = vec![];
        let mut after = vec![];
        // Each parameter's chain: explain lists its factors, its gradient, then its update.
        let mut chains: Vec<(String, Vec<(String, f64)>)> = vec![];
        let mut current = vec![];
        for (symbol, v) in self.all_numbers() {
            if symbol == "E+" {
                after.push((symbol, v));
            } else if let Some(param) = symbol.strip_suffix('+') {
                let param = param.to_string();
                current.push((symbol, v));
                chains.push((param, std::mem::take(&mut current)));
            } else if hidden_units.iter().any(|u| symbol == format!("dE/dout_{u}")) {
                path_sums.push((symbol, v));
            } else if symbol.contains('/') {
                current.push((symbol, v));
            } else if symbol.starts_with('E') {
                error.push((symbol, v));
            } else {
                forward.push((symbol, v));
            }
        }
        let layer_of = |param: &str| wnames.iter().position(|l| l.iter().flatten().any(|w| w == param));
        let weights_of = |layer: usize| -> Vec<(String, f64)> {
            chains.iter().filter(|(p, _)| layer_of(p) == Some(layer)).flat_map(|(_, c)| c.clone()).collect()
        };
        let biases: Vec<(String, f64)> = if net.update_biases {
            chains.iter().filter(|(p, _)| layer_of(p).is_none()).flat_map(|(_, c)| c.clone()).collect()
        } else {
            vec![]
        };
        let mut out = vec![
            ("The forward pass".to_string(), forward),
            ("The error".to_string(), error),
            ("The output layer: each weight's chain, gradient and update".to_string(), weights_of(last)),
        ];
        if last > 0 {
            out.push(("The hidden units' ∂E/∂out: the sum over the paths".to_string(), path_sums));
            for l in (0..last).rev() {
                out.push(("The hidden layer: each weight's chain, gradient and update".to_string(), weights_of(l)));
            }
        }
        if !biases.is_empty() {
            out.push(("The biases".to_string(), biases));
        }
        out.push(("The error after the update".to_string(), after));
        out
    }

    /// The answer key: every blank of the sheet with the engine's value.
    pub fn key(&self) -> Vec<(String, f64)> {
        self.sections().into_iter().flat_map(|(_, numbers)| numbers).collect()
    }

    /// The givens: (symbol, value, what it is), in the lecture's notation.
    pub fn givens(&self) -> Vec<(String, f64, String)> {
        let net = &self.network;
        let mut out = vec![];
        for (i, &x) in net.inputs.iter().enumerate() {
            out.push((format!("x{}", i + 1), x, "input".to_string()));
        }
        for (k, &t) in net.targets.iter().enumerate() {
            out.push((format!("T{}", k + 1), t, format!("target of out_y{}", k + 1)));
        }
        let (wnames, bnames) = param_names(net);
        for l in 0..net.model.depth() {
            for j in 0..net.model.units(l) {
                let unit = unit_name(net, l, j);
                for (i, name) in wnames[l][j].iter().enumerate() {
                    let from = input_name(net, l, i);
                    out.push((name.clone(), net.model.weight(l, j, i), format!("{from} → {unit}")));
                }
                out.push((bnames[l][j].clone(), net.model.bias(l, j), format!("bias of {unit} (fixed)")));
            }
        }
        out.push(("η".into(), net.learning_rate, "learning rate".into()));
        out
    }

    /// The sheet: the givens and a blank for every number (`key`: the numbers filled in).
    /// Text, Markdown or JSON; JSON has the network file, so scripts can grade by `explain`.
    pub fn sheet(&self, format: Format, key: bool) -> crate::Result<String> {
        let answers = self.key();
        let value = |v: f64| if key { num(v) } else { "________".to_string() };
        let title = format!("Backpropagation by hand — exercise {}", self.seed);
        let how = format!(
            "One step of gradient descent on a 2-2-2 network, sigmoid everywhere, E = Σ ½(T − out)², \
             w ← w − η·∂E/∂w for every weight (the biases stay fixed). Write your numbers to four \
             decimals or more; mark them with `backprop explain --exercise {} --check answers.json` \
             (answers.json: {{\"H1\": 0.3775, \"dE/dw5\": 0.0822, …}}), or open the exercise in the \
             playground at #exercise={}.",
            self.seed, self.seed
        );
        match format {
            Format::Json => {
                #[derive(Serialize)]
                struct Sheet<'a> {
                    seed: u64,
                    network: crate::network::NetworkFile,
                    blanks: Vec<&'a str>,
                    #[serde(skip_serializing_if = "Option::is_none")]
                    key: Option<serde_json::Map<String, serde_json::Value>>,
                }
                let sheet = Sheet {
                    seed: self.seed,
                    network: self.network.file(),
                    blanks: answers.iter().map(|(s, _)| s.as_str()).collect(),
                    key: key.then(|| answers.iter().map(|(s, v)| (s.clone(), serde_json::json!(v))).collect()),
                };
                Ok(serde_json::to_string_pretty(&sheet).expect("a sheet serialises") + "\n")
            }
            Format::Text | Format::Markdown => {
                let md = format == Format::Markdown;
                let mut out = if md {
                    format!("# {title}\n\n{how}\n\n## Given\n\n")
                } else {
                    format!("{title}\n\n{how}\n\nGiven\n")
                };
                for (symbol, v, what) in self.givens() {
                    out.push_str(&if md {
                        format!("- {symbol} = {} ({what})\n", num(v))
                    } else {
                        format!("  {symbol:<4} = {:<6}  {what}\n", num(v))
                    });
                }
                for (heading, numbers) in self.sections() {
                    out.push_str(&if md { format!("\n## {heading}\n\n") } else { format!("\n{heading}\n") });
                    for (symbol, v) in numbers {
                        out.push_str(&if md {
                            format!("- {symbol} = {}\n", value(v))
                        } else {
                            format!("  {symbol:<14} = {}\n", value(v))
                        });
                    }
                }
                Ok(out)
            }
            other => Err(crate::Error::invalid(format!(
                "--format {}: an exercise sheet is text, markdown or json",
                <&str>::from(other)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_sheet_and_another_seed_another() {
        assert_eq!(Exercise::new(7), Exercise::new(7));
        assert_ne!(Exercise::new(7).network, Exercise::new(8).network);
        let givens = Exercise::new(7).givens();
        assert_eq!(givens.len(), 2 + 2 + 8 + 4 + 1);
        assert!(givens.iter().all(|(_, v, _)| (v * 100.0 - (v * 100.0).round()).abs() < 1e-9), "two decimals each");
    }
}
