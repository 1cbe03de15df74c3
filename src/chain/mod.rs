//! The chain-rule calculator (the lecture's first half, `backprop chain`): definitions as a
//! slide writes them ([`parse`]), differentiated along every path of their graph by the rules
//! beside the op table ([`derivative`], from `autograd::symbolic`), tidied ([`simplify`]),
//! computed on the engine's tape ([`derivation`]) and written out ([`pretty`], [`render`]).

pub mod answer;
pub mod derivation;
pub mod mistakes;
pub mod parse;
pub mod pretty;
pub mod render;
pub mod request;
pub mod simplify;

pub use crate::autograd::symbolic::{Constant, Expr, Func, derivative};
pub use answer::mark_answer;
pub use derivation::{ChainError, Derivation, Edge, Path, System, derive};
pub use mistakes::{ChainCheck, check_derivative};
pub use parse::{Definition, MAX_NODES, ParseError, parse_definition, parse_expr};
pub use pretty::pretty;
pub use render::render;
pub use request::ChainRequest;
pub use simplify::simplify;
