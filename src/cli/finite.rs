//! The command line's policy on outputs that are NaN or infinite: an error naming the samples,
//! or with `--allow-non-finite` a warning.

use std::path::Path;

use crate::error::{Error, Result};

/// Outputs that are NaN or infinite (inputs far outside anything seen in training overflow
/// f32) are an error naming the first samples, unless `allow` — then a warning.
pub(crate) fn check_finite_outputs(data: &Path, outputs: &crate::tensor::Tensor<f32>, allow: bool) -> Result<()> {
    let width = outputs.dims().get(1).copied().unwrap_or(1).max(1);
    let bad: Vec<usize> = outputs
        .data()
        .chunks_exact(width)
        .enumerate()
        .filter(|(_, row)| row.iter().any(|v| !v.is_finite()))
        .map(|(i, _)| i + 1)
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = bad.iter().take(10).map(usize::to_string).collect();
    let more = if bad.len() > 10 { ", …" } else { "" };
    let message = format!(
        "the model's outputs for {} of {} samples are NaN or infinite (samples {}{more}; inputs far outside the training range?)",
        bad.len(),
        outputs.dims()[0],
        shown.join(", ")
    );
    if allow {
        eprintln!("warning: {}: {message}", data.display());
        Ok(())
    } else {
        Err(Error::file(data, format!("{message}; --allow-non-finite writes them anyway")))
    }
}
