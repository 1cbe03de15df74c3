//! `backprop playground`: the local web server for the browser playground.

use std::net::IpAddr;

use clap::Args;

use crate::error::Result;

/// Backpropagation in the browser: TensorFlow Playground's controls, every gradient one click
/// away (its chain of factors with the numbers), backprop mode step by step, the lecture's
/// network, the chain-rule calculator and "check my work". The page is built into the binary
/// and works offline; every number on it is computed here, by the engine `train` uses.
///
/// Examples:
///   backprop playground
///   backprop playground --port 8080 --open
#[derive(Args)]
#[command(verbatim_doc_comment)]
pub struct PlaygroundArgs {
    /// The port (0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// The address to listen on. Anything but a loopback address lets other machines in, and
    /// the playground has no authentication.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Open the page in a browser.
    #[arg(long)]
    open: bool,
}

pub fn run(args: PlaygroundArgs) -> Result<()> {
    crate::server::run(args.host, args.port, args.open, |url| {
        super::emit(&format!("backprop playground: {url}  (Ctrl-C stops it)\n"))
    })
}
