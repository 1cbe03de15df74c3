//! `backprop exercise`: an exercise sheet for one learner, from a seed.

use std::path::PathBuf;

use clap::Args;

use super::emit;
use crate::error::Result;
use crate::exercise::Exercise;
use crate::io::write_atomic;
use crate::present::Format;

/// An exercise sheet to hand out: the lecture's 2-2-2 network with numbers drawn from SEED
/// (each learner's seed gives them their own sheet, and the same sheet again), the numbers a
/// hand calculation starts from and a blank for every number of one step, in the lecture's
/// notation. `--key` fills the blanks. Answers are marked with
/// `backprop explain --exercise SEED --check answers.json`, and the playground opens the
/// exercise at `#exercise=SEED`.
///
/// Examples:
///   backprop exercise --seed 7 --format markdown --out sheet-7.md
///   backprop exercise --seed 7 --key
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct ExerciseArgs {
    /// Which sheet (any number; a learner's number, a date).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The answer key: the blanks filled with the engine's numbers.
    #[arg(long)]
    key: bool,
    /// text, markdown or json (the network file, the blanks, and with --key the key).
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn run(args: ExerciseArgs) -> Result<()> {
    let sheet = Exercise::new(args.seed).sheet(args.format, args.key)?;
    match &args.out {
        Some(path) => write_atomic(path, sheet.as_bytes()),
        None => emit(&sheet),
    }
}
