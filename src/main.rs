//! The `backprop` command: parses arguments and hands over to [`backprop::cli`].

fn main() -> std::process::ExitCode {
    backprop::cli::run()
}
