//! Reverse-mode automatic differentiation: a define-by-run [`Tape`] of [`Op`]s over tensors,
//! the backward rules (all in [`ops`]), parameters kept outside the tape in a [`ParamStore`],
//! and a finite-difference [`gradcheck`] that tests every rule.

mod gradcheck;
pub mod ops;
mod params;
mod tape;

pub use gradcheck::{GradcheckOptions, GradcheckReport, InputReport, gradcheck};
pub use ops::{NodeId, Op, OpKind};
pub use params::{ParamId, ParamStore};
pub use tape::{Grads, Tape, Var};
