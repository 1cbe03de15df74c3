//! Reverse-mode automatic differentiation: a define-by-run [`Tape`] of [`Op`]s over tensors,
//! the backward rules (all in [`ops`]), parameters kept outside the tape in a [`ParamStore`],
//! and a finite-difference [`gradcheck`] that tests every rule.

mod gradcheck;
mod grads;
pub mod ops;
mod params;
mod plan;
pub mod symbolic;
mod tape;
mod var;

pub use gradcheck::{GradcheckOptions, GradcheckReport, InputReport, finite_differences, gradcheck};
pub use grads::Grads;
pub use ops::{NodeId, Op, OpKind};
pub use params::{ParamId, ParamStore};
pub use plan::Plan;
pub use tape::Tape;
pub use var::Var;
