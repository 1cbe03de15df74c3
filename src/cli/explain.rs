//! `backprop explain`: the lecture's derivation for the lecture's network or the user's own.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::emit;
use crate::check::check_answers;
use crate::error::Result;
use crate::explain::explain;
use crate::io::write_atomic;
use crate::limits::Limits;
use crate::network::{AnyNetwork, Network};
use crate::present::Format;

/// Explain backpropagation step by step: every forward value, every gradient as its chain of
/// factors, every update — for the lecture's 2-2-2 network, or any small network in a JSON file:
///
///   { "inputs": [0.05, 0.10], "targets": [0.01, 0.99],
///     "layers": [ {"weights": [[0.15, 0.20], [0.25, 0.30]], "biases": [0.35, 0.35], "activation": "sigmoid"},
///                 {"weights": [[0.40, 0.45], [0.50, 0.55]], "biases": [0.60, 0.60], "activation": "sigmoid"} ],
///     "loss": "half-sse", "learning_rate": 0.5, "update_biases": false }
///
/// weights[j][i] runs from unit i of the layer below to unit j. Activations: those of
/// `train --activation`, and softmax (output, with cross-entropy). Losses: half-sse, mse,
/// cross-entropy (targets one-hot or a class index), bce.
///
/// Examples:
///   backprop explain
///   backprop explain my-network.json --steps 100 --verify
///   backprop explain --format html --out lecture.html
///   backprop explain --check my-answers.json
///   backprop explain --exercise 7 --check my-answers.json
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct ExplainArgs {
    /// The network file [default: the lecture's network].
    network: Option<PathBuf>,
    /// The network of `backprop exercise --seed SEED`'s sheet instead of a file.
    #[arg(long, value_name = "SEED", conflicts_with = "network")]
    exercise: Option<u64>,
    /// Training steps to run, at most 1,000,000 (the first three are written out in full).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=Limits::COMMAND_LINE.explain_steps as u64))]
    steps: u64,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Show each gradient's central finite-difference estimate beside it.
    #[arg(long)]
    verify: bool,
    /// Mark your own hand calculation: a JSON file from the symbols explain prints to your
    /// numbers ({"out_H1": 0.5933, "dE/dw5": 0.0822, "w5+": 0.3589, "E+": 0.2910}, or a list of
    /// {"step": n, ...} objects). A number is right when it is within one unit of its last
    /// written decimal of the engine's value (your rounding, plus rounding carried from earlier
    /// steps); each wrong one is traced to an earlier wrong answer of yours or to a known
    /// mistake. Steps up to 1,000. Text or JSON.
    #[arg(long, value_name = "ANSWERS.json")]
    check: Option<PathBuf>,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Section headings (the unindented lines) in bold, for a terminal.
fn bold_headings(text: &str) -> String {
    text.lines()
        .map(|l| if l.is_empty() || l.starts_with(' ') { format!("{l}\n") } else { format!("\x1b[1m{l}\x1b[0m\n") })
        .collect()
}

pub fn run(args: ExplainArgs) -> Result<()> {
    let network = match (&args.network, args.exercise) {
        (Some(path), _) => AnyNetwork::load(path)?,
        (None, Some(seed)) => AnyNetwork::Dense(crate::exercise::Exercise::new(seed).network),
        (None, None) => AnyNetwork::Dense(Network::lecture()),
    };
    let limits = &Limits::COMMAND_LINE;
    let page = match &args.check {
        Some(answers) => check_answers(&network, crate::check::read_answers(answers)?, args.format, limits)?,
        None => explain(&network, args.steps as usize, args.verify, args.format, limits)?,
    };
    write(&args, &page)
}

/// The page to `--out` (atomically) or standard output, headings in bold on a terminal.
fn write(args: &ExplainArgs, page: &str) -> Result<()> {
    match &args.out {
        Some(path) => write_atomic(path, page.as_bytes()),
        None if args.check.is_none() && args.format == Format::Text && std::io::stdout().is_terminal() => {
            emit(&bold_headings(page))
        }
        None => emit(page),
    }
}
