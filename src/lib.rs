//! # backprop
//!
//! Neural networks trained by backpropagation, with the chain rule in plain view.
//!
//! The engine is a define-by-run tape over n-dimensional tensors: every operation on a
//! [`autograd::Var`] records a node, and [`autograd::Tape::backward`] walks the nodes in reverse,
//! applying each op's rule from [`autograd::ops`] — upstream gradient × local derivative, as the
//! lecture writes it.
//!
//! ```
//! use backprop::autograd::{ParamStore, Tape};
//! use backprop::tensor::Tensor;
//!
//! // One sigmoid unit: out = σ(x·wᵀ + b), E = ½(T − out)².
//! let mut params = ParamStore::<f64>::new();
//! let w = params.insert("unit.weight", Tensor::from_f64(&[0.15, 0.20], [1, 2]));
//! let b = params.insert("unit.bias", Tensor::from_f64(&[0.35], [1]));
//! let x = Tensor::from_f64(&[0.05, 0.10], [1, 2]);
//! let target = Tensor::from_f64(&[0.01], [1, 1]);
//!
//! let tape = Tape::new();
//! let out = (tape.input(&x).matmul_t(tape.param(&params, w)) + tape.param(&params, b)).sigmoid();
//! let error = (tape.input(&target) - out).square().sum() * 0.5;
//! let grads = tape.backward(error);
//!
//! // ∂E/∂w1 = −(T − out)·out·(1 − out)·x1, the lecture's chain of three factors.
//! let o = out.item();
//! let expected = -(0.01 - o) * o * (1.0 - o) * 0.05;
//! assert!((grads.param(w).unwrap().data()[0] - expected).abs() < 1e-15);
//! ```
//!
//! Layout: [`tensor`] (numbers and shapes, kernels, matmul) ← [`autograd`] (tape, ops and their
//! backward rules, parameters, gradient check) ← [`lecture`] (the worked example) ← `cli`.

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

#[doc = include_str!("../docs/library.md")]
#[cfg(doctest)]
pub struct LibraryGuideDoctests;

pub mod autograd;
pub mod chain;
pub mod check;
#[cfg(feature = "cli")]
pub mod cli;
pub mod data;
pub mod error;
pub mod exercise;
pub mod explain;
pub mod export;
pub mod io;
pub mod lecture;
pub mod limits;
pub mod loss;
pub mod metrics;
pub mod network;
pub mod nn;
pub mod optim;
pub mod pipeline;
pub mod playground;
pub mod present;
#[cfg(feature = "playground")]
pub mod server;
pub mod tensor;
pub mod train;

pub use error::{Error, Result};

/// The random generator used everywhere a seed must fix the outcome (initial weights, shuffling,
/// dropout masks): ChaCha8, whose output is stable across platforms and versions.
pub type Rng = rand_chacha::ChaCha8Rng;

/// A generator from a seed.
pub fn rng(seed: u64) -> Rng {
    rand::SeedableRng::seed_from_u64(seed)
}
