//! What "check my work" is asked for a network — the learner's answers, for which network, in
//! which format — checked against a front end's [`Limits`] and answered as a marked page. (A
//! derivative written for an expression is a chain request: `chain::ChainRequest`.)

use super::{StepAnswers, check, json, text};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::network::{AnyNetwork, Network};
use crate::present::Format;

/// One check of a learner's answers.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckRequest {
    pub network: Network,
    pub answers: Vec<StepAnswers>,
    pub format: Format,
}

impl CheckRequest {
    /// The format (text or JSON) and the network's size; the steps the answers name are
    /// bounded by `limits` when they are checked.
    pub fn validate(&self) -> Result<()> {
        CheckRequest::takes(self.format)?;
        self.network.explainable_size().map(|_| ())
    }

    /// Whether a check can be written in `format`: text or JSON.
    pub fn takes(format: Format) -> Result<()> {
        if matches!(format, Format::Text | Format::Json) {
            return Ok(());
        }
        let name = <&str>::from(format);
        Err(Error::invalid(format!("format: checks are written as text or json, not {name}")))
    }

    /// Every answer marked, each wrong one traced to an earlier answer or a known mistake.
    pub fn answer(&self, limits: &Limits) -> Result<String> {
        self.validate()?;
        let checked = check(&self.network, &self.answers, limits.check_steps)?;
        Ok(match self.format {
            Format::Json => format!("{:#}\n", json(&checked)),
            _ => text(&checked),
        })
    }
}

/// The check of answers for a network in either form ([`AnyNetwork`]): the front ends' one
/// entry.
pub fn check_answers(
    network: &AnyNetwork,
    answers: Vec<StepAnswers>,
    format: Format,
    limits: &Limits,
) -> Result<String> {
    match network {
        AnyNetwork::Dense(network) => CheckRequest { network: network.clone(), answers, format }.answer(limits),
        AnyNetwork::Conv(network) => super::conv::answer(network, &answers, format, limits),
    }
}
