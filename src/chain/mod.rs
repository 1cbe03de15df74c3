//! The chain-rule calculator's library (the lecture's first half): expressions as a slide
//! writes them, computed on the engine's tape. Built up in steps: the expression language
//! ([`expr`], [`parse`]) comes first; symbolic differentiation along the graph's paths, the
//! simplifier and `backprop chain` follow.

pub mod parse;
pub mod simplify;

pub use crate::autograd::symbolic::{Constant, Expr, Func};
pub use parse::{Definition, MAX_NODES, ParseError, parse_definition, parse_expr};
pub use simplify::simplify;
