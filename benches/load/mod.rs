//! A classroom for `backprop playground`: the real server as a child process on a free loopback
//! port, and one thread per learner, each with its own connection as a browser tab has, doing
//! what a learner does — create a session, step it, edit a weight, open a gradient, explain an
//! example, pause to read, leave. Latencies are kept per kind of request; every non-2xx answer
//! or broken connection is an error, kept with its message. Used by `cargo bench --bench
//! classroom` (200 learners, a 10-minute soak) and, at CI's size, by the test suite.

#![allow(dead_code)] // each user takes the parts it needs

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

/// The server, killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, without the token.
    pub base: String,
    pub token: Option<String>,
}

impl Server {
    /// Starts `binary playground --port 0 OPTIONS` and reads the address it prints.
    pub fn start(binary: &Path, options: &[&str]) -> Server {
        let mut child = Command::new(binary)
            .args(["playground", "--port", "0"])
            .args(options)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the backprop binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout is piped")).read_line(&mut line).expect("the address");
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("the address is printed");
        let (address, query) = url.split_once('?').unwrap_or((url, ""));
        let token = query.strip_prefix("token=").map(str::to_string);
        Server { child, base: address.trim_end_matches('/').to_string(), token }
    }

    /// The server's resident memory, in bytes (`VmRSS` in `/proc/PID/status`).
    pub fn resident(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        kib * 1024
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One learner: a connection and, once joined, a session.
pub struct Learner {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
    pub id: String,
}

impl Learner {
    /// A connection to `server` with no session yet.
    pub fn new(server: &Server) -> Learner {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .new_agent();
        Learner { agent, base: server.base.clone(), token: server.token.clone(), id: String::new() }
    }

    /// Sends a request; its time, or what went wrong (status and message, or the I/O error).
    pub fn call(&self, method: &str, path: &str, body: Option<&str>) -> Result<(Duration, String), String> {
        let url = format!("{}{path}", self.base);
        let start = Instant::now();
        let token = self.token.as_deref().unwrap_or("");
        let response = match method {
            "GET" => self.agent.get(&url).header("X-Backprop-Token", token).call(),
            "DELETE" => self.agent.delete(&url).header("X-Backprop-Token", token).call(),
            "POST" => self.agent.post(&url).header("X-Backprop-Token", token).send(body.unwrap_or("")),
            other => panic!("no method {other} here"),
        };
        let mut response = response.map_err(|e| format!("{method} {path}: {e}"))?;
        let text = response
            .body_mut()
            .with_config()
            .limit(50_000_000)
            .read_to_string()
            .map_err(|e| format!("{method} {path}: reading the answer: {e}"))?;
        let took = start.elapsed();
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(format!("{method} {path}: {status} {text}"));
        }
        Ok((took, text))
    }

    /// Creates this learner's session with `setup` (a JSON object).
    pub fn join(&mut self, setup: &str) -> Result<Duration, String> {
        let (took, text) = self.call("POST", "/api/sessions", Some(setup))?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("the new session: {e}"))?;
        self.id = v["id"].as_str().ok_or("the new session has no id")?.to_string();
        Ok(took)
    }

    /// Steps `epochs` epochs, as a playing page does (the points it already has left out).
    pub fn step(&self, epochs: usize) -> Result<Duration, String> {
        let body = format!("{{\"epochs\": {epochs}}}");
        Ok(self.call("POST", &format!("/api/sessions/{}/step?known_data=1", self.id), Some(&body))?.0)
    }

    /// Sets the first weight by hand.
    pub fn edit(&self, value: f64) -> Result<Duration, String> {
        let body = format!("{{\"name\": \"w1\", \"value\": {value}}}");
        Ok(self.call("POST", &format!("/api/sessions/{}/edit?known_data=1", self.id), Some(&body))?.0)
    }

    /// Opens the first weight's gradient, as clicking it does.
    pub fn gradient(&self) -> Result<Duration, String> {
        Ok(self.call("GET", &format!("/api/sessions/{}/gradient/w1", self.id), None)?.0)
    }

    /// One example of the next batch explained.
    pub fn example(&self) -> Result<Duration, String> {
        Ok(self.call("GET", &format!("/api/sessions/{}/example", self.id), None)?.0)
    }

    /// The lecture's network explained by the stateless API (the Explain tab).
    pub fn explain_lecture(&self) -> Result<Duration, String> {
        let lecture = include_str!("../../docs/examples/network.json");
        Ok(self.call("POST", "/api/explain", Some(lecture))?.0)
    }

    /// Ends the session.
    pub fn leave(&mut self) -> Result<Duration, String> {
        let took = self.call("DELETE", &format!("/api/sessions/{}", self.id), None)?.0;
        self.id.clear();
        Ok(took)
    }
}

/// Latencies of one kind of request.
#[derive(Default, Clone)]
pub struct Timings(pub Vec<Duration>);

impl Timings {
    /// The `p`-th percentile (0–100), in milliseconds; NaN when empty.
    pub fn percentile(&self, p: f64) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort();
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        sorted[rank].as_secs_f64() * 1e3
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// What a run saw: latencies by kind, and every error.
#[derive(Default)]
pub struct Tally {
    pub single: Timings,
    pub heavy: Timings,
    pub other: Timings,
    pub errors: Vec<String>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.single.0.extend(other.single.0);
        self.heavy.0.extend(other.heavy.0);
        self.other.0.extend(other.other.0);
        self.errors.extend(other.errors);
    }

    fn record(&mut self, result: Result<Duration, String>, into: fn(&mut Tally) -> &mut Timings) {
        match result {
            Ok(took) => into(self).0.push(took),
            Err(e) => self.errors.push(e),
        }
    }
}

/// A lesson: `learners` sessions on the default setup, all created before any steps, each then
/// stepping `steps` single epochs as fast as the answers come; meanwhile `players` more
/// sessions step `epochs_each` epochs a request (a page playing at full speed) until the
/// single steppers are done.
pub fn lesson(server: &Server, learners: usize, steps: usize, players: usize, epochs_each: usize) -> Tally {
    let start = Arc::new(Barrier::new(learners + players));
    let done = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut stepping = vec![];
    let mut playing = vec![];
    for n in 0..learners + players {
        let (start, done, tally) = (start.clone(), done.clone(), tally.clone());
        let mut learner = Learner::new(server);
        let player = n >= learners;
        let thread = std::thread::spawn(move || {
            let mut mine = Tally::default();
            let joined = learner.join("{}");
            let joined_ok = joined.is_ok();
            mine.record(joined, |t| &mut t.other);
            start.wait();
            if joined_ok && player {
                while !done.load(Ordering::Relaxed) {
                    mine.record(learner.step(epochs_each), |t| &mut t.heavy);
                }
            } else if joined_ok {
                for _ in 0..steps {
                    mine.record(learner.step(1), |t| &mut t.single);
                }
            }
            tally.lock().unwrap().add(mine);
        });
        if player { playing.push(thread) } else { stepping.push(thread) }
    }
    stepping.into_iter().for_each(|t| t.join().expect("a learner's thread"));
    done.store(true, Ordering::Relaxed);
    playing.into_iter().for_each(|t| t.join().expect("a player's thread"));
    Arc::try_unwrap(tally).ok().expect("all threads joined").into_inner().unwrap()
}

/// A small deterministic generator (xorshift), so a soak's choices repeat with its seed.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A soak: `learners` threads for `length`, each living learner after learner — create, then a
/// random dozen of step (one epoch, or twenty), edit, gradient, explain an example, explain the
/// lecture, pause up to `pause` — then leave, and again. At the end every session is gone.
pub fn soak(server: &Server, learners: usize, length: Duration, pause: Duration, seed: u64) -> Tally {
    let deadline = Instant::now() + length;
    let threads: Vec<_> = (0..learners)
        .map(|n| {
            let mut learner = Learner::new(server);
            std::thread::spawn(move || {
                let mut dice =
                    Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (n as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
                let mut mine = Tally::default();
                while Instant::now() < deadline {
                    let joined = learner.join("{}");
                    let ok = joined.is_ok();
                    mine.record(joined, |t| &mut t.other);
                    if !ok {
                        continue;
                    }
                    for _ in 0..4 + dice.below(16) {
                        match dice.below(8) {
                            0 | 1 => mine.record(learner.step(1), |t| &mut t.single),
                            2 => mine.record(learner.step(20), |t| &mut t.heavy),
                            3 => mine.record(learner.edit(dice.below(100) as f64 / 50.0 - 1.0), |t| &mut t.other),
                            4 => mine.record(learner.gradient(), |t| &mut t.other),
                            5 => mine.record(learner.example(), |t| &mut t.other),
                            6 => mine.record(learner.explain_lecture(), |t| &mut t.other),
                            _ => std::thread::sleep(pause.mul_f64(dice.below(1000) as f64 / 1000.0)),
                        }
                    }
                    mine.record(learner.leave(), |t| &mut t.other);
                }
                mine
            })
        })
        .collect();
    let mut tally = Tally::default();
    for t in threads {
        tally.add(t.join().expect("a soak thread"));
    }
    tally
}
