//! A classroom at CI's size, with the load generator of `cargo bench --bench classroom`
//! (`benches/load`): 200 learners step together while others play at 20 epochs a request,
//! and a soak of mixed traffic. They assert what must hold whatever the machine — no request
//! fails, every session survives, memory comes back once the learners leave — and leave the
//! latencies to the benchmark.

#[path = "../../benches/load/mod.rs"]
mod load;

use std::time::Duration;

use load::Server;

fn binary() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("backprop")
}

/// 200 sessions live at once (the default budget holds them), each stepping while ten more
/// play: not one request is refused or lost.
#[test]
fn a_class_of_200_steps_together_without_an_error() {
    let server = Server::start(&binary(), &[]);
    let tally = load::lesson(&server, 200, 3, 10, 20);
    assert!(tally.errors.is_empty(), "{} errors, the first: {:?}", tally.errors.len(), tally.errors.first());
    assert_eq!(tally.single.len(), 600, "every learner stepped three times");
    assert!(tally.heavy.len() >= 10, "the players played too");
}

/// Learners come and go doing everything a page does; no request fails, and once they have
/// all left, the server's memory is within 10 % of what it was after the first wave.
#[test]
fn a_soak_of_mixed_traffic_fails_nothing_and_gives_its_memory_back() {
    let server = Server::start(&binary(), &[]);
    let warm = load::soak(&server, 20, Duration::from_secs(4), Duration::from_millis(300), 7);
    assert!(warm.errors.is_empty(), "{:?}", warm.errors.first());
    let start = server.resident();
    let tally = load::soak(&server, 20, Duration::from_secs(15), Duration::from_millis(300), 8);
    let end = server.resident();
    assert!(tally.errors.is_empty(), "{} errors, the first: {:?}", tally.errors.len(), tally.errors.first());
    assert!(tally.single.len() > 100 && tally.other.len() > 100, "the soak ran");
    assert!(
        start > 0 && (end as f64) <= 1.1 * start as f64,
        "memory {start} bytes after the warm-up, {end} at the end"
    );
}
