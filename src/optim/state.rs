//! How an optimiser's per-parameter state (momenta, running averages) is written in a
//! checkpoint: each parameter's vector as base64 of its little-endian bytes, not a JSON list.
//!
//! Why: Adam keeps two numbers per weight, and MNIST's 235,000 weights written out as decimal
//! text took 33 ms per checkpoint, a few per cent of a short run; the bytes take a few
//! milliseconds and come back bit for bit. Files written before hold lists of numbers, and
//! still load.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::tensor::Float;

/// One parameter's state as a file holds it.
#[derive(Deserialize)]
#[serde(untagged, bound = "")]
enum Stored<T: Float> {
    /// base64 of the values' little-endian bytes, 4 per f32, 8 per f64 (what is written now).
    Bytes(String),
    /// A list of numbers (what checkpoints held before).
    Numbers(Vec<T>),
}

/// Bytes per value of `T`.
fn width<T: Float>() -> usize {
    std::mem::size_of::<T>()
}

pub fn serialize<T: Float, S: Serializer>(state: &[Vec<T>], s: S) -> Result<S::Ok, S::Error> {
    let encoded: Vec<String> = state
        .iter()
        .map(|values| {
            let mut bytes = Vec::with_capacity(values.len() * width::<T>());
            for &x in values {
                match width::<T>() {
                    4 => bytes.extend_from_slice(&x.to_f32().expect("an f32").to_le_bytes()),
                    _ => bytes.extend_from_slice(&x.to_f64().expect("an f64").to_le_bytes()),
                }
            }
            STANDARD.encode(bytes)
        })
        .collect();
    encoded.serialize(s)
}

pub fn deserialize<'de, T: Float, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<T>>, D::Error> {
    let stored: Vec<Stored<T>> = Vec::deserialize(d)?;
    stored
        .into_iter()
        .enumerate()
        .map(|(i, s)| match s {
            Stored::Numbers(values) => Ok(values),
            Stored::Bytes(text) => {
                let bytes =
                    STANDARD.decode(&text).map_err(|e| D::Error::custom(format!("state [{i}]: not base64: {e}")))?;
                if bytes.len() % width::<T>() != 0 {
                    return Err(D::Error::custom(format!(
                        "state [{i}]: {} bytes are not a whole number of {} values",
                        bytes.len(),
                        T::NAME
                    )));
                }
                Ok(bytes
                    .chunks_exact(width::<T>())
                    .map(|b| match b.len() {
                        4 => T::of(f32::from_le_bytes(b.try_into().expect("4 bytes")) as f64),
                        _ => T::of(f64::from_le_bytes(b.try_into().expect("8 bytes"))),
                    })
                    .collect())
            }
        })
        .collect()
}
