//! The `backprop` command line: clap arguments turned into library calls, one file per
//! subcommand. Every user error is one line on stderr and exit code 1 (clap's own usage errors
//! exit with 2); a panic would be a bug.

mod chain;
mod cv;
mod eval;
mod exercise;
mod explain;
mod export;
mod finite;
mod inspect;
mod lecture;
#[cfg(feature = "playground")]
mod playground;
mod predict;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "backprop",
    version,
    about = "Neural networks trained by backpropagation, with the chain rule in plain view",
    after_help = "Start with: backprop train --data data/digits.csv --out runs/digits"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Train(Box<train::TrainArgs>),
    Eval(eval::EvalArgs),
    Cv(Box<cv::CvArgs>),
    Predict(predict::PredictArgs),
    Inspect(inspect::InspectArgs),
    Explain(explain::ExplainArgs),
    Exercise(exercise::ExerciseArgs),
    Export(export::ExportArgs),
    Chain(chain::ChainArgs),
    Lecture(lecture::LectureArgs),
    #[cfg(feature = "playground")]
    Playground(playground::PlaygroundArgs),
}

/// Writes `text` to standard output. A closed pipe (`backprop predict … | head`) ends the
/// output quietly instead of failing.
pub(crate) fn emit(text: &str) -> crate::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(crate::Error::invalid(format!("cannot write to standard output: {e}")))
        }
        _ => Ok(()),
    }
}

/// Runs the command line; the exit code is non-zero on any error.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => train::run(*args),
        Command::Eval(args) => eval::run(args),
        Command::Cv(args) => cv::run(*args),
        Command::Predict(args) => predict::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Exercise(args) => exercise::run(args),
        Command::Export(args) => export::run(args),
        Command::Chain(args) => chain::run(args),
        Command::Lecture(args) => lecture::run(args),
        #[cfg(feature = "playground")]
        Command::Playground(args) => playground::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
