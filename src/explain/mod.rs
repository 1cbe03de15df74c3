//! `backprop explain`: the lecture's derivation, step by step, for the lecture's network or any
//! small network written down as JSON — forward values, error terms, every gradient as its
//! chain of factors, every update. The numbers are read off the engine's tape (a view of it,
//! not a second implementation), and each shown chain multiplies out to the engine's gradient.

mod html;
mod network;
mod render;
mod steps;

pub use network::{LayerFile, MAX_PARAMETERS, Network, NetworkFile, TargetsFile};
pub use render::{MAX_JSON_PARAM_STEPS, json_value, render, steps_in_full};
pub use steps::{
    Explained, Factor, Param, PathSum, Step, Unit, computation_graph, error_of, explain, explain_step, input_name,
    model_of, param_names, unit_name,
};
