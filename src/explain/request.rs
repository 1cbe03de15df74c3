//! What `explain` is asked — a network, how many steps, whether to verify each gradient, in
//! which format — checked against a front end's [`Limits`] and answered as a page. The command
//! line and the server parse into an [`ExplainRequest`] and print what it returns.

use super::{render, steps_in_full};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::network::{AnyNetwork, Network, run};
use crate::present::Format;

/// One `explain` request.
#[derive(Clone, Debug, PartialEq)]
pub struct ExplainRequest {
    pub network: Network,
    pub steps: usize,
    pub verify: bool,
    pub format: Format,
}

impl ExplainRequest {
    /// Checks the request against `limits`; returns how many steps are kept whole.
    pub fn validate(&self, limits: &Limits) -> Result<usize> {
        kept_steps(self.network.explainable_size()?, self.steps, self.verify, self.format, limits)
    }

    /// The page: every step run, the first ones written out in the request's format.
    pub fn answer(&self, limits: &Limits) -> Result<String> {
        let kept = self.validate(limits)?;
        Ok(render(self.format, &self.network, &run(&self.network, self.steps, kept, self.verify)))
    }
}

/// How many of `steps` steps of a network of `params` parameters are kept whole in `format`, or
/// why the request is refused: steps out of `limits`' range, or more finite-difference checks
/// than they allow. For dense and convolutional networks alike.
pub(super) fn kept_steps(params: usize, steps: usize, verify: bool, format: Format, limits: &Limits) -> Result<usize> {
    if !(1..=limits.explain_steps).contains(&steps) {
        return Err(Error::invalid(format!("steps: {steps} is not between 1 and {}", limits.explain_steps)));
    }
    if verify && params.saturating_mul(steps) > limits.verified_param_steps {
        return Err(Error::invalid(format!(
            "verify: {params} parameters × {steps} steps is more than {} finite-difference checks",
            limits.verified_param_steps
        )));
    }
    steps_in_full(format, steps, params)
}

/// The explanation of a network in either form ([`AnyNetwork`]): the front ends' one entry.
pub fn explain(network: &AnyNetwork, steps: usize, verify: bool, format: Format, limits: &Limits) -> Result<String> {
    match network {
        AnyNetwork::Dense(network) => ExplainRequest { network: network.clone(), steps, verify, format }.answer(limits),
        AnyNetwork::Conv(network) => super::conv::answer(network, steps, verify, format, limits),
    }
}
