//! What `chain` is asked — definitions, the variable, a point, whether to verify, a learner's
//! answer to mark, the format — checked against a front end's [`Limits`] and answered as a
//! page. The command line and the server parse into a [`ChainRequest`] and print what it
//! returns.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Derivation, System, derive, mark_answer, render};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::present::Format;

/// One `chain` request (the server's body has these fields but the format, which is its query).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainRequest {
    pub definitions: Vec<String>,
    pub wrt: String,
    #[serde(default)]
    pub at: BTreeMap<String, f64>,
    /// The definition to differentiate [default: the first].
    #[serde(default)]
    pub of: Option<String>,
    #[serde(default)]
    pub verify: bool,
    /// A learner's derivative to mark (`"10t"`, `"10t = 30"`).
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(skip, default = "text")]
    pub format: Format,
}

fn text() -> Format {
    Format::Text
}

impl ChainRequest {
    /// The parts that need no parsing: how many definitions, and a point to verify at.
    pub fn validate(&self, limits: &Limits) -> Result<()> {
        let n = self.definitions.len();
        if n > limits.chain_definitions {
            return Err(Error::invalid(format!("definitions: {n} is more than {}", limits.chain_definitions)));
        }
        if self.verify && self.at.is_empty() {
            return Err(Error::invalid("verify compares numbers at a point: give one (--at, or \"at\" in a request)"));
        }
        Ok(())
    }

    /// The derivation: parsed, differentiated along every path, computed at the point.
    pub fn derivation(&self, limits: &Limits) -> Result<Derivation> {
        self.validate(limits)?;
        let system = System::new(&self.definitions, self.of.as_deref(), &self.wrt).map_err(invalid)?;
        derive(system, self.at.clone(), self.verify).map_err(invalid)
    }

    /// The page: the derivation, or the learner's answer marked against it.
    pub fn answer(&self, limits: &Limits) -> Result<String> {
        let derivation = self.derivation(limits)?;
        match &self.answer {
            Some(answer) => mark_answer(&derivation, answer, self.format),
            None => Ok(render(&derivation, self.format)),
        }
    }
}

fn invalid(e: impl std::fmt::Display) -> Error {
    Error::invalid(e.to_string())
}
