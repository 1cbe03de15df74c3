//! The integration tests, one module per subject, built as one test binary.
//!
//! One binary rather than one per file because `cargo test --release` links each test binary
//! with the release profile's fat LTO: with 23 of them, building the tests was most of CI's
//! 19 minutes; as one binary it takes under 6. A new subject is a file here and a `mod` line below (gated by the
//! feature it needs, as `required-features` would). `tests/no_alloc.rs` stays a binary of its
//! own: it installs a counting global allocator, which must not count the other tests.

mod common;

// The engine, its ops and the library's layers.
mod chain_cas;
mod cnn;
mod conv;
mod data;
mod gradcheck_ops;
mod in_memory;
mod layers;
mod lecture;
mod optim;
mod playground;
mod properties;
mod tables;
mod tape;
mod torch_autograd;
mod training;

// The command line: tests that run the `backprop` binary or read clap's names.
#[cfg(feature = "cli")]
mod activations;
#[cfg(feature = "cli")]
mod chain;
#[cfg(feature = "cli")]
mod check;
#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
mod cli_images;
#[cfg(feature = "cli")]
mod cli_tables;
#[cfg(feature = "cli")]
mod cv;
#[cfg(feature = "cli")]
mod docs;
#[cfg(feature = "cli")]
mod exercise;
#[cfg(feature = "cli")]
mod explain;
#[cfg(feature = "cli")]
mod explain_conv;
#[cfg(feature = "cli")]
mod export;
#[cfg(feature = "cli")]
mod hostile;
#[cfg(feature = "cli")]
mod model_files;

// The playground's server and its page in a browser.
#[cfg(feature = "playground")]
mod browser;
#[cfg(feature = "playground")]
mod classroom;
#[cfg(feature = "playground")]
mod server;
