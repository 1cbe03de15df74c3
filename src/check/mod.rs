//! "Check my work": a learner's hand calculation against the engine. So far: the answers as
//! written and the marking rule ([`Given::matches`]), and every symbol of a network's steps
//! marked against the engine ([`mark`]). Naming the mistakes (variant computations) and the
//! `--check` options build on it.

mod answers;
pub mod conv;
mod mistakes;
mod network;
mod report;
mod request;

pub use answers::{StepAnswers, nearest, parse_answers, read_answers};
pub use mistakes::{Mistake, variants};
pub use network::{Expected, Mark, expected, mark};
pub use report::{Checked, Diagnosis, check, json, text};
pub use request::{CheckRequest, check_answers};
