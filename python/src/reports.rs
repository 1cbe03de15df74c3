//! The lecture's tools for a notebook: `explain`, `chain`, `check` and `lecture`, each answered
//! by the same request types as the command line and the server, in every format a notebook
//! shows (text for `str()`, markdown, HTML, JSON for `.to_dict()`). Each returns a dict from
//! the format's name to its page; the Python half wraps it in a report object.

use std::collections::HashMap;
use std::path::Path;

use backprop::chain::ChainRequest;
use backprop::check::{check_answers, parse_answers};
use backprop::explain::explain as explain_network;
use backprop::lecture::ErrorCurve;
use backprop::limits::Limits;
use backprop::network::{AnyNetwork, Network};
use backprop::present::Format;
use pyo3::prelude::*;

use crate::guarded;

/// The limits a notebook works under: the command line's (the user's own machine).
const LIMITS: &Limits = &Limits::COMMAND_LINE;

/// The formats a notebook shows of a derivation.
const PAGES: [Format; 4] = [Format::Text, Format::Markdown, Format::Html, Format::Json];

/// Every page of `formats`, each written by `page`.
fn pages(
    formats: &[Format],
    page: impl Fn(Format) -> backprop::Result<String>,
) -> backprop::Result<HashMap<String, String>> {
    formats.iter().map(|&f| Ok((<&str>::from(f).to_string(), page(f)?))).collect()
}

/// The network of `network` (a network file's JSON text), or the lecture's when `None`.
fn network(network: Option<&str>) -> backprop::Result<AnyNetwork> {
    match network {
        Some(text) => AnyNetwork::parse(Path::new("network"), text),
        None => Ok(AnyNetwork::Dense(Network::lecture())),
    }
}

/// `backprop explain`: every forward value, every gradient as its chain of factors, every
/// update, for `steps` steps (`verify`: central differences beside each gradient).
#[pyfunction]
#[pyo3(signature = (network=None, steps=1, verify=false))]
pub fn explain(py: Python<'_>, network: Option<&str>, steps: usize, verify: bool) -> PyResult<HashMap<String, String>> {
    py.detach(|| {
        guarded(|| {
            let net = self::network(network)?;
            pages(&PAGES, |format| explain_network(&net, steps, verify, format, LIMITS))
        })
    })
}

/// `backprop chain`: a request's JSON (`definitions`, `wrt`, `at`, `of`, `verify`, `answer`),
/// differentiated along every path.
#[pyfunction]
pub fn chain(py: Python<'_>, request: &str) -> PyResult<HashMap<String, String>> {
    py.detach(|| {
        guarded(|| {
            let request: ChainRequest =
                serde_json::from_str(request).map_err(|e| backprop::Error::invalid(format!("chain request: {e}")))?;
            // A marked answer is written as text or JSON only, as `chain --check` writes it.
            let formats: &[Format] = if request.answer.is_some() { &[Format::Text, Format::Json] } else { &PAGES };
            pages(formats, |format| ChainRequest { format, ..request.clone() }.answer(LIMITS))
        })
    })
}

/// `backprop explain --check`: `answers` (JSON: symbols to numbers, or a list of such objects
/// with `"step"`) marked against `network` (the lecture's when `None`), in text and JSON.
#[pyfunction]
#[pyo3(signature = (answers, network=None))]
pub fn check(py: Python<'_>, answers: &str, network: Option<&str>) -> PyResult<HashMap<String, String>> {
    py.detach(|| {
        guarded(|| {
            let net = self::network(network)?;
            let answers = parse_answers(answers, Path::new("answers"))?;
            pages(&[Format::Text, Format::Json], |format| check_answers(&net, answers.clone(), format, LIMITS))
        })
    })
}

/// `backprop lecture`: the lecture's network trained for `steps` steps, its error every
/// `every` steps (`f32`: in single precision).
#[pyfunction]
#[pyo3(signature = (steps=10_000, every=1_000, f32=false))]
pub fn lecture(py: Python<'_>, steps: usize, every: usize, f32: bool) -> PyResult<HashMap<String, String>> {
    py.detach(|| {
        guarded(|| {
            let curve = if f32 { ErrorCurve::run::<f32>(steps, every) } else { ErrorCurve::run::<f64>(steps, every) };
            pages(&PAGES, |format| curve.render(format))
        })
    })
}

/// Panics inside Rust, on purpose: the test that a bug reaches Python as `RuntimeError`
/// rather than aborting the interpreter calls it. Not part of the API.
#[pyfunction]
pub fn panic_for_test() -> PyResult<()> {
    guarded(|| -> backprop::Result<()> { panic!("a deliberate panic, to test the boundary") })
}
