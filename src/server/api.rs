//! The API that mirrors the command line: `POST /api/explain` (a network file → `explain`'s
//! output), `POST /api/chain` (definitions → `chain`'s), `POST /api/check` (a learner's answers
//! for a network, or their derivative for an expression → `--check`'s). `?format=` picks the
//! output format as `--format` does (JSON by default). Also the JSON errors every route uses.

use std::path::Path;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::work::Work;
use crate::chain::ChainRequest;
use crate::check::CheckRequest;
use crate::explain::ExplainRequest;
use crate::limits::Limits;
use crate::network::{Network, NetworkFile};
use crate::present::Format;

/// A failed request: its status and a message naming what is wrong.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl ApiError {
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError(StatusCode::BAD_REQUEST, message.into())
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError(StatusCode::NOT_FOUND, message.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(serde_json::json!({"error": self.1}))).into_response()
    }
}

impl From<crate::Error> for ApiError {
    fn from(e: crate::Error) -> ApiError {
        ApiError::bad(e.to_string())
    }
}

pub type ApiResult = Result<Response, ApiError>;

/// A body read whole, or the reason it could not be (too large: 413).
pub fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| ApiError(e.status(), e.body_text()))
}

/// A JSON object body parsed into `T`; errors say where (line, column) and what. Every body
/// is an object: serde would also take a struct's fields as an array in order (`[]` for all
/// the defaults), which no one means.
pub fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { bytes };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad("the body: a JSON object ({…}) is expected"));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad(format!("the body, line {}, column {}: {e}", e.line(), e.column())))
}

/// A computed page in its format's content type.
pub fn page(text: String, format: Format) -> Response {
    let kind = match format {
        Format::Json => "application/json",
        Format::Html => "text/html; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
    ([(header::CONTENT_TYPE, kind)], text).into_response()
}

/// JSON of a serialisable value.
pub fn json<T: serde::Serialize>(value: &T) -> Response {
    let text = serde_json::to_string(value).expect("the API's types serialise");
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    #[serde(default)]
    format: Option<Format>,
    #[serde(default)]
    steps: Option<usize>,
    #[serde(default)]
    verify: Option<bool>,
}

/// A query string parsed, or a 400 naming the parameter.
fn query(q: Result<Query<FormatQuery>, QueryRejection>) -> Result<FormatQuery, ApiError> {
    q.map(|Query(q)| q).map_err(|e| ApiError::bad(e.body_text()))
}

/// A network file checked as `explain` checks one; errors name the field.
fn network(file: NetworkFile) -> Result<Network, ApiError> {
    Network::check(file).map_err(|(field, message)| ApiError::bad(format!("{field}: {message}")))
}

/// `POST /api/explain[?steps=N&verify=true&format=F]`: the body is a network file.
pub async fn explain(
    State(work): State<Work>,
    q: Result<Query<FormatQuery>, QueryRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let q = query(q)?;
    let bytes = body(raw)?;
    work.answer(move || {
        let format = q.format.unwrap_or(Format::Json);
        let request = ExplainRequest {
            network: network(json_body(&bytes)?)?,
            steps: q.steps.unwrap_or(1),
            verify: q.verify.unwrap_or(false),
            format,
        };
        Ok(page(request.answer(&Limits::SERVER)?, format))
    })
    .await
}

/// `POST /api/chain[?format=F]`: `{"definitions": ["y = 5x + 3", "x = t^2"], "wrt": "t",
/// "at": {"t": 3}}` → what `backprop chain` prints.
pub async fn chain(
    State(work): State<Work>,
    q: Result<Query<FormatQuery>, QueryRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let q = query(q)?;
    let bytes = body(raw)?;
    work.answer(move || {
        let mut request: ChainRequest = json_body(&bytes)?;
        if request.answer.is_some() {
            return Err(ApiError::bad("answer: checking an answer is POST /api/check"));
        }
        request.format = q.format.unwrap_or(Format::Json);
        Ok(page(request.answer(&Limits::SERVER)?, request.format))
    })
    .await
}

/// `POST /api/check`'s body for a network: the learner's answers (kept as written, so their
/// decimals count), for the given network or the lecture's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkCheck {
    #[serde(default)]
    network: Option<NetworkFile>,
    answers: Box<RawValue>,
}

/// `POST /api/check[?format=text]`: `{"network": …, "answers": {"dE/dw5": 0.0822}}` →
/// `explain --check`'s output, or `{"definitions": …, "wrt": "t", "at": {"t": 3}, "answer":
/// "10t = 30"}` → `chain --check`'s.
pub async fn check(
    State(work): State<Work>,
    q: Result<Query<FormatQuery>, QueryRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let q = query(q)?;
    let bytes = body(raw)?;
    work.answer(move || {
        let format = q.format.unwrap_or(Format::Json);
        CheckRequest::takes(format)?;
        let probe: serde_json::Map<String, serde_json::Value> = json_body(&bytes)?;
        if probe.contains_key("answers") {
            let r: NetworkCheck = json_body(&bytes)?;
            let network = match r.network {
                Some(f) => network(f)?,
                None => Network::lecture(),
            };
            let answers = crate::check::parse_answers(r.answers.get(), Path::new("answers"))?;
            Ok(page(CheckRequest { network, answers, format }.answer(&Limits::SERVER)?, format))
        } else if probe.contains_key("answer") {
            let mut r: ChainRequest = json_body(&bytes)?;
            (r.verify, r.format) = (false, format);
            Ok(page(r.answer(&Limits::SERVER)?, format))
        } else {
            Err(ApiError::bad(
                "the body: expected {\"answers\": {…}} (and optionally \"network\"), or {\"definitions\", \"wrt\", \"answer\"}",
            ))
        }
    })
    .await
}

/// `GET /api/vocabulary`: the names the page's controls offer, from the library's own enums
/// (so the page has no list of its own), the bounds, and the lecture preset's setup.
pub async fn vocabulary() -> Response {
    use crate::playground::{DataSet, Feature, MAX_LAYERS, MAX_UNITS, Regularization, Setup};
    use strum::IntoEnumIterator;
    let data: Vec<DataSet> = DataSet::iter().collect();
    let regression: Vec<DataSet> = DataSet::iter().filter(|d| d.is_regression()).collect();
    let features: Vec<serde_json::Value> =
        Feature::iter().map(|f| serde_json::json!({"name": f, "label": f.label()})).collect();
    let activations: Vec<_> = crate::nn::Activation::iter().filter(|a| *a != crate::nn::Activation::Softmax).collect();
    let losses: Vec<_> = crate::loss::Loss::iter().collect();
    let optimizers: Vec<_> = crate::optim::OptimizerKind::iter().collect();
    json(&serde_json::json!({
        "data": data, "regression_data": regression, "features": features, "activations": activations,
        "losses": losses, "optimizers": optimizers, "regularizations": Regularization::iter().collect::<Vec<_>>(), "max_layers": MAX_LAYERS, "max_units": MAX_UNITS,
        "lecture": Setup::lecture(),
    }))
}

pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no route {}; the API is described at /api/openapi.json", uri.path()))
}

pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError(StatusCode::METHOD_NOT_ALLOWED, format!("{method} is not a method of {}", uri.path()))
}
