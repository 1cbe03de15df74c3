//! The command line: clap arguments turned into library calls. Until the full CLI lands, one
//! command trains the lecture's network and prints its error as it falls.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::lecture::Lecture;
use crate::tensor::Float;

#[derive(Parser)]
#[command(
    name = "backprop",
    version,
    about = "Neural networks trained by backpropagation, with the chain rule in plain view"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train the lecture's 2-2-2 sigmoid network and print its error per step.
    ///
    /// Example: backprop lecture --steps 10000 --every 1000
    Lecture {
        /// Number of gradient-descent steps (η = 0.5, biases fixed, as in the lecture).
        #[arg(long, default_value_t = 10_000)]
        steps: usize,
        /// Print the error every this many steps (the first five steps are always printed).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
        every: u64,
        /// Train in f32 instead of f64.
        #[arg(long)]
        f32: bool,
    },
}

/// Runs the command line; the exit code is non-zero on any error.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Lecture { steps, every, f32 } => {
            if f32 {
                lecture::<f32>(steps, every as usize)
            } else {
                lecture::<f64>(steps, every as usize)
            }
        }
    }
    ExitCode::SUCCESS
}

fn lecture<T: Float>(steps: usize, every: usize) {
    let mut net = Lecture::<T>::new();
    println!("lecture network 2-2-2, sigmoid, E = Σ ½(T − out)², η = {}, {}", net.learning_rate, T::NAME);
    println!("{:>7}  {:>22}", "step", "error E");
    for step in 0..steps {
        let error = net.step();
        if step < 5 || step % every == 0 {
            println!("{step:>7}  {error:>22.17}");
        }
    }
    println!("{steps:>7}  {:>22.17}  (after the last update)", net.error());
}
