//! `backprop playground`: the local web server for the browser playground.

use std::net::IpAddr;
use std::time::Duration;

use clap::Args;

use crate::error::Result;
use crate::server::{Access, Capacity, Options};

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
    /// The address to listen on. On anything but a loopback address the playground needs a
    /// token: one is made at start and printed in the address to open (as Jupyter does).
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Use this token instead of a random one (also on loopback).
    #[arg(long, value_name = "TOKEN", conflicts_with = "no_token")]
    token: Option<String>,
    /// No token beyond loopback: anyone who can reach the port can drive every session.
    #[arg(long)]
    no_token: bool,
    /// The most sessions (learners' tabs) kept at once.
    #[arg(long, value_name = "N", default_value_t = Capacity::MAX_SESSIONS)]
    max_sessions: usize,
    /// The memory all sessions together may hold, in MiB [default: an eighth of the machine's, at least 256].
    #[arg(long, value_name = "MIB")]
    session_memory: Option<usize>,
    /// Minutes unused after which a session is freed.
    #[arg(long, value_name = "MINUTES", default_value_t = 30)]
    idle_minutes: u64,
    /// Open the page in a browser.
    #[arg(long)]
    open: bool,
}

pub fn run(args: PlaygroundArgs) -> Result<()> {
    let default = Capacity::for_this_machine();
    let capacity = Capacity {
        memory: args.session_memory.map_or(default.memory, |mib| mib.saturating_mul(1 << 20)),
        max_sessions: args.max_sessions,
        idle: Duration::from_secs(args.idle_minutes.saturating_mul(60)),
    };
    let options = Options { access: Access::for_bind(args.host, args.token, args.no_token), capacity };
    crate::server::run(args.host, args.port, args.open, options, |url| {
        super::emit(&format!("backprop playground: {url}  (Ctrl-C stops it)\n"))
    })
}
