//! The gradient checker: the tape's gradients against central finite differences, in f64.
//!
//! For a function f of some input tensors, `backward` gives ∂f/∂x analytically; the checker
//! nudges every element of every input by ±ε and estimates (f(x+ε) − f(x−ε)) / 2ε. A wrong
//! backward rule shows up as a difference far above the O(ε²) truncation error. A non-scalar
//! output is projected to a scalar with fixed random weights r (f = Σ r·out), so every output
//! element's gradient is checked at once.

use std::fmt;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::ops::OpKind;
use super::tape::Tape;
use super::var::Var;
use crate::tensor::Tensor;

/// Step size and pass thresholds of a check.
#[derive(Clone, Debug)]
pub struct GradcheckOptions {
    /// Finite-difference step ε.
    pub eps: f64,
    /// An element passes when |analytic − numeric| ≤ atol + rtol·|numeric|.
    pub atol: f64,
    pub rtol: f64,
    /// Seed of the random projection of a non-scalar output.
    pub seed: u64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions { eps: 1e-6, atol: 1e-7, rtol: 1e-6, seed: 0 }
    }
}

/// How the gradient of one input compared.
#[derive(Clone, Debug)]
pub struct InputReport {
    /// Worst |analytic − numeric| over the input's elements.
    pub max_abs_err: f64,
    /// Worst |analytic − numeric| / max(|analytic|, |numeric|) over elements where either is
    /// above `atol` (below that, relative error is noise).
    pub max_rel_err: f64,
    /// Flat index of the element with the worst absolute error.
    pub worst_index: usize,
    pub passed: bool,
}

/// The result of [`gradcheck`]: one report per input, and the ops the function recorded.
#[derive(Clone, Debug)]
pub struct GradcheckReport {
    pub inputs: Vec<InputReport>,
    /// Kinds of the nodes the checked function recorded: which backward rules were exercised.
    pub ops: Vec<OpKind>,
}

impl GradcheckReport {
    pub fn passed(&self) -> bool {
        self.inputs.iter().all(|r| r.passed)
    }
}

impl fmt::Display for GradcheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.inputs.iter().enumerate() {
            writeln!(
                f,
                "input {i}: max abs err {:.3e}, max rel err {:.3e} (worst at element {}) {}",
                r.max_abs_err,
                r.max_rel_err,
                r.worst_index,
                if r.passed { "ok" } else { "FAILED" }
            )?;
        }
        Ok(())
    }
}

/// The central difference (f(x+ε) − f(x−ε)) / 2ε of a scalar function of some tensors, for
/// every element of every input (nudged one at a time): the numeric gradient that
/// [`gradcheck`] compares the tape's against, and that `explain --verify` prints.
pub fn finite_differences(
    mut f: impl FnMut(&[Tensor<f64>]) -> f64,
    inputs: &[Tensor<f64>],
    eps: f64,
) -> Vec<Tensor<f64>> {
    let mut xs: Vec<Tensor<f64>> = inputs.to_vec();
    let mut out = Vec::with_capacity(inputs.len());
    for i in 0..xs.len() {
        let mut numeric = Tensor::zeros(xs[i].shape());
        for j in 0..xs[i].numel() {
            let orig = xs[i].data()[j];
            xs[i].data_mut()[j] = orig + eps;
            let plus = f(&xs);
            xs[i].data_mut()[j] = orig - eps;
            let minus = f(&xs);
            xs[i].data_mut()[j] = orig;
            numeric.data_mut()[j] = (plus - minus) / (2.0 * eps);
        }
        out.push(numeric);
    }
    out
}

/// Checks the gradients of `f` with respect to each of `inputs` against central differences.
///
/// ```
/// use backprop::autograd::{gradcheck, GradcheckOptions};
/// use backprop::tensor::Tensor;
///
/// let x = Tensor::from_f64(&[0.5, -1.0, 2.0], [3]);
/// let report = gradcheck(|_, v| (v[0].sigmoid() * v[0]).sum(), &[x], &GradcheckOptions::default());
/// assert!(report.passed(), "{report}");
/// ```
pub fn gradcheck<F>(f: F, inputs: &[Tensor<f64>], opts: &GradcheckOptions) -> GradcheckReport
where
    F: for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Var<'t, f64>,
{
    let mut tape = Tape::new();
    let (analytic, weights, ops) = {
        let vars: Vec<_> = inputs.iter().map(|x| tape.variable(x)).collect();
        let out = f(&tape, &vars);
        let n = out.shape().numel();
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        let weights: Vec<f64> = if n == 1 { vec![1.0] } else { (0..n).map(|_| rng.random_range(-1.0..1.0)).collect() };
        let seed = Tensor::new(weights.clone(), out.shape());
        let grads = tape.backward_from(out, &seed);
        let analytic: Vec<Tensor<f64>> = vars
            .iter()
            .zip(inputs)
            .map(|(&v, x)| grads.wrt(v).map(|g| g.to_tensor()).unwrap_or_else(|| Tensor::zeros(x.shape())))
            .collect();
        (analytic, weights, tape.kinds())
    };

    // f projected to a scalar, evaluated on a reset tape.
    let mut project = |xs: &[Tensor<f64>]| -> f64 {
        tape.reset();
        let vars: Vec<_> = xs.iter().map(|x| tape.input(x)).collect();
        let out = f(&tape, &vars);
        let value = out.value();
        value.data().iter().zip(&weights).map(|(y, r)| y * r).sum()
    };

    let numeric = finite_differences(&mut project, inputs, opts.eps);
    let mut reports = Vec::with_capacity(inputs.len());
    for (grad, numeric) in analytic.iter().zip(&numeric) {
        let mut report = InputReport { max_abs_err: 0.0, max_rel_err: 0.0, worst_index: 0, passed: true };
        for (j, (&a, &numeric)) in grad.data().iter().zip(numeric.data()).enumerate() {
            let abs = (a - numeric).abs();
            if abs > report.max_abs_err || abs.is_nan() {
                report.max_abs_err = abs;
                report.worst_index = j;
            }
            let scale = a.abs().max(numeric.abs());
            if scale > opts.atol {
                report.max_rel_err = report.max_rel_err.max(abs / scale);
            }
            let within = abs <= opts.atol + opts.rtol * numeric.abs(); // false for NaN
            if !within {
                report.passed = false;
            }
        }
        reports.push(report);
    }
    GradcheckReport { inputs: reports, ops }
}
