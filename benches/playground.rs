//! The playground's frame budget. Its largest network (all 7 features, 6 hidden layers of 8, 500
//! points, 90 % training, batch 10) for: one batch update; one play frame server-side (an epoch
//! of 45 updates plus the snapshot: losses, a 100 × 100 output heat map, a 25 × 25 map per
//! input and unit, serialised to JSON); and the round trip the page sees (`POST …/step` to
//! the real server on localhost, response read whole). Animation at 20 updates/s leaves 50 ms
//! per frame. Also one update of the 2-8-8-1 network at batch 10, in microseconds.
//!
//! Run: `cargo bench --bench playground -- [--rounds R]` (default 200 rounds; medians and the
//! 90th percentile).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use backprop::playground::{DataSet, Feature, Session, Setup};
use clap::Parser;
use strum::IntoEnumIterator;

#[derive(Parser)]
struct Options {
    #[arg(long, default_value_t = 200)]
    rounds: usize,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

fn largest() -> Setup {
    Setup {
        data: DataSet::Spiral,
        features: Feature::iter().collect(),
        hidden: vec![8; 6],
        train_percent: 90,
        batch_size: 10,
        ..Setup::default()
    }
}

/// Median and 90th percentile of `rounds` timings of `f`, in milliseconds.
fn time(rounds: usize, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..rounds / 10 + 1 {
        f();
    }
    let mut ms: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[ms.len() * 9 / 10])
}

fn main() {
    let Options { rounds, .. } = Options::parse();
    let mut session = Session::new(largest()).expect("the largest setup is within bounds");
    println!(
        "playground, 7 features, 6 × 8 hidden, 500 points (450 training), batch 10: ms, median (90th percentile) of {rounds}"
    );
    let report = |name: &str, (median, p90): (f64, f64)| {
        println!("  {name:<44} {median:>8.3} ({p90:.3})   {:>6.0} per second", 1e3 / median);
    };
    report("one batch update", time(rounds, || session.update()));
    // The playground-size network: x1, x2 → 8 → 8 → 1, batch 10.
    let mut small = Session::new(Setup {
        features: vec![Feature::X1, Feature::X2],
        hidden: vec![8, 8],
        batch_size: 10,
        ..Setup::default()
    })
    .expect("a small setup is within bounds");
    let (median, p90) = time(rounds * 50, || small.update());
    println!("  {:<44} {:>8.1} µs ({:.1})", "2-8-8-1, batch 10: one batch update", median * 1e3, p90 * 1e3);
    report("one epoch (45 updates)", time(rounds, || session.run_epochs(1)));
    let mut bytes = 0;
    report(
        "snapshot: losses, heat maps, JSON",
        time(rounds, || bytes = serde_json::to_vec(&session.snapshot()).expect("serialises").len()),
    );
    report(
        "a play frame: epoch + snapshot",
        time(rounds, || {
            session.run_epochs(1);
            std::hint::black_box(serde_json::to_vec(&session.snapshot()).expect("serialises"));
        }),
    );
    println!("  (a snapshot is {:.0} KB of JSON)", bytes as f64 / 1e3);

    // The round trip through the real server.
    let mut child = Command::new(env!("CARGO_BIN_EXE_backprop"))
        .args(["playground", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line).expect("the URL line");
    let url =
        line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL").trim_end_matches('/').to_string();
    let agent = ureq::Agent::new_with_defaults();
    let body = serde_json::to_string(&largest()).expect("serialises");
    let created: serde_json::Value = serde_json::from_str(
        &agent
            .post(format!("{url}/api/sessions"))
            .send(&body)
            .expect("created")
            .body_mut()
            .read_to_string()
            .expect("read"),
    )
    .expect("JSON");
    let id = created["id"].as_str().expect("an id").to_string();
    let step = format!("{url}/api/sessions/{id}/step");
    report(
        "round trip: POST step {epochs: 1}, read whole",
        time(rounds, || {
            let mut r = agent.post(&step).send("{\"epochs\": 1}").expect("stepped");
            std::hint::black_box(r.body_mut().with_config().limit(50_000_000).read_to_string().expect("read"));
        }),
    );
    let one = "{\"updates\": 1}";
    report(
        "round trip: POST step {updates: 1}",
        time(rounds, || {
            let mut r = agent.post(&step).send(one).expect("stepped");
            std::hint::black_box(r.body_mut().with_config().limit(50_000_000).read_to_string().expect("read"));
        }),
    );
    let _ = child.kill();
    let _ = child.wait();
}
