//! `backprop explain`: the lecture's derivation, step by step, for the lecture's network or any
//! small network written down as JSON — forward values, error terms, every gradient as its
//! chain of factors, every update — as text, Markdown, JSON, HTML or the engine's computation
//! graph. The numbers come from [`crate::network`] (a view of the engine's tape, not a second
//! implementation); this module only lays them out.

pub mod conv;
mod graph;
mod html;
mod render;
mod request;

pub use graph::computation_graph;
pub use render::{MAX_JSON_PARAM_STEPS, json_value, render, steps_in_full};
pub use request::{ExplainRequest, explain};
