//! Who computes next. Every computation (a step, a snapshot, an explanation) is a job in one
//! first-come, first-served queue, run by as many worker threads as the machine has cores. A
//! long request (100 epochs) runs a slice at a time — about [`Work::SLICE`] of work — and
//! queues again behind whoever came meanwhile, so 50 learners playing at 100 epochs a frame
//! cannot starve 200 others stepping one epoch: each waits for about one slice per learner
//! ahead of it, not for whole requests.
//!
//! Measured with `cargo bench --bench classroom` (200 learners stepping one epoch, 2 cores):
//! tokio's blocking pool alone ran 200 threads on two cores as the kernel pleased (p99 well
//! above p50); a semaphore of one turn per core in front of it was fair but left the cores
//! idle 15 % of the time, handing each turn over through two thread wake-ups; workers that
//! take the next job as soon as they finish one keep the cores busy.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use tokio::sync::oneshot;

use super::api::{ApiError, ApiResult};

type Job = Box<dyn FnOnce() + Send>;

/// The queue of jobs and its workers (who stop when the last `Work` is dropped).
#[derive(Clone)]
pub struct Work {
    queue: Sender<Job>,
}

impl Default for Work {
    fn default() -> Work {
        Work::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

impl Work {
    /// About as much work as a job does before queueing again: a default session's single
    /// epoch with its snapshot (1.2 ms on Zen 3).
    pub const SLICE: Duration = Duration::from_millis(2);

    /// A queue with `workers` threads (at least one).
    pub fn new(workers: usize) -> Work {
        let (queue, jobs) = channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..workers.max(1) {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("backprop-work-{n}"))
                .spawn(move || work(&jobs))
                .expect("the server can start its worker threads");
        }
        Work { queue }
    }

    fn push(&self, job: Job) {
        // The workers hold the receiver for as long as any `Work` exists.
        self.queue.send(job).unwrap_or_else(|_| unreachable!("the workers outlive the queue"));
    }

    /// Runs `f` when its turn comes.
    pub async fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> Result<R, ApiError> {
        let (answer, answered) = oneshot::channel();
        self.push(Box::new(move || {
            let _ = answer.send(catch_unwind(AssertUnwindSafe(f)));
        }));
        outcome(answered.await)
    }

    /// Runs `f` when its turn comes; its result is the response.
    pub async fn answer(&self, f: impl FnOnce() -> ApiResult + Send + 'static) -> ApiResult {
        self.run(f).await?
    }

    /// Runs `slice` over `state` until it says it is done, then `finish` in the same turn (a
    /// single epoch and its snapshot take one turn, not two). A turn calls `slice` again while
    /// it is not done and the turn has lasted less than [`Work::SLICE`], then queues the rest
    /// at the back. `slice` returns `true` when all is done. A request whose client has gone
    /// stops at its next turn.
    pub async fn in_slices<S, R>(
        &self,
        state: S,
        slice: impl Fn(&mut S) -> bool + Send + 'static,
        finish: impl FnOnce(S) -> R + Send + 'static,
    ) -> Result<R, ApiError>
    where
        S: Send + 'static,
        R: Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        self.push(Box::new(Sliced { work: self.clone(), state, slice, finish, answer }.into_job()));
        outcome(answered.await)
    }
}

/// A worker: runs jobs until the queue is gone.
fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = jobs.lock().unwrap_or_else(|e| e.into_inner()).recv();
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

type Outcome<R> = std::thread::Result<R>;

/// The job's result, or a 500 when it panicked (a bug; the worker lives on).
fn outcome<R>(answered: Result<Outcome<R>, oneshot::error::RecvError>) -> Result<R, ApiError> {
    match answered {
        Ok(Ok(result)) => Ok(result),
        _ => Err(ApiError(StatusCode::INTERNAL_SERVER_ERROR, "the computation failed".into())),
    }
}

/// A request that runs in slices, carried from turn to turn.
struct Sliced<S, F, G, R> {
    work: Work,
    state: S,
    slice: F,
    finish: G,
    answer: oneshot::Sender<Outcome<R>>,
}

impl<S, F, G, R> Sliced<S, F, G, R>
where
    S: Send + 'static,
    F: Fn(&mut S) -> bool + Send + 'static,
    G: FnOnce(S) -> R + Send + 'static,
    R: Send + 'static,
{
    fn into_job(self) -> impl FnOnce() + Send + 'static {
        move || self.turn()
    }

    fn turn(mut self) {
        if self.answer.is_closed() {
            return;
        }
        let start = Instant::now();
        let ran = catch_unwind(AssertUnwindSafe(|| {
            let mut done = (self.slice)(&mut self.state);
            while !done && start.elapsed() < Work::SLICE {
                done = (self.slice)(&mut self.state);
            }
            done
        }));
        match ran {
            Ok(true) => {
                let Sliced { state, finish, answer, .. } = self;
                let _ = answer.send(catch_unwind(AssertUnwindSafe(|| finish(state))));
            }
            Ok(false) => {
                let work = self.work.clone();
                work.push(Box::new(self.into_job()));
            }
            Err(panic) => {
                let _ = self.answer.send(Err(panic));
            }
        }
    }
}
