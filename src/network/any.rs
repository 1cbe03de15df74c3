//! A network file in either of its two forms — the lecture's dense layers (weights, biases, an
//! activation each) or the `--layers` words with their weights (convolutions, pooling) — told
//! apart by its `layers`, so every front end (the command line, the Python module) reads both
//! the same way.

use std::path::Path;

use super::Network;
use super::conv::{ConvNetwork, is_layered};
use crate::error::{Error, Result};

/// A network to explain or check, in either form.
#[derive(Clone, Debug)]
pub enum AnyNetwork {
    Dense(Network),
    Conv(ConvNetwork),
}

impl AnyNetwork {
    /// Reads and checks a network file.
    pub fn load(path: &Path) -> Result<AnyNetwork> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        AnyNetwork::parse(path, &text)
    }

    /// [`AnyNetwork::load`] of a file's text, named `path` in errors.
    pub fn parse(path: &Path, text: &str) -> Result<AnyNetwork> {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) if is_layered(&value) => ConvNetwork::from_value(path, &value).map(AnyNetwork::Conv),
            // The dense reader names the line and field of anything wrong, JSON syntax included.
            _ => Network::parse(path, text).map(AnyNetwork::Dense),
        }
    }
}
