//! `backprop lecture`: trains the lecture's 2-2-2 network and prints its error as it falls.

use clap::Args;

use super::emit;
use crate::error::Result;
use crate::lecture::ErrorCurve;
use crate::present::Format;

/// Train the lecture's 2-2-2 sigmoid network and print its error per step.
///
/// Example: backprop lecture --steps 10000 --every 1000
#[derive(Args)]
pub struct LectureArgs {
    /// Number of gradient-descent steps (η = 0.5, biases fixed, as in the lecture).
    #[arg(long, default_value_t = 10_000)]
    steps: usize,
    /// Print the error every this many steps (the first five steps are always printed).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    every: u64,
    /// Train in f32 instead of f64.
    #[arg(long)]
    f32: bool,
}

pub fn run(args: LectureArgs) -> Result<()> {
    let (steps, every) = (args.steps, args.every as usize);
    let curve = if args.f32 { ErrorCurve::run::<f32>(steps, every) } else { ErrorCurve::run::<f64>(steps, every) };
    emit(&curve.render(Format::Text)?)
}
