//! A classroom on one `backprop playground` (issue 34), loopback, on this machine's cores:
//!
//! - **lesson**: 200 learners each create a session on the default setup, then step one epoch
//!   at a time, 20 steps each, as fast as the answers come: errors, p50/p99 latency, the
//!   server's memory;
//! - **lesson with players**: the same while 50 more pages play at 100 epochs a request;
//! - **soak** (`--soak-minutes`, 10 by default; 0 skips it): 50 learners come and go doing
//!   everything a page does (create, step 1 or 20 epochs, edit, gradient, explain, pause,
//!   leave) for that long: errors, latencies, and the server's memory at the start, at the
//!   peak and at the end, once every session has been freed.
//!
//! Run: `cargo bench --bench classroom -- [--learners 200] [--steps 20] [--players 50]
//! [--soak-minutes 10] [--binary PATH]`. The learners' threads share the cores with the server, as a test
//! client on the same machine must.

#[path = "load/mod.rs"]
mod load;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use load::{Server, Tally};

#[derive(Parser)]
struct Options {
    #[arg(long, default_value_t = 200)]
    learners: usize,
    #[arg(long, default_value_t = 20)]
    steps: usize,
    #[arg(long, default_value_t = 50)]
    players: usize,
    #[arg(long, default_value_t = 100)]
    player_epochs: usize,
    #[arg(long, default_value_t = 10.0)]
    soak_minutes: f64,
    /// Another `backprop` binary to serve (an earlier build, for a before/after ratio).
    #[arg(long, value_name = "PATH")]
    binary: Option<PathBuf>,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

fn report(what: &str, tally: &Tally, server: &Server) {
    let row = |kind: &str, t: &load::Timings| {
        if t.len() > 0 {
            println!(
                "{what:<22} {kind:<8} {:>7} requests  p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms",
                t.len(),
                t.percentile(50.0),
                t.percentile(99.0),
                t.percentile(100.0)
            );
        }
    };
    row("1 epoch", &tally.single);
    row("many", &tally.heavy);
    row("other", &tally.other);
    println!("{what:<22} errors {}  server {:.1} MiB", tally.errors.len(), mib(server.resident()));
    for e in tally.errors.iter().take(5) {
        println!("    {e}");
    }
}

fn main() {
    let o = Options::parse();
    let binary = o.binary.clone().unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_backprop")));
    println!("serving: {}", binary.display());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("backprop playground under a classroom's load, {cores} cores, loopback");

    let server = Server::start(&binary, &[]);
    println!("server at start: {:.1} MiB", mib(server.resident()));
    let tally = load::lesson(&server, o.learners, o.steps, 0, 0);
    report(&format!("{} learners", o.learners), &tally, &server);
    drop(server);

    let server = Server::start(&binary, &[]);
    let tally = load::lesson(&server, o.learners, o.steps, o.players, o.player_epochs);
    report(&format!("+ {} × {} epochs", o.players, o.player_epochs), &tally, &server);
    drop(server);

    if o.soak_minutes > 0.0 {
        let server = Server::start(&binary, &[]);
        let warm = load::soak(&server, 50, Duration::from_secs(20), Duration::from_secs(2), 1);
        let start = server.resident();
        let length = Duration::from_secs_f64(o.soak_minutes * 60.0);
        let watch = std::thread::scope(|scope| {
            let peak = scope.spawn(|| {
                let mut peak = 0;
                let end = std::time::Instant::now() + length;
                while std::time::Instant::now() < end {
                    peak = peak.max(server.resident());
                    std::thread::sleep(Duration::from_secs(1));
                }
                peak
            });
            let tally = load::soak(&server, 50, length, Duration::from_secs(2), 2);
            (tally, peak.join().unwrap())
        });
        let (tally, peak) = watch;
        let end = server.resident();
        report(&format!("soak {} min", o.soak_minutes), &tally, &server);
        println!(
            "soak memory: {:.1} MiB after a 20 s warm-up ({} errors), peak {:.1}, end {:.1} ({:+.1} %)",
            mib(start),
            warm.errors.len(),
            mib(peak),
            mib(end),
            100.0 * (end as f64 / start as f64 - 1.0)
        );
    }
}
