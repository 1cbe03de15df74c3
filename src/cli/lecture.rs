//! `backprop lecture`: trains the lecture's 2-2-2 network and prints its error as it falls.

use clap::Args;

use super::emit;
use crate::error::Result;
use crate::lecture::Lecture;
use crate::tensor::Float;

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
    if args.f32 { train::<f32>(args.steps, args.every as usize) } else { train::<f64>(args.steps, args.every as usize) }
}

fn train<T: Float>(steps: usize, every: usize) -> Result<()> {
    let mut net = Lecture::<T>::new();
    let mut out =
        format!("lecture network 2-2-2, sigmoid, E = Σ ½(T − out)², η = {}, {}\n", net.learning_rate, T::NAME);
    out.push_str(&format!("{:>7}  {:>22}\n", "step", "error E"));
    for step in 0..steps {
        let error = net.step();
        if step < 5 || step % every == 0 {
            out.push_str(&format!("{step:>7}  {error:>22.17}\n"));
        }
    }
    out.push_str(&format!("{steps:>7}  {:>22.17}  (after the last update)\n", net.error()));
    emit(&out)
}
