//! "Check my work": a learner's hand calculation against the engine. This first part reads the
//! answers as written and holds the marking rule ([`Given::matches`]); marking a whole network
//! or expression and naming the mistakes build on it.

mod answers;

pub use answers::{Given, StepAnswers, nearest, read_answers};
